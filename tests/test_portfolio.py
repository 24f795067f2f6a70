"""The office's loan figures, kept in models/portfolio.py: arrears and NPL (non-performing
after more than 90 days late), counted the same way by every page that shows them."""

from __future__ import annotations

from datetime import date

from models import loans, portfolio
from tests.conftest import board, fund

START = date(2026, 1, 10)  # first instalment due 10 February


def _loan(kop, make_member, teller, amount: int):
    product = loans.save_product(kop, dict(
        name="Modal Usaha", method="flat", monthly_rate_bp=100, fee_bp=0, fee_mode="deducted",
        max_amount_idr=20_000_000, min_tenor=3, max_tenor=24, late_fee_mode="per_day", late_fee_idr=0))
    loan = loans.apply(make_member(kop), product, amount, 4, "Modal warung kelontong")
    loans.approve(loan, board(kop))
    loans.disburse(loan, teller, "cash", today=START)
    return loan


def test_a_loan_is_non_performing_after_ninety_days_late(make_koperasi, make_member, make_staff, db):
    kop = fund(make_koperasi())
    teller = make_staff(kop, "teller")
    late = _loan(kop, make_member, teller, 1_000_000)
    on_time = _loan(kop, make_member, teller, 3_000_000)
    paid_on = date(2026, 4, 12)  # three instalments paid; the fourth falls due 10 May
    loans.repay(on_time, loans.owed(on_time, paid_on).due_now, "cash", teller, today=paid_on)
    db.session.commit()

    at_89_days = portfolio.figures(kop.id, date(2026, 5, 10))
    assert at_89_days["in_arrears"] == 1 and at_89_days["overdue"] > 0 and at_89_days["npl"] == 0

    at_91_days = portfolio.figures(kop.id, date(2026, 5, 12))
    assert at_91_days["npl"] == 1_000_000 and at_91_days["outstanding"] == 1_000_000 + 750_000
    assert round(at_91_days["npl_ratio"], 1) == 57.1 and at_91_days["counts"]["active"] == 2
    arrears = portfolio.in_arrears(kop.id, date(2026, 5, 12), 20)  # the longest late first
    assert at_91_days["in_arrears"] == 2 and [loan.id for loan, _overdue, _since in arrears] == [late.id, on_time.id]
