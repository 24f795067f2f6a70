"""The RAT's votes in the office: the board puts motions and elections to the vote; everyone
on the staff follows the turnout and, after the close, the results."""

from __future__ import annotations

from flask import Blueprint, abort, flash, request, url_for
from flask_babel import gettext as _

from models import attendance, voting, voting_results
from models.meetings import Meeting
from views.forms import failed, run
from views.voting_forms import proposal_data, proposal_form
from web.access import office
from web.render import render, see_other

bp = Blueprint("voting_office", __name__, url_prefix="/k/<slug>/office/rat/<int:meeting_id>/proposals")


def _meeting(slug: str, meeting_id: int, duty: str):
    here = office(slug, duty)
    return here, here.get(Meeting, meeting_id)


@bp.get("")
def index(slug, meeting_id):
    """The meeting's proposals with their windows and turnout."""
    here, meeting = _meeting(slug, meeting_id, "read")
    rows = [(p, voting.marks(p)) for p in voting_results.proposals(meeting)]
    return render("voting/office_index.html", here=here, koperasi=here.koperasi, meeting=meeting, rows=rows,
                  eligible=attendance.eligible_count(meeting))


@bp.route("/new", methods=["GET", "POST"])
def new(slug, meeting_id):
    """Put a motion (``?kind=motion``) or an election (``?kind=election``) to the vote (pengurus)."""
    here, meeting = _meeting(slug, meeting_id, "manage_meeting")
    kind = request.values.get("kind", voting.MOTION)
    if kind not in (voting.MOTION, voting.ELECTION):
        abort(404)
    form = proposal_form(here.koperasi, kind)
    if request.method == "POST":
        done = run(form, lambda: voting.create(meeting, proposal_data(form, here.koperasi), here.staff.user))
        if done:
            flash(_("Put to the vote: %(title)s. Eligible members are notified.", title=done.value.title), "success")
            return see_other(url_for("voting_office.index", slug=slug, meeting_id=meeting.id))
    return render("voting/office_form.html", here=here, koperasi=here.koperasi, meeting=meeting, form=form,
                  proposal=None, kind=kind, status=422 if failed(form) else 200)


@bp.route("/<int:proposal_id>", methods=["GET", "POST"])
def show(slug, meeting_id, proposal_id):
    """One proposal: its window and turnout, its results after the close; the board edits it
    until its window opens."""
    here, meeting = _meeting(slug, meeting_id, "manage_meeting" if request.method == "POST" else "read")
    proposal = here.get(voting.Proposal, proposal_id)
    if proposal.meeting_id != meeting.id:
        abort(404)
    form = None
    if here.can("manage_meeting") and not proposal.has_opened():
        form = proposal_form(here.koperasi, proposal.kind, proposal, formdata=request.method == "POST")
    if request.method == "POST":
        if form is None:  # opened in the meantime
            form = proposal_form(here.koperasi, proposal.kind, proposal)
        done = run(form, lambda: voting.edit(proposal, proposal_data(form, here.koperasi)))
        if done:
            flash(_("Saved."), "success")
            return see_other(url_for("voting_office.show", slug=slug, meeting_id=meeting.id, proposal_id=proposal.id))
    tally = voting_results.tally(proposal) if proposal.has_closed() else None
    return render("voting/office_show.html", here=here, koperasi=here.koperasi, meeting=meeting, proposal=proposal,
                  form=form, tally=tally, marks=voting.marks(proposal), eligible=attendance.eligible_count(meeting),
                  status=422 if form is not None and failed(form) else 200)
