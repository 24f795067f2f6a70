"""Member voting at the RAT: the ballots, the receipt, and the published list after the close."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, request
from flask_babel import gettext as _
from flask_login import current_user

from models import attendance, voting, voting_results
from models.koperasi import Koperasi
from models.meetings import DRAFT, Meeting
from models.membership import Membership, held_by
from views.fields import page_of
from views.forms import failed, run
from views.voting_forms import ballot_form
from web.access import login_first, staff_role
from web.extensions import db
from web.render import render
from web.spreadsheet import csv_response

bp = Blueprint("voting", __name__, url_prefix="/k/<slug>/rat/<int:meeting_id>/vote")
PER_PAGE = 100


def _reader(slug: str, meeting_id: int) -> tuple[Koperasi, Meeting, Membership | None]:
    """The koperasi, the meeting and the current user's membership there (a member number);
    staff without one may read; anyone else finds nothing (404)."""
    if not current_user.is_authenticated:
        login_first()
    koperasi = db.session.scalar(sa.select(Koperasi).where(Koperasi.slug == slug))
    meeting = db.session.get(Meeting, meeting_id)
    if koperasi is None or meeting is None or meeting.koperasi_id != koperasi.id:
        abort(404)
    # the membership that votes at this meeting (a member who left after the record date and
    # rejoined votes with the old one), else the newest with a member number
    membership = db.session.scalar(
        sa.select(Membership).where(Membership.koperasi_id == koperasi.id, held_by(current_user.id),
                                    Membership.member_number.is_not(None))
        .order_by(attendance.eligible_clause(meeting).desc(), Membership.applied_at.desc(), Membership.id.desc())
        .limit(1))
    staff = staff_role(koperasi)
    if (membership is None and staff is None) or (meeting.status == DRAFT and staff is None):
        abort(404)  # an unpublished meeting, as on its own page (views.rat), is the office's alone
    return koperasi, meeting, membership


def _proposal(meeting: Meeting, proposal_id: int) -> voting.Proposal:
    proposal = db.session.get(voting.Proposal, proposal_id)
    if proposal is None or proposal.meeting_id != meeting.id:
        abort(404)
    return proposal


@bp.get("")
def index(slug, meeting_id):
    """The meeting's motions and elections: open, to come, or closed with their results."""
    koperasi, meeting, membership = _reader(slug, meeting_id)
    rows = [(p, membership is not None and voting.has_voted(p, membership)) for p in voting_results.proposals(meeting)]
    return render("voting/index.html", koperasi=koperasi, meeting=meeting, membership=membership, rows=rows,
                  eligible=membership is not None and attendance.is_eligible(membership, meeting))


@bp.route("/<int:proposal_id>", methods=["GET", "POST"])
def ballot(slug, meeting_id, proposal_id):
    """The ballot; voting answers with the receipt code, shown this once (never stored)."""
    koperasi, meeting, membership = _reader(slug, meeting_id)
    proposal = _proposal(meeting, proposal_id)
    form = ballot_form(proposal)
    if request.method == "POST":
        choice = form.choice.data if proposal.kind == voting.MOTION else None
        picked = form.candidates.data or [] if proposal.kind == voting.ELECTION else ()
        done = run(form, lambda: voting.cast(proposal, membership, choice=choice, candidate_ids=picked))
        if done:
            response = render("voting/receipt.html", koperasi=koperasi, meeting=meeting, proposal=proposal,
                              receipt=voting.format_receipt(done.value))
            response.headers["Cache-Control"] = "no-store"  # the code is the voter's alone
            return response
    voted = membership is not None and voting.has_voted(proposal, membership)
    return render("voting/ballot.html", koperasi=koperasi, meeting=meeting, proposal=proposal, form=form,
                  membership=membership, voted=voted, marks=voting.marks(proposal),
                  eligible=membership is not None and attendance.is_eligible(membership, meeting),
                  status=422 if failed(form) else 200)


@bp.get("/<int:proposal_id>/ballots")
def ballots(slug, meeting_id, proposal_id):
    """After the close: every ballot as (receipt code, choice), the tally, and a search for your code."""
    koperasi, meeting, membership = _reader(slug, meeting_id)
    proposal = _proposal(meeting, proposal_id)
    if not proposal.has_closed():
        return render("voting/ballots.html", koperasi=koperasi, meeting=meeting, proposal=proposal, tally=None,
                      marks=voting.marks(proposal))
    typed = (request.args.get("q") or "")[:40]
    code = voting.normalize_receipt(typed)
    tally = voting_results.tally(proposal)
    rows = voting_results.published(proposal, search=code) if typed else voting_results.published(proposal)
    page, pages = page_of(len(rows), PER_PAGE)
    names = {c.id: c.name for c in proposal.candidates}
    return render("voting/ballots.html", koperasi=koperasi, meeting=meeting, proposal=proposal, tally=tally,
                  rows=rows[(page - 1) * PER_PAGE:][:PER_PAGE], page=page, pages=pages, typed=typed,
                  names=names, fmt=voting.format_receipt, labels=voting.CHOICE_LABELS)


@bp.get("/<int:proposal_id>/ballots.csv")
def ballots_csv(slug, meeting_id, proposal_id):
    """The published list as CSV, to recount: one row per ballot (or per ballot and candidate)."""
    _koperasi, meeting, _membership = _reader(slug, meeting_id)
    proposal = _proposal(meeting, proposal_id)
    if not proposal.has_closed():
        abort(404)
    rows = voting_results.published(proposal)
    name = f"ballots-{slug}-{meeting.id}-{proposal.id}.csv"
    if proposal.kind == voting.MOTION:
        return csv_response(name, [_("Receipt code"), _("Choice")], [(voting.format_receipt(r), c) for r, c, _ids in rows])
    names = {c.id: c.name for c in proposal.candidates}
    return csv_response(name, [_("Receipt code"), _("Candidates chosen")],
                        [(voting.format_receipt(r), "; ".join(names[i] for i in ids)) for r, _c, ids in rows])
