"""The cash book and the cash count on a phone (360 px), with and without JavaScript (issue 10):
a teller records kas keluar and finds it in the cash book; a teller's count comes up short and
a pengurus approves the difference."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.browser.guard import check_layout
from tests.browser.test_office_money import no_sideways_scroll
from tests.conftest import fund

TELLER_MOBILE = "081366660001"
PENGURUS_MOBILE = "081366660002"


@pytest.fixture
def office(make_koperasi, make_staff, make_user, db):
    """A koperasi with Rp2.000.000 in the drawer, a teller and a pengurus."""
    kop = fund(make_koperasi(name="Koperasi Sejahtera", member_prefix="KSB"), 2_000_000)
    make_staff(kop, "teller", user=make_user(full_name="Tari Teller", mobile=TELLER_MOBILE))
    make_staff(kop, "pengurus", user=make_user(full_name="Bambang Pengurus", mobile=PENGURUS_MOBILE))
    db.session.commit()
    return kop.slug


def shown(page) -> None:
    check_layout(page)
    no_sideways_scroll(page)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_teller_records_kas_keluar_and_sees_it_in_the_cash_book(browser, device, live_server, office, javascript):
    context = browser.new_context(base_url=live_server, java_script_enabled=javascript, **device)
    page = context.new_page()
    try:
        log_in(page, TELLER_MOBILE)
        page.goto(f"/k/{office}/office/books")
        page.get_by_role("link", name="Buku kas", exact=True).first.tap()
        expect(page.get_by_role("heading", name="Buku kas", exact=True)).to_be_visible()
        shown(page)
        page.get_by_label("Masuk atau keluar").select_option("out")
        page.get_by_label("Untuk (akun)").select_option(label="5203 · Beban listrik, air dan telepon")
        page.get_by_label("Kas atau bank").select_option(label="1101 · Kas")
        page.get_by_label("Jumlah (Rp)").fill("2.500.000")  # more than the drawer holds
        page.get_by_label("Dibayar kepada / diterima dari").fill("PLN")
        page.get_by_role("button", name="Catat", exact=True).tap()
        expect(page.get_by_text(re.compile("Uang di Kas tidak cukup"))).to_be_visible()
        shown(page)
        page.get_by_label("Jumlah (Rp)").fill("350.000")
        page.get_by_role("button", name="Catat", exact=True).tap()
        expect(page).to_have_url(re.compile(r"/office/receipts/KSB-\d{7}$"))
        expect(page.locator(".receipt-amount")).to_have_text("Rp350.000")
        shown(page)
        page.goto(f"/k/{office}/office/cash")
        book = page.locator(".cash-book")
        expect(book).to_contain_text("PLN")
        expect(book).to_contain_text("Rp350.000")
        shown(page)
    finally:
        context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_cash_count_short_is_approved_by_a_pengurus(browser, device, live_server, office, javascript):
    context = browser.new_context(base_url=live_server, java_script_enabled=javascript, **device)
    teller, pengurus = context.new_page(), None
    try:
        log_in(teller, TELLER_MOBILE)
        teller.goto(f"/k/{office}/office/cash/count")
        expect(teller.locator(".expected").first).to_have_text("Rp2.000.000")
        shown(teller)
        teller.get_by_label("Kas yang dihitung (Rp)").fill("1.990.000")
        teller.get_by_role("button", name="Catat hasil hitung").tap()
        expect(teller.locator(".cash-count").first).to_contain_text("Kurang Rp10.000")
        expect(teller.locator(".cash-count").first).to_contain_text("Menunggu pengurus")
        expect(teller.get_by_role("button", name="Setujui dan bukukan selisihnya")).to_have_count(0)  # not a teller's
        shown(teller)
        board = browser.new_context(base_url=live_server, java_script_enabled=javascript, **device)  # a phone of their own
        pengurus = board.new_page()
        log_in(pengurus, PENGURUS_MOBILE)
        pengurus.goto(f"/k/{office}/office/cash/count")
        pengurus.get_by_role("button", name="Setujui dan bukukan selisihnya").tap()
        expect(pengurus.locator(".cash-count").first).to_contain_text("Disetujui oleh Bambang Pengurus")
        expect(pengurus.locator(".expected").first).to_have_text("Rp1.990.000")
        shown(pengurus)
        pengurus.locator(".cash-count").first.get_by_role("link", name=re.compile(r"KSB-\d{7}")).tap()
        expect(pengurus.locator(".receipt-amount")).to_have_text("Rp10.000")
        expect(pengurus.locator(".receipt")).to_contain_text("Selisih kas")
        shown(pengurus)
    finally:
        context.close()
        if pengurus is not None:
            pengurus.context.close()



@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_board_adds_a_bank_and_posts_a_journal_on_a_phone(browser, device, live_server, office, javascript):
    context = browser.new_context(base_url=live_server, java_script_enabled=javascript, **device)
    page = context.new_page()
    try:
        log_in(page, PENGURUS_MOBILE)
        page.goto(f"/k/{office}/office/books/chart")
        shown(page)
        page.get_by_label("Di bawah akun").select_option(label="1102 · Bank")
        page.get_by_label("Kode").fill("1102.01")
        page.get_by_label("Nama").fill("Bank BRI")
        page.get_by_role("button", name="Tambahkan akun").tap()
        expect(page.locator(".chart")).to_contain_text("Bank BRI")
        page.get_by_label("Di bawah akun").select_option(label="1102 · Bank")
        page.get_by_label("Kode").fill("1102.01")
        page.get_by_label("Nama").fill("Bank BNI")
        page.get_by_role("button", name="Tambahkan akun").tap()
        expect(page.get_by_text("Kode 1102.01 sudah ada di bagan akun: pilih kode lain.")).to_be_visible()
        shown(page)
        page.goto(f"/k/{office}/office/books/opening")
        shown(page)
        page.goto(f"/k/{office}/office/books/journal")
        shown(page)
        lines = page.locator(".journal-line")
        lines.nth(0).get_by_label("Akun").select_option(label="1102.01 · Bank BRI")
        lines.nth(0).get_by_label("Debit (Rp)").fill("500.000")
        lines.nth(1).get_by_label("Akun").select_option(label="1101 · Kas")
        lines.nth(1).get_by_label("Kredit (Rp)").fill("400.000")
        page.get_by_label("Alasan").fill("Setor kas ke Bank BRI")
        page.get_by_role("button", name="Bukukan jurnal").tap()
        expect(page.get_by_text(re.compile("selisih Rp100.000"))).to_be_visible()
        shown(page)
        page.locator(".journal-line").nth(1).get_by_label("Kredit (Rp)").fill("500.000")
        page.get_by_role("button", name="Bukukan jurnal").tap()
        expect(page).to_have_url(re.compile(r"/office/receipts/KSB-\d{7}$"))
        expect(page.locator(".receipt")).to_contain_text("Bank BRI")
        shown(page)
    finally:
        context.close()
