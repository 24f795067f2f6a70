"""Benchmark: importing a koperasi of 5,000 members with savings and some loans, the size the
issue names (target: under a minute on SQLite). Not collected by pytest.

    python -m tests.bench_import [--members 5000] [--loans-every 5]
    TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/kopz_bench_import python -m tests.bench_import

Uses the database in TEST_DATABASE_URL (default: a temporary SQLite file), which it EMPTIES
first (see tests/bench_ledger.py). Makes the filled template in memory, then times: reading
and checking it (the preview), and the import job (batches of 500 members: accounts,
memberships, savings, loans with their schedules, one balanced entry each), then checks the books.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from tests.bench_ledger import _app, _reset, bench_koperasi, timed
from tests.import_setup import PRODUCT, members_and_loans, xlsx


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=5_000)
    parser.add_argument("--loans-every", type=int, default=5)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kopz-bench-import-"))
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp / 'bench.sqlite'}"
    app = _app(url, tmp)
    folder = str(tmp / "imports")

    from models import books_check, import_batch, jobs, loans
    from models.zones import zone_of
    from web.extensions import db

    with app.app_context():
        print(f"Database: {db.engine.dialect.name} ({url.split('@')[-1]})")
        _reset(db)
        koperasi, board = bench_koperasi("Koperasi Bench Impor", "AHU-0999997.AH.01.26", "SRJ", ["savings", "loans"],
                                         wajib_idr=20_000)
        loans.save_product(koperasi, dict(PRODUCT))
        db.session.commit()
        cutover = zone_of(koperasi).today().replace(day=1) - timedelta(days=1)
        members, loan_rows = members_and_loans(args.members, cutover, loans_every=args.loans_every)
        data = timed(f"writing the template with {len(members):,} members, {len(loan_rows):,} loans",
                      lambda: xlsx(members, loan_rows))
        print(f"  file: {len(data) / 1024 / 1024:.1f} MB")
        batch, result = timed("preview (read and check every row)", lambda: import_batch.preview(
            koperasi, [("anggota.xlsx", data)], cutover, board, folder))
        db.session.commit()
        print(f"  problems: {len(result.problems)}; totals: {batch.totals_dict()}")
        began = time.perf_counter()
        job = import_batch.confirm(batch, board)
        db.session.commit()
        import_batch.import_job(job.id, folder)
        seconds = time.perf_counter() - began
        job = db.session.get(jobs.Job, job.id)
        print(f"Import job: {job.status}, {job.done:,}/{job.total:,} members in {seconds:.1f} s {job.message}")
        again, _ = timed("preview of the same file again", lambda: import_batch.preview(
            koperasi, [("anggota.xlsx", data)], cutover, board, folder))
        print(f"  new members the second time: {again.members} (skipped {again.skipped:,})")
        problems = books_check.check()
        print(f"  ledger-check: {'clean' if not problems else problems[:5]}")


if __name__ == "__main__":
    main()
