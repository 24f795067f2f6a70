"""The loan lifecycle of issue 10: paying off early at interest to the day, late fees that
stop at what is owed, sane late fees per product, and loan interest counted as the
member's business with the koperasi (for SHU)."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest
import sqlalchemy as sa

from models import books_check, loans
from models.errors import DomainError
from models.ledger import round_idr
from models.transactions import LOAN_INTEREST, MemberTransaction
from tests.conftest import board, fund

ANNUITY = dict(name="Pinjaman Konsumtif", method="annuity", monthly_rate_bp=150, fee_bp=0, fee_mode="deducted",
               max_amount_idr=20_000_000, min_tenor=6, max_tenor=36, late_fee_mode="per_instalment",
               late_fee_idr=10_000)


@pytest.fixture
def kop(make_koperasi):
    return fund(make_koperasi())


@pytest.fixture
def teller(kop, make_staff):
    return make_staff(kop, "teller")


def _loan(kop, member, teller, terms, amount, tenor, db, start=date(2026, 1, 10)):
    """A loan disbursed on ``start``: approved by the board, paid out by the teller."""
    product = loans.save_product(kop, dict(terms))
    loan = loans.apply(member, product, amount, tenor, "Renovasi dapur rumah")
    loans.approve(loan, board(kop))
    loans.disburse(loan, teller, "cash", today=start)
    db.session.commit()
    return loan


@pytest.fixture
def annuity_loan(kop, make_member, teller, db):
    return _loan(kop, make_member(kop), teller, ANNUITY, 12_000_000, 24, db)


def _lines(entry) -> dict[str, int]:
    return {line.account.purpose: -line.amount for line in entry.lines if line.amount < 0}


def test_paying_off_after_the_first_instalment_costs_interest_to_the_day_not_the_months_never_lent(
        annuity_loan, teller, db):
    loan = annuity_loan
    first = loan.instalments[0]
    loans.repay(loan, first.remaining, "cash", teller, today=date(2026, 2, 10))
    db.session.commit()
    # Before the fix, closing the loan meant paying every future month's interest.
    assert loans.owed(loan, date(2026, 2, 25)).interest == 2_198_145
    left = sum(i.principal_due for i in loan.instalments[1:])
    # 15 of the 28 days of the second month (10 Feb → 10 Mar), on the principal still lent.
    accrued = round_idr(left * Fraction(150, 10000) * Fraction(15, 28))
    assert loans.payoff(loan, date(2026, 2, 25)).total == left + accrued

    entry = loans.repay(loan, left + accrued, "cash", teller, key="payoff-1", today=date(2026, 2, 25))
    db.session.commit()
    assert loan.status == "paid_off"
    assert _lines(entry) == {"interest_income": accrued, "loans_receivable": left}
    assert all(inst.remaining == 0 and inst.settled_on for inst in loan.instalments)
    assert sum(inst.interest_due for inst in loan.instalments[2:]) == 0
    again = loans.repay(loan, left + accrued, "cash", teller, key="payoff-1", today=date(2026, 2, 25))
    assert again.id == entry.id and books_check.check() == []


def test_a_payoff_with_an_instalment_overdue_pays_its_late_fee_and_its_interest(annuity_loan, teller, db):
    loan = annuity_loan
    quote = loans.payoff(loan, date(2026, 2, 20))
    first = loan.instalments[0]
    lent = 12_000_000 - first.principal_due
    accrued = round_idr(lent * Fraction(150, 10000) * Fraction(10, 28))
    assert (quote.late_fee, quote.interest, quote.principal) == (10_000, first.interest_due + accrued, 12_000_000)
    entry = loans.repay(loan, quote.total, "cash", teller, today=date(2026, 2, 20))
    assert _lines(entry) == {"penalty_income": 10_000, "interest_income": first.interest_due + accrued,
                             "loans_receivable": 12_000_000}
    assert loan.status == "paid_off" and books_check.check() == []


def test_a_flat_loan_pays_off_with_all_its_interest(kop, make_member, teller, db):
    loan = _loan(kop, make_member(kop), teller, {**ANNUITY, "method": "flat", "monthly_rate_bp": 100}, 1_200_000, 12, db)
    assert loans.payoff(loan, date(2026, 1, 20)).total == loans.owed(loan, date(2026, 1, 20)).total == 1_344_000


def test_a_late_fee_a_day_stops_at_the_instalment_it_is_charged_on(kop, make_member, teller, db):
    terms = {**ANNUITY, "late_fee_mode": "per_day", "late_fee_idr": 5_000}
    loan = _loan(kop, make_member(kop), teller, terms, 1_000_000, 6, db)
    first = loan.instalments[0]
    loans.repay(loan, first.remaining - 1, "cash", teller, today=date(2026, 2, 10))
    db.session.commit()
    # A year later (Rp1.825.000 at Rp5.000 a day) the first instalment's fee stopped at the instalment.
    year_later = date(2027, 2, 10)
    size = first.principal_due + first.interest_due
    assert loans.late_fee_accrued(loan, first, year_later) == size
    assert loans.owed(loan, year_later).late_fee == sum(i.principal_due + i.interest_due for i in loan.instalments)


def test_paying_part_of_a_capped_late_fee_lowers_what_is_owed(kop, make_member, teller, db):
    terms = {**ANNUITY, "late_fee_mode": "per_day", "late_fee_idr": 5_000}
    loan = _loan(kop, make_member(kop), teller, terms, 200_000, 6, db)
    first = loan.instalments[0]
    day = date(2026, 3, 9)  # 27 days late: Rp135.000 earned, capped at the instalment
    size = first.principal_due + first.interest_due
    assert loans.owed(loan, day).late_fee == size < 135_000
    loans.repay(loan, 1, "cash", teller, today=day)
    assert loans.owed(loan, day).late_fee == size - 1
    loans.repay(loan, size - 1 + first.remaining, "cash", teller, key="k2", today=day)
    assert loans.owed(loan, day).late_fee == 0 and first.settled_on == day and books_check.check() == []


@pytest.mark.parametrize("mode,fee", [("per_day", 1_000_001), ("per_instalment", 5_000_001)])
def test_a_product_late_fee_above_its_bound_is_refused(mode, fee):
    terms = {**ANNUITY, "max_amount_idr": 100_000_000, "late_fee_mode": mode, "late_fee_idr": fee}
    with pytest.raises(DomainError) as refused:
        loans.check_product(terms)
    assert [field for field, _message in refused.value.errors] == ["late_fee_idr"]
    loans.check_product({**terms, "late_fee_idr": fee - 1})


def test_ten_million_a_day_on_a_hundred_thousand_loan_is_refused():
    with pytest.raises(DomainError):
        loans.check_product({**ANNUITY, "min_amount_idr": 100_000, "max_amount_idr": 100_000,
                             "late_fee_mode": "per_day", "late_fee_idr": 10_000_000})


def test_loan_interest_paid_counts_as_the_members_business_for_shu(annuity_loan, teller, db):
    loan = annuity_loan
    first = loan.instalments[0]
    loans.repay(loan, first.remaining, "cash", teller, today=date(2026, 2, 10))
    loans.repay(loan, 100_000, "cash", teller, key="k2", today=date(2026, 2, 11))
    rows = db.session.execute(sa.select(MemberTransaction.kind, MemberTransaction.amount_idr)
                              .where(MemberTransaction.membership_id == loan.membership_id)
                              .order_by(MemberTransaction.id)).all()
    assert rows == [(LOAN_INTEREST, first.interest_due), (LOAN_INTEREST, 100_000)]


# ---------------------------------------------------------------- the effective rate

def test_flat_two_percent_with_a_five_percent_fee_deducted_is_refused_on_its_effective_rate():
    terms = {**ANNUITY, "method": "flat", "monthly_rate_bp": 200, "fee_bp": 500, "min_tenor": 6, "max_tenor": 24}
    with pytest.raises(DomainError) as refused:
        loans.check_product(terms)
    assert [field for field, _message in refused.value.errors] == ["fee_bp"]
    assert "59" in str(refused.value.message)  # 59 % a year effective over 6 months, the worst tenor


def test_the_demo_products_keep_within_the_effective_cap():
    from web.demo.money import PRODUCTS

    for terms in PRODUCTS:
        loans.check_product(dict(terms))


def test_a_loan_applied_for_on_an_old_product_above_the_effective_cap_is_refused():
    product = loans.LoanProduct(**{**ANNUITY, "method": "flat", "monthly_rate_bp": 200, "fee_bp": 500,
                                   "min_amount_idr": 100_000, "min_tenor": 1, "max_tenor": 24})
    with pytest.raises(DomainError) as refused:
        loans.check_terms(product, 5_000_000, 12)
    assert refused.value.field == "tenor"


def test_the_effective_rate_counts_the_fee_deducted():
    from models.loan_rate import effective_annual_bp

    # Rp990.000 received, Rp1.010.000 paid back a month later: 2,02 % a month, 24,24 % a year.
    assert effective_annual_bp(990_000, [1_010_000]) == 2424
    assert effective_annual_bp(1_000_000, [1_000_000]) == 0
    rows = loans.schedule(12_000_000, 24, "annuity", 150, date(2026, 1, 10))
    assert loans.loan_effective_bp(12_000_000, 0, rows) == 1800
