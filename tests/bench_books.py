"""Benchmark: the koperasi's statements at the size the issue names, 5,000 members and
200,000 journal lines (not collected by pytest).

    TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/kopz_bench_books \\
        python -m tests.bench_books [--members 5000] [--entries 100000] [--runs 5]

Uses the database in TEST_DATABASE_URL (default: a temporary SQLite file), which it EMPTIES
first (see tests/bench_ledger.py), builds one koperasi with ``--members`` active members
(each pays simpanan pokok through the domain function: one entry), then writes ``--entries``
two-line entries over the last two years straight into the ledger tables (savings deposits in
cash and by bank, store sales, running costs; posting them one by one through ``post()`` runs
at about 40 a second on one connection, and how they got there does not change what reading
them costs), sets the cached balances and day totals from those lines (``books_check`` proves them), and
times, through the test client
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

from tests.bench_ledger import PASSWORD, _app, _median, _reset, _setup

BATCH = 5_000


def _bulk(db, koperasi, board, members, entries: int) -> float:
    """Write ``entries`` balanced two-line entries over the last two years, then the caches."""
    from datetime import timedelta

    from models.base import utcnow
    from models.koperasi import Koperasi
    from models.ledger import Account, Entry, Line, Purpose, SavingsBalance, ensure_chart, refill_day_totals

    accounts = {purpose: account.id for purpose, account in ensure_chart(koperasi).items()}
    kinds = [  # (entry kind, debit purpose, credit purpose, savings kind of the member or None, amount base)
        ("deposit", Purpose.CASH, Purpose.SUKARELA, "sukarela", 50_000),
        ("deposit", Purpose.BANK, Purpose.SUKARELA, "sukarela", 100_000),
        ("deposit", Purpose.CASH, Purpose.WAJIB, "wajib", 25_000),
        ("cash_in", Purpose.CASH, Purpose.SALES, None, 40_000),
        ("cash_out", Purpose.UTILITIES, Purpose.CASH, None, 20_000),
    ]
    start, span = utcnow() - timedelta(days=730), timedelta(days=730) / max(entries, 1)
    seq = db.session.scalar(sa.select(Koperasi.last_receipt_seq).where(Koperasi.id == koperasi.id))
    began = time.perf_counter()
    for first in range(0, entries, BATCH):
        rows, legs = [], []
        for i in range(first, min(first + BATCH, entries)):
            kind, debit, credit, savings, base = kinds[i % len(kinds)]
            member = members[i % len(members)].id if savings else None
            amount = base + (i % 97) * 1_000
            rows.append({"koperasi_id": koperasi.id, "ref": f"{koperasi.member_prefix}-{seq + i + 1:07d}", "kind": kind,
                         "memo": "", "membership_id": member, "posted_by_id": board.id,
                         "posted_at": start + span * i})
            legs.append((debit, credit, amount, member))
        ids = db.session.scalars(sa.insert(Entry).returning(Entry.id, sort_by_parameter_order=True), rows).all()
        db.session.execute(sa.insert(Line), [
            line for entry_id, (debit, credit, amount, member) in zip(ids, legs, strict=True) for line in (
                {"entry_id": entry_id, "account_id": accounts[debit], "amount": amount,
                 "membership_id": member if debit in (Purpose.SUKARELA, Purpose.WAJIB) else None, "loan_id": None},
                {"entry_id": entry_id, "account_id": accounts[credit], "amount": -amount,
                 "membership_id": member if credit in (Purpose.SUKARELA, Purpose.WAJIB) else None, "loan_id": None})])
        db.session.commit()
    db.session.execute(sa.update(Koperasi).where(Koperasi.id == koperasi.id)
                       .values(last_receipt_seq=seq + entries))
    sums = sa.select(sa.func.coalesce(sa.func.sum(Line.amount), 0)).where(Line.account_id == Account.id)
    db.session.execute(sa.update(Account).where(Account.koperasi_id == koperasi.id)
                       .values(balance=sums.scalar_subquery()))
    refill_day_totals(koperasi.id)
    by_member = db.session.execute(
        sa.select(Line.membership_id, Account.purpose, -sa.func.sum(Line.amount))
        .join(Account, Account.id == Line.account_id)
        .where(Account.koperasi_id == koperasi.id, Line.membership_id.is_not(None),
               Account.purpose.in_((Purpose.POKOK, Purpose.WAJIB, Purpose.SUKARELA)))
        .group_by(Line.membership_id, Account.purpose)).all()
    names = {Purpose.POKOK: "pokok", Purpose.WAJIB: "wajib", Purpose.SUKARELA: "sukarela"}
    db.session.execute(sa.delete(SavingsBalance).where(SavingsBalance.membership_id.in_([m.id for m in members])))
    db.session.execute(sa.insert(SavingsBalance), [{"membership_id": member, "kind": names[purpose],
                                                     "balance": int(total)} for member, purpose, total in by_member])
    db.session.commit()
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=5_000)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kopz-bench-books-"))
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp / 'bench.sqlite'}"
    app = _app(url, tmp)

    from models import books_check, ledger
    from web.extensions import db

    with app.app_context():
        print(f"Database: {db.engine.dialect.name} ({url.split('@')[-1]})")
        _reset(db)
        began = time.perf_counter()
        koperasi, board, members = _setup(db, args.members)
        print(f"Setup: 1 koperasi, {len(members):,} active members in {time.perf_counter() - began:.1f} s")
        slug, mobile = koperasi.slug, board.mobile
        seconds = _bulk(db, koperasi, board, members, args.entries)
        print(f"Writing: {args.entries:,} entries straight into the ledger in {seconds:.1f} s")
        lines = db.session.scalar(sa.select(sa.func.count()).select_from(ledger.Line))
        problems = books_check.check()
        print(f"Ledger: {lines:,} journal lines; ledger-check: {'clean' if not problems else problems[:5]}")
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
