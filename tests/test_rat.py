"""The RAT: scheduling and its checks, documents (PDFs only), who sees what, check-in and the
quorum, the minutes, and the notifications members get."""

from __future__ import annotations

import io
import re
from datetime import datetime, time, timedelta

import pytest
import sqlalchemy as sa

from models import attendance, meetings, voting
from models.attendance import Attendance
from models.base import utcnow
from models.meeting_documents import MeetingDocument
from models.meetings import Meeting
from models.membership import card_token
from models.notifications import Notification
from models.zones import zone_of
from tests.conftest import board, login

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
NIKS = [f"32730115089{n:05d}" for n in range(1, 40)]


def soon(koperasi, days=10):
    return zone_of(koperasi).today() + timedelta(days=days)


def form(koperasi, **overrides):
    day = soon(koperasi)
    data = {"title": "RAT Tahun Buku 2025", "book_year": str(day.year - 1), "day": day.isoformat(), "at": "09:00",
            "place": "Aula Koperasi, Jl. Merdeka 1", "online_url": "https://meet.example.org/rat",
            "record_date": (day - timedelta(days=7)).isoformat()}
    data.update(overrides)
    return data


@pytest.fixture
def rat(app, db, make_koperasi, make_member, make_user, make_staff):
    k = make_koperasi(name="Koperasi Rapat", member_prefix="KRP")
    members = [make_member(k, user=make_user(full_name=f"Anggota {n}"), nik=NIKS[n]) for n in range(3)]
    pengurus = make_staff(k, "pengurus", user=make_user(full_name="Pengurus Rapat"))
    teller = make_staff(k, "teller", user=make_user(full_name="Teller Rapat"))
    day = zone_of(k).today()
    meeting = meetings.create(k, board(k), title="RAT Hari Ini", book_year=day.year - 1, day=day + timedelta(days=1),
                              at=time(9), place="Aula", online_url="https://meet.example.org/x",
                              record_date=day)
    meetings.add_item(meeting, "Laporan pertanggungjawaban pengurus")
    meetings.add_item(meeting, "Pengesahan neraca dan hasil usaha")
    meetings.publish(meeting)
    db.session.commit()
    return dict(k=k, members=members, pengurus=pengurus, teller=teller, meeting=meeting)


def told(db) -> int:
    """How many "RAT scheduled" notifications went out."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Notification)
                             .where(Notification.kind == "rat_scheduled"))


def office(k, meeting=None, tail=""):
    return f"/k/{k.slug}/office/rat" + (f"/{meeting.id}" if meeting else "") + tail


# ---------------------------------------------------------------- scheduling

def test_staff_schedule_a_rat_with_agenda_and_publish_it_and_members_are_told(app, db, make_koperasi, make_member,
                                                                               make_user):
    k = make_koperasi()
    members = [make_member(k, user=make_user(full_name=f"Anggota {n}"), nik=NIKS[n]) for n in range(2)]
    applicant = make_member(k, status="applied", nik=NIKS[5])
    client = login(app.test_client(), board(k))
    response = client.post(office(k, tail="/new"), data=form(k))
    assert response.status_code == 303
    meeting = db.session.scalar(sa.select(Meeting))
    assert meeting.status == "draft" and meeting.place.startswith("Aula")
    assert meeting.starts_at == datetime.combine(soon(k), time(9)) - timedelta(hours=7)  # WIB stored as UTC
    assert client.post(office(k, meeting), data={"form": "publish"}).status_code == 422  # no agenda yet
    for title in ("Laporan pengurus", "Pengesahan neraca", "Pembagian SHU"):
        assert client.post(office(k, meeting), data={"form": "agenda_add", "new-title": title}).status_code == 303
    items = lambda: [i.title for i in db.session.scalars(sa.select(meetings.AgendaItem)  # noqa: E731
                                                          .order_by(meetings.AgendaItem.position))]
    last = db.session.scalars(sa.select(meetings.AgendaItem).order_by(meetings.AgendaItem.position)).all()[-1]
    client.post(office(k, meeting), data={"form": "agenda_up", "item": str(last.id)})
    db.session.expire_all()
    assert items() == ["Laporan pengurus", "Pembagian SHU", "Pengesahan neraca"]
    client.post(office(k, meeting), data={"form": "agenda_remove", "item": str(last.id)})
    db.session.expire_all()
    assert items() == ["Laporan pengurus", "Pengesahan neraca"]
    assert [i.position for i in db.session.scalars(sa.select(meetings.AgendaItem))] == [1, 2]
    assert told(db) == 0  # drafts tell nobody
    assert client.post(office(k, meeting), data={"form": "publish"}).status_code == 303
    notes = db.session.scalars(sa.select(Notification).where(Notification.kind == "rat_scheduled")).all()
    assert sorted(n.user_id for n in notes) == sorted(m.user_id for m in members)
    assert applicant.user_id not in {n.user_id for n in notes}
    assert notes[0].params["title"] == "RAT Tahun Buku 2025" and notes[0].url == f"/k/{k.slug}/rat/{meeting.id}"
    assert client.post(office(k, meeting), data={"form": "publish"}).status_code == 422  # once
    assert told(db) == 2


@pytest.mark.parametrize("overrides, message", [
    ({"place": "", "online_url": ""}, "Isi tempat, tautan daring, atau keduanya."),
    ({"online_url": "meet.example.org"}, "https://"),
    ({"day": "2020-01-01", "book_year": "2019", "record_date": "2019-12-01"}, "harus dimulai di masa depan"),
    ({"record_date": "2099-01-01"}, "Tanggal pencatatan harus pada atau sebelum"),
    ({"book_year": "2099"}, "Tahun buku harus sebelum"),
    ({"title": ""}, "judul rapat"),
])
def test_a_bad_meeting_is_refused_with_what_was_typed(app, db, make_koperasi, overrides, message):
    k = make_koperasi()
    client = login(app.test_client(), board(k))
    data = form(k, **overrides)
    response = client.post(office(k, tail="/new"), data=data)
    assert response.status_code == 422 and message in response.text
    assert data["title"] in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Meeting)) == 0


def test_quorum_setting_and_numbers(rat, db, app):
    k = rat["k"]
    q = attendance.quorum(rat["meeting"])
    assert (q.eligible, q.present, q.needed) == (3, 0, 2)  # more than half of 3
    client = login(app.test_client(), board(k))
    assert client.post(office(k), data={"form": "quorum", "quorum": "66,67"}).status_code == 303
    db.session.expire_all()
    assert k.rat_quorum_bp == 6667 and attendance.quorum(rat["meeting"]).needed == 3
    assert client.post(office(k), data={"form": "quorum", "quorum": "abc"}).status_code == 422
    assert meetings.needed(100, 5000) == 51 and meetings.needed(0, 5000) == 1


# ---------------------------------------------------------------- documents

def upload(client, k, meeting, data, name="laporan.pdf", title="Laporan Pengawas"):
    return client.post(office(k, meeting), data={"form": "upload", "doc-title": title, "doc-file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_a_real_pdf_is_kept_and_served_to_members_only(rat, app, db, make_user, make_koperasi, make_staff,
                                                      make_member):
    k, meeting = rat["k"], rat["meeting"]
    client = login(app.test_client(), board(k))
    assert upload(client, k, meeting, PDF, title="Laporan Pengawas 2025").status_code == 303
    doc = db.session.scalar(sa.select(MeetingDocument))
    assert len(doc.sha256) == 64 and doc.size == len(PDF)
    url = f"/k/{k.slug}/rat/{meeting.id}/documents/{doc.id}"
    member = login(app.test_client(), rat["members"][0].user)
    response = member.get(url)
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == "attachment; filename=Laporan-Pengawas-2025.pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"  # never run as a page in our origin
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    pengawas = login(app.test_client(), make_staff(k, "pengawas"))
    assert pengawas.get(url).status_code == 200
    stranger = login(app.test_client(), make_user(full_name="Orang Lain"))
    assert stranger.get(url).status_code == 404
    other = make_koperasi(name="Koperasi Lain", member_prefix="KLN")
    assert login(app.test_client(), make_member(other, nik=NIKS[20]).user).get(url).status_code == 404
    assert login(app.test_client(), make_staff(other, "admin")).get(url).status_code == 404


@pytest.mark.parametrize("data, name, message", [
    (PNG, "foto.pdf", "bukan PDF"),
    (b"hello, this is text pretending\n%%EOF", "surat.pdf", "bukan PDF"),
    (b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024), "besar.pdf", "lebih dari 5 MB"),
    (b"%PDF-1.4\ncut off in the middle", "rusak.pdf", "bukan PDF"),
])
def test_what_is_not_a_pdf_or_too_large_is_refused(rat, app, db, data, name, message):
    client = login(app.test_client(), board(rat["k"]))
    response = upload(client, rat["k"], rat["meeting"], data, name)
    assert response.status_code == 422 and message in response.text and "Laporan Pengawas" in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MeetingDocument)) == 0


# ---------------------------------------------------------------- access

def test_who_may_manage_and_who_finds_nothing(rat, app, db, make_staff, make_koperasi):
    k, meeting = rat["k"], rat["meeting"]
    for role in ("pengawas", "teller"):
        client = login(app.test_client(), make_staff(k, role))
        assert client.get(office(k, meeting)).status_code == 200
        assert client.post(office(k, meeting), data={"form": "agenda_add", "new-title": "Lain-lain"}).status_code == 403
        assert client.get(office(k, tail="/new")).status_code == 403
    other = login(app.test_client(), make_staff(make_koperasi(name="Koperasi Lain", member_prefix="KLN"), "admin"))
    assert other.get(office(k, meeting)).status_code == 404
    assert other.post(office(k, meeting), data={"form": "publish"}).status_code == 404
    db.session.expire_all()
    assert len(meeting.agenda) == 2


def test_members_read_published_meetings_only(rat, app, db):
    k = rat["k"]
    draft = meetings.create(k, board(k), title="RAT Luar Biasa", book_year=2020, day=soon(k, 30), at=time(10),
                            place="Aula", online_url="", record_date=soon(k, 20))
    db.session.commit()
    member = login(app.test_client(), rat["members"][0].user)
    page = member.get(f"/k/{k.slug}/rat").text
    assert "RAT Hari Ini" in page and "RAT Luar Biasa" not in page
    shown = member.get(f"/k/{k.slug}/rat/{rat['meeting'].id}").text
    assert "Laporan pertanggungjawaban pengurus" in shown and "Aula" in shown
    assert member.get(f"/k/{k.slug}/rat/{draft.id}").status_code == 404
    assert member.get(f"/k/{k.slug}/rat/{rat['meeting'].id}/report").status_code == 200


# ---------------------------------------------------------------- check-in

def test_check_in_by_number_or_card_qr_and_the_rules(rat, app, db, make_member, make_koperasi, make_user):
    k, meeting = rat["k"], rat["meeting"]
    one, two, _three = rat["members"]
    teller = login(app.test_client(), rat["teller"])
    url = office(k, meeting, "/attendance")
    assert teller.post(url, data={"card": one.member_number.lower()}).status_code == 303
    qr = f"http://localhost/v/{card_token(two)}"  # what the card's QR code holds
    assert teller.post(url, data={"card": qr}).status_code == 303
    count = lambda: db.session.scalar(sa.select(sa.func.count()).select_from(Attendance))  # noqa: E731
    assert count() == 2
    refused = {
        one.member_number: "sudah tercatat hadir",
        "KRP-09999": "Tidak ada anggota",
        "": "Pindai kartu anggota",
        f"http://localhost/v/{card_token(make_member(make_koperasi(name='Koperasi Lain', member_prefix='KLN'), nik=NIKS[30]))}":
            "milik koperasi lain",
        make_member(k, status="approved", nik=NIKS[31]).member_number: "tidak boleh hadir",
    }
    for typed, message in refused.items():
        response = teller.post(url, data={"card": typed})
        assert response.status_code == 422 and message in response.text, typed
    assert count() == 2
    page = teller.get(url).text
    q = attendance.quorum(meeting)
    assert (q.present, q.eligible, q.needed, q.reached) == (2, 3, 2, True)
    assert "Kuorum tercapai" in page
    fragment = teller.get(url, headers={"HX-Request": "true", "HX-Target": "quorum"})
    assert fragment.text.lstrip().startswith("<section") and 'id="quorum"' in fragment.text
    pengawas_page = login(app.test_client(), board(k)).get(url)
    assert pengawas_page.status_code == 200


def test_pengawas_cannot_check_in(rat, app, db, make_staff):
    client = login(app.test_client(), make_staff(rat["k"], "pengawas"))
    url = office(rat["k"], rat["meeting"], "/attendance")
    assert client.post(url, data={"card": rat["members"][0].member_number}).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attendance)) == 0


def test_joining_online_on_the_meeting_day(rat, db):
    meeting, member = rat["meeting"], rat["members"][0]
    with pytest.raises(meetings.DomainError):
        attendance.join_online(meeting, member, today=meeting.day - timedelta(days=1))
    assert attendance.join_online(meeting, member, today=meeting.day).mode == "online"
    assert attendance.join_online(meeting, member, today=meeting.day) is None  # once
    assert attendance.quorum(meeting).online == 1


def test_join_online_through_the_page_sends_the_member_to_the_link(rat, app, db):
    k, meeting, member = rat["k"], rat["meeting"], rat["members"][0]
    meeting.starts_at = datetime.combine(zone_of(k).today(), time(23, 59)) - timedelta(hours=7)
    db.session.commit()
    client = login(app.test_client(), member.user)
    assert "Ikuti daring" in client.get(f"/k/{k.slug}/rat/{meeting.id}").text
    response = client.post(f"/k/{k.slug}/rat/{meeting.id}/join")
    assert response.status_code == 303 and response.headers["Location"] == meeting.online_url
    assert db.session.scalar(sa.select(Attendance.mode)) == "online"


# ---------------------------------------------------------------- minutes

def test_minutes_drafted_edited_published_and_read(rat, app, db):
    k, meeting = rat["k"], rat["meeting"]
    attendance.check_in(meeting, rat["members"][0].member_number, rat["teller"])
    attendance.join_online(meeting, rat["members"][1], today=meeting.day)
    meetings.mark_held(meeting, today=meeting.day)
    db.session.commit()
    client = login(app.test_client(), rat["pengurus"])
    draft = client.get(office(k, meeting, "/minutes")).text
    for expected in ("Laporan pertanggungjawaban pengurus", "Hadir: 2 (di tempat 1, daring 1)", "Kuorum tercapai",
                     "Anggota yang berhak"):
        assert expected in draft, expected
    member = login(app.test_client(), rat["members"][2].user)
    assert member.get(f"/k/{k.slug}/rat/{meeting.id}/minutes").status_code == 404  # not yet published
    publish = {"form": "minutes", "publish": "1"}
    assert client.post(office(k, meeting, "/minutes"), data={**publish, "minutes": "pendek"}).status_code == 422
    text = "NOTULEN RAT\nRapat dibuka pukul 09.00 oleh ketua. Laporan pengurus diterima."
    assert client.post(office(k, meeting, "/minutes"), data={**publish, "minutes": text}).status_code == 303
    notes = db.session.scalars(sa.select(Notification).where(Notification.kind == "minutes_published")).all()
    assert len(notes) == 3
    page = member.get(f"/k/{k.slug}/rat/{meeting.id}/minutes")
    assert page.status_code == 200 and "Laporan pengurus diterima." in page.text
    assert "Baca notulen" in member.get(f"/k/{k.slug}/rat/{meeting.id}").text
    again = client.post(office(k, meeting, "/minutes"), data={"form": "minutes", "minutes": text + " Ubah."})
    assert again.status_code == 422
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).minutes == text


def test_the_annual_report_reads_the_books(rat, app, db):
    from tests.conftest import fund

    k = rat["k"]
    fund(k, 5_000_000)
    client = login(app.test_client(), rat["members"][0].user)
    page = client.get(f"/k/{k.slug}/rat/{rat['meeting'].id}/report").text
    assert "Neraca" in page and "Simpanan pokok" in page and "Pembagian SHU yang diusulkan" not in page
    shown = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    year = rat["meeting"].book_year
    # The books as the meeting's book year closed them: today's Rp5.000.000 is not in them.
    assert f"Neraca per 31 Desember {year} Aset Total aset Rp0" in shown and "Rp5.000.000" not in shown


@pytest.mark.postgres_only
def test_one_card_scanned_on_five_phones_at_once_is_checked_in_once(app, rat):
    from models.accounts import User
    from tests.test_ledger_concurrency import race
    from web.extensions import db as _db

    ids = dict(meeting=rat["meeting"].id, teller=rat["teller"].id, number=rat["members"][0].member_number)

    def work(_i):
        meeting, teller = _db.session.get(Meeting, ids["meeting"]), _db.session.get(User, ids["teller"])
        return lambda: attendance.check_in(meeting, ids["number"], teller).id

    outcome = race(app, 5, work)
    assert outcome.crashed == [] and len(outcome.done) == 1 and len(outcome.refused) == 4
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(Attendance)) == 1


def test_an_agenda_item_edited_badly_comes_back_with_what_was_typed(rat, app, db):
    k, meeting = rat["k"], rat["meeting"]
    item = meeting.agenda[0]
    client = login(app.test_client(), board(k))
    response = client.post(office(k, meeting), data={"form": "agenda_edit", "item": str(item.id), f"i{item.id}-title": "X",
                                                     f"i{item.id}-note": "catatan yang diketik"})
    assert response.status_code == 422 and "Isi acara rapat." in response.text and "catatan yang diketik" in response.text
    db.session.expire_all()
    assert db.session.get(meetings.AgendaItem, item.id).title == "Laporan pertanggungjawaban pengurus"


def test_a_held_meeting_no_longer_changes(rat, app, db):
    k, meeting = rat["k"], rat["meeting"]
    meetings.mark_held(meeting, today=meeting.day)
    db.session.commit()
    client = login(app.test_client(), board(k))
    assert client.post(office(k, meeting), data={"form": "agenda_add", "new-title": "Lain-lain"}).status_code == 422
    assert upload(client, k, meeting, PDF).status_code == 422
    assert client.post(office(k, meeting, "/attendance"), data={"card": rat["members"][0].member_number}).status_code == 422
    db.session.expire_all()
    assert len(db.session.get(Meeting, meeting.id).agenda) == 2


def test_the_member_pages_in_english(rat, app):
    k, meeting = rat["k"], rat["meeting"]
    client = login(app.test_client(), rat["members"][0].user)
    client.post("/language", data={"lang": "en", "next": "/"})
    page = client.get(f"/k/{k.slug}/rat/{meeting.id}").text
    assert "When and where" in page and "You may attend and vote" in page and "Annual report" in page


def test_a_draft_meetings_documents_are_for_staff_only(rat, app, db):
    k = rat["k"]
    draft = meetings.create(k, board(k), title="RAT Luar Biasa", book_year=2020, day=soon(k, 30), at=time(10),
                            place="Aula", online_url="", record_date=soon(k, 20))
    db.session.commit()
    assert upload(login(app.test_client(), board(k)), k, draft, PDF).status_code == 303
    doc = db.session.scalar(sa.select(MeetingDocument))
    url = f"/k/{k.slug}/rat/{draft.id}/documents/{doc.id}"
    assert login(app.test_client(), rat["members"][0].user).get(url).status_code == 404
    assert login(app.test_client(), rat["teller"]).get(url).status_code == 200


def test_the_report_shows_no_shu_split_before_the_board_proposes_one(rat, app):
    k, meeting = rat["k"], rat["meeting"]
    client = login(app.test_client(), rat["members"][0].user)
    assert "Pembagian SHU yang diusulkan" not in client.get(f"/k/{k.slug}/rat/{meeting.id}/report").text


def test_the_office_forms_carry_their_csrf_tokens(rat, app, db, monkeypatch):
    """With CSRF on (as in production), the agenda form, an item's buttons and the upload go through."""
    import re

    k, meeting = rat["k"], rat["meeting"]
    client = login(app.test_client(), board(k))
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    page = client.get(office(k, meeting)).text
    token = lambda name: re.search(rf'name="{name}" type="hidden" value="([^"]+)"', page).group(1)  # noqa: E731
    plain = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post(office(k, meeting), data={"form": "agenda_add", "new-title": "Lain-lain",
                                                 "new-csrf_token": token("new-csrf_token")}).status_code == 303
    assert client.post(office(k, meeting), data={"form": "agenda_down", "item": str(meeting.agenda[0].id),
                                                 "csrf_token": plain}).status_code == 303
    response = client.post(office(k, meeting), data={"form": "upload", "doc-title": "Laporan", "doc-csrf_token":
                                                     token("doc-csrf_token"), "doc-file": (io.BytesIO(PDF), "l.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 303
    assert client.post(office(k, meeting), data={"form": "agenda_add", "new-title": "Tanpa token"}).status_code == 400


def test_the_minutes_draft_reports_the_closed_votes(rat, app, db):
    """The draft carries each closed vote's count and outcome; a vote still open is not in it."""
    k, meeting, (a, b, c) = rat["k"], rat["meeting"], rat["members"]
    start = utcnow() - timedelta(hours=3)
    motion = voting.create(meeting, voting.ProposalData(kind="motion", topic="statements", title="Pengesahan neraca",
                                                        opens_at=start, closes_at=start + timedelta(hours=1)),
                           board(k), now=start, announce_it=False)
    election = voting.create(meeting, voting.ProposalData(
        kind="election", topic="pengawas", title="Pemilihan pengawas", opens_at=start, closes_at=start + timedelta(hours=1),
        seats=2, candidates=("Rina", "Joko", "Sari")), board(k), now=start, announce_it=False)
    still_open = voting.create(meeting, voting.ProposalData(kind="motion", topic="plan", title="Rencana kerja",
                                                            opens_at=start, closes_at=utcnow() + timedelta(hours=1)),
                               board(k), now=start, announce_it=False)
    rina, joko, sari = (candidate.id for candidate in election.candidates)
    at = start + timedelta(minutes=5)
    for member, choice, picks in ((a, "yes", [rina, joko]), (b, "yes", [rina, joko]), (c, "no", [sari])):
        voting.cast(motion, member, choice=choice, now=at)
        voting.cast(election, member, candidate_ids=picks, now=at)
        voting.cast(still_open, member, choice="yes", now=at)
    meetings.mark_held(meeting, today=meeting.day)
    db.session.commit()
    draft = login(app.test_client(), rat["pengurus"]).get(office(k, meeting, "/minutes")).text
    assert "Pengesahan neraca: setuju 2, tidak setuju 1, abstain 0 — disetujui" in draft
    assert "Pemilihan pengawas: terpilih: Rina, Joko" in draft
    assert "Rencana kerja" not in draft
