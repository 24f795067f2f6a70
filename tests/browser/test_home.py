"""The home on a phone: after login it shows the person's cards and their offices,
fits 360 px, and opens offline once seen."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from models import savings
from tests.browser.conftest import WIDTH, log_in, worker_ready

MOBILE = "081377770000"


def test_after_login_the_home_shows_cards_and_offices_and_opens_offline(
        phone: Page, make_user, make_koperasi, make_member, make_staff, db):
    person = make_user(full_name="Rahmawati Kusumaningtyas Wulandari", mobile=MOBILE)
    desa = make_koperasi(admin=person, name="Koperasi Desa Merah Putih Sukamaju Sejahtera Bersama", member_prefix="KDS")
    pasar = make_koperasi(name="Koperasi Pedagang Pasar Baru", member_prefix="KPB", pokok_idr=150_000)
    make_staff(pasar, "teller", user=person)
    card = make_member(desa, user=person, nik="3273011508950011")
    savings.deposit(card, "sukarela", 1_250_000, "cash", None)
    make_member(pasar, user=person, status="approved", nik="3273011508950012")
    make_member(desa, status="applied", nik="3273011508950013")  # an application that waits in the office
    db.session.commit()

    page, problems = phone, []
    page.on("console", lambda msg: msg.type == "error" and problems.append(msg.text))
    page.goto("/")
    worker_ready(page)
    log_in(page, MOBILE)
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Halo, Rahmawati")
    cards = page.locator("#home-cards + .home-list")
    expect(cards.get_by_role("link")).to_have_count(2)
    expect(cards.get_by_role("link", name="Koperasi Desa Merah Putih")).to_contain_text("Rp1.350.000")
    expect(cards.get_by_role("link", name="Koperasi Pedagang Pasar Baru")).to_contain_text("Rp150.000")
    office = page.locator(".home-office").filter(has_text="Koperasi Desa Merah Putih")
    expect(office.get_by_role("link", name="Pendaftaran: 1")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH

    office.get_by_role("link", name="Pendaftaran: 1").tap()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Pendaftaran")
    assert problems == []

    page.context.set_offline(True)  # the home seen a moment ago opens without a signal
    try:
        page.goto("/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Halo, Rahmawati")
        expect(cards.get_by_role("link", name="Koperasi Desa Merah Putih")).to_contain_text("Rp1.350.000")
    finally:
        page.context.set_offline(False)
