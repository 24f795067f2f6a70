"""Top-ups of simpanan sukarela by bank transfer: the member asks and sees where to transfer; the
office confirms or rejects each request, or several at once from the bank statement (models/topups.py)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from models import bank_statement, topups
from models.errors import DomainError
from models.ledger import balances
from models.membership import MemberStatus
from models.statement import balances_after
from models.topups import Topup
from views.fields import KEPT_TOKENS, Form, KeyedForm, RupiahField, WholeNumberField, query_int, take_pictures
from views.forms import attach, run
from web.access import my_card, office
from web.extensions import db
from web.media import folder, private_file
from web.render import render, see_other

bp = Blueprint("topups", __name__)
REQUIRED = _l("This field is required.")
ME, OFFICE = "/k/<slug>/me/topups", "/k/<slug>/office/topups"


class AskForm(KeyedForm):
    amount = RupiahField(_l("Amount to add (Rp)"), [InputRequired(REQUIRED)], description=_l("For example 500.000"),
                         render_kw={"inputmode": "numeric", "autocomplete": "off"})


class ProofForm(Form):
    proof = FileField(_l("Photo of the transfer (optional)"),
                      description=_l("A photo or screenshot of the bank's confirmation helps the koperasi find it."),
                      render_kw={"accept": "image/*"})
    proof_kept = HiddenField(validators=[Length(max=KEPT_TOKENS)])


class ConfirmForm(KeyedForm):
    """The teller's button: the one-time key, nothing to type."""


class RejectForm(Form):
    reason = TextAreaField(_l("Why is it rejected?"), [DataRequired(REQUIRED), Length(max=200)],
                           description=_l("The member reads it, for example: no transfer of this amount arrived"),
                           render_kw={"rows": 2})


class StatementForm(Form):
    statement = FileField(_l("Bank statement (CSV)"),
                          description=_l("Columns: date, description, amount; separated by commas or semicolons."),
                          render_kw={"accept": ".csv,text/csv,text/plain"})


class BankForm(Form):
    bank = StringField(_l("Bank"), [Length(max=60)], description=_l("For example BRI"))
    number = StringField(_l("Account number"), [Length(max=30)], render_kw={"inputmode": "numeric"})
    holder = StringField(_l("Account holder"), [Length(max=120)], description=_l("The name as the bank shows it"))
    hours = WholeNumberField(_l("A request waits (hours)"), [Optional()], default=24,
                             description=_l("From 1 to 168. Then it expires and the member asks again."),
                             render_kw={"inputmode": "numeric"})


# ---------------------------------------------------------------- the member

def _my_topup(slug, topup_id: int) -> Topup:
    membership = my_card(slug)
    topup = db.session.get(Topup, topup_id)
    if topup is None or topup.membership_id != membership.id:
        abort(404)
    return topup


@bp.route(ME, methods=["GET", "POST"])
def mine(slug):
    """Ask for a top-up; my top-ups, newest first."""
    membership = my_card(slug)
    form = AskForm()
    if membership.status == MemberStatus.ACTIVE and (
            done := run(form, lambda: topups.ask(membership, form.amount.data, form.key.data))):
        return see_other(url_for("topups.show", slug=slug, topup_id=done.value.id))
    if form.is_submitted() and membership.status != MemberStatus.ACTIVE:
        form.form_errors.append(_("Only an active member can top up."))
    return render("topups/mine.html", m=membership, form=form, account=topups.bank_account(membership.koperasi),
                  rows=topups.of_member(membership.id, limit=30), balance=balances(membership.id)["sukarela"],
                  status=422 if form.is_submitted() else 200)


@bp.get(ME + "/<int:topup_id>")
def show(slug, topup_id):
    """Where to transfer, the exact amount and the reference; once confirmed, the receipt."""
    return _show_page(_my_topup(slug, topup_id))


def _show_page(topup: Topup, proof_form=None, status: int = 200):
    koperasi = topup.membership.koperasi
    entry = topup.entry
    after = balances_after(entry, topup.membership_id)["sukarela"] if entry else None
    return render("topups/show.html", t=topup, k=koperasi, account=topups.bank_account(koperasi), entry=entry,
                  after=after, proof_form=proof_form or ProofForm(formdata=None), cancel_form=Form(formdata=None),
                  state=topup.state(), status=status)


@bp.post(ME + "/<int:topup_id>/proof")
def proof(slug, topup_id):
    """Add the transfer's photo to a waiting request."""
    topup = _my_topup(slug, topup_id)
    form = ProofForm()
    photo = take_pictures(form.proof, form.proof_kept, size=topups.PROOF_SIZE, max_bytes=topups.PROOF_MAX_BYTES)
    if run(form, lambda: topups.attach_proof(topup, current_user, photo[0] if photo else None,
                                             folder(topups.PROOF_FOLDER))):
        flash(_("Photo added. The koperasi will check your transfer."), "success")
        return see_other(url_for("topups.show", slug=slug, topup_id=topup.id))
    return _show_page(topup, form, 422)


@bp.post(ME + "/<int:topup_id>/cancel")
def cancel(slug, topup_id):
    """Withdraw a waiting request (before transferring)."""
    topup = _my_topup(slug, topup_id)
    form = Form()
    if run(form, lambda: topups.cancel(topup, current_user)):
        flash(_("Top-up cancelled."), "success")
    else:
        for message in form.form_errors or [_("The form has expired. Try again.")]:
            flash(str(message), "error")
    return see_other(url_for("topups.show", slug=slug, topup_id=topup.id))


# ---------------------------------------------------------------- the office

@bp.get(OFFICE)
def index(slug, statement_form: StatementForm | None = None, status: int = 200):
    """Top-ups waiting for the teller (oldest first), the statement upload, the latest decided."""
    o = office(slug, "read")
    return render("topups/office.html", o=o, waiting=topups.waiting(o.koperasi.id),
                  decided=topups.decided(o.koperasi.id), account=topups.bank_account(o.koperasi),
                  statement_form=statement_form or StatementForm(formdata=None), status=status)


def _office_topup(o, topup_id: int) -> Topup:
    return o.get(Topup, topup_id)


@bp.get(OFFICE + "/<int:topup_id>")
def review(slug, topup_id, confirm_form=None, reject_form=None, status: int = 200):
    """One request: who, how much, the reference, the photo; confirm or reject it."""
    o = office(slug, "read")
    topup = _office_topup(o, topup_id)
    return render("topups/review.html", o=o, t=topup, state=topup.state(),
                  confirm_form=confirm_form or ConfirmForm(formdata=None),
                  reject_form=reject_form or RejectForm(formdata=None), status=status)


@bp.post(OFFICE + "/<int:topup_id>/confirm")
def confirm(slug, topup_id):
    """The transfer is on the bank statement: deposit it (once), then the receipt."""
    o = office(slug, "confirm_topup")
    topup = _office_topup(o, topup_id)
    form = ConfirmForm()
    if done := run(form, lambda: topups.confirm(topup, current_user, form.key.data)):
        return see_other(url_for("teller.receipt", slug=slug, ref=done.value.entry.ref))
    return review(slug, topup_id, confirm_form=form, status=422)


@bp.post(OFFICE + "/<int:topup_id>/reject")
def reject(slug, topup_id):
    """Not on the statement: the member is told why."""
    o = office(slug, "confirm_topup")
    topup = _office_topup(o, topup_id)
    form = RejectForm()
    if run(form, lambda: topups.reject(topup, current_user, form.reason.data)):
        flash(_("Top-up %(reference)s rejected. The member has been told.", reference=topup.reference), "success")
        return see_other(url_for("topups.index", slug=slug))
    return review(slug, topup_id, reject_form=form, status=422)


@bp.get(OFFICE + "/<int:topup_id>/proof")
def proof_photo(slug, topup_id):
    """The member's photo of the transfer."""
    o = office(slug, "read")
    topup = _office_topup(o, topup_id)
    path = topups.proof_file(topup, folder(topups.PROOF_FOLDER))
    if path is None:
        abort(404)
    return private_file(path, "image/webp", f"transfer-{topup.reference}.webp", no_store=True)


@bp.post(OFFICE + "/statement")
def statement(slug):
    """Read an uploaded bank statement and propose matches; nothing is posted until they are confirmed."""
    o = office(slug, "confirm_topup")
    form = StatementForm()
    upload = form.statement.data if form.validate_on_submit() else None
    try:
        if upload is None or not getattr(upload, "filename", ""):
            raise DomainError(_l("Choose the statement's CSV file."), field="statement")
        read = bank_statement.read(upload.stream.read(bank_statement.MAX_BYTES + 1))
    except DomainError as error:
        attach(form, error)
        return index(slug, statement_form=form, status=422)
    matches, unmatched = topups.match(o.koperasi.id, read)
    return render("topups/statement.html", o=o, matches=matches, unmatched=unmatched, unreadable=read.unreadable,
                  form=ConfirmForm(formdata=None))


@bp.post(OFFICE + "/statement/confirm")
def confirm_matches(slug):
    """Confirm the chosen matches, each on its own (one already confirmed is simply left as it is)."""
    o = office(slug, "confirm_topup")
    form = ConfirmForm()
    chosen = request.form.getlist("topup", type=query_int)[:500]  # what is no id (other digits, too large): left out
    if not form.validate_on_submit() or not chosen:
        flash(_("Choose at least one top-up to confirm.") if form.validate_on_submit() else str(
            (form.form_errors or [_("The form has expired. Try again.")])[0]), "error")
        return see_other(url_for("topups.index", slug=slug))
    done, refused = topups.confirm_many(o.koperasi, chosen, current_user, form.key.data)
    db.session.commit()
    if done:
        flash(_("Top-ups confirmed: %(n)s.", n=len(done)), "success")
    for topup, why in refused:
        flash(f"{topup.reference}: {why}", "error")
    return see_other(url_for("topups.index", slug=slug))


@bp.route(OFFICE + "/settings", methods=["GET", "POST"])
def settings(slug):
    """Where members transfer their top-ups, and how long a request waits (the board sets it)."""
    o = office(slug, "manage_settings" if request.method == "POST" else "read")
    k = o.koperasi
    form = BankForm() if request.method == "POST" else BankForm(
        formdata=None, data={"bank": k.topup_bank_name, "number": k.topup_bank_account, "holder": k.topup_bank_holder,
                             "hours": k.topup_expiry_hours})
    if run(form, lambda: topups.set_bank_account(k, current_user, form.bank.data, form.number.data,
                                                 form.holder.data, form.hours.data)):
        flash(_("Saved."), "success")
        return see_other(url_for("topups.index", slug=slug))
    return render("topups/settings.html", o=o, form=form, status=422 if form.is_submitted() else 200)
