"""The offline teller's batch under real concurrency (the race helper: tests/test_ledger_concurrency.py): the
same collection sent at once from two tabs, or resent while the first send is still running, is posted once
and every send gets that one answer; repayments from two phones at once never pay a loan more than is owed."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from models import books_check, loans, offline
from models.accounts import User
from models.koperasi import Koperasi
from models.ledger import Entry
from models.loans import Loan, LoanStatus
from models.offline import OfflineCollection
from tests.conftest import board, fund
from tests.test_duties import PRODUCT
from tests.test_ledger_concurrency import race
from web.extensions import db as _db

KEY = "same-collection-" + "x" * 27


@pytest.fixture
def field(make_koperasi, make_member, make_staff, make_user):
    """(koperasi id, teller id, membership id, loan id): an active member with a loan being repaid."""
    kop = fund(make_koperasi())
    teller = make_staff(kop, "teller", user=make_user(full_name="Teller Keliling"))
    member = make_member(kop)
    loan = loans.apply(member, loans.save_product(kop, dict(PRODUCT)), 1_000_000, 6, "Modal warung")
    loans.approve(loan, board(kop))
    loans.disburse(loan, teller, "cash")
    _db.session.commit()
    return kop.id, teller.id, member.id, loan.id


def _send_at_once(app, field, threads: int, what: str, amount, key=lambda i: KEY):
    kop_id, teller_id, member_id, loan_id = field

    def work(i):
        kop, teller = _db.session.get(Koperasi, kop_id), _db.session.get(User, teller_id)
        return lambda: offline.collect(kop, teller, key=key(i), membership_id=member_id, what=what,
                                       amount=amount(i) if callable(amount) else amount,
                                       loan_id=loan_id if what == "repayment" else None, provisional=f"P-AB12-{i:04d}").id

    return race(app, threads, work)


def _deposits() -> int:
    return _db.session.scalar(sa.select(sa.func.count()).select_from(Entry).where(Entry.kind == "deposit"))


def _once(app, field):
    before = _deposits()
    outcome = _send_at_once(app, field, 5, "sukarela", 25_000)
    assert outcome.crashed == [] and outcome.refused == []
    assert len(set(outcome.done)) == 1  # every send got the one answer
    rows = _db.session.scalars(sa.select(OfflineCollection)).all()
    assert len(rows) == 1 and rows[0].entry_id
    assert _deposits() == before + 1
    assert books_check.check() == []


@pytest.mark.postgres_only
def test_one_collection_sent_at_once_from_two_tabs_is_posted_once(app, field):
    _once(app, field)


def test_one_collection_sent_at_once_on_sqlite_is_posted_once(app, field, db):
    _once(app, field)


@pytest.mark.postgres_only
def test_a_refusal_sent_at_once_is_kept_once(app, field):
    loan = _db.session.get(Loan, field[3])
    loans.repay(loan, loans.payoff(loan).total, "cash", _db.session.get(User, field[1]), key="payoff-" + "y" * 30)
    _db.session.commit()
    outcome = _send_at_once(app, field, 5, "repayment", 50_000)
    assert outcome.crashed == [] and outcome.refused == [] and len(set(outcome.done)) == 1
    row = _db.session.scalar(sa.select(OfflineCollection))
    assert row.entry_id is None and row.refusal


@pytest.mark.postgres_only
def test_repayments_from_several_phones_at_once_never_pay_more_than_is_owed(app, field):
    owed = loans.owed(_db.session.get(Loan, field[3])).total
    outcome = _send_at_once(app, field, 4, "repayment", lambda i: owed - 1_000 * i, key=lambda i: f"phone-{i}-" + "x" * 30)
    assert outcome.crashed == [] and outcome.refused == []
    rows = _db.session.scalars(sa.select(OfflineCollection).order_by(OfflineCollection.id)).all()
    assert len(rows) == 4 and sum(1 for r in rows if r.entry_id) == 1  # one covers the loan; the rest refused
    loan = _db.session.get(Loan, field[3])
    assert sum(i.principal_paid + i.interest_paid for i in loan.instalments) <= owed
    assert all(r.refusal for r in rows if not r.entry_id)
    assert loan.status in (LoanStatus.ACTIVE, LoanStatus.PAID_OFF)
    assert books_check.check() == []
