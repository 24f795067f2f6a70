"""The RAT on a phone (360 px), with and without JavaScript: the board schedules it with an
agenda and a PDF and publishes it; a member reads it; the teller checks the member in by
typed number (no camera in headless Chromium) and sees the quorum; the board publishes the
minutes and the member reads them."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from models.meetings import Meeting
from models.zones import zone_of
from tests.browser.test_office_money import no_sideways_scroll
from tests.conftest import board
from web.extensions import db

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n%%EOF\n"


@pytest.fixture
def koperasi_with_members(make_koperasi, make_member, make_user, make_staff):
    kop = make_koperasi(name="Koperasi Rapat Bersama", member_prefix="KRB")
    members = [make_member(kop, user=make_user(full_name=name), nik=f"32730115089{n:05d}")
               for n, name in enumerate(("Siti Aminah", "Budi Santoso", "Dewi Lestari"), start=1)]
    teller = make_staff(kop, "teller", user=make_user(full_name="Teller Rapat"))
    return {"kop": kop, "members": members, "teller": teller}


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_rat_from_schedule_to_minutes_on_the_phone(actor, koperasi_with_members, tmp_path, javascript):
    kop, (siti, *_rest), teller = (koperasi_with_members[k] for k in ("kop", "members", "teller"))
    day = zone_of(kop).today() + timedelta(days=10)
    office = actor(board(kop), js=javascript)
    office.goto(f"/k/{kop.slug}/office")
    office.get_by_role("link", name="RAT", exact=True).tap()
    office.get_by_role("link", name="Jadwalkan RAT").tap()
    office.get_by_label("Tanggal", exact=True).fill(day.isoformat())
    office.get_by_label("Jam mulai").fill("09:00")
    office.get_by_label("Tempat", exact=True).fill("Aula Koperasi, Jl. Merdeka 1")
    office.get_by_label("Tanggal pencatatan").fill((day - timedelta(days=7)).isoformat())
    office.get_by_role("button", name="Simpan draf").tap()
    expect(office.locator("h1")).to_contain_text(f"RAT Tahun Buku {day.year - 1}")
    for item in ("Laporan pertanggungjawaban pengurus", "Pengesahan neraca dan hasil usaha"):
        office.locator("#agenda-add").get_by_label("Acara", exact=True).fill(item)
        office.get_by_role("button", name="Tambah acara").tap()
        expect(office.locator("ol.agenda")).to_contain_text(item)
    pdf = tmp_path / "laporan-pengawas.pdf"
    pdf.write_bytes(PDF)
    upload = office.locator("#document-upload")
    upload.get_by_label("Judul dokumen").fill("Laporan Pengawas")
    upload.get_by_label("Berkas PDF").set_input_files(str(pdf))
    upload.get_by_role("button", name="Unggah PDF").tap()
    expect(office.locator("#documents")).to_contain_text("Laporan Pengawas")
    office.get_by_role("button", name="Umumkan kepada anggota").tap()
    expect(office.locator(".flash-success")).to_contain_text("3 anggota diberi tahu")
    no_sideways_scroll(office)

    member = actor(siti.user, js=javascript)
    member.goto(f"/k/{kop.slug}/me")
    member.get_by_role("link", name="RAT: Rapat Anggota Tahunan").tap()
    member.get_by_role("link", name=f"RAT Tahun Buku {day.year - 1}").tap()
    expect(member.locator("body")).to_contain_text("Laporan pertanggungjawaban pengurus")
    expect(member.get_by_role("link", name="Laporan Pengawas")).to_be_visible()
    expect(member.locator("#my-attendance")).to_contain_text("Anda berhak hadir dan memilih")
    no_sideways_scroll(member)
    member.get_by_role("link", name=f"Laporan tahunan {day.year - 1} (dari pembukuan)").tap()
    expect(member.locator("body")).to_contain_text("Simpanan pokok")
    no_sideways_scroll(member)

    meeting = db.session.query(Meeting).one()
    meeting.starts_at = datetime.utcnow() - timedelta(minutes=30)  # the day has come: it started half an hour ago
    meeting.record_date = zone_of(kop).today()
    db.session.commit()
    desk = actor(teller, js=javascript)
    desk.goto(f"/k/{kop.slug}/office/rat/{meeting.id}/attendance")
    desk.get_by_label("Nomor anggota atau kode kartu").fill(siti.member_number)
    desk.get_by_role("button", name="Catat hadir").tap()
    expect(desk.locator(".flash-success")).to_contain_text("Siti Aminah")
    expect(desk.locator("#quorum [data-present]")).to_have_text("1")
    expect(desk.locator("#quorum [data-needed]")).to_contain_text("2")
    desk.get_by_label("Nomor anggota atau kode kartu").fill(siti.member_number)
    desk.get_by_role("button", name="Catat hadir").tap()
    expect(desk.locator(".error")).to_contain_text("sudah tercatat hadir")
    no_sideways_scroll(desk)

    office.goto(f"/k/{kop.slug}/office/rat/{meeting.id}")
    office.get_by_role("button", name="Tandai sudah dilaksanakan").tap()
    office.get_by_role("link", name="Notulen", exact=True).tap()
    minutes = office.get_by_label("Notulen rapat")
    expect(minutes).to_have_value(re.compile("Hadir: 1 \\(di tempat 1, daring 0\\)"))
    minutes.fill(minutes.input_value().replace("Pembahasan: …", "Pembahasan: diterima oleh rapat.", 1))
    office.get_by_role("button", name="Umumkan kepada anggota").tap()
    expect(office.locator(".flash-success").first).to_contain_text("Notulen diumumkan")
    no_sideways_scroll(office)

    member.goto(f"/k/{kop.slug}/rat/{meeting.id}")
    member.get_by_role("link", name="Baca notulen").tap()
    expect(member.locator(".minutes")).to_contain_text("Pembahasan: diterima oleh rapat.")
    no_sideways_scroll(member)
