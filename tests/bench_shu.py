"""Benchmark: SHU for a koperasi of 10,000 members, the size the issue names (not collected by pytest).

    TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/kopz_bench_shu \\
        python -m tests.bench_shu [--members 10000]

Uses the database in TEST_DATABASE_URL (default: a temporary SQLite file), which it EMPTIES
first (see tests/bench_ledger.py). Bulk-inserts one koperasi's ``--members`` active members
straight into the tables (users, memberships, last year's pokok, wajib and sukarela deposits
as ledger entries with their cached balances, a loan-interest transaction for every third
member), posts last year's income, closes the year through the domain, then times: the
preview (every member's inputs and shares, both savings bases), the office preview page,
the approval (which freezes 10,000 shares), and the posting job (``post_job``, batches of
500, one entry and one notification INSERT per batch), then checks the books.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

from tests.bench_ledger import PASSWORD, _app, _reset, bench_koperasi, timed

CHUNK = 2_000


def _bulk(db, members: int):
    """One verified koperasi and its members with last year's savings and loan interest."""
    from werkzeug.security import generate_password_hash

    from models.accounts import User
    from models.koperasi import Koperasi
    from models.ledger import Account, Entry, Leg, Line, Purpose, SavingsBalance, ensure_chart, post, refill_day_totals
    from models.meetings import Meeting
    from models.membership import Membership
    from models.months import midnight
    from models.transactions import LOAN_INTEREST, MemberTransaction

    koperasi, board = bench_koperasi("Koperasi Bench SHU", "AHU-0999998.AH.01.26", "SHU", ["savings"])
    db.session.commit()
    year = date.today().year - 1
    day = midnight(koperasi, date(year, 3, 1))
    accounts = {purpose: account.id for purpose, account in ensure_chart(koperasi).items()}
    hashed = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    seq = 0
    for first in range(0, members, CHUNK):
        span = range(first, min(first + CHUNK, members))
        user_ids = db.session.scalars(sa.insert(User).returning(User.id, sort_by_parameter_order=True), [
            {"full_name": f"Anggota Bench {i + 1:05d}", "mobile": f"+62857{i:08d}", "password_hash": hashed}
            for i in span]).all()
        member_ids = db.session.scalars(sa.insert(Membership).returning(Membership.id, sort_by_parameter_order=True), [
            {"koperasi_id": koperasi.id, "user_id": uid, "status": "active", "full_name": f"Anggota Bench {i + 1:05d}",
             "nik": f"32730115089{i:05d}", "address": "Jl. Dago No. 10", "occupation": "Pedagang",
             "member_number": f"SHU-{i + 1:05d}", "pokok_owed_idr": 100_000}
            for i, uid in zip(span, user_ids, strict=True)]).all()
        kinds = [("pokok", Purpose.POKOK, 100_000), ("wajib", Purpose.WAJIB, 300_000),
                 ("sukarela", Purpose.SUKARELA, 50_000)]
        rows, legs = [], []
        for i, mid in zip(span, member_ids, strict=True):
            for kind, purpose, base in kinds:
                seq += 1
                amount = base if kind == "pokok" else base + (i % 37) * 1_000
                rows.append({"koperasi_id": koperasi.id, "ref": f"SHU-{seq:07d}", "kind": "deposit", "memo": kind,
                             "membership_id": mid, "posted_by_id": board.id, "posted_at": day + timedelta(days=i % 200)})
                legs.append((mid, kind, purpose, amount))
        ids = db.session.scalars(sa.insert(Entry).returning(Entry.id, sort_by_parameter_order=True), rows).all()
        db.session.execute(sa.insert(Line), [line for eid, (mid, _k, purpose, amount) in zip(ids, legs, strict=True)
                                             for line in ({"entry_id": eid, "account_id": accounts[Purpose.CASH],
                                                           "amount": amount},
                                                          {"entry_id": eid, "account_id": accounts[purpose],
                                                           "amount": -amount, "membership_id": mid})])
        db.session.execute(sa.insert(SavingsBalance), [{"membership_id": mid, "kind": kind, "balance": amount}
                                                       for mid, kind, _p, amount in legs])
        db.session.execute(sa.insert(MemberTransaction), [
            {"koperasi_id": koperasi.id, "membership_id": mid, "kind": LOAN_INTEREST, "amount_idr": 10_000 + i % 91,
             "at": day + timedelta(days=i % 250)} for i, mid in zip(span, member_ids, strict=True) if i % 3 == 0])
        db.session.commit()
    db.session.execute(sa.update(Koperasi).where(Koperasi.id == koperasi.id).values(last_receipt_seq=seq))
    sums = sa.select(sa.func.coalesce(sa.func.sum(Line.amount), 0)).where(Line.account_id == Account.id)
    db.session.execute(sa.update(Account).where(Account.koperasi_id == koperasi.id)
                       .values(balance=sums.scalar_subquery()))
    refill_day_totals(koperasi.id)
    db.session.commit()
    post(koperasi, "journal", [Leg(Purpose.CASH, 987_654_321), Leg(Purpose.OTHER_INCOME, -987_654_321)], by=board,
         memo="Pendapatan", at=day)
    db.session.commit()
    meeting = Meeting(koperasi_id=koperasi.id, title=f"RAT {year}", book_year=year,
                      starts_at=midnight(koperasi, date(year + 1, 3, 1)), record_date=date(year + 1, 2, 1),
                      status="held")
    db.session.add(meeting)
    db.session.commit()
    return koperasi, board, meeting, year


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=10_000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kopz-bench-shu-"))
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp / 'bench.sqlite'}"
    app = _app(url, tmp)

    from models import books_check, jobs, periods, shu, shu_posting
    from models.ledger import Entry
    from web.extensions import db

    with app.app_context():
        print(f"Database: {db.engine.dialect.name} ({url.split('@')[-1]})")
        _reset(db)
        began = time.perf_counter()
        koperasi, board, meeting, year = _bulk(db, args.members)
        print(f"Setup: {args.members:,} members with last year's savings in {time.perf_counter() - began:.1f} s")
        periods.close_year(koperasi, year, board)
        db.session.commit()
        slug, mobile, ids = koperasi.slug, board.mobile, (koperasi.id, board.id, meeting.id)
        split = {"reserve_bp": 4000, "jm_bp": 2000, "ju_bp": 2000, "board_bp": 500, "staff_bp": 500,
                 "education_bp": 500, "social_bp": 500, "jm_pokok": True, "jm_wajib": True, "jm_sukarela": True,
                 "ju_interest": True, "jm_basis": shu.AVERAGE}
        plan = shu.save_plan(koperasi, year, split, board)
        db.session.commit()
        print(f"SHU {year}: {shu.shu_amount(plan):,} Rupiah")
        timed("preview, average of month-ends", lambda: shu.preview(plan))
        plan.jm_basis = shu.YEAR_END
        db.session.commit()
        division = timed("preview, balance at year end", lambda: shu.preview(plan))
        print(f"  {len(division.members):,} members with a share; remainder to the reserve {division.remainder:,}")
        db.session.remove()

    client = app.test_client()
    assert client.post("/login", data={"login": mobile, "password": PASSWORD}).status_code == 303
    timed("GET the office preview page (first of its pages)",
           lambda: client.get(f"/k/{slug}/office/shu/{year}").status_code == 200 or exit("page failed"))

    from models.accounts import User
    from models.koperasi import Koperasi
    from models.meetings import Meeting

    with app.app_context():
        board = db.session.get(User, ids[1])
        plan = shu.plan_of(db.session.get(Koperasi, ids[0]), year)
        timed("approval (freezes every share)", lambda: (shu_posting.approve(plan, board, db.session.get(
            Meeting, ids[2])), db.session.commit()))
        job = shu_posting.start_posting(plan, None)
        db.session.commit()
        timed("posting job (all members, the reserve and the funds)", lambda: shu_posting.post_job(job.id))
        job = db.session.get(jobs.Job, job.id)
        entries = db.session.scalar(sa.select(sa.func.count()).select_from(Entry).where(Entry.kind == "shu"))
        print(f"  job {job.status}: {job.done:,}/{job.total:,} members, {entries} entries")
        problems = books_check.check()
        print(f"  ledger-check: {'clean' if not problems else problems[:5]}")


if __name__ == "__main__":
    main()
