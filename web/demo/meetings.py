"""The demo's members' meetings in the first Bandung koperasi: last year's RAT, held in March
(attendance, its votes, the minutes drafted from them and published), and the meeting on next
year's plan and budget in ten days (agenda, a PDF, published so the members were told; its
votes are open). ``demo_meetings(koperasi)`` returns the two, for the e-voting and SHU demos."""

from __future__ import annotations

from collections import Counter
from datetime import date, time, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale

from models import meeting_documents, meetings
from models.accounts import User
from models.attendance import ONLINE, VENUE, Attendance, eligible_clause
from models.koperasi import Koperasi
from models.meeting_documents import MeetingDocument
from models.meetings import HELD, AgendaItem, Meeting, starts_utc
from models.membership import Membership
from models.zones import zone_of
from web import minutes
from web.extensions import db

PAST_AGENDA = ("Pembukaan dan pengesahan tata tertib", "Laporan pertanggungjawaban pengurus",
               "Laporan pengawas", "Pengesahan neraca dan laporan hasil usaha", "Penetapan pembagian SHU",
               "Rencana kerja dan anggaran tahun berikutnya")
UPCOMING_AGENDA = (PAST_AGENDA[0], "Rencana kerja dan anggaran tahun berikutnya", "Pemilihan pengurus",
                   "Lain-lain")
# A one-page PDF (the supervisors' report), small and valid: what staff would upload.
REPORT_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
              b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
              b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R"
              b"/Resources<</Font<</F1 5 0 R>>>>>>endobj\n"
              b"4 0 obj<</Length 71>>stream\nBT /F1 18 Tf 72 760 Td (Laporan Pengawas - Koperasi) Tj ET\n"
              b"BT /F1 12 Tf 72 730 Td (Demo) Tj ET\nendstream endobj\n"
              b"5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\n"
              b"trailer<</Root 1 0 R>>\n%%EOF\n")


def _titles(today: date) -> tuple[str, str]:
    """The RAT held on last year's books; the coming meeting on next year's plan and budget."""
    return f"RAT Tahun Buku {today.year - 1}", f"Rapat Anggota Rencana Kerja dan Anggaran {today.year + 1}"


def _held_on(today: date) -> date:
    """Mid-March, within the six months the law gives (a week ago when the demo runs before then)."""
    return min(date(today.year, 3, 14), today - timedelta(days=7))


def demo_meetings(koperasi: Koperasi, today: date | None = None) -> tuple[Meeting | None, Meeting | None]:
    """The demo's held RAT and its coming one in ``koperasi`` (None for one not there)."""
    titles = _titles(today or zone_of(koperasi).today())
    found = {m.title: m for m in db.session.scalars(sa.select(Meeting).where(
        Meeting.koperasi_id == koperasi.id, Meeting.title.in_(titles)))}
    return found.get(titles[0]), found.get(titles[1])


def rat(added: Counter, koperasi: Koperasi, pengurus: User, teller: User, today: date) -> None:
    """Add whichever of the two demo RATs is missing."""
    past, upcoming = demo_meetings(koperasi, today)
    past_title, upcoming_title = _titles(today)
    if past is None:
        _held(koperasi, pengurus, teller, past_title, today.year - 1, _held_on(today))
        added["meetings"] += 1
    if upcoming is None:
        day = today + timedelta(days=10)
        # the record date has passed: its votes are open already (web/demo/voting.py)
        meeting = meetings.create(koperasi, pengurus, title=upcoming_title, book_year=day.year - 1, day=day,
                                  at=time(9), place="Aula Koperasi, Jl. Merdeka No. 1, Bandung",
                                  online_url="https://meet.google.com/kop-rat-demo", record_date=today - timedelta(days=1))
        for title in UPCOMING_AGENDA:
            meetings.add_item(meeting, title)
        folder = current_app.config["MEDIA_DIR"] + "/meetings"
        db.session.add(MeetingDocument(meeting_id=meeting.id, title="Laporan Pengawas",
                                       sha256=meeting_documents.store(REPORT_PDF, folder), size=len(REPORT_PDF),
                                       uploaded_by_id=pengurus.id))
        meetings.publish(meeting)
        added["meetings"] += 1
    db.session.commit()


def _held(koperasi: Koperasi, pengurus: User, teller: User, title: str, year: int, day: date) -> Meeting:
    """A RAT of the past as it would stand: held, members present (its minutes come after its votes,
    ``publish_minutes``). Made as rows
    (the rules refuse a meeting in the past), with what the rules would have recorded."""
    meeting = Meeting(koperasi_id=koperasi.id, title=title, book_year=year,
                      starts_at=starts_utc(koperasi, day, time(9)), place="Aula Koperasi, Jl. Merdeka No. 1, Bandung",
                      online_url="", record_date=day - timedelta(days=5), status=HELD, created_by_id=pengurus.id,
                      published_at=starts_utc(koperasi, day - timedelta(days=14), time(10)),
                      held_at=starts_utc(koperasi, day, time(12)))
    db.session.add(meeting)
    db.session.flush()
    for n, item in enumerate(PAST_AGENDA, start=1):
        db.session.add(AgendaItem(meeting_id=meeting.id, position=n, title=item, note=""))
    eligible = db.session.scalars(sa.select(Membership).where(eligible_clause(meeting)).order_by(Membership.id)).all()
    present = eligible[: len(eligible) * 3 // 4 + 1] if eligible else []
    for n, member in enumerate(present):
        db.session.add(Attendance(meeting_id=meeting.id, membership_id=member.id, mode=ONLINE if n % 4 == 3 else VENUE,
                                  at=starts_utc(koperasi, day, time(8, 30)), by_id=None if n % 4 == 3 else teller.id))
    db.session.flush()
    return meeting


def publish_minutes(added: Counter, koperasi: Koperasi, today: date) -> None:
    """The held RAT's minutes, as Kopz drafts them (agenda, attendance, the votes' results), published."""
    past, _coming = demo_meetings(koperasi, today)
    if past is None or past.minutes_published_at is not None:
        return
    with force_locale("id"):
        text = minutes.draft(past)
    # what the secretary fills in where the draft leaves "…"
    text = text.replace("Pembahasan: …", "Pembahasan: diterima oleh rapat.").replace("pukul …", "pukul 12.00 WIB.")
    meetings.publish_minutes(past, text)
    added["minutes"] += 1
    db.session.commit()
