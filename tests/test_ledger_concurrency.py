"""Money under real concurrency: many requests at once never overdraw savings, never
repay more than is owed, and a retried form posts once.

Each thread is one request: its own app context (so its own session and database
connection), loads what it needs by id, calls ONE domain operation and commits. A
barrier starts them together (on PostgreSQL after loading, so the reads overlap too; on
SQLite before, since a writing request holds the write lock from its first read). The
PostgreSQL versions run on the PostgreSQL suite (``postgres_only``); the SQLite versions
check that BEGIN IMMEDIATE, the busy timeout and the conditional UPDATE keep the same
invariants on the embedded database.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from models import books_check, cashbook, ledger, loans, savings
from models.accounts import User
from models.errors import DomainError
from models.ledger import Entry, SavingsBalance
from models.membership import Membership
from tests.conftest import board, fund
from web.extensions import db as _db


@dataclass
class Outcome:
    done: list = field(default_factory=list)  # what each successful call returned
    refused: list = field(default_factory=list)  # DomainError messages
    crashed: list = field(default_factory=list)  # anything else: a bug


def race(app, n: int, work) -> Outcome:
    """Run ``work(i)`` in ``n`` threads that start together; each commits its own work."""
    barrier = threading.Barrier(n)
    postgres = _db.engine.dialect.name == "postgresql"
    outcome = Outcome()
    lock = threading.Lock()

    def request(i: int) -> None:
        with app.test_request_context("/", method="POST"):  # a request that writes: SQLite begins IMMEDIATE
            try:
                if not postgres:  # SQLite queues writers from their first read: they start together
                    barrier.wait(timeout=30)
                prepared = work(i)  # load by id, before the start line (PostgreSQL)
                if postgres:
                    barrier.wait(timeout=30)
                result = prepared()
                _db.session.commit()
                with lock:
                    outcome.done.append(result)
            except DomainError as error:
                _db.session.rollback()
                with lock:
                    outcome.refused.append(str(error.message))
            except Exception as error:  # noqa: BLE001 (reported by the test)
                _db.session.rollback()
                with lock:
                    outcome.crashed.append(repr(error))
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=request, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a request hung"
    _db.session.rollback()  # the test's own session: read what the threads committed
    _db.session.expire_all()
    return outcome


@pytest.fixture
def kop(make_koperasi):
    """A koperasi with cash and a bank balance to lend from."""
    return fund(fund(make_koperasi(pokok_idr=100_000, wajib_idr=20_000), 5_000_000), 5_000_000, "bank")


@pytest.fixture
def teller(kop, make_staff):
    return make_staff(kop, "teller")


def _sukarela_lines(membership_id: int) -> int:
    return _db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(ledger.Line.amount), 0)).join(ledger.Account)
        .where(ledger.Line.membership_id == membership_id, ledger.Account.purpose == "savings_sukarela"))


def _withdrawal_race(app, kop, make_member, teller, threads: int = 10) -> None:
    member = make_member(kop)
    savings.deposit(member, "sukarela", 300_000, "cash", teller)  # covers 3 of 10
    _db.session.commit()
    member_id, teller_id = member.id, teller.id

    def work(i):
        membership = _db.session.get(Membership, member_id)
        by = _db.session.get(User, teller_id)
        return lambda: savings.withdraw(membership, 100_000, "cash", by, key=f"withdraw-{i}").id

    outcome = race(app, threads, work)
    assert outcome.crashed == []
    assert len(outcome.done) == 3 and len(outcome.refused) == threads - 3
    assert ledger.balances(member_id)["sukarela"] == 0
    assert _sukarela_lines(member_id) == 0  # the lines agree: 300.000 in, 3 × 100.000 out
    withdrawals = _db.session.scalars(sa.select(Entry).where(Entry.kind == "withdrawal")).all()
    assert sorted(e.id for e in withdrawals) == sorted(outcome.done)
    assert books_check.check() == []


@pytest.mark.postgres_only
def test_ten_withdrawals_at_once_never_overdraw(app, kop, make_member, teller):
    _withdrawal_race(app, kop, make_member, teller)


def test_withdrawals_at_once_on_sqlite_keep_the_books(app, kop, make_member, teller, db):
    """The same race on the embedded database: the writers queue on the busy timeout
    and the conditional UPDATE still refuses what the balance cannot cover."""
    _withdrawal_race(app, kop, make_member, teller)


@pytest.mark.postgres_only
def test_repayments_at_once_never_pay_more_than_owed(app, kop, make_member, teller, db):
    product = loans.save_product(kop, dict(
        name="Modal Usaha", method="flat", monthly_rate_bp=100, fee_bp=100, fee_mode="deducted",
        max_amount_idr=20_000_000, min_tenor=3, max_tenor=24, late_fee_mode="per_day", late_fee_idr=5_000))
    member = make_member(kop)
    loan = loans.apply(member, product, 1_000_000, 4, "Modal warung kelontong")
    loans.approve(loan, board(kop))
    start = date(2026, 1, 10)
    loans.disburse(loan, teller, "cash", today=start)
    db.session.commit()
    owed = loans.owed(loan, start).total
    assert owed == 1_040_000  # 4 × (250.000 + 10.000 jasa): covers 4 repayments of 260.000
    loan_id, teller_id = loan.id, teller.id

    def work(i):
        current = _db.session.get(loans.Loan, loan_id)
        by = _db.session.get(User, teller_id)
        return lambda: loans.repay(current, 260_000, "cash", by, key=f"repay-{i}", today=start).id

    outcome = race(app, 8, work)
    assert outcome.crashed == []
    assert len(outcome.done) == 4 and len(outcome.refused) == 4
    loan = db.session.get(loans.Loan, loan_id)
    repaid = db.session.scalars(sa.select(Entry).where(Entry.kind == "repayment", Entry.loan_id == loan_id)).all()
    assert sum(e.total for e in repaid) == owed
    assert loan.status == "paid_off" and loans.owed(loan, start).total == 0
    assert all(i.principal_paid == i.principal_due and i.interest_paid == i.interest_due for i in loan.instalments)
    assert books_check.check() == []


@pytest.mark.postgres_only
def test_repayments_from_sukarela_at_once_never_overdraw(app, kop, make_member, teller, db):
    """Two guards at once: the loan's row lock and the savings' conditional UPDATE."""
    product = loans.save_product(kop, dict(
        name="Konsumtif", method="annuity", monthly_rate_bp=125, fee_bp=0, fee_mode="deducted",
        max_amount_idr=20_000_000, min_tenor=3, max_tenor=24, late_fee_mode="per_instalment", late_fee_idr=0))
    member = make_member(kop)
    savings.deposit(member, "sukarela", 250_000, "bank", teller)  # covers 2 of 8
    loan = loans.apply(member, product, 2_000_000, 6, "Biaya sekolah anak")
    loans.approve(loan, board(kop))
    loans.disburse(loan, teller, "bank", today=date(2026, 1, 5))
    db.session.commit()
    loan_id, teller_id, member_id = loan.id, teller.id, member.id

    def work(i):
        current = _db.session.get(loans.Loan, loan_id)
        by = _db.session.get(User, teller_id)
        return lambda: loans.repay(current, 100_000, "sukarela", by, today=date(2026, 1, 5)).id

    outcome = race(app, 8, work)
    assert outcome.crashed == []
    assert len(outcome.done) == 2 and len(outcome.refused) == 6
    assert ledger.balances(member_id)["sukarela"] == 50_000
    loan = db.session.get(loans.Loan, loan_id)
    assert loans.owed(loan, date(2026, 1, 5)).total == sum(r.total for r in loans.schedule(
        2_000_000, 6, "annuity", 125, date(2026, 1, 5))) - 200_000
    assert books_check.check() == []


@pytest.mark.postgres_only
def test_same_deposit_submitted_five_times_at_once_posts_once(app, kop, make_member, teller, db):
    member = make_member(kop)
    db.session.commit()
    member_id, teller_id = member.id, teller.id
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Entry))

    def work(_i):
        membership = _db.session.get(Membership, member_id)
        by = _db.session.get(User, teller_id)

        def submit():
            entry = savings.deposit(membership, "sukarela", 125_000, "cash", by, key="form-7f3a")
            return entry.id, entry.ref

        return submit

    outcome = race(app, 5, work)
    assert outcome.crashed == [] and outcome.refused == []
    assert len(outcome.done) == 5 and len(set(outcome.done)) == 1  # everyone got the same receipt
    entry_id, ref = outcome.done[0]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Entry)) == before + 1
    assert db.session.get(Entry, entry_id).ref == ref
    assert db.session.get(SavingsBalance, (member_id, "sukarela")).balance == 125_000
    assert books_check.check() == []


def test_two_corrections_of_one_deposit_at_once_on_sqlite(app, kop, make_member, teller, db):
    """``ledger.lock`` commits nothing on SQLite: the second correction waits for the
    first (its request holds the write lock from its first read) and is refused."""
    member = make_member(kop)
    deposit = savings.deposit(member, "sukarela", 80_000, "cash", teller)
    db.session.commit()
    entry_id, teller_id, member_id = deposit.id, teller.id, member.id

    def work(i):
        entry = _db.session.get(Entry, entry_id)
        by = _db.session.get(User, teller_id)
        return lambda: savings.reverse(entry, by, "Salah input nominal", key=f"fix-{i}").id

    outcome = race(app, 2, work)
    assert outcome.crashed == []
    assert len(outcome.done) == 1 and outcome.refused == ["Transaksi ini sudah dikoreksi."]  # already corrected (id)
    assert ledger.balances(member_id)["sukarela"] == 0 and books_check.check() == []


def _cash_payout_race(app, make_koperasi, make_staff, threads: int = 10) -> None:
    """Ten kas keluar of Rp100.000 at once from a drawer holding Rp300.000: three go through."""
    kop = fund(make_koperasi(member_prefix="KAS"), 300_000)
    teller = make_staff(kop, "teller")
    chart = ledger.ensure_chart(kop)
    _db.session.commit()
    kop_id, teller_id, cash_id, rent_id = kop.id, teller.id, chart["cash"].id, chart["rent"].id

    def work(i):
        koperasi = _db.session.get(type(kop), kop_id)
        by = _db.session.get(User, teller_id)
        return lambda: cashbook.record(koperasi, "out", rent_id, cash_id, 100_000, None, "Pemilik ruko", "Sewa",
                                       by, key=f"kas-keluar-{i}").id

    outcome = race(app, threads, work)
    assert outcome.crashed == []
    assert len(outcome.done) == 3 and len(outcome.refused) == threads - 3
    assert all("Not enough money" in message or "Uang di" in message for message in outcome.refused)
    assert _db.session.get(ledger.Account, cash_id).balance == 0  # never below zero
    assert books_check.check() == []


@pytest.mark.postgres_only
def test_cash_payouts_at_once_never_take_cash_below_zero(app, make_koperasi, make_staff):
    _cash_payout_race(app, make_koperasi, make_staff)


def test_cash_payouts_at_once_on_sqlite_never_take_cash_below_zero(app, make_koperasi, make_staff):
    _cash_payout_race(app, make_koperasi, make_staff)


@pytest.mark.postgres_only
def test_deposits_at_once_on_a_new_day_add_up_in_its_day_totals(app, kop, make_member, teller):
    """Ten deposits at once, each the first posting of its day for all they knew: one day row per account
    holds all ten (the account's row lock orders the upserts), and the proof of the books stays clean."""
    member_ids = [make_member(kop, nik=f"32730115089{n:05d}").id for n in range(1, 11)]
    teller_id, day = teller.id, datetime(2025, 6, 1, 3)

    def work(i):
        membership = _db.session.get(Membership, member_ids[i])
        by = _db.session.get(User, teller_id)
        return lambda: savings.deposit(membership, "sukarela", 10_000 + i, "cash", by, at=day + timedelta(minutes=i)).id

    outcome = race(app, 10, work)
    assert outcome.crashed == [] and outcome.refused == [] and len(outcome.done) == 10
    rows = _db.session.execute(sa.select(ledger.Account.purpose, ledger.AccountDay.debit, ledger.AccountDay.credit)
                               .join(ledger.Account, ledger.Account.id == ledger.AccountDay.account_id)
                               .where(ledger.Account.koperasi_id == kop.id, ledger.AccountDay.day == day.date())
                               .order_by(ledger.Account.purpose)).all()
    total = sum(10_000 + i for i in range(10))
    assert [tuple(row) for row in rows] == [("cash", total, 0), ("savings_sukarela", 0, total)]
    assert books_check.check() == []
