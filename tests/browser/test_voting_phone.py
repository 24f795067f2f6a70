"""E-voting on a phone (360 px): the board puts a motion and an election to the vote; a member
votes (with JavaScript the receipt is kept on the phone; without it the page says to write it
down); after the close the member finds the receipt in the published list."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from models import voting
from models.base import utcnow
from models.meetings import SCHEDULED, Meeting
from models.zones import zone_of
from tests.browser.test_office_money import no_sideways_scroll
from tests.conftest import board


@pytest.fixture
def rat(db, make_koperasi, make_member, make_user):
    k = make_koperasi(name="Koperasi Suara Warga", member_prefix="KSW", pokok_idr=0)
    meeting = Meeting(koperasi_id=k.id, title="RAT Tahun Buku 2025", book_year=2025, place="Aula",
                      starts_at=utcnow() + timedelta(days=2), record_date=zone_of(k).today(), status=SCHEDULED,
                      published_at=utcnow())
    db.session.add(meeting)
    db.session.commit()
    member = make_member(k, user=make_user(full_name="Siti Aminah", mobile="081298765432"))
    return {"k": k, "meeting": meeting, "member": member}


def _open(db, rat, kind="motion"):
    now = utcnow()
    data = voting.ProposalData(kind=kind, topic="shu" if kind == "motion" else "pengurus",
                               title="Mengesahkan pembagian SHU 2025" if kind == "motion" else "Pemilihan pengurus",
                               opens_at=now, closes_at=now + timedelta(days=1), seats=2,
                               candidates=("Budi Santoso", "Sri Wahyuni", "Andi Saputra"))
    proposal = voting.create(rat["meeting"], data, board(rat["k"]))
    db.session.commit()
    return proposal


def _close(db, proposal):
    proposal = db.session.get(voting.Proposal, proposal.id)
    proposal.opens_at, proposal.closes_at = utcnow() - timedelta(hours=2), utcnow() - timedelta(hours=1)
    db.session.commit()


def test_the_board_puts_a_motion_and_an_election_to_the_vote(actor, rat, db):
    k, meeting = rat["k"], rat["meeting"]
    page = actor(board(k))
    page.goto(f"/k/{k.slug}/office/rat/{meeting.id}")  # from the meeting's own office page
    page.get_by_role("link", name="Pemungutan suara").tap()
    expect(page).to_have_url(re.compile(rf"/office/rat/{meeting.id}/proposals$"))
    page.get_by_role("link", name="Usulan keputusan baru").tap()
    page.get_by_label("Tentang").select_option("statements")
    page.get_by_label("Judul").fill("Mengesahkan laporan keuangan 2025")
    no_sideways_scroll(page)
    page.get_by_role("button", name="Ajukan ke pemungutan suara").tap()
    expect(page).to_have_url(re.compile(rf"/office/rat/{meeting.id}/proposals$"))
    expect(page.locator("#proposals")).to_contain_text("Mengesahkan laporan keuangan 2025")
    page.get_by_role("link", name="Pemilihan baru").tap()
    page.get_by_label("Judul").fill("Pemilihan pengawas 2026–2030")
    page.get_by_label("Calon, satu per baris").fill("Hendra Gunawan\nRatna Sari")
    page.get_by_label("Kursi: setiap anggota memilih paling banyak").fill("3")
    page.get_by_role("button", name="Ajukan ke pemungutan suara").tap()
    expect(page.locator("#seats-err")).to_contain_text("antara 1 dan 2 kursi")
    page.get_by_label("Kursi: setiap anggota memilih paling banyak").fill("1")
    page.get_by_role("button", name="Ajukan ke pemungutan suara").tap()
    expect(page.locator("#proposals")).to_contain_text("Pemilihan pengawas 2026–2030")
    expect(page.locator("#proposals")).to_contain_text("0 dari 1 sudah memilih")
    no_sideways_scroll(page)


def test_a_member_votes_and_the_phone_keeps_the_receipt(actor, rat, db):
    k, meeting = rat["k"], rat["meeting"]
    proposal = _open(db, rat)
    page = actor(rat["member"].user)
    page.goto(f"/k/{k.slug}/rat/{meeting.id}")  # the meeting as members read it, then its votes
    page.get_by_role("link", name="Buka pemungutan suara").tap()
    expect(page).to_have_url(re.compile(rf"/rat/{meeting.id}/vote$"))
    page.get_by_role("link", name="Mengesahkan pembagian SHU 2025").tap()
    page.get_by_label("Setuju", exact=True).check()
    no_sideways_scroll(page)
    page.get_by_role("button", name="Berikan suara saya").tap()
    code = page.locator("#receipt-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{5}-[A-Z0-9]{5}", code)
    expect(page.locator("#receipt-kept")).to_be_visible()
    expect(page.locator("#receipt-write")).to_be_hidden()
    no_sideways_scroll(page)
    page.goto(f"/k/{k.slug}/rat/{meeting.id}/vote/{proposal.id}")
    expect(page.locator("#saved-receipt")).to_contain_text(code)  # shown again, from this phone only
    expect(page.locator("#ballot-form")).to_have_count(0)
    _close(db, proposal)
    page.goto(f"/k/{k.slug}/rat/{meeting.id}/vote/{proposal.id}/ballots")
    expect(page.locator("#balance")).to_contain_text("1 surat suara, 1 anggota tercatat sudah memilih")
    expect(page.get_by_label("Kode tanda Anda")).to_have_value(code)  # filled from the phone
    page.get_by_role("button", name="Cari").tap()
    expect(page.locator("#found")).to_contain_text("Ditemukan")
    expect(page.locator("#ballots")).to_contain_text(code)
    expect(page.locator("#ballots")).to_contain_text("Setuju")
    no_sideways_scroll(page)


def test_without_javascript_a_member_votes_in_an_election_and_finds_the_ballot(actor, rat, db):
    k, meeting = rat["k"], rat["meeting"]
    proposal = _open(db, rat, kind="election")
    page = actor(rat["member"].user, js=False)
    page.goto(f"/k/{k.slug}/rat/{meeting.id}/vote/{proposal.id}")
    for name in ("Budi Santoso", "Sri Wahyuni", "Andi Saputra"):
        page.get_by_label(name).check()
    page.get_by_role("button", name="Berikan suara saya").tap()
    expect(page.locator("#candidates-err")).to_contain_text("Pilih paling banyak 2 calon: Anda memilih 3")
    page.get_by_label("Andi Saputra").uncheck()
    page.get_by_role("button", name="Berikan suara saya").tap()
    code = page.locator("#receipt-code").inner_text().strip()
    expect(page.locator("#receipt-write")).to_contain_text("Catat kode ini sekarang")
    expect(page.locator("#receipt-kept")).to_be_hidden()
    no_sideways_scroll(page)
    _close(db, proposal)
    page.goto(f"/k/{k.slug}/rat/{meeting.id}/vote/{proposal.id}/ballots")
    page.get_by_label("Kode tanda Anda").fill(code.replace("-", " ").lower())
    page.get_by_role("button", name="Cari").tap()
    expect(page.locator("#found")).to_contain_text("Ditemukan")
    expect(page.locator("#ballots")).to_contain_text("Budi Santoso, Sri Wahyuni")
    expect(page.locator("#tally")).to_contain_text("Terpilih")
    no_sideways_scroll(page)
