"""Benchmark: the koperasi's statements at the size the issue names, 5,000 members and
200,000 journal lines (not collected by pytest).

    TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/kopz_bench_books \\
        python -m tests.bench_books [--members 5000] [--entries 100000] [--runs 5]

Uses the database in TEST_DATABASE_URL (default: a temporary SQLite file), which it EMPTIES
first (see tests/bench_ledger.py), builds one koperasi with ``--members`` active members
(each pays simpanan pokok: one entry), then posts ``--entries`` savings deposits through
the domain function over two years (two lines each), and times, through the test client
logged in as the pengurus, the median of ``--runs`` GETs of every statement over the last
full year: the books index, trial balance, neraca, hasil-usaha, cash flow, changes in
equity, the general ledger of cash (a month: it is the busiest account), their CSV and xlsx
downloads where they exist, and the office dashboard.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from tests.bench_ledger import PASSWORD, _app, _median, _post, _reset, _setup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=5_000)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kopz-bench-books-"))
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp / 'bench.sqlite'}"
    app = _app(url, tmp)

    from models import ledger
    from web.extensions import db

    with app.app_context():
        print(f"Database: {db.engine.dialect.name} ({url.split('@')[-1]})")
        _reset(db)
        began = time.perf_counter()
        koperasi, board, members = _setup(db, args.members)
        print(f"Setup: 1 koperasi, {len(members):,} active members in {time.perf_counter() - began:.1f} s")
        slug, mobile = koperasi.slug, board.mobile
        seconds = _post(db, board, members, args.entries, statement=0)
        print(f"Posting: {args.entries:,} entries through savings.deposit in {seconds:.1f} s")
        lines = db.session.scalar(sa.select(sa.func.count()).select_from(ledger.Line))
        print(f"Ledger: {lines:,} journal lines")
        db.session.remove()

    year = date.today().year - 1
    period = {"from": f"{year}-01-01", "to": f"{year}-12-31"}
    month = {"from": f"{year}-06-01", "to": f"{year}-06-30"}
    base = f"/k/{slug}/office/books"
    pages = [(f"/k/{slug}/office", {}), (base, {}), (f"{base}/trial-balance", period),
             (f"{base}/neraca", {"at": period["to"]}), (f"{base}/hasil-usaha", period),
             (f"{base}/arus-kas", period), (f"{base}/perubahan-ekuitas", period), (f"{base}/accounts/1101", month)]
    client = app.test_client()
    response = client.post("/login", data={"login": mobile, "password": PASSWORD})
    assert response.status_code == 303, response.status_code
    print(f"Statements for {year} (median of {args.runs}):")
    for path, query in pages:
        for fmt in ("html", "csv", "xlsx"):
            if fmt != "html" and path.endswith("/office") or path == base and fmt != "html":
                continue
            params = {**query, **({"format": fmt} if fmt != "html" else {})}
            if client.get(path, query_string=params).status_code == 404:
                print(f"  {path} ({fmt}): not there")
                continue

            def get(path=path, params=params):
                response = client.get(path, query_string=params)
                assert response.status_code == 200, (path, params, response.status_code)
                return response

            median, response = _median(args.runs, get)
            print(f"  GET {path} {fmt}: {median * 1000:,.0f} ms ({len(response.data) / 1024:,.1f} KiB)")


if __name__ == "__main__":
    main()
