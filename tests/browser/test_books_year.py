"""The board's own books on a 360 px phone, with and without JavaScript (issue 10): the opening
balances (an unbalanced balance sheet refused with the difference, then posted); the month end
run from the dues page (interest into a member's sukarela, the loan-loss allowance); a loan
written off by the pengurus, then a teller's recovery on it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from models import loans, months, savings
from models.zones import zone_of
from tests.browser.conftest import log_in
from tests.browser.guard import check_layout
from tests.browser.test_office_money import no_sideways_scroll
from tests.conftest import board, fund

PENGURUS = "081377770001"
TELLER = "081377770002"
NIK = "3273011508900077"
PRODUCT = dict(name="Modal Usaha", method="flat", monthly_rate_bp=100, fee_bp=100, fee_mode="deducted",
               max_amount_idr=20_000_000, min_tenor=3, max_tenor=24, late_fee_mode="per_day", late_fee_idr=5_000)


def shown(page) -> None:
    check_layout(page)
    no_sideways_scroll(page)


def phone(browser, device, live_server, javascript, mobile):
    context = browser.new_context(base_url=live_server, java_script_enabled=javascript, **device)
    page = context.new_page()
    log_in(page, mobile)
    return context, page


@pytest.fixture
def koperasi(make_koperasi, make_staff, make_user, db):
    kop = make_koperasi(name="Koperasi Buku Baru", member_prefix="KBB")
    make_staff(kop, "pengurus", user=make_user(full_name="Wawan Pengurus", mobile=PENGURUS))
    make_staff(kop, "teller", user=make_user(full_name="Tari Teller", mobile=TELLER))
    db.session.commit()
    return kop


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_board_enters_the_opening_balances(browser, device, live_server, koperasi, javascript):
    context, page = phone(browser, device, live_server, javascript, PENGURUS)
    try:
        page.goto(f"/k/{koperasi.slug}/office/books")
        page.get_by_role("link", name="Saldo awal", exact=True).tap()
        expect(page.get_by_role("heading", name="Saldo awal", exact=True)).to_be_visible()
        shown(page)
        page.get_by_label("1101 · Kas").fill("5.000.000")
        page.get_by_label("1102 · Bank").fill("20.000.000")
        page.get_by_label("3301 · Hibah").fill("24.000.000")  # a million short
        page.get_by_role("button", name="Bukukan saldo awal").tap()
        expect(page.get_by_text(re.compile(r"selisih Rp1\.000\.000: tidak ada yang dibukukan"))).to_be_visible()
        expect(page.get_by_label("1101 · Kas")).to_have_value("5.000.000")  # the form back as typed
        shown(page)
        page.get_by_label("3201 · Cadangan").fill("1.000.000")
        page.get_by_role("button", name="Bukukan saldo awal").tap()
        expect(page).to_have_url(re.compile(r"/office/receipts/KBB-\d{7}$"))
        expect(page.locator(".receipt-amount")).to_have_text("Rp25.000.000")
        shown(page)
        page.goto(f"/k/{koperasi.slug}/office/books/neraca")
        expect(page.locator("main")).to_contain_text("Rp25.000.000")
        shown(page)
    finally:
        context.close()


@pytest.fixture
def saver(koperasi, make_member, make_staff, make_user, db):
    """Siti has had Rp10.000.000 in sukarela since before last month; the koperasi pays 6 % a year
    on the lowest daily balance."""
    koperasi.savings_rate_bp = 600
    member = make_member(koperasi, user=make_user(full_name="Siti Aminah"), status="active", nik=NIK)
    last = months.last_ended(koperasi)
    savings.deposit(member, "sukarela", 10_000_000, "cash", board(koperasi),
                    at=months.bounds(koperasi, months.previous(last))[0] + timedelta(hours=3))
    db.session.commit()
    return member


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_board_runs_the_month_end(browser, device, live_server, koperasi, saver, javascript):
    last = months.last_ended(koperasi)
    expected = round(10_000_000 * 0.06 * months.days_in(last) / 365)  # well away from a half Rupiah
    context, page = phone(browser, device, live_server, javascript, PENGURUS)
    try:
        page.goto(f"/k/{koperasi.slug}/office/dues")
        shown(page)
        page.get_by_label("Bulan", exact=True).select_option(months.label(last))
        page.get_by_role("button", name="Jalankan tutup bulan").tap()
        expect(page.get_by_text(re.compile("^Tutup bulan .* selesai"))).to_be_visible()
        expect(page.get_by_text(re.compile(rf"Rp{expected:,}".replace(",", r"\."))).first).to_be_visible()
        shown(page)
        page.get_by_role("button", name="Jalankan tutup bulan").tap()  # again: nothing more
        expect(page.get_by_text(re.compile("^Tutup bulan .* selesai"))).to_be_visible()
        assert savings.balances(saver.id)["sukarela"] == 10_000_000 + expected
    finally:
        context.close()


@pytest.fixture
def bad_loan(koperasi, make_member, make_staff, make_user, db):
    """Agus borrowed Rp1.200.000 300 days ago and never paid: macet."""
    fund(koperasi, 5_000_000)
    agus = make_member(koperasi, user=make_user(full_name="Agus Salim"), status="active", nik="3273011508900078")
    loan = loans.apply(agus, loans.save_product(koperasi, dict(PRODUCT)), 1_200_000, 6, "Modal jualan pulsa")
    loans.approve(loan, board(koperasi))
    loans.disburse(loan, make_staff(koperasi, "teller"), "cash", today=zone_of(koperasi).today() - timedelta(days=300))
    db.session.commit()
    return loan


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_loan_written_off_then_recovered(browser, device, live_server, koperasi, bad_loan, javascript):
    context, page = phone(browser, device, live_server, javascript, PENGURUS)
    try:
        page.goto(f"/k/{koperasi.slug}/office/loans/collectability")
        expect(page.locator("main")).to_contain_text("Agus Salim")
        shown(page)
        page.goto(f"/k/{koperasi.slug}/office/loans/{bad_loan.id}")
        page.get_by_text("Hapus buku pinjaman ini").tap()
        page.get_by_role("button", name="Hapus buku", exact=True).tap()  # no reason: refused
        expect(page.locator("#write-off").get_by_text("Kolom ini wajib diisi.")).to_be_visible()
        page.get_by_label("Mengapa pinjaman ini dihapusbukukan?").fill("Anggota pindah ke luar kota")
        page.get_by_role("button", name="Hapus buku", exact=True).tap()
        expect(page).to_have_url(re.compile(r"/office/receipts/KBB-\d{7}$"))  # the write-off's own receipt
        expect(page.locator(".receipt-amount")).to_have_text("Rp1.200.000")
        shown(page)
        page.goto(f"/k/{koperasi.slug}/office/loans/{bad_loan.id}")
        expect(page.locator("main")).to_contain_text("Dihapusbukukan")
    finally:
        context.close()
    context, page = phone(browser, device, live_server, javascript, TELLER)
    try:
        page.goto(f"/k/{koperasi.slug}/office/loans/{bad_loan.id}")
        page.get_by_label("Jumlah diterima (Rp)").fill("200.000")
        page.get_by_role("button", name="Catat pemulihan").tap()
        expect(page).to_have_url(re.compile(r"/office/receipts/KBB-\d{7}$"))
        expect(page.locator(".receipt-amount")).to_have_text("Rp200.000")
        shown(page)
    finally:
        context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_board_sets_the_interest_on_sukarela(browser, device, live_server, koperasi, javascript):
    context, page = phone(browser, device, live_server, javascript, PENGURUS)
    try:
        page.goto(f"/k/{koperasi.slug}/office/profile")
        rate = page.get_by_label("Bunga simpanan sukarela (persen setahun)")
        rate.fill("12")  # above the cap
        page.get_by_role("button", name="Simpan profil").tap()
        expect(page.locator("#savings_rate_bp-err")).to_contain_text("Paling tinggi 9% setahun")
        expect(page.get_by_label("Bunga simpanan sukarela (persen setahun)")).to_have_value("12")
        shown(page)
        page.get_by_label("Bunga simpanan sukarela (persen setahun)").fill("4,5")
        page.get_by_role("button", name="Simpan profil").tap()
        expect(page.get_by_text("Profil disimpan.")).to_be_visible()
        shown(page)
        page.goto(f"/k/{koperasi.slug}/office/dues")
        expect(page.locator("main")).to_contain_text("4,5%")
    finally:
        context.close()


MEMBER = "081377770003"


@pytest.fixture
def borrower(koperasi, make_member, make_staff, make_user, db):
    """Dewi saved Rp3.000.000 sukarela and borrowed Rp1.200.000 last month (flat, 6 months): her
    savings cover the payoff."""
    fund(koperasi, 5_000_000)
    dewi = make_member(koperasi, user=make_user(full_name="Dewi Lestari", mobile=MEMBER), status="active",
                       nik="3273011508900079")
    savings.deposit(dewi, "sukarela", 3_000_000, "cash", board(koperasi))
    loan = loans.apply(dewi, loans.save_product(koperasi, dict(PRODUCT)), 1_200_000, 6, "Modal warung")
    loans.approve(loan, board(koperasi))
    loans.disburse(loan, make_staff(koperasi, "teller"), "cash", today=zone_of(koperasi).today() - timedelta(days=20))
    db.session.commit()
    return dewi


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_member_resigns_and_her_savings_pay_her_loan(browser, device, live_server, koperasi, borrower, javascript):
    """Kompensasi: the member consents when she asks to resign; the pengurus confirms; her
    savings pay off the loan and the rest comes back in one refund."""
    context, page = phone(browser, device, live_server, javascript, MEMBER)
    try:
        page.goto(f"/k/{koperasi.slug}/me/resign")
        page.get_by_label(re.compile("^Simpanan saya boleh dipakai melunasi pinjaman")).check()
        shown(page)
        page.get_by_role("button", name="Ya, ajukan keluar").tap()
        expect(page.get_by_text(re.compile("^Permintaan berhenti Anda sudah terkirim"))).to_be_visible()
    finally:
        context.close()
    context, page = phone(browser, device, live_server, javascript, PENGURUS)
    try:
        page.goto(f"/k/{koperasi.slug}/office/members/{borrower.id}")
        expect(page.locator("#offset")).to_be_visible()
        shown(page)
        page.get_by_role("button", name="Konfirmasi pengunduran diri").tap()
        expect(page.get_by_text("Pengunduran diri dikonfirmasi. Kartunya tidak aktif lagi.")).to_be_visible()
        page.get_by_role("link", name=re.compile("^Bukti pengembalian")).tap()
        expect(page.locator(".receipt-amount")).to_be_visible()
        shown(page)
    finally:
        context.close()
    balances = savings.balances(borrower.id)
    assert balances == {"pokok": 0, "wajib": 0, "sukarela": 0}
