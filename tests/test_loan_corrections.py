"""Correcting a loan's postings (issue 10): a mistaken repayment or disbursement is reversed
by a reversing entry and the instalments come back exactly as they were."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from models import books_check, loan_corrections, loans, savings
from models.errors import DomainError
from models.ledger import Entry, balances
from models.transactions import MemberTransaction
from tests.conftest import board
from tests.conftest import fund as capital
from tests.funding import fund

TERMS = dict(name="Pinjaman Usaha", method="annuity", monthly_rate_bp=150, fee_bp=100, fee_mode="deducted",
             max_amount_idr=20_000_000, min_tenor=6, max_tenor=36, late_fee_mode="per_day", late_fee_idr=2_000)


@pytest.fixture
def kop(make_koperasi, make_member, make_user):
    made = make_koperasi()
    fund(made, make_member, make_user)
    return capital(made, 50_000_000, "bank")  # the bank pays out too (it never goes below zero)


@pytest.fixture
def teller(kop, make_staff):
    return make_staff(kop, "teller")


@pytest.fixture
def member(kop, make_member):
    return make_member(kop)


@pytest.fixture
def loan(kop, member, teller, db):
    product = loans.save_product(kop, dict(TERMS))
    loan = loans.apply(member, product, 6_000_000, 12, "Tambah stok warung")
    loans.approve(loan, board(kop))
    loans.disburse(loan, teller, "cash", today=date(2026, 1, 10))
    db.session.commit()
    return loan


def state(loan) -> list[tuple]:
    """Everything an instalment holds, and the loan's status."""
    db_loan = loans.db.session.get(loans.Loan, loan.id)
    loans.db.session.refresh(db_loan)
    return [db_loan.status, db_loan.paid_off_at] + [
        (i.seq, i.due_on, i.principal_due, i.interest_due, i.principal_paid, i.interest_paid, i.late_fee_paid,
         i.settled_on) for i in db_loan.instalments]


def test_a_reversed_late_repayment_puts_every_instalment_back_as_it_was(loan, teller, kop, db):
    loans.repay(loan, 300_000, "cash", teller, today=date(2026, 2, 10))  # part of the first
    db.session.commit()
    before = state(loan)
    # 12 days late: the rest of the first instalment, its late fee, and part of the second.
    wrong = loans.repay(loan, 1_000_000, "cash", teller, today=date(2026, 2, 22))
    db.session.commit()
    assert state(loan) != before and loan.instalments[0].settled_on == date(2026, 2, 22)
    assert loan.instalments[0].late_fee_paid == 24_000

    fix = loan_corrections.reverse(wrong, board(kop), "Salah ketik nominal", key="fix-1")
    db.session.commit()
    assert state(loan) == before
    assert fix.reverses_id == wrong.id and fix.kind == "reversal"
    assert sorted(line.amount for line in fix.lines) == sorted(-line.amount for line in wrong.lines)
    assert books_check.check() == []
    # Twice: the same key returns the same correction, a new one is refused; nothing more moves.
    assert loan_corrections.reverse(wrong, board(kop), "Salah ketik nominal", key="fix-1").id == fix.id
    with pytest.raises(DomainError):
        loan_corrections.reverse(wrong, board(kop), "Salah ketik lagi", key="fix-2")
    db.session.rollback()
    assert state(loan) == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Entry).where(Entry.kind == "reversal")) == 1


def test_a_reversed_payoff_reopens_the_loan_with_its_interest_back(loan, teller, kop, db):
    before = state(loan)
    quote = loans.payoff(loan, date(2026, 1, 25))
    paid = loans.repay(loan, quote.total, "cash", teller, today=date(2026, 1, 25))
    db.session.commit()
    assert loan.status == "paid_off"
    loan_corrections.reverse(paid, board(kop), "Anggota belum bayar, salah input")
    db.session.commit()
    assert state(loan) == before  # the interest the payoff lowered is due again, the loan is active
    assert books_check.check() == []


def test_a_repayment_from_sukarela_goes_back_to_sukarela_and_no_longer_counts_for_shu(loan, member, teller, kop, db):
    savings.deposit(member, "sukarela", 1_000_000, "cash", teller)
    db.session.commit()
    paid = loans.repay(loan, 600_000, "sukarela", teller, today=date(2026, 2, 10))
    db.session.commit()
    assert balances(member.id)["sukarela"] == 400_000
    loan_corrections.reverse(paid, board(kop), "Bukan dari sukarela")
    db.session.commit()
    assert balances(member.id)["sukarela"] == 1_000_000
    assert db.session.scalar(sa.select(sa.func.sum(MemberTransaction.amount_idr))) == 0
    assert books_check.check() == []


def test_corrections_go_newest_first(loan, teller, kop, db):
    first = loans.repay(loan, 200_000, "cash", teller, today=date(2026, 2, 10))
    second = loans.repay(loan, 200_000, "cash", teller, key="second", today=date(2026, 2, 11))
    db.session.commit()
    assert loan_corrections.correctable(second) and not loan_corrections.correctable(first)
    with pytest.raises(DomainError, match=second.ref):
        loan_corrections.reverse(first, board(kop), "Salah anggota")
    db.session.rollback()
    loan_corrections.reverse(second, board(kop), "Dobel input")
    loan_corrections.reverse(first, board(kop), "Salah anggota")
    db.session.commit()
    assert all(i.principal_paid == i.interest_paid == 0 for i in loan.instalments)
    assert books_check.check() == []


def test_a_disbursement_is_reversed_only_after_its_repayments_and_the_loan_can_be_paid_out_again(
        loan, teller, kop, db):
    disbursement = db.session.scalar(sa.select(Entry).where(Entry.kind == "disbursement"))
    paid = loans.repay(loan, 100_000, "cash", teller, today=date(2026, 1, 20))
    db.session.commit()
    with pytest.raises(DomainError):
        loan_corrections.reverse(disbursement, board(kop), "Seharusnya lewat bank")
    db.session.rollback()
    loan_corrections.reverse(paid, board(kop), "Salah input")
    loan_corrections.reverse(disbursement, board(kop), "Seharusnya lewat bank")
    db.session.commit()
    db.session.refresh(loan)
    assert loan.status == "approved" and loan.disbursed_on is None and loan.instalments == []
    assert books_check.check() == []
    loans.disburse(loan, teller, "bank", today=date(2026, 1, 11))
    db.session.commit()
    assert loan.status == "active" and len(loan.instalments) == 12 and books_check.check() == []


def test_a_correction_needs_a_reason_and_a_loan_entry(loan, member, teller, kop, db):
    paid = loans.repay(loan, 100_000, "cash", teller, today=date(2026, 1, 20))
    deposit = savings.deposit(member, "sukarela", 50_000, "cash", teller)
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        loan_corrections.reverse(paid, board(kop), "  ")
    assert refused.value.errors[0][0] == "reason"
    db.session.rollback()
    with pytest.raises(DomainError):
        loan_corrections.reverse(deposit, board(kop), "Bukan pinjaman")
