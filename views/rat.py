"""The RAT for members: the meetings, their agenda and documents, joining online, the minutes."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, redirect
from flask_babel import gettext as _

from models import attendance, meeting_documents, shu
from models.annual_report import annual_report
from models.meeting_documents import MeetingDocument
from models.meetings import DRAFT, Meeting
from models.membership import STATUS_LABELS
from models.zones import zone_of
from views.books import place_of
from views.forms import run
from views.meeting_forms import ButtonForm
from views.meetings import media_folder
from web.access import insider, my_membership
from web.extensions import db
from web.media import private_file
from web.render import render

bp = Blueprint("rat", __name__, url_prefix="/k/<slug>/rat")


def _member(slug):
    membership = my_membership(slug)
    if not membership.is_card or membership.status == "resigned":
        abort(404)
    return membership


def _published(koperasi_id: int, meeting_id: int) -> Meeting:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or meeting.koperasi_id != koperasi_id or meeting.status == DRAFT:
        abort(404)
    return meeting


@bp.get("")
def index(slug):
    """The koperasi's RATs, the next one first."""
    membership = _member(slug)
    rows = db.session.scalars(sa.select(Meeting).where(Meeting.koperasi_id == membership.koperasi_id,
                                                       Meeting.status != DRAFT)
                              .order_by(Meeting.starts_at.desc())).all()
    return render("rat/index.html", m=membership, koperasi=membership.koperasi, rows=rows)


@bp.get("/<int:meeting_id>")
def show(slug, meeting_id):
    """One RAT on the phone: when, where, agenda, documents, my attendance, the minutes."""
    membership = _member(slug)
    meeting = _published(membership.koperasi_id, meeting_id)
    return _show(membership, meeting)


def _show(membership, meeting, form=None, status=200):
    today = zone_of(meeting.koperasi).today()
    eligible = attendance.is_eligible(membership, meeting)
    return render("rat/show.html", m=membership, koperasi=meeting.koperasi, meeting=meeting,
                  documents=meeting_documents.documents(meeting), eligible=eligible,
                  present=attendance.attendance_of(meeting, membership),
                  can_join=bool(meeting.online_url and meeting.status == "scheduled" and meeting.day == today
                                and eligible),
                  form=form or ButtonForm(formdata=None), status=status)


@bp.post("/<int:meeting_id>/join")
def join(slug, meeting_id):
    """Join online on the meeting's day: recorded as present, then off to the meeting's link."""
    membership = _member(slug)
    meeting = _published(membership.koperasi_id, meeting_id)
    form = ButtonForm()
    if run(form, lambda: attendance.join_online(meeting, membership)):
        return redirect(meeting.online_url, 303)
    return _show(membership, meeting, form, status=422)


def _readable(slug, meeting_id):
    """The meeting for one of the koperasi's members (published only) or its staff."""
    who = insider(slug)
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or meeting.koperasi_id != who.koperasi.id or (meeting.status == DRAFT and who.staff is None):
        abort(404)
    return who, meeting


@bp.get("/<int:meeting_id>/documents/<int:document_id>")
def document(slug, meeting_id, document_id):
    """A PDF of the meeting, for the koperasi's members and staff only."""
    _who, meeting = _readable(slug, meeting_id)
    row = db.session.get(MeetingDocument, document_id)
    path = row and row.meeting_id == meeting.id and meeting_documents.path_of(row, media_folder())
    if not path:
        abort(404)
    return private_file(path, "application/pdf", row.filename)


@bp.get("/<int:meeting_id>/report")
def report(slug, meeting_id):
    """The annual report of the meeting's book year, from the books (A4, printable)."""
    who, meeting = _readable(slug, meeting_id)
    return render("rat/report.html", koperasi=who.koperasi, meeting=meeting, report=annual_report(meeting),
                  staff=who.staff, member_statuses=list(STATUS_LABELS.items()), shu_split=proposed_shu_split(meeting),
                  place=place_of(who.koperasi))


def proposed_shu_split(meeting: Meeting) -> dict | None:
    """The SHU split proposed to the meeting (the board's plan for its book year, ``models.shu``):
    the SHU, then what each part receives; None while there is no plan."""
    plan = shu.plan_of(meeting.koperasi, meeting.book_year)
    if plan is None:
        return None
    proposed = shu.preview(plan)
    total = (_("SHU to divide (set by the board: %(reason)s)", reason=plan.override_reason)
             if plan.override_idr is not None else _("SHU to divide"))
    return {total: proposed.shu, **{str(shu.PART_LABELS[part]): proposed.parts[part] for part in shu.PARTS}}


@bp.get("/<int:meeting_id>/minutes")
def minutes(slug, meeting_id):
    """The minutes (A4, printable): published ones for members, the latest saved text for staff."""
    who, meeting = _readable(slug, meeting_id)
    if not meeting.minutes_published_at and who.staff is None:
        abort(404)
    return render("rat/minutes.html", koperasi=who.koperasi, meeting=meeting, staff=who.staff)
