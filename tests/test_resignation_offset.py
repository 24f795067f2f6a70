"""Resignation offset (kompensasi, issue 10): with the member's consent their savings pay off
their loans and the rest is refunded; without it the resignation waits for the loans."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from models import books_check, loans, resignation, savings
from models.errors import DomainError
from models.ledger import Entry, balances
from models.zones import zone_of
from tests.conftest import board
from tests.funding import fund

FLAT = dict(name="Pinjaman Anggota", method="flat", monthly_rate_bp=100, fee_bp=0, fee_mode="deducted",
            max_amount_idr=20_000_000, min_tenor=6, max_tenor=24, late_fee_mode="per_instalment", late_fee_idr=0,
            rebate_rule="month")


@pytest.fixture
def kop(make_koperasi, make_member, make_user):
    made = make_koperasi(pokok_idr=100_000, wajib_idr=20_000)
    fund(made, make_member, make_user)
    return made


@pytest.fixture
def teller(kop, make_staff):
    return make_staff(kop, "teller")


def _member_with_loan(kop, make_member, teller, db, wajib=200_000, sukarela=1_000_000):
    """Pokok Rp100.000, wajib and sukarela as given; a Rp1.200.000 flat loan (1 % a month, 12 months)
    paid out five days ago: paying it off today costs the principal and this month's Rp12.000."""
    member = make_member(kop)
    for kind, amount in (("wajib", wajib), ("sukarela", sukarela)):
        if amount:
            savings.deposit(member, kind, amount, "cash", teller)
    loan = loans.apply(member, loans.save_product(kop, dict(FLAT)), 1_200_000, 12, "Modal dagang sayur")
    loans.approve(loan, board(kop))
    loans.disburse(loan, teller, "cash", today=zone_of(kop).today() - timedelta(days=5))
    db.session.commit()
    return member, loan


def _entry(kind):
    return loans.db.session.scalar(sa.select(Entry).where(Entry.kind == kind))


def test_with_consent_savings_pay_the_loan_off_and_the_rest_is_refunded(kop, make_member, teller, db):
    member, loan = _member_with_loan(kop, make_member, teller, db)
    resignation.request(member, consent=True)
    db.session.commit()
    assert resignation.offset_quote(member) == (1_212_000, 1_300_000)
    resignation.confirm(member, board(kop), key="resign-1")
    db.session.commit()
    db.session.refresh(loan)
    assert loan.status == "paid_off" and all(inst.remaining == 0 for inst in loan.instalments)
    lines = {line.account.purpose: line.amount for line in _entry("offset").lines}
    # Sukarela first, then wajib, then Rp12.000 of pokok; the loan's principal and this month's interest.
    assert lines == {"savings_sukarela": 1_000_000, "savings_wajib": 200_000, "savings_pokok": 12_000,
                     "interest_income": -12_000, "loans_receivable": -1_200_000}
    refund = {line.account.purpose: line.amount for line in _entry("refund").lines}
    assert refund == {"savings_pokok": 88_000, "cash": -88_000}
    assert balances(member.id) == {"pokok": 0, "wajib": 0, "sukarela": 0}  # nothing stranded
    assert member.status == "resigned" and books_check.check() == []


def test_without_consent_the_member_may_ask_but_the_confirmation_waits_for_the_loan(kop, make_member, teller, db):
    member, loan = _member_with_loan(kop, make_member, teller, db)
    resignation.request(member)
    db.session.commit()
    with pytest.raises(DomainError):
        resignation.confirm(member, board(kop))
    db.session.rollback()
    assert member.status == "resigning" and loan.status == "active"
    # The member signs the consent at the counter: staff record it when confirming.
    resignation.confirm(member, board(kop), consent=True)
    db.session.commit()
    assert loan.status == "paid_off" and member.status == "resigned" and books_check.check() == []


def test_savings_short_of_the_payoff_refuse_the_confirmation_and_change_nothing(kop, make_member, teller, db):
    member, loan = _member_with_loan(kop, make_member, teller, db, wajib=100_000, sukarela=0)
    resignation.request(member, consent=True)
    db.session.commit()
    with pytest.raises(DomainError):
        resignation.confirm(member, board(kop))
    db.session.rollback()
    assert balances(member.id) == {"pokok": 100_000, "wajib": 100_000, "sukarela": 0}
    assert loan.status == "active" and member.status == "resigning" and _entry("offset") is None
