"""The payoff quote on the member's loan page and the office review, the one-tap payoff
at the teller, and the effective rate on the simulator and the loan page (issue 10)."""

from __future__ import annotations

import re
from datetime import timedelta
from fractions import Fraction

import pytest

from models import loans
from models.ledger import round_idr
from tests.conftest import fund, login
from tests.test_loans_views import NIKS, entries, make_loan, reload, text_of, today

ANNUITY = {"name": "Pinjaman Konsumtif", "method": "annuity", "monthly_rate_bp": 150, "fee_bp": 100,
           "fee_mode": "deducted", "max_amount_idr": 20_000_000, "min_tenor": 6, "max_tenor": 24,
           "late_fee_mode": "per_instalment", "late_fee_idr": 10_000, "requires_guarantor": False,
           "requires_documents": False, "active": True}


@pytest.fixture
def kop(make_koperasi):
    return fund(make_koperasi(name="Koperasi Sejahtera", member_prefix="KSB"))


@pytest.fixture
def product(kop, db):
    made = loans.save_product(kop, dict(ANNUITY))
    db.session.commit()
    return made


@pytest.fixture
def member(kop, make_member, make_user):
    return make_member(kop, user=make_user(full_name="Sari Anggota"), nik=NIKS[0])


@pytest.fixture
def teller(app, kop, make_staff):
    return login(app.test_client(), make_staff(kop, "teller"))


def _quote(loan) -> int:
    """Principal 12.000.000 still lent, 10 days of the first month's interest (actual/actual)."""
    first = loan.instalments[0]
    month = (first.due_on - loan.disbursed_on).days
    return 12_000_000 + round_idr(12_000_000 * Fraction(150, 10000) * Fraction(10, month))


def test_the_teller_pays_a_loan_off_today_with_one_tap_at_interest_to_the_day(kop, product, member, teller, db):
    loan = make_loan(db, member, product, amount=12_000_000, tenor=24, start=today() - timedelta(days=10))
    quote = _quote(loan)
    page = teller.get(f"/k/{kop.slug}/office/loans/{loan.id}").text
    assert f"Lunasi hari ini {loans.idr(quote)}" in text_of(page)
    form = re.search(r'<form id="pay-off".*?</form>', page, re.S).group(0)
    fields = dict(re.findall(r'name="(\w+)"[^>]*value="([^"]*)"', form))
    response = teller.post(f"/k/{kop.slug}/office/loans/{loan.id}/repay", data=fields)
    assert response.status_code == 303
    assert reload(db, loan).status == "paid_off"
    again = teller.post(f"/k/{kop.slug}/office/loans/{loan.id}/repay", data=fields)  # a double tap
    assert again.status_code == 303 and entries(db, "repayment") == 1


def test_the_member_sees_the_payoff_and_the_effective_rate(app, kop, product, member, db):
    loan = make_loan(db, member, product, amount=12_000_000, tenor=24, start=today() - timedelta(days=10))
    page = text_of(login(app.test_client(), member.user).get(f"/k/{kop.slug}/me/loans/{loan.id}").text)
    assert f"Lunasi hari ini {loans.idr(_quote(loan))}" in page
    # Rp11.880.000 received (1 % fee deducted) for 24 instalments at 1,5 % a month: 19,04 % a year (12 × 1,587 %).
    assert "Bunga efektif, termasuk provisi 19,04% setahun" in page


def test_the_simulator_shows_the_effective_rate_with_the_fee(client, kop, product):
    page = client.get(f"/k/{kop.slug}/simulator", query_string={"product": product.id, "amount": "12.000.000",
                                                                 "tenor": "24"})
    assert page.status_code == 200
    assert "Bunga efektif, termasuk provisi 19,04% setahun" in text_of(page.text)
