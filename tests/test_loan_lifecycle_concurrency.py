"""The loan lifecycle under real concurrency (issue 10): a repayment corrected by several
people at once is reversed once, and a correction racing a new repayment never leaves the
instalments apart from the books; a loan written off twice at once is written off once."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from models import books_check, collectability, loan_corrections, loans
from models.accounts import User
from models.ledger import Entry
from tests.conftest import board
from tests.funding import fund
from tests.test_ledger_concurrency import race
from web.extensions import db as _db

TERMS = dict(name="Modal Usaha", method="flat", monthly_rate_bp=100, fee_bp=0, fee_mode="deducted",
             max_amount_idr=20_000_000, min_tenor=3, max_tenor=24, late_fee_mode="per_day", late_fee_idr=1_000)


@pytest.fixture
def setup(make_koperasi, make_member, make_staff, make_user, db):
    kop = make_koperasi()
    fund(kop, make_member, make_user)
    teller = make_staff(kop, "teller")
    loan = loans.apply(make_member(kop), loans.save_product(kop, dict(TERMS)), 1_200_000, 12, "Modal warung")
    loans.approve(loan, board(kop))
    loans.disburse(loan, teller, "cash", today=date(2026, 1, 10))
    paid = loans.repay(loan, 300_000, "cash", teller, today=date(2026, 2, 20))
    db.session.commit()
    return {"kop": kop, "loan": loan.id, "paid": paid.id, "teller": teller.id, "board": board(kop).id}


def _count(kind: str) -> int:
    return _db.session.scalar(sa.select(sa.func.count()).select_from(Entry).where(Entry.kind == kind))


@pytest.mark.postgres_only
def test_a_repayment_corrected_by_five_people_at_once_is_reversed_once(app, setup):
    def work(i):
        entry, by = _db.session.get(Entry, setup["paid"]), _db.session.get(User, setup["board"])
        return lambda: loan_corrections.reverse(entry, by, "Salah catat nominal", key=f"fix-{i}").id

    outcome = race(app, 5, work)
    assert outcome.crashed == [] and len(outcome.done) == 1 and len(outcome.refused) == 4
    loan = _db.session.get(loans.Loan, setup["loan"])
    assert all(i.principal_paid == i.interest_paid == i.late_fee_paid == 0 for i in loan.instalments)
    assert _count("reversal") == 1 and books_check.check() == []


@pytest.mark.postgres_only
def test_a_correction_racing_a_new_repayment_keeps_instalments_and_books_together(app, setup):
    def work(i):
        entry, loan = _db.session.get(Entry, setup["paid"]), _db.session.get(loans.Loan, setup["loan"])
        if i == 0:
            by = _db.session.get(User, setup["board"])
            return lambda: loan_corrections.reverse(entry, by, "Salah catat nominal").id
        teller = _db.session.get(User, setup["teller"])
        return lambda: loans.repay(loan, 100_000, "cash", teller, key=f"pay-{i}", today=date(2026, 2, 21)).id

    outcome = race(app, 2, work)
    assert outcome.crashed == []
    # Either the correction went first (then the repayment), or the repayment did (then the
    # correction is refused: a later repayment stands). The books agree with the instalments.
    assert len(outcome.done) + len(outcome.refused) == 2 and _count("repayment") == 2
    assert books_check.check() == []


@pytest.mark.postgres_only
def test_a_loan_written_off_twice_at_once_is_written_off_once(app, setup):
    def work(i):
        loan, by = _db.session.get(loans.Loan, setup["loan"]), _db.session.get(User, setup["board"])
        return lambda: collectability.write_off(loan, by, "Anggota tidak ditemukan", key=f"wo-{i}").id

    outcome = race(app, 3, work)
    assert outcome.crashed == [] and len(outcome.done) == 1 and len(outcome.refused) == 2
    assert _count("write_off") == 1 and books_check.check() == []


@pytest.mark.postgres_only
def test_a_month_provisioned_three_times_at_once_is_posted_once(app, setup):
    def work(i):
        kop = _db.session.get(type(setup["kop"]), setup["kop"].id)
        return lambda: collectability.provision(kop, "2026-06").id

    outcome = race(app, 3, work)
    assert outcome.crashed == [] and len(set(outcome.done)) == 1 and len(outcome.done) == 3
    assert _count("provision") == 1 and books_check.check() == []
