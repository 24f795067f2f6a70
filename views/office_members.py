"""Koperasi office: the applications queue and the member list."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa
from flask import Blueprint, flash, make_response, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from models import documents, password_reset, resignation
from models import membership as domain
from models.ledger import Entry
from models.membership import STATUS_LABELS, Membership, MemberStatus
from views.fields import Form, KeyedForm, page_of
from views.forms import dispatch, run
from views.loans import member_loans
from web.access import office
from web.extensions import db
from web.render import render, see_other

bp = Blueprint("office_members", __name__, url_prefix="/k/<slug>/office")
PER_PAGE = 25
MEMBER_STATUSES = (MemberStatus.APPROVED, MemberStatus.ACTIVE, MemberStatus.RESIGNING, MemberStatus.RESIGNED)
# The office's words for each status (an approved member has a number but no active card yet).
MEMBER_LABELS = {**STATUS_LABELS, MemberStatus.APPROVED: _l("Approved, pokok not paid yet")}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ApproveForm(Form):
    """Approve: a button and its CSRF token."""


class ResignationForm(KeyedForm):
    """Confirm a resignation: the refund moves money, so the form carries a one-time key."""

    consent = BooleanField(_l("The member agreed that their savings pay off their loans (kompensasi)"))


class NikForm(Form):
    nik = StringField(_l("NIK (KTP number)"), [DataRequired(_l("This field is required.")), Length(max=24)],
                      render_kw={"inputmode": "numeric", "autocomplete": "off"})


class RevealForm(Form):
    """Show a member's full NIK: a button and its CSRF token."""


class PasswordResetForm(Form):
    """A temporary password for a member checked in person: a confirmation box and the CSRF token."""

    checked = BooleanField(_l("I checked this member's KTP in person"), [DataRequired(_l("Tick this box once you "
                                                                                         "have checked the KTP."))])


class RejectForm(Form):
    reason = TextAreaField(_l("Reason for rejecting"), [DataRequired(_l("This field is required.")),
                                                         Length(max=1000)],
                           description=_l("The applicant sees it, so they know what to fix."),
                           render_kw={"rows": 3})


# ---------------------------------------------------------------- applications

@bp.get("/applications")
def applications(slug):
    """The queue of applications awaiting a decision, newest first."""
    o = office(slug, "read")
    queue = o.select(Membership).where(Membership.status == MemberStatus.APPLIED)
    page = _page(queue, queue.order_by(Membership.applied_at.desc(), Membership.id.desc()))
    return render("office_members/applications.html", o=o, **page)


@bp.route("/applications/<int:membership_id>", methods=["GET", "POST"])
def application(slug, membership_id):
    """One application in full (NIK masked), with approve and reject."""
    if request.method == "POST":
        return dispatch(approve=approve, reject=reject, reveal_nik=reveal_nik)
    o = office(slug, "read")
    return _application_page(o, o.get(Membership, membership_id))


@bp.post("/applications/<int:membership_id>/approve")
def approve(slug, membership_id):
    """Approve: the applicant gets the next member number."""
    o = office(slug, "approve_member")
    membership = o.get(Membership, membership_id)
    form = ApproveForm()
    if run(form, lambda: domain.approve(membership, current_user)):
        flash(_("Approved. Member number: %(number)s.", number=membership.member_number), "success")
        return see_other(url_for("office_members.application", slug=slug, membership_id=membership.id))
    return _application_page(o, membership, approve_form=form, status=422)


@bp.post("/applications/<int:membership_id>/reject")
def reject(slug, membership_id):
    """Reject, with a reason the applicant sees."""
    o = office(slug, "approve_member")
    membership = o.get(Membership, membership_id)
    form = RejectForm()
    if run(form, lambda: domain.reject(membership, current_user, form.reason.data)):
        flash(_("Application rejected. The applicant will see your reason."), "success")
        return see_other(url_for("office_members.applications", slug=slug))
    return _application_page(o, membership, reject_form=form, status=422)


def _application_page(o, membership, approve_form=None, reject_form=None, status=200, nik=None):
    return render("office_members/application.html", o=o, m=membership, status=status, nik=nik,
                  ktp=documents.ktp_of(membership), ktp_until=documents.purge_due(membership),
                  approve_form=approve_form or ApproveForm(formdata=None),
                  reject_form=reject_form or RejectForm(formdata=None))


# ---------------------------------------------------------------- members

UNCONFIRMED = "unconfirmed"  # a filter beside the statuses: imported members the koperasi has not yet confirmed


def _filters():
    status = request.args.get("status", "")
    return (status if status in (*MEMBER_STATUSES, UNCONFIRMED) else ""), request.args.get("q", "").strip()[:80]


def _members_query(o, status: str, q: str):
    query = o.select(Membership).where(Membership.status.in_(MEMBER_STATUSES))
    if status == UNCONFIRMED:
        query = query.where(Membership.awaiting_claim)
    elif status:
        query = query.where(Membership.status == status)
    if q:
        query = query.where(sa.or_(Membership.full_name.icontains(q, autoescape=True),
                                   Membership.member_number.icontains(q, autoescape=True)))
    return query


def _page(query, ordered) -> dict:
    """One page of PER_PAGE rows, with the total and the page numbers."""
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    page, pages = page_of(total, PER_PAGE)
    rows = db.session.scalars(ordered.limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    return {"rows": rows, "total": total, "page": page, "pages": pages}


@bp.get("/members")
def members(slug):
    """Members, filtered by status, searched by name or number, 25 a page."""
    return _members_page(office(slug, "read"))


def _members_page(o, nik_form: NikForm | None = None, status: int = 200):
    chosen, q = _filters()
    query = _members_query(o, chosen, q)
    page = _page(query, query.order_by(Membership.member_number))
    return render("office_members/members.html", o=o, chosen=chosen, q=q, statuses=(*MEMBER_STATUSES, UNCONFIRMED),
                  labels={**MEMBER_LABELS, UNCONFIRMED: _l("Imported, not confirmed yet")},
                  nik_form=nik_form or NikForm(formdata=None), status=status, **page)


@bp.post("/members/by-nik")
def member_by_nik(slug):
    """Open the member (or applicant) with this NIK. Sent in the body, never in a URL: a URL stays in
    logs and the browser's history (the NIK is personal data)."""
    o = office(slug, "read")
    form = NikForm()
    if form.validate_on_submit():
        found = domain.find_by_nik(o.koperasi.id, form.nik.data)
        if found is not None:
            page = "application" if found.status in (MemberStatus.APPLIED, MemberStatus.REJECTED) else "member"
            return see_other(url_for(f"office_members.{page}", slug=slug, membership_id=found.id))
        form.nik.errors.append(_("Nobody in this koperasi has this NIK."))
    return _members_page(o, form, status=422)


@bp.get("/members.csv")
def members_csv(slug):
    """The same list as a spreadsheet; NIK masked, no formulas."""
    o = office(slug, "read")
    status, q = _filters()
    rows = db.session.scalars(_members_query(o, status, q).order_by(Membership.member_number))
    out = io.StringIO()
    out.write("\ufeff")  # so spreadsheet apps read the names as UTF-8
    writer = csv.writer(out)
    writer.writerow([_("Member number"), _("Name"), _("Status"), _("Joined"), _("Mobile"), _("Occupation"),
                     _("UMKM"), _("Business name"), _("NIK")])
    for m in rows:
        writer.writerow([_cell(value) for value in (
            m.member_number, m.full_name, str(MEMBER_LABELS[m.status]), m.joined_on.isoformat() if m.joined_on else "",
            m.user.mobile, m.occupation, _("Yes") if m.is_umkm else _("No"), m.business_name or "",
            m.nik_masked)])
    response = make_response(out.getvalue())
    response.mimetype = "text/csv"
    response.headers["Content-Disposition"] = f'attachment; filename="members-{o.koperasi.slug}.csv"'
    response.headers["Cache-Control"] = "private, no-store"  # personal data: never kept in a cache
    return response


def _cell(value) -> str:
    """A spreadsheet would run a cell that starts like a formula: make it text."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


@bp.route("/members/<int:membership_id>", methods=["GET", "POST"])
def member(slug, membership_id):
    """One member in full (NIK masked), with resignation confirmation."""
    if request.method == "POST":
        return dispatch(confirm_resignation=confirm_resignation, reveal_nik=reveal_nik, reset_password=reset_password)
    o = office(slug, "read")
    return _member_page(o, o.get(Membership, membership_id))


@bp.post("/members/<int:membership_id>/reset-password")
def reset_password(slug, membership_id):
    """The board gives a member who forgot their password a temporary one, after checking their KTP:
    shown in this response only, recorded; the member chooses their own at the next login."""
    o = office(slug, "reset_password")
    membership = o.get(Membership, membership_id)
    form = PasswordResetForm()
    done = run(form, lambda: password_reset.staff_reset(membership, current_user))
    response = _member_page(o, membership, reset_form=form, temporary=done.value if done else None,
                            status=200 if done else 422)
    response.headers["Cache-Control"] = "private, no-store"  # a password: never kept in a cache
    return response


@bp.post("/members/<int:membership_id>/confirm-resignation")
def confirm_resignation(slug, membership_id):
    """Confirm a member's resignation: savings refunded in one entry, the card inactive."""
    o = office(slug, "approve_member")
    membership = o.get(Membership, membership_id)
    form = ResignationForm()
    if run(form, lambda: resignation.confirm(membership, current_user, form.key.data, consent=form.consent.data)):
        flash(_("Resignation confirmed. The card is no longer active."), "success")
        return see_other(url_for("office_members.member", slug=slug, membership_id=membership.id))
    return _member_page(o, membership, form=form, status=422)


@bp.post("/members/<int:membership_id>/reveal-nik")
def reveal_nik(slug, membership_id):
    """The board sees one member's full NIK, in this response only; the reveal is recorded."""
    o = office(slug, "reveal_nik")
    membership = o.get(Membership, membership_id)
    done = run(RevealForm(), lambda: domain.reveal_nik(membership, current_user))
    page = _application_page if membership.status in (MemberStatus.APPLIED, MemberStatus.REJECTED) else _member_page
    response = page(o, membership, nik=done.value if done else None, status=200 if done else 422)
    response.headers["Cache-Control"] = "private, no-store"  # personal data: never kept in a cache
    return response


def _member_page(o, membership, form=None, status=200, nik=None, reset_form=None, temporary=None):
    refund = None
    if membership.status == MemberStatus.RESIGNED:
        refund = db.session.scalar(sa.select(Entry.ref).where(
            Entry.koperasi_id == o.koperasi.id, Entry.membership_id == membership.id, Entry.kind == "refund")
            .order_by(Entry.posted_at.desc(), Entry.id.desc()).limit(1))
    offset = resignation.offset_quote(membership) if membership.status == MemberStatus.RESIGNING else (0, 0)
    return render("office_members/member.html", o=o, m=membership, form=form or ResignationForm(formdata=None),
                  offset=offset,
                  refund=refund, loans=member_loans(o, membership.id) if membership.is_card else [],
                  status=status, nik=nik, temporary=temporary,
                  reset_form=reset_form or PasswordResetForm(formdata=None),
                  has_account=bool(membership.user and not membership.user.placeholder))
