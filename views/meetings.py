"""The RAT in the office: schedule it, its agenda and documents, check members in, the minutes."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from models import attendance, meeting_documents, meetings
from models.meetings import Meeting
from models.zones import zone_of
from views.forms import dispatch, failed, run
from views.meeting_forms import (
    AgendaForm,
    ButtonForm,
    CheckInForm,
    DocumentForm,
    MeetingForm,
    MinutesForm,
    QuorumForm,
    parse_percent,
)
from web.access import office
from web.extensions import db
from web.minutes import draft as minutes_draft
from web.render import render, see_other

bp = Blueprint("meetings", __name__, url_prefix="/k/<slug>/office/rat")


def media_folder() -> str:
    return current_app.config["MEDIA_DIR"] + "/meetings"


@bp.route("", methods=["GET", "POST"])
def index(slug):
    """Every RAT of the koperasi, newest first, and the bylaws' quorum."""
    if request.method == "POST":
        return dispatch(quorum=quorum)
    return _index(office(slug, "read"))


def quorum(slug):
    """Set the bylaws' quorum (pengurus)."""
    here = office(slug, "manage_meeting")
    form = QuorumForm()
    if run(form, lambda: meetings.set_quorum(here.koperasi, parse_percent(form.quorum.data))):
        flash(_("Quorum saved."), "success")
        return see_other(url_for("meetings.index", slug=slug))
    return _index(here, form)


def _index(here, form=None):
    rows = db.session.scalars(here.select(Meeting).order_by(Meeting.starts_at.desc())).all()
    if form is None and here.can("manage_meeting"):
        form = QuorumForm(formdata=None, quorum=f"{here.koperasi.rat_quorum_bp / 100:g}".replace(".", ","))
    return render("meetings/index.html", here=here, koperasi=here.koperasi, rows=rows, form=form,
                  status=422 if form is not None and failed(form) else 200)


@bp.route("/new", methods=["GET", "POST"])
def new(slug):
    """Schedule a RAT: a draft until it is published."""
    here = office(slug, "manage_meeting")
    form = MeetingForm()
    if request.method == "GET":
        year = zone_of(here.koperasi).today().year
        form = MeetingForm(formdata=None, book_year=year - 1, title=_("RAT Book Year %(year)s", year=year - 1))
    done = run(form, lambda: meetings.create(here.koperasi, current_user, **form.details()),
               check=lambda: meetings.check_details(here.koperasi, **form.details()))
    if done:
        flash(_("Draft saved. Add the agenda and documents, then publish it to the members."), "success")
        return see_other(url_for("meetings.show", slug=slug, meeting_id=done.value.id))
    return render("meetings/new.html", here=here, koperasi=here.koperasi, form=form,
                  status=422 if failed(form) else 200)


@bp.route("/<int:meeting_id>", methods=["GET", "POST"])
def show(slug, meeting_id):
    """One RAT: details, agenda, documents; the board edits and publishes it here."""
    if request.method == "POST":
        return dispatch(edit=edit, agenda_add=agenda_add, agenda_edit=agenda_edit, agenda_remove=agenda_remove,
                        agenda_up=agenda_up, agenda_down=agenda_down, publish=publish, held=held, upload=upload,
                        remove_document=remove_document)
    here = office(slug, "read")
    return _show(here, here.get(Meeting, meeting_id))


def _manage(slug, meeting_id):
    here = office(slug, "manage_meeting")
    return here, here.get(Meeting, meeting_id)


def _done(slug, meeting, message):
    flash(message, "success")
    return see_other(url_for("meetings.show", slug=slug, meeting_id=meeting.id) + "#agenda")


def edit(slug, meeting_id):
    """Change the meeting's details."""
    here, meeting = _manage(slug, meeting_id)
    form = MeetingForm()
    if run(form, lambda: meetings.update(meeting, **form.details()),
           check=lambda: meetings.check_details(here.koperasi, **form.details())):
        return _done(slug, meeting, _("Saved."))
    return _show(here, meeting, meeting_form=form)


def _item_id(_form=None) -> int | None:
    typed = request.form.get("item", "")
    return int(typed) if typed.isdigit() and len(typed) < 10 else None


def agenda_add(slug, meeting_id):
    here, meeting = _manage(slug, meeting_id)
    form = AgendaForm(prefix="new")
    if run(form, lambda: meetings.add_item(meeting, form.title.data, form.note.data)):
        return _done(slug, meeting, _("Agenda item added."))
    return _show(here, meeting, agenda_form=form)


def agenda_edit(slug, meeting_id):
    here, meeting = _manage(slug, meeting_id)
    form = AgendaForm(prefix=f"i{_item_id()}")
    if run(form, lambda: meetings.edit_item(meeting, _item_id(), form.title.data, form.note.data)):
        return _done(slug, meeting, _("Agenda item saved."))
    return _show(here, meeting, agenda_form=form, editing=_item_id())


def _button(slug, meeting_id, operation, message):
    here, meeting = _manage(slug, meeting_id)
    form = ButtonForm()
    if run(form, lambda: operation(meeting, _item_id(form))):
        return _done(slug, meeting, message)
    return _show(here, meeting, button_form=form)


def agenda_remove(slug, meeting_id):
    return _button(slug, meeting_id, meetings.remove_item, _("Agenda item removed."))


def agenda_up(slug, meeting_id):
    return _button(slug, meeting_id, lambda m, i: meetings.move_item(m, i, -1), _("Agenda item moved up."))


def agenda_down(slug, meeting_id):
    return _button(slug, meeting_id, lambda m, i: meetings.move_item(m, i, 1), _("Agenda item moved down."))


def publish(slug, meeting_id):
    """Publish: the members are told."""
    here, meeting = _manage(slug, meeting_id)
    form = ButtonForm()
    if done := run(form, lambda: meetings.publish(meeting)):
        return _done(slug, meeting, _("Published: %(count)s members were notified.", count=done.value))
    return _show(here, meeting, button_form=form)


def held(slug, meeting_id):
    return _button(slug, meeting_id, lambda m, _i: meetings.mark_held(m), _("Marked as held. Write the minutes."))


def upload(slug, meeting_id):
    """Attach a PDF for the members to read."""
    here, meeting = _manage(slug, meeting_id)
    form = DocumentForm(prefix="doc")
    if run(form, lambda: meeting_documents.add(meeting, form.title.data, form.file.data, media_folder(),
                                               current_user)):
        return _done(slug, meeting, _("Document added."))
    return _show(here, meeting, document_form=form)


def remove_document(slug, meeting_id):
    return _button(slug, meeting_id, meeting_documents.remove, _("Document removed."))


def _show(here, meeting, meeting_form=None, agenda_form=None, button_form=None, document_form=None, editing=None):
    forms = [f for f in (meeting_form, agenda_form, button_form, document_form) if f is not None]
    if meeting_form is None:
        local = meeting.local_start
        meeting_form = MeetingForm(formdata=None, title=meeting.title, book_year=meeting.book_year, day=local.date(),
                                   at=local.time(), place=meeting.place, online_url=meeting.online_url,
                                   record_date=meeting.record_date)
    return render("meetings/show.html", here=here, koperasi=here.koperasi, meeting=meeting,
                  meeting_form=meeting_form, agenda_form=agenda_form, editing=editing,
                  new_item=AgendaForm(formdata=None, prefix="new") if agenda_form is None or editing else agenda_form,
                  item_form=AgendaForm, button_form=button_form,
                  document_form=document_form or DocumentForm(formdata=None, prefix="doc"),
                  documents=meeting_documents.documents(meeting), quorum=attendance.quorum(meeting),
                  status=422 if failed(*forms) else 200)


# ---------------------------------------------------------------- attendance

@bp.route("/<int:meeting_id>/attendance", methods=["GET", "POST"])
def attendance_page(slug, meeting_id):
    """Check members in (card QR or member number) and watch the quorum."""
    if request.method == "POST":
        here = office(slug, "check_in")
        meeting = here.get(Meeting, meeting_id)
        form = CheckInForm()
        if done := run(form, lambda: attendance.check_in(meeting, form.card.data, current_user)):
            member = done.value.membership
            flash(_("%(name)s (%(number)s) checked in.", name=member.full_name, number=member.member_number),
                  "success")
            return see_other(url_for("meetings.attendance_page", slug=slug, meeting_id=meeting.id))
        return _attendance(here, meeting, form)
    here = office(slug, "read")
    return _attendance(here, here.get(Meeting, meeting_id))


def _attendance(here, meeting, form=None):
    form = form or (CheckInForm(formdata=None) if here.can("check_in") else None)
    return render("meetings/attendance.html", here=here, koperasi=here.koperasi, meeting=meeting, form=form,
                  quorum=attendance.quorum(meeting), recent=attendance.recent(meeting),
                  status=422 if form is not None and failed(form) else 200)


# ---------------------------------------------------------------- minutes

@bp.route("/<int:meeting_id>/minutes", methods=["GET", "POST"])
def minutes(slug, meeting_id):
    """Write the minutes (a draft made from the meeting), then publish them to the members."""
    if request.method == "POST":
        return dispatch(minutes=minutes_post)
    here = office(slug, "read")
    meeting = here.get(Meeting, meeting_id)
    text = minutes_draft(meeting) if request.args.get("draft") or not meeting.minutes else meeting.minutes
    return _minutes(here, meeting, MinutesForm(formdata=None, minutes=text))


def minutes_post(slug, meeting_id):
    """Save the minutes, or (the publish button) save and publish them."""
    return (minutes_publish if request.form.get("publish") else minutes_save)(slug, meeting_id)


def minutes_save(slug, meeting_id):
    here, meeting = _manage(slug, meeting_id)
    form = MinutesForm()
    if run(form, lambda: meetings.save_minutes(meeting, form.minutes.data)):
        flash(_("Minutes saved (not yet published)."), "success")
        return see_other(url_for("meetings.minutes", slug=slug, meeting_id=meeting.id))
    return _minutes(here, meeting, form)


def minutes_publish(slug, meeting_id):
    here, meeting = _manage(slug, meeting_id)
    form = MinutesForm()
    if done := run(form, lambda: meetings.publish_minutes(meeting, form.minutes.data)):
        flash(_("Minutes published: %(count)s members were notified.", count=done.value), "success")
        return see_other(url_for("meetings.minutes", slug=slug, meeting_id=meeting.id))
    return _minutes(here, meeting, form)


def _minutes(here, meeting, form):
    return render("meetings/minutes.html", here=here, koperasi=here.koperasi, meeting=meeting, form=form,
                  status=422 if failed(form) else 200)
