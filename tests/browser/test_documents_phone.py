"""Documents and verification on a 360 px phone, with JavaScript and without: a person registers
a koperasi with its deed and NIK certificate (PDFs); the platform admin finds the registration,
sees both documents beside it with the link to the ministry's NIK lookup, and downloads the deed.
Then a koperasi that asks for a KTP photo: an applicant joins with one, and the board sees it
on the application."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image
from playwright.sync_api import expect

from models.koperasi import Koperasi
from tests.browser.steps import arrive, button, drawn_width, finish, link, section, t, told
from tests.browser.test_form_errors import choose_region
from tests.pdf_files import AKTA_PDF, CERTIFICATE_PDF

NIK = "3273011508900077"


def _pdf(name: str, data: bytes) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": data}


def _ktp_photo() -> dict:
    out = io.BytesIO()
    Image.new("RGB", (900, 570), (150, 190, 230)).save(out, "JPEG")
    return {"name": "ktp.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_register_with_both_pdfs_and_the_admin_checks_them(actor, make_user, javascript, db, app):
    registrant = make_user(full_name="Rina Wulandari")
    platform = make_user(full_name="Admin Kopz", is_platform_admin=True)
    page = actor(registrant, js=javascript)
    page.goto("/koperasi/new")
    arrive(page, t("Register a koperasi"))
    page.fill("#name", "Koperasi Berkas Lengkap")
    page.fill("#legal_number", "AHU-0008888.AH.01.26")
    page.fill("#nik_koperasi", "3273010000000001")
    page.select_option("#jenis", "simpan_pinjam")
    page.check("input[name='services'][value='savings']")
    page.fill("#address", "Jl. Merdeka No. 1, Bandung")
    choose_region(page, javascript)
    page.fill("#lat", "-6.9147")
    page.fill("#lng", "107.6098")
    page.fill("#pokok_idr", "100.000")
    page.fill("#wajib_idr", "20.000")
    page.fill("#member_prefix", "KBL")
    page.set_input_files("#akta", files=[_pdf("akta-notaris.pdf", AKTA_PDF)])
    page.set_input_files("#nik_certificate", files=[_pdf("sertifikat-nik.pdf", CERTIFICATE_PDF)])
    button(page, "Register koperasi").tap()
    told(page, t("Koperasi registered. It is awaiting verification by the Kopz team."))
    arrive(page, t("Office"))

    admin = actor(platform, js=javascript)
    admin.goto("/admin/koperasi")
    arrive(admin, t("Koperasi to verify"))
    link(admin, "Koperasi Berkas Lengkap").tap()
    arrive(admin, "Koperasi Berkas Lengkap")
    papers = section(admin, t("Legal documents"))
    expect(papers).to_contain_text("3273010000000001")
    lookup = papers.get_by_role("link", name=t("Open the NIK koperasi lookup (Kemenkop)"))
    expect(lookup).to_have_attribute("href", app.config["NIK_LOOKUP_URL"])
    with admin.expect_download() as download:
        papers.get_by_role("link", name=t("Deed of establishment (akta pendirian / SK badan hukum)") + " (PDF)").tap()
    assert Path(download.value.path()).read_bytes() == AKTA_PDF
    assert admin.evaluate("document.documentElement.scrollWidth") <= 360
    koperasi = db.session.scalar(sa.select(Koperasi).where(Koperasi.name == "Koperasi Berkas Lengkap"))
    assert koperasi.status == "pending"
    finish(page, admin)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_join_with_a_ktp_photo_and_the_board_sees_it(actor, make_koperasi, make_user, make_staff, javascript, db):
    koperasi = make_koperasi(name="Koperasi Minta KTP", member_prefix="KMK")
    koperasi.ktp_photo_required = True
    db.session.commit()
    pengurus = make_staff(koperasi, "pengurus", user=make_user(full_name="Wawan Pengurus"))
    applicant = actor(make_user(full_name="Intan Permatasari"), js=javascript)
    applicant.goto(f"/k/{koperasi.slug}/join")
    arrive(applicant, t("Join %(name)s", name=koperasi.name))
    applicant.get_by_label(t("NIK (KTP number)")).fill(NIK)
    applicant.get_by_label(t("Address")).fill("Jl. Cihampelas No. 5, Bandung")
    applicant.get_by_label(t("Occupation")).fill("Penjahit")
    applicant.get_by_label(t("Photo of your KTP")).set_input_files(files=[_ktp_photo()])
    applicant.get_by_label(t("I agree to the koperasi's rules and fees above.")).check()
    applicant.get_by_label(t("I agree that my personal data is used as described above.")).check()
    button(applicant, "Send application").tap()
    told(applicant, t("Your application to %(name)s was sent. You will see the decision here.", name=koperasi.name))
    arrive(applicant, t("My cards"))

    office = actor(pengurus, js=javascript)
    office.goto(f"/k/{koperasi.slug}/office/applications")
    arrive(office, t("Applications"))
    link(office, "Intan Permatasari").first.tap()
    arrive(office, "Intan Permatasari")
    photo = section(office, t("KTP photo")).get_by_role("img", name=t("KTP photo of %(name)s", name="Intan Permatasari"))
    expect(photo).to_be_visible()
    assert drawn_width(photo) > 0
    assert office.evaluate("document.documentElement.scrollWidth") <= 360
    finish(applicant, office)
