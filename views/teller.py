"""The teller: find a member, take deposits and pay out withdrawals, print receipts.

Who may post or correct is the duties table (models/duties.py); pengawas only read.
"""

from __future__ import annotations

from urllib.parse import quote

import sqlalchemy as sa
from flask import Blueprint, abort, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from models import cashbook, chart, loan_corrections, offline, savings
from models.ledger import SAVINGS_LABELS, Entry, balances
from models.loans import one_person_disbursement
from models.membership import Membership, MemberStatus
from models.statement import KIND_OF, balances_after, entry_label, receipt_parts
from models.zones import zone_of
from views.fields import MEANS_CHOICES, KeyedForm, RupiahField, choices
from views.forms import dispatch, failed, run
from views.loans import member_loans
from web.access import office
from web.extensions import db
from web.i18n import idr, in_words, local_datetime
from web.render import render, see_other

bp = Blueprint("teller", __name__, url_prefix="/k/<slug>/office")
SEARCH_LIMIT = 20
REQUIRED = _l("This field is required.")
RECEIPT_TIME = "d MMM yyyy, HH:mm"
WITHDRAW = "withdraw"  # the withdrawal form's prefix: two forms on one page, no clashing ids


class DepositForm(KeyedForm):
    kind = SelectField(_l("Savings"), choices=choices(SAVINGS_LABELS.items()), default="wajib")
    amount = RupiahField(_l("Amount (Rp)"), [InputRequired(REQUIRED)], description=_l("For example 1.500.000"),
                         render_kw={"inputmode": "numeric", "autocomplete": "off"})
    means = SelectField(_l("Paid by"), choices=choices(MEANS_CHOICES), default="cash")


class WithdrawForm(KeyedForm):
    amount = RupiahField(_l("Amount (Rp)"), [InputRequired(REQUIRED)],
                         description=_l("Simpanan sukarela only. For example 500.000"),
                         render_kw={"inputmode": "numeric", "autocomplete": "off"})
    means = SelectField(_l("Paid out by"), choices=choices(MEANS_CHOICES), default="cash")


@bp.get("/teller")
def index(slug):
    """Find a member by name or member number (live results under htmx)."""
    o = office(slug, "read")
    q = request.args.get("q", "").strip()[:80]
    rows = []
    if q:
        rows = db.session.scalars(
            o.select(Membership).where(Membership.member_number.is_not(None), sa.or_(
                Membership.full_name.icontains(q, autoescape=True),
                Membership.member_number.icontains(q, autoescape=True)))
            .order_by(Membership.full_name, Membership.id).limit(SEARCH_LIMIT)).all()
    return render("teller/index.html", o=o, q=q, rows=rows)


def _member(o, membership_id: int) -> Membership:
    membership = o.get(Membership, membership_id)
    if not membership.is_card:  # an application is not at the teller's counter yet
        abort(404)
    return membership


@bp.route("/teller/<int:membership_id>", methods=["GET", "POST"])
def member(slug, membership_id):
    """A member at the counter: balances, dues, and the deposit and withdrawal forms
    (which post here, so a form shown again with its errors stays at this address)."""
    if request.method == "POST":
        return dispatch(deposit=deposit, withdraw=withdraw)
    o = office(slug, "read")
    return _member_page(o, _member(o, membership_id))


@bp.post("/teller/<int:membership_id>/deposit")
def deposit(slug, membership_id):
    """Take a deposit, then show its receipt (a retried form shows the same one)."""
    o = office(slug, "post_money")
    membership = _member(o, membership_id)
    form = DepositForm()
    if posted := run(form, lambda: savings.deposit(membership, form.kind.data, form.amount.data,
                                                   form.means.data, current_user, key=form.key.data)):
        return see_other(url_for("teller.receipt", slug=slug, ref=posted.value.ref))
    return _member_page(o, membership, deposit_form=form)


@bp.post("/teller/<int:membership_id>/withdraw")
def withdraw(slug, membership_id):
    """Pay out simpanan sukarela, never beyond the balance, then show the receipt."""
    o = office(slug, "post_money")
    membership = _member(o, membership_id)
    form = WithdrawForm(prefix=WITHDRAW)
    if posted := run(form, lambda: savings.withdraw(membership, form.amount.data, form.means.data,
                                                    current_user, key=form.key.data)):
        return see_other(url_for("teller.receipt", slug=slug, ref=posted.value.ref))
    return _member_page(o, membership, withdraw_form=form)


def _member_page(o, membership: Membership, deposit_form=None, withdraw_form=None):
    held = balances(membership.id)
    pokok_due = savings.pokok_due(membership, held)
    if deposit_form is None:
        deposit_form = DepositForm(formdata=None)
        if membership.status == MemberStatus.APPROVED:  # the one deposit they can make: pokok in full
            deposit_form.kind.data = "pokok"
            deposit_form.amount.data = pokok_due
    withdraw_form = withdraw_form or WithdrawForm(formdata=None, prefix=WITHDRAW)
    recent = db.session.execute(
        sa.select(Entry.ref, Entry.kind, Entry.posted_at).where(
            Entry.koperasi_id == o.koperasi.id, Entry.membership_id == membership.id)
        .order_by(Entry.posted_at.desc(), Entry.id.desc()).limit(5)).all()
    return render("teller/member.html", o=o, m=membership, held=held, total=sum(held.values()),
                  wajib=savings.wajib_status(membership, held["wajib"]),
                  pokok_due=pokok_due, loans=member_loans(o, membership.id),
                  deposit_form=deposit_form, withdraw_form=withdraw_form, recent=recent,
                  kind_labels=SAVINGS_LABELS, entry_label=entry_label,
                  status=422 if failed(deposit_form, withdraw_form) else 200)


class ReverseForm(KeyedForm):
    reason = TextAreaField(_l("Why is it corrected?"), [DataRequired(_l("This field is required.")),
                                                        Length(max=200)], render_kw={"rows": 2})


def _entry(o, ref: str) -> Entry:
    entry = db.session.scalar(o.select(Entry).where(Entry.ref == ref[:24]))
    if entry is None:
        abort(404)
    return entry


@bp.route("/receipts/<ref>", methods=["GET", "POST"])
def receipt(slug, ref, form: ReverseForm | None = None):
    """A printable receipt for one posting, with a WhatsApp share link for the member."""
    if request.method == "POST" and form is None:
        return dispatch(reverse=reverse)
    o = office(slug, "read")
    entry = _entry(o, ref)
    membership = o.get(Membership, entry.membership_id) if entry.membership_id else None
    moved = [(KIND_OF[line.account.purpose], -line.amount) for line in entry.lines
             if line.membership_id and line.account.purpose in KIND_OF]
    after = balances_after(entry, membership.id) if moved else {}
    parts = receipt_parts(entry)
    corrected_by = db.session.scalar(sa.select(Entry.ref).where(Entry.reverses_id == entry.id))
    reverses = db.session.get(Entry, entry.reverses_id) if entry.reverses_id else None
    can_correct = o.can("correct_entry") and not corrected_by and not entry.reverses_id and (
        entry.kind in savings.REVERSIBLE | chart.REVERSIBLE or loan_corrections.correctable(entry))
    return render("teller/receipt.html", o=o, entry=entry, m=membership, moved=moved, after=after,
                  parts=parts, words=in_words(parts.amount), kind_labels=SAVINGS_LABELS,
                  label=entry_label(entry.kind), time_format=RECEIPT_TIME, zone=zone_of(o.koperasi),
                  whatsapp=_whatsapp(o, entry, membership, moved, after, parts), corrected_by=corrected_by,
                  reverses=reverses, form=(form or ReverseForm(formdata=None)) if can_correct else None,
                  one_person=one_person_disbursement(entry),
                  provisional=offline.provisional_of(entry) if entry.kind in ("deposit", "repayment") else None,
                  detail=cashbook.detail_of(entry) if entry.kind in cashbook.KINDS.values() else None,
                  show_lines=membership is None,
                  status=422 if form else 200)


@bp.post("/receipts/<ref>/reverse")
def reverse(slug, ref):
    """Correct a mistaken deposit, withdrawal, loan repayment or disbursement, cash-book or journal entry
    with a reversing entry (the board)."""
    o = office(slug, "correct_entry")
    entry = _entry(o, ref)
    form = ReverseForm()
    undo = (loan_corrections.reverse if entry.kind in loan_corrections.REVERSIBLE
            else chart.reverse if entry.kind in chart.REVERSIBLE else savings.reverse)
    if posted := run(form, lambda: undo(entry, current_user, form.reason.data, key=form.key.data)):
        return see_other(url_for("teller.receipt", slug=slug, ref=posted.value.ref))
    return receipt(slug, ref, form=form)


def _whatsapp(o, entry: Entry, membership: Membership | None, moved, after, parts) -> str | None:
    """wa.me link to the member's mobile with the receipt as the message."""
    if membership is None:
        return None
    zone = zone_of(o.koperasi)
    lines = [_("%(koperasi)s · receipt %(ref)s", koperasi=o.koperasi.name, ref=entry.ref),
             f"{local_datetime(entry.posted_at, RECEIPT_TIME, zone)} {zone.abbr}",
             f"{membership.full_name} ({membership.member_number})",
             f"{entry_label(entry.kind)}: {idr(parts.amount)}"]
    lines += [f"{label}: {idr(amount)}" for label, amount in parts.items]
    lines += [_("%(kind)s balance: %(amount)s", kind=SAVINGS_LABELS[kind], amount=idr(after[kind]))
              for kind in dict(moved)]
    digits = "".join(ch for ch in membership.user.mobile if ch.isdigit())
    return f"https://wa.me/{digits}?text={quote(chr(10).join(lines), safe='')}"
