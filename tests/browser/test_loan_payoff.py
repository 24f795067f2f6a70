"""A teller on a phone (360 px) pays a declining loan off early: the review shows
"Pay off today" at interest to the day, one tap closes the loan (issue 10)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from models import loans
from models.accounts import User
from models.zones import zone_of
from tests.browser.conftest import log_in
from tests.browser.test_office_money import no_sideways_scroll
from tests.conftest import fund

TELLER_MOBILE = "081355557777"


@pytest.fixture
def early(make_koperasi, make_member, make_staff, make_user, db):
    """A member ten days into a Rp12.000.000 annuity loan, and a teller."""
    kop = fund(make_koperasi(name="Koperasi Sejahtera", member_prefix="KSB"))
    product = loans.save_product(kop, {
        "name": "Pinjaman Konsumtif", "method": "annuity", "monthly_rate_bp": 150, "fee_bp": 0,
        "fee_mode": "deducted", "max_amount_idr": 20_000_000, "min_tenor": 6, "max_tenor": 24,
        "late_fee_mode": "per_instalment", "late_fee_idr": 10_000, "requires_guarantor": False,
        "requires_documents": False, "active": True})
    member = make_member(kop, user=make_user(full_name="Hana Lunas"))
    loan = loans.apply(member, product, 12_000_000, 24, "Renovasi dapur rumah")
    loans.approve(loan, db.session.get(User, kop.created_by_id))
    teller = make_staff(kop, "teller", user=make_user(full_name="Tari Teller", mobile=TELLER_MOBILE))
    loans.disburse(loan, teller, "cash", today=zone_of(kop).today() - timedelta(days=10))
    db.session.commit()
    quote = loans.payoff(loan, zone_of(kop).today()).total
    return {"slug": kop.slug, "loan_id": loan.id, "quote": loans.idr(quote)}


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_loan_paid_off_early_in_one_tap_on_a_phone(browser, device, live_server, early, javascript):
    context = browser.new_context(base_url=live_server, java_script_enabled=javascript, **device)
    page = context.new_page()
    try:
        log_in(page, TELLER_MOBILE)
        page.goto(f"/k/{early['slug']}/office/loans/{early['loan_id']}")
        expect(page.locator("#payoff")).to_have_text(early["quote"])
        no_sideways_scroll(page)
        page.get_by_role("button", name=f"Lunasi hari ini {early['quote']}").tap()
        expect(page).to_have_url(re.compile(r"/office/receipts/KSB-\d{7}$"))
        expect(page.locator(".receipt-amount")).to_have_text(early["quote"])
        page.goto(f"/k/{early['slug']}/office/loans/{early['loan_id']}")
        expect(page.locator(".status-line")).to_contain_text("Lunas")
        no_sideways_scroll(page)
    finally:
        context.close()
