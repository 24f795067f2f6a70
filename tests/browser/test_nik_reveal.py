"""The board member on a phone: the member's NIK shows masked; one tap shows it in full,
in place with JavaScript, as the page again without; the teller has no such button."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from models.koperasi import KoperasiEvent
from tests.browser.conftest import WIDTH
from tests.browser.steps import arrive, button, finish, t
from tests.conftest import board

NIK = "3273011508950001"


@pytest.fixture
def office(make_koperasi, make_member, make_staff, make_user):
    kop = make_koperasi(name="Koperasi Sejahtera", member_prefix="KSB")
    member = make_member(kop, user=make_user(full_name="Sari Anggota"), nik=NIK)
    teller = make_staff(kop, "teller", user=make_user(full_name="Tari Teller"))
    return {"url": f"/k/{kop.slug}/office/members/{member.id}", "board": board(kop), "teller": teller}


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_board_reveals_a_nik_with_one_tap(actor, office, db, javascript):
    page = actor(office["board"], js=javascript)
    page.goto(office["url"])
    nik = page.locator("#nik")
    expect(nik).to_contain_text("3273••••••••0001")
    page.get_by_role("button", name="Tampilkan NIK lengkap").tap()
    expect(nik).to_contain_text(NIK)
    expect(nik).to_contain_text("dicatat di riwayat koperasi")
    expect(page.get_by_role("heading", name="Sari Anggota")).to_be_visible()  # the page around it stays
    expect(page).to_have_url(re.compile(office["url"] + "$"))
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    assert db.session.query(KoperasiEvent).filter_by(action="nik_revealed").count() == 1


def test_the_teller_sees_it_masked_without_a_button(actor, office):
    page = actor(office["teller"])
    page.goto(office["url"])
    expect(page.locator("#nik")).to_contain_text("3273••••••••0001")
    expect(page.get_by_role("button", name="Tampilkan NIK lengkap")).to_have_count(0)
    assert NIK not in page.content()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_teller_opens_a_member_by_the_nik_on_a_ktp(actor, office, javascript):
    """The NIK goes in the request's body: neither the address bar nor the history holds it."""
    page = actor(office["teller"], js=javascript)
    page.goto(office["url"].rsplit("/", 1)[0])
    arrive(page, t("Members"))
    page.get_by_label(t("NIK (KTP number)")).fill("3273011508950009")  # one digit wrong
    button(page, "Open by NIK").tap()
    expect(page.get_by_label(t("NIK (KTP number)"))).to_have_accessible_description(
        t("Nobody in this koperasi has this NIK."))
    arrive(page, t("Members"))
    page.get_by_label(t("NIK (KTP number)")).fill("3273 0115 0895 0001")
    button(page, "Open by NIK").tap()
    arrive(page, "Sari Anggota")
    expect(page).to_have_url(re.compile(office["url"] + "$"))
    expect(page.locator("#nik")).to_contain_text("3273••••••••0001")
    finish(page)
