"""Flat loans paid off early by their product's rebate rule, and late fees as a percentage of
the overdue instalment with a cap (issue 10), computed by hand."""

from __future__ import annotations

from datetime import date

import pytest

from models import books_check, loans
from models.errors import DomainError
from tests.conftest import board
from tests.funding import fund

FLAT = dict(name="Pinjaman Flat", method="flat", monthly_rate_bp=100, fee_bp=0, fee_mode="deducted",
            max_amount_idr=20_000_000, min_tenor=6, max_tenor=24, late_fee_mode="per_instalment", late_fee_idr=0)


@pytest.fixture
def kop(make_koperasi, make_member, make_user):
    made = make_koperasi()
    fund(made, make_member, make_user)
    return made


@pytest.fixture
def teller(kop, make_staff):
    return make_staff(kop, "teller")


def _loan(kop, make_member, teller, db, amount=12_000_000, tenor=12, **terms):
    product = loans.save_product(kop, {**FLAT, **terms})
    loan = loans.apply(make_member(kop), product, amount, tenor, "Modal usaha dagang")
    loans.approve(loan, board(kop))
    loans.disburse(loan, teller, "cash", today=date(2026, 1, 10))
    db.session.commit()
    return loan


# Rp12.000.000 flat at 1 % a month over 12 months: Rp1.000.000 principal and Rp120.000 interest a
# month, Rp1.440.000 of interest in all. The first instalment is paid; payoff on 25 February.
def _after_first(loan, teller, db):
    loans.repay(loan, 1_120_000, "cash", teller, today=date(2026, 2, 10))
    db.session.commit()


def test_no_rebate_charges_all_the_interest_left(kop, make_member, teller, db):
    loan = _loan(kop, make_member, teller, db, rebate_rule="none")
    _after_first(loan, teller, db)
    assert loans.payoff(loan, date(2026, 2, 25)).total == 11_000_000 + 11 * 120_000


def test_rule_of_78_rebates_the_months_not_begun(kop, make_member, teller, db):
    loan = _loan(kop, make_member, teller, db, rebate_rule="rule_of_78")
    _after_first(loan, teller, db)
    # 11 months of 12 left: rebate 1.440.000 × 11·12 / (12·13) = 1.218.461,54 → Rp1.218.462;
    # interest still due 11 × 120.000 − 1.218.462 = Rp101.538 (with the Rp120.000 paid: 12/78 of the whole).
    quote = loans.payoff(loan, date(2026, 2, 25))
    assert (quote.interest, quote.principal) == (101_538, 11_000_000)
    loans.repay(loan, quote.total, "cash", teller, today=date(2026, 2, 25))
    db.session.commit()
    assert loan.status == "paid_off" and books_check.check() == []
    assert sum(i.interest_paid for i in loan.instalments) == 120_000 + 101_538


def test_the_running_month_rule_charges_one_months_interest(kop, make_member, teller, db):
    loan = _loan(kop, make_member, teller, db, rebate_rule="month")
    _after_first(loan, teller, db)
    quote = loans.payoff(loan, date(2026, 2, 25))
    assert (quote.interest, quote.principal) == (120_000, 11_000_000)
    loans.repay(loan, quote.total, "cash", teller, today=date(2026, 2, 25))
    assert loan.status == "paid_off" and books_check.check() == []


def test_a_payoff_on_the_day_of_disbursement_costs_the_principal_under_rule_of_78(kop, make_member, teller, db):
    loan = _loan(kop, make_member, teller, db, rebate_rule="rule_of_78")
    assert loans.payoff(loan, date(2026, 1, 10)).total == 12_000_000


def test_a_percentage_late_fee_a_day_is_computed_on_the_instalment_and_capped(kop, make_member, teller, db):
    # 0,1 % a day of the Rp1.120.000 instalment: Rp1.120 a day; 15 days late → Rp16.800.
    loan = _loan(kop, make_member, teller, db, late_fee_mode="per_day", late_fee_bp=10)
    first = loan.instalments[0]
    assert loans.late_fee_accrued(loan, first, date(2026, 2, 25)) == 16_800
    # With the fixed Rp1.000 a day too: Rp2.120 a day → Rp31.800.
    both = _loan(kop, make_member, teller, db, late_fee_mode="per_day", late_fee_bp=10, late_fee_idr=1_000)
    assert loans.late_fee_accrued(both, both.instalments[0], date(2026, 2, 25)) == 31_800
    # Capped at Rp25.000 per instalment, whatever the days.
    capped = _loan(kop, make_member, teller, db, late_fee_mode="per_day", late_fee_bp=10, late_fee_cap_idr=25_000)
    assert loans.late_fee_accrued(capped, capped.instalments[0], date(2026, 2, 25)) == 16_800
    assert loans.late_fee_accrued(capped, capped.instalments[0], date(2026, 12, 25)) == 25_000
    assert loans.payoff(capped, date(2026, 3, 25)).late_fee == 25_000 + 15 * 1_120  # the second, 15 days late


def test_a_percentage_late_fee_per_instalment_is_charged_once(kop, make_member, teller, db):
    # 2 % of Rp1.120.000 = Rp22.400, once, however late.
    loan = _loan(kop, make_member, teller, db, late_fee_bp=200)
    first = loan.instalments[0]
    assert loans.late_fee_accrued(loan, first, date(2026, 2, 11)) == 22_400
    assert loans.late_fee_accrued(loan, first, date(2026, 9, 11)) == 22_400
    quote = loans.owed(loan, date(2026, 2, 11))
    loans.repay(loan, quote.due_now, "cash", teller, today=date(2026, 2, 11))
    db.session.commit()
    assert first.late_fee_paid == 22_400 and first.settled_on and books_check.check() == []


@pytest.mark.parametrize("mode, bp, cap, field", [
    ("per_day", 51, 0, "late_fee_bp"),  # above 0,5 % a day
    ("per_instalment", 1001, 0, "late_fee_bp"),  # above 10 % per instalment
    ("per_day", 10, 20_000_001, "late_fee_cap_idr"),  # a cap above the largest loan
    ("per_day", 10, -1, "late_fee_cap_idr"),
])
def test_absurd_percentage_late_fees_are_refused(mode, bp, cap, field):
    with pytest.raises(DomainError) as refused:
        loans.check_product({**FLAT, "late_fee_mode": mode, "late_fee_bp": bp, "late_fee_cap_idr": cap})
    assert [f for f, _message in refused.value.errors] == [field]


def test_an_unknown_rebate_rule_is_refused():
    with pytest.raises(DomainError) as refused:
        loans.check_product({**FLAT, "rebate_rule": "half"})
    assert [f for f, _message in refused.value.errors] == ["rebate_rule"]
