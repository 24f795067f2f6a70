"""A pengurus on a phone (360 px) corrects a repayment posted by mistake: from the loan's
receipts to the correction on the receipt, back to the loan where the instalment is unpaid
again; then the collectability list (issue 10). With and without JavaScript."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from models import loans
from models.accounts import User
from models.zones import zone_of
from tests.browser.steps import arrive, button, finish, t
from tests.funding import fund

FLAT = {"name": "Pinjaman Anggota", "method": "flat", "monthly_rate_bp": 100, "fee_bp": 0, "fee_mode": "deducted",
        "max_amount_idr": 20_000_000, "min_tenor": 6, "max_tenor": 24, "late_fee_mode": "per_instalment",
        "late_fee_idr": 0, "requires_guarantor": False, "requires_documents": False, "active": True}


@pytest.fixture
def wrong(make_koperasi, make_member, make_staff, make_user, db):
    """A loan whose first instalment the teller recorded as paid by mistake."""
    kop = make_koperasi(name="Koperasi Sejahtera", member_prefix="KSB")
    fund(kop, make_member, make_user)
    product = loans.save_product(kop, dict(FLAT))
    member = make_member(kop, user=make_user(full_name="Rina Angsur"))
    loan = loans.apply(member, product, 1_200_000, 12, "Modal warung kelontong")
    loans.approve(loan, db.session.get(User, kop.created_by_id))
    teller = make_staff(kop, "teller", user=make_user(full_name="Tari Teller"))
    day = zone_of(kop).today()
    loans.disburse(loan, teller, "cash", today=day - timedelta(days=40))
    paid = loans.repay(loan, 112_000, "cash", teller, today=day - timedelta(days=1))
    pengurus = make_staff(kop, "pengurus", user=make_user(full_name="Bu Bendahara"))
    db.session.commit()
    return {"kop": kop, "loan": loan.id, "ref": paid.ref, "pengurus": pengurus}


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_a_pengurus_reverses_a_wrong_repayment_and_sees_the_instalment_unpaid_again(actor, wrong, js):
    page = actor(wrong["pengurus"], js=js)
    slug = wrong["kop"].slug
    page.goto(f"/k/{slug}/office/loans/{wrong['loan']}")
    arrive(page, "Rina Angsur")
    first = page.locator(".instalment").first
    expect(first).to_contain_text(t("Paid"))
    receipts = page.locator("#receipts")
    receipts.get_by_role("link", name=t("Correct"), exact=True).tap()
    expect(page).to_have_url(re.compile(rf"/office/receipts/{wrong['ref']}"))
    arrive(page)
    page.locator("#correct summary").tap()
    page.get_by_label(t("Why is it corrected?")).fill("Uang belum diterima kasir")
    button(page, "Post the correction").tap()
    corrects = page.locator(".receipt .flash-info")  # the correction's own receipt names the one it corrects
    expect(corrects).to_contain_text(t("Corrects receipt"))
    expect(corrects).to_contain_text(wrong["ref"])
    arrive(page)
    page.get_by_role("link", name=t("Back to the loan"), exact=True).tap()
    arrive(page, "Rina Angsur")
    expect(page.locator(".instalment").first).to_contain_text(t("Late"))
    expect(page.locator("#receipts")).to_contain_text(t("Corrected"))
    page.get_by_role("link", name=t("Collectability"), exact=True).first.tap()
    arrive(page, t("Collectability"))
    expect(page.locator("#classed")).to_contain_text("Rina Angsur")
    expect(page.locator("#classed")).to_contain_text(t("Lancar (current)"))
    finish(page)
