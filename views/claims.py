"""Claiming an imported membership: the person asks from /cards; the office confirms, refuses
or corrects the number (``models.claims``)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from models import claims
from models.membership import Membership
from views.fields import Form, page_of
from views.forms import dispatch, run
from web.access import office
from web.extensions import db
from web.render import render, see_other

bp = Blueprint("claims", __name__)
OFFICE = "/k/<slug>/office/claims"
PER_PAGE = 25
REQUIRED = _l("This field is required.")


class ButtonForm(Form):
    """A button and its CSRF token."""


class ClaimForm(Form):
    consent = BooleanField(_l("I agree that my personal data is used as described above."))


class RefuseForm(Form):
    reason = TextAreaField(_l("Why you cannot confirm them"), [DataRequired(REQUIRED), Length(max=1000)],
                           description=_l("The person sees it, so they know what to do."), render_kw={"rows": 3})


class NumberForm(Form):
    mobile = StringField(_l("The member's right mobile number"), [DataRequired(REQUIRED), Length(max=24)],
                         description=_l("The membership moves to this number and waits for its owner to claim it."),
                         render_kw={"inputmode": "tel", "autocomplete": "off"})


# ---------------------------------------------------------------- the member

@bp.post("/k/<slug>/claim")
@login_required
def request_claim(slug):
    """The account holder asks the koperasi to confirm them as the imported member."""
    membership = claims.awaiting_in(current_user, slug)
    if membership is None:
        abort(404)
    form = ClaimForm()
    if done := run(form, lambda: claims.request(membership, form.consent.data, request.remote_addr or "")):
        flash(_("Sent. The koperasi will check your KTP and confirm you.") if done.value
              else _("Already sent: the koperasi will confirm you."), "success")
    elif form.consent.errors:
        flash(str(form.consent.errors[0]), "error")
    else:
        flash(_("The koperasi could not confirm you. Visit the office with your KTP."), "error")
    return see_other(url_for("membership.cards") + f"#claim-{slug}")


# ---------------------------------------------------------------- the office

@bp.get(OFFICE)
def queue(slug):
    """Claims waiting for a decision, oldest first."""
    o = office(slug, "read")
    query = claims.queue(o.koperasi)
    total = db.session.scalar(query.with_only_columns(sa.func.count()).order_by(None))
    page, pages = page_of(total, PER_PAGE)
    rows = db.session.scalars(query.limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    return render("claims/queue.html", o=o, rows=rows, total=total, page=page, pages=pages)


def _imported(o, membership_id: int) -> Membership:
    membership = o.get(Membership, membership_id)
    if not membership.imported:
        abort(404)
    return membership


@bp.route(OFFICE + "/<int:membership_id>", methods=["GET", "POST"])
def claim(slug, membership_id):
    """One imported member beside the account that claims it: confirm, refuse, correct the number."""
    if request.method == "POST":
        return dispatch(confirm=confirm, refuse=refuse, number=number)
    o = office(slug, "read")
    return _page(o, _imported(o, membership_id))


@bp.post(OFFICE + "/<int:membership_id>/confirm")
def confirm(slug, membership_id):
    """The person's KTP matches: the membership is theirs."""
    o = office(slug, "approve_member")
    membership = _imported(o, membership_id)
    form = ButtonForm()
    if run(form, lambda: claims.confirm(membership, current_user)):
        flash(_("Confirmed. %(name)s now sees membership %(number)s.", name=membership.user.full_name,
                number=membership.member_number), "success")
        return see_other(url_for("claims.claim", slug=slug, membership_id=membership.id))
    return _page(o, membership, confirm_form=form, status=422)


@bp.post(OFFICE + "/<int:membership_id>/refuse")
def refuse(slug, membership_id):
    """The person is not this member: they see the reason, never the membership."""
    o = office(slug, "approve_member")
    membership = _imported(o, membership_id)
    form = RefuseForm()
    if run(form, lambda: claims.refuse(membership, current_user, form.reason.data)):
        flash(_("Refused. The person will see your reason."), "success")
        return see_other(url_for("claims.claim", slug=slug, membership_id=membership.id))
    return _page(o, membership, refuse_form=form, status=422)


@bp.post(OFFICE + "/<int:membership_id>/number")
def number(slug, membership_id):
    """The import had the wrong number: move the membership to the right one."""
    o = office(slug, "approve_member")
    membership = _imported(o, membership_id)
    form = NumberForm()
    if run(form, lambda: claims.correct_number(membership, current_user, form.mobile.data)):
        flash(_("Number corrected. The membership waits for the owner of %(mobile)s to claim it.",
                mobile=membership.user.mobile_display), "success")
        return see_other(url_for("claims.claim", slug=slug, membership_id=membership.id))
    return _page(o, membership, number_form=form, status=422)


def _page(o, membership, confirm_form=None, refuse_form=None, number_form=None, status=200):
    return render("claims/claim.html", o=o, m=membership, status=status,
                  confirm_form=confirm_form or ButtonForm(formdata=None),
                  refuse_form=refuse_form or RefuseForm(formdata=None),
                  number_form=number_form or NumberForm(formdata=None))
