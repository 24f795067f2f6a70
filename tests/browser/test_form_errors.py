"""Registering a koperasi on a phone, with a mistake in nearly every field: one submit
shows them all, keeps what was typed and the logo and PDFs chosen, and the address bar stays
on the form; with JavaScript and without."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from models import documents
from models.koperasi import Koperasi, KoperasiLogo
from tests.browser.conftest import TIMEOUT_MS, log_in
from tests.pdf_files import AKTA_PDF, CERTIFICATE_PDF

MOBILE = "081377778888"
BAD_FIELDS = ("name", "legal_number", "nik_koperasi", "jenis", "lat", "lng", "pokok_idr", "member_prefix", "services")


def logo_file() -> dict:
    out = io.BytesIO()
    Image.new("RGB", (400, 400), (11, 110, 79)).save(out, "JPEG")
    return {"name": "logo.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


@pytest.fixture
def registrant(make_user):
    return make_user(full_name="Rina Wulandari", mobile=MOBILE)


@pytest.fixture
def no_js(browser: Browser, device, live_server):
    context = browser.new_context(base_url=live_server, java_script_enabled=False, **device)
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def choose_region(page: Page, js: bool) -> None:
    page.select_option("#province_code", "32")
    if not js:  # without JavaScript the lists are refreshed by a button
        page.get_by_role("button", name="Perbarui daftar").click()
    expect(page.locator("#regency_code option[value='32.73']")).to_be_attached()
    page.select_option("#regency_code", "32.73")


def fill_badly(page: Page, js: bool) -> None:
    page.fill("#name", "K")
    page.fill("#nik_koperasi", "123")
    page.fill("#address", "Jl. Merdeka No. 1, Bandung")
    choose_region(page, js)
    page.fill("#lng", "200")
    page.fill("#pokok_idr", "abc")
    page.fill("#wajib_idr", "20.000")
    page.fill("#member_prefix", "TOO-LONG")
    page.set_input_files("#logo", files=[logo_file()])
    page.set_input_files("#akta", files=[{"name": "akta.pdf", "mimeType": "application/pdf", "buffer": AKTA_PDF}])
    page.set_input_files("#nik_certificate",
                         files=[{"name": "nik.pdf", "mimeType": "application/pdf", "buffer": CERTIFICATE_PDF}])


def assert_all_shown_at_once(page: Page, form_url: str) -> None:
    summary = page.locator(".error-summary")
    expect(summary).to_be_in_viewport()  # on top, in sight: the user sees how many fields to fix
    expect(summary.get_by_role("link")).to_have_count(len(BAD_FIELDS))
    for name in BAD_FIELDS:
        expect(page.locator(f"#{name}-err")).to_be_visible()
    assert page.url == form_url
    expect(page.locator("#name")).to_have_value("K")
    expect(page.locator("#nik_koperasi")).to_have_value("123")
    expect(page.locator("#pokok_idr")).to_have_value("abc")
    expect(page.locator("#regency_code")).to_have_value("32.73")
    expect(page.locator(".kept-pictures img")).to_be_visible()
    expect(page.get_by_text("Foto tersimpan:")).to_be_visible()
    expect(page.get_by_text("PDF tersimpan: akta.pdf")).to_be_visible()  # the documents too: not chosen again
    expect(page.get_by_text("PDF tersimpan: nik.pdf")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def fix_and_send(page: Page) -> None:
    page.fill("#name", "Koperasi Rina Sejahtera")
    page.fill("#legal_number", "AHU-0007777.AH.01.26")
    page.fill("#nik_koperasi", "")
    page.select_option("#jenis", "simpan_pinjam")
    page.check("input[name='services'][value='savings']")
    page.fill("#lat", "-6.9147")
    page.fill("#lng", "107.6098")
    page.fill("#pokok_idr", "100.000")
    page.fill("#member_prefix", "KRS")
    page.get_by_role("button", name="Daftarkan koperasi").click()  # the logo and the PDFs are not chosen again
    page.wait_for_url("**/office")


def registered_with_logo(db) -> bool:
    db.session.expire_all()
    koperasi = db.session.scalar(sa.select(Koperasi).where(Koperasi.name == "Koperasi Rina Sejahtera"))
    return (koperasi is not None and db.session.get(KoperasiLogo, koperasi.id) is not None
            and len(documents.current(koperasi.id)) == 2)


@pytest.mark.parametrize("js", [True, False], ids=["javascript", "no-javascript"])
def test_register_koperasi_shows_every_error_at_once_and_keeps_the_logo(js, mobile: Page, no_js: Page, live_server,
                                                                        registrant, db):
    page = mobile if js else no_js
    problems = []
    page.on("console", lambda message: message.type == "error" and "status of 422" not in message.text
            and problems.append(message.text))  # Chromium logs every 4xx; 422 is the form's answer
    log_in(page, MOBILE)
    form_url = f"{live_server}/koperasi/new"
    page.goto("/koperasi/new")
    fill_badly(page, js)
    page.get_by_role("button", name="Daftarkan koperasi").click()
    expect(page.locator("#name-err")).to_be_visible()
    assert_all_shown_at_once(page, form_url)
    fix_and_send(page)
    assert registered_with_logo(db)
    assert problems == []  # no console error, no CSP violation (the kept logo is a data: image)
