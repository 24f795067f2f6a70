"""``flask --app wsgi ledger-check``: an operator's proof that the books are sound."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from models import loans, savings
from models.ledger import SavingsBalance
from tests.conftest import board, fund


@pytest.fixture
def books(make_koperasi, make_staff, make_member, db):
    """Two members' savings and a disbursed, partly repaid loan."""
    kop = fund(make_koperasi(pokok_idr=100_000, wajib_idr=20_000))
    teller = make_staff(kop)
    siti, budi = make_member(kop), make_member(kop)
    savings.deposit(siti, "wajib", 20_000, "cash", teller)
    savings.deposit(siti, "sukarela", 500_000, "bank", teller)
    savings.withdraw(siti, 150_000, "cash", teller)
    product = loans.save_product(kop, dict(name="Modal Usaha", method="flat", monthly_rate_bp=100, fee_bp=100,
                                           fee_mode="deducted", max_amount_idr=20_000_000, min_tenor=3,
                                           max_tenor=24, late_fee_mode="per_day", late_fee_idr=5_000))
    loan = loans.apply(budi, product, 1_200_000, 6, "Modal warung kelontong")
    loans.approve(loan, board(kop))
    loans.disburse(loan, teller, "cash", today=date(2026, 1, 10))
    loans.repay(loan, 212_000, "cash", teller, today=date(2026, 2, 10))
    db.session.commit()
    return siti, budi


def test_clean_books_pass(app, books):
    result = app.test_cli_runner().invoke(args=["ledger-check"])
    assert result.exit_code == 0, result.output
    # opening cash + 2 pokok + wajib + sukarela + withdrawal (2 lines each), disbursement (principal,
    # cash, fee) and a repayment on time (cash, interest, principal); cached: Siti's three, Budi's pokok.
    assert result.output.strip() == "Ledger OK: 8 entries, 18 lines, all balanced; 4 cached balances match."


def test_a_tampered_balance_fails_and_is_named(app, books, db):
    siti, _budi = books
    db.session.execute(sa.update(SavingsBalance).where(SavingsBalance.membership_id == siti.id,
                                                       SavingsBalance.kind == "sukarela").values(balance=9_999_999))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["ledger-check"])
    assert result.exit_code == 1
    assert f"savings ({siti.id}, 'sukarela'): cached 9999999, lines say 350000" in result.output
    assert "Ledger OK" not in result.output and "1 problem" in result.output


def test_a_tampered_loan_fails_and_is_named(app, books, db):
    _siti, budi = books
    loan = db.session.scalar(sa.select(loans.Loan).where(loans.Loan.membership_id == budi.id))
    db.session.execute(sa.update(loans.Instalment).where(loans.Instalment.loan_id == loan.id,
                                                         loans.Instalment.seq == 2).values(principal_paid=200_000))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["ledger-check"])
    assert result.exit_code == 1 and f"loan {loan.id} loans_receivable" in result.output


def test_an_empty_ledger_is_ok(app):
    result = app.test_cli_runner().invoke(args=["ledger-check"])
    assert result.exit_code == 0
    assert "Ledger OK: 0 entries, 0 lines, all balanced; 0 cached balances match." in result.output
