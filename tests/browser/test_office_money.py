"""A teller at the counter on a phone: an on-time instalment in three taps, from the
member's page to the loan to the "Pay instalment" button, then the receipt."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from models import loans
from models.accounts import User
from models.zones import zone_of
from tests.browser.conftest import WIDTH, log_in
from tests.conftest import fund

TELLER_MOBILE = "081355556666"


@pytest.fixture
def counter(make_koperasi, make_member, make_staff, make_user, db):
    """A koperasi with a loan product, a member repaying a loan, and a teller."""
    kop = fund(make_koperasi(name="Koperasi Sejahtera", member_prefix="KSB"))
    product = loans.save_product(kop, {
        "name": "Modal Usaha", "method": "flat", "monthly_rate_bp": 100, "fee_bp": 100, "fee_mode": "deducted",
        "max_amount_idr": 10_000_000, "min_tenor": 3, "max_tenor": 24, "late_fee_mode": "per_instalment",
        "late_fee_idr": 5_000, "requires_guarantor": False, "requires_documents": False, "active": True})
    member = make_member(kop, user=make_user(full_name="Hana Tepat"))
    staff = db.session.get(User, kop.created_by_id)
    loan = loans.apply(member, product, 1_200_000, 12, "Modal warung sembako")
    loans.approve(loan, staff)
    teller = make_staff(kop, "teller", user=make_user(full_name="Tari Teller", mobile=TELLER_MOBILE))
    loans.disburse(loan, teller, "cash", today=zone_of(kop).today())
    db.session.commit()
    return {"slug": kop.slug, "member_id": member.id, "loan_id": loan.id}


def no_sideways_scroll(page: Page) -> None:
    """Measured once the page's stylesheet applies: a text found in the DOM can come before it
    on a busy machine, and an unstyled page is wider than any styled one."""
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_an_on_time_instalment_in_three_taps(browser, device, live_server, counter, javascript):
    context = browser.new_context(base_url=live_server, java_script_enabled=javascript, **device)
    page = context.new_page()
    try:
        log_in(page, TELLER_MOBILE)
        page.goto(f"/k/{counter['slug']}/office/teller/{counter['member_id']}")
        no_sideways_scroll(page)
        page.get_by_role("link", name=re.compile("Modal Usaha")).tap()  # 1: the member's loan
        expect(page).to_have_url(re.compile(rf"/office/loans/{counter['loan_id']}$"))
        no_sideways_scroll(page)
        page.get_by_role("button", name="Bayar angsuran Rp112.000").tap()  # 2: the amount due, in cash
        expect(page).to_have_url(re.compile(r"/office/receipts/KSB-\d{7}$"))  # 3: the receipt
        expect(page.locator(".receipt-amount")).to_have_text("Rp112.000")
        expect(page.locator(".receipt-words")).to_contain_text("Seratus dua belas ribu rupiah")
        no_sideways_scroll(page)
    finally:
        context.close()
