"""The gateway in a real phone browser: find the nearest koperasi from the phone's
position, join two, get approved by each one's staff, carry both cards, offline too."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import TIMEOUT_MS, log_in, worker_ready
from tests.browser.steps import drawn_width
from tests.conftest import VALID_NIK

MEMBER = "Putri Handayani"
MEMBER_MOBILE = "081322223333"
GEDUNG_SATE = {"latitude": -6.9025, "longitude": 107.6187, "accuracy": 30}  # central Bandung


@dataclass(frozen=True)
class Kop:
    name: str
    slug: str
    prefix: str
    admin_mobile: str


@pytest.fixture
def kops(make_koperasi, make_user) -> dict[str, Kop]:
    """Three verified koperasi far apart. Their names sort Jakarta, Medan, Bandung, so
    the nearest order from Bandung (Bandung, Jakarta, Medan) is visibly a different one."""
    places = {  # key: name, member prefix, (lat, lng), (province, regency, district), admin
        "bandung": ("Koperasi Priangan Sejahtera", "PRG", (-6.9147, 107.6098), ("32", "32.73", "32.73.01"),
                    ("Asep Sunandar", "081344445555")),
        "jakarta": ("Koperasi Betawi Mandiri", "BTW", (-6.2615, 106.8106), ("31", "31.74", "31.74.01"),
                    ("Budi Santoso", "081366667777")),
        "medan": ("Koperasi Deli Makmur", "DLI", (3.5952, 98.6722), ("12", "12.71", "12.71.01"),
                  ("Maruli Siregar", "081388889999")),
    }
    out = {}
    for key, (name, prefix, (lat, lng), (province, regency, district), (full_name, mobile)) in places.items():
        # No simpanan pokok: approval makes the card active at once (with pokok owed, the
        # card waits for the payment at the teller; that is the ledger's test).
        koperasi = make_koperasi(admin=make_user(full_name=full_name, mobile=mobile), name=name,
                                 member_prefix=prefix, lat=lat, lng=lng, province_code=province,
                                 regency_code=regency, district_code=district, pokok_idr=0)
        out[key] = Kop(koperasi.name, koperasi.slug, koperasi.member_prefix, mobile)
    return out


def results(page: Page):
    return page.locator("#results").get_by_role("listitem")


def test_nearest_to_me_lists_bandung_then_jakarta_then_medan(mobile: Page, live_server, kops):
    page = mobile
    page.context.grant_permissions(["geolocation"], origin=live_server)
    page.context.set_geolocation(GEDUNG_SATE)
    page.goto("/koperasi")
    expect(page.get_by_role("heading", level=1)).to_have_text("Cari koperasi")
    expect(results(page)).to_have_count(3)
    expect(results(page).first).to_contain_text(kops["jakarta"].name)  # by name until a position is known
    expect(page.locator("#results .distance")).to_have_count(0)

    page.get_by_role("button", name="Terdekat dari saya").tap()

    expect(page.get_by_text("Yang terdekat dari lokasi Anda lebih dulu.")).to_be_visible()
    page.wait_for_url(re.compile(r"/koperasi\?.*lat=-6\.9025.*lng=107\.6187"))
    hits = results(page)
    expect(hits).to_have_count(3)
    for i, key in enumerate(("bandung", "jakarta", "medan")):
        expect(hits.nth(i).locator("strong")).to_have_text(kops[key].name)
    expect(hits.nth(0).locator(".distance")).to_have_text("1,7 km")
    expect(hits.nth(1).locator(".distance")).to_have_text("114 km")
    expect(hits.nth(2).locator(".distance")).to_have_text("1.533 km")


def join(page: Page, kop: Kop) -> None:
    """From the directory: the koperasi's profile, Join, the form, sent."""
    page.goto("/koperasi")
    results(page).get_by_role("link", name=re.compile(re.escape(kop.name))).tap()
    page.wait_for_url(f"**/k/{kop.slug}")
    expect(page.get_by_role("heading", level=1)).to_have_text(kop.name)
    page.get_by_role("link", name="Gabung koperasi ini").tap()
    page.wait_for_url(f"**/k/{kop.slug}/join")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Gabung ke {kop.name}")
    expect(page.get_by_label("Nama lengkap (sesuai KTP)")).to_have_value(MEMBER)
    page.get_by_label("NIK (nomor KTP)").fill(VALID_NIK)
    page.get_by_label("Alamat", exact=True).fill("Jl. Dago No. 10, Coblong, Bandung")
    page.get_by_label("Pekerjaan").fill("Pedagang sayur")
    page.get_by_label("Saya menyetujui aturan dan simpanan koperasi di atas.").check()
    page.get_by_label("Saya setuju data pribadi saya digunakan seperti dijelaskan di atas.").check()
    page.get_by_role("button", name="Kirim pengajuan").tap()
    page.wait_for_url("**/cards")
    expect(page.get_by_role("status")).to_have_text(
        f"Pengajuan Anda ke {kop.name} sudah terkirim. Keputusannya akan tampil di sini.")


def approve(page: Page, kop: Kop) -> None:
    """As the koperasi's admin: profile, office, applications queue, the application, Approve."""
    log_in(page, kop.admin_mobile)
    page.goto(f"/k/{kop.slug}")
    page.get_by_role("link", name="Buka kantor koperasi").tap()
    page.wait_for_url(f"**/k/{kop.slug}/office")
    page.get_by_role("link", name="Pendaftaran", exact=True).tap()
    page.wait_for_url(f"**/k/{kop.slug}/office/applications")
    expect(page.get_by_text("Pengajuan menunggu keputusan: 1")).to_be_visible()
    page.get_by_role("link", name=re.compile(MEMBER)).tap()
    page.wait_for_url(re.compile(rf"/k/{kop.slug}/office/applications/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(MEMBER)
    expect(page.locator("#nik")).to_contain_text(VALID_NIK[:4] + "••••••••" + VALID_NIK[-4:])  # masked
    page.get_by_role("button", name="Tampilkan NIK lengkap").tap()  # the board checks it against the KTP
    expect(page.get_by_text(VALID_NIK, exact=True)).to_be_visible()
    page.get_by_role("button", name="Setujui").tap()
    number = f"{kop.prefix}-00001"
    expect(page.get_by_role("status")).to_have_text(f"Disetujui. Nomor anggota: {number}.")
    expect(page.locator("dd", has_text=re.compile(rf"^{number}$"))).to_be_visible()
    expect(page.get_by_role("button", name="Setujui")).to_have_count(0)
    page.goto("/account")
    page.get_by_role("button", name="Keluar", exact=True).tap()
    page.wait_for_url(lambda url: not url.endswith("/account"))


def expect_cards(page: Page, kops: list[Kop]) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Kartu saya")
    cards = page.locator("article.kcard")
    expect(cards).to_have_count(len(kops))
    for kop in kops:
        card = cards.filter(has=page.get_by_role("heading", name=kop.name))
        expect(card.locator(".kcard-no")).to_have_text(f"{kop.prefix}-00001")
        expect(card.get_by_text("Aktif", exact=True)).to_be_visible()
        qr = card.get_by_role("img", name="Kode QR untuk memeriksa kartu ini")
        expect(qr).to_be_visible()
        expect(qr).to_have_attribute("src", re.compile(r"^data:image/svg\+xml"))
        assert drawn_width(qr) > 0, f"the QR of {kop.name} is empty"


def test_join_two_koperasi_get_approved_and_carry_both_cards_offline(
        phone: Page, browser: Browser, device, live_server, make_user, kops):
    make_user(full_name=MEMBER, mobile=MEMBER_MOBILE)
    bandung, jakarta = kops["bandung"], kops["jakarta"]
    page, context = phone, phone.context
    page.goto("/")
    worker_ready(page)
    log_in(page, MEMBER_MOBILE)

    join(page, bandung)
    join(page, jakarta)
    page.goto("/cards")
    expect(page.get_by_role("heading", name="Pendaftaran")).to_be_visible()
    for kop in (bandung, jakarta):
        expect(page.get_by_role("listitem").filter(has_text=kop.name)).to_contain_text("Menunggu persetujuan")
    expect(page.locator("article.kcard")).to_have_count(0)

    # The staff, on their own phone (no service worker: the office is never kept offline).
    office = browser.new_context(base_url=live_server, service_workers="block", **device)
    office.set_default_timeout(TIMEOUT_MS)
    try:
        staff = office.new_page()
        approve(staff, bandung)
        approve(staff, jakarta)
    finally:
        office.close()

    page.goto("/cards")
    expect_cards(page, [bandung, jakarta])
    expect(page.get_by_role("heading", name="Pendaftaran")).to_have_count(0)

    context.set_offline(True)
    try:
        page.goto("/cards")
        expect_cards(page, [bandung, jakarta])
    finally:
        context.set_offline(False)
