"""Withdrawing sukarela to a bank account or e-wallet: the member's page (saved accounts, the
request confirmed with the password, the receipts) and the office's list the teller pays out from."""

from __future__ import annotations

from flask import Blueprint, abort, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import HiddenField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from models import withdrawals as wd
from models.ledger import balances
from models.membership import Membership
from models.withdrawals import Withdrawal
from models.zones import zone_of
from views.fields import PASSWORD_TYPED, Form, KeyedForm, RupiahField, choices, coerce_id
from views.forms import dispatch, failed, password_confirmed, run
from web.access import my_card, office
from web.extensions import db
from web.render import render, see_other

bp = Blueprint("withdrawals", __name__)
REQUIRED = _l("This field is required.")
ME = "/k/<slug>/me/withdraw"
OFFICE = "/k/<slug>/office/withdrawals"
REJECT = "reject"  # the reject form's prefix: two forms on one page, no clashing ids


class DestinationForm(Form):
    provider = SelectField(_l("Bank or e-wallet"), validate_choice=False,
                           choices=choices([("", _l("— choose —")),
                                            *((code, name) for code, name in wd.BANKS.items()),
                                            *((code, name) for code, name in wd.EWALLETS.items())]))
    number = StringField(_l("Account number, or the e-wallet's mobile number"), [DataRequired(REQUIRED), Length(max=30)],
                         render_kw={"inputmode": "numeric", "autocomplete": "off"})
    holder = StringField(_l("Account holder's name"), [DataRequired(REQUIRED), Length(max=120)],
                         description=_l("As the bank or e-wallet shows it: it must be your own name."),
                         render_kw={"autocomplete": "off"})


class WithdrawForm(KeyedForm):
    destination = SelectField(_l("To the account"), coerce=coerce_id, validate_choice=False, choices=[])
    amount = RupiahField(_l("Amount (Rp)"), [InputRequired(REQUIRED)], description=_l("For example 250.000"),
                         render_kw={"inputmode": "numeric", "autocomplete": "off"})
    password = PasswordField(_l("Your Kopz password"), [DataRequired(REQUIRED), Length(max=PASSWORD_TYPED)],
                             description=_l("To confirm that it is you who withdraws."),
                             render_kw={"autocomplete": "current-password"})


class RemoveForm(Form):
    destination = HiddenField(validators=[Length(max=12)])


class PayForm(KeyedForm):
    transfer_ref = StringField(_l("Transfer reference (optional)"), [Optional(), Length(max=60)],
                               description=_l("From the bank's or e-wallet's confirmation, for the member."),
                               render_kw={"autocomplete": "off"})


class RejectForm(KeyedForm):
    reason = TextAreaField(_l("Why is it rejected?"), [DataRequired(REQUIRED), Length(max=200)],
                           description=_l("The member reads it, for example: the account number does not exist"),
                           render_kw={"rows": 2})


# ---------------------------------------------------------------- the member

@bp.route(ME, methods=["GET", "POST"])
def page(slug):
    """My saved accounts, a withdrawal to one of them (confirmed with my password), my withdrawals."""
    if request.method == "POST":
        return dispatch(withdraw=_withdraw, destination=_add_destination, remove=_remove_destination)
    return _page(my_card(slug))


def _page(membership: Membership, form: WithdrawForm | None = None, destination_form: DestinationForm | None = None):
    saved = wd.destinations(membership.id)
    form = form or WithdrawForm(formdata=None)
    form.destination.choices = [(d.id, d.shown) for d in saved]
    destination_form = destination_form or DestinationForm(formdata=None)
    balance = balances(membership.id)["sukarela"]
    return render("withdrawals/page.html", m=membership, form=form, destination_form=destination_form,
                  remove_form=RemoveForm(formdata=None), saved=saved, balance=balance,
                  left=min(wd.left_today(membership), balance),  # never more than is there
                  mine=wd.of_member(membership.id),
                  status=422 if failed(form, destination_form) else 200)


def _withdraw(slug):
    membership = my_card(slug)
    form = WithdrawForm()
    ok = form.validate() and password_confirmed(form, _l("The password is not correct. Nothing was withdrawn."))
    done = ok and run(form, lambda: wd.request(membership, current_user, form.destination.data, form.amount.data,
                                               form.key.data), validate=False)
    if done:
        flash(_("Held from your sukarela. The koperasi pays it out and you will be told."), "success")
        return see_other(url_for("withdrawals.receipt", slug=slug, withdrawal_id=done.value.id))
    form.password.data = ""
    return _page(membership, form=form)


def _add_destination(slug):
    membership = my_card(slug)
    form = DestinationForm()
    if run(form, lambda: wd.add_destination(membership, current_user, form.provider.data, form.number.data,
                                            form.holder.data)):
        flash(_("Account saved."), "success")
        return see_other(url_for("withdrawals.page", slug=slug, _anchor="accounts"))  # the list that shows it
    return _page(membership, destination_form=form)


def _remove_destination(slug):
    membership = my_card(slug)
    form = RemoveForm()
    if run(form, lambda: wd.remove_destination(membership, current_user, _int(form.destination.data))):
        flash(_("Account removed."), "success")
    else:
        flash(_("This account is not among yours."), "error")
    return see_other(url_for("withdrawals.page", slug=slug))


def _int(text: str | None) -> int | None:
    try:
        return coerce_id(text or "")
    except ValueError:  # not an id (other digits, beyond the column): none of the member's
        return None


@bp.get("/k/<slug>/me/withdrawals/<int:withdrawal_id>")
def receipt(slug, withdrawal_id):
    """One of my withdrawals: its receipt, where it went and what became of it."""
    membership = my_card(slug)
    withdrawal = db.session.get(Withdrawal, withdrawal_id)
    if withdrawal is None or withdrawal.membership_id != membership.id:
        abort(404)
    return render("withdrawals/receipt.html", w=withdrawal, k=membership.koperasi, zone=zone_of(membership.koperasi))


# ---------------------------------------------------------------- the office

@bp.get(OFFICE)
def queue(slug):
    """The withdrawals awaiting payout, oldest first, and the latest decided."""
    o = office(slug, "read")
    return render("withdrawals/queue.html", o=o, awaiting=wd.queue(o.koperasi.id),
                  paid=wd.queue(o.koperasi.id, wd.Status.PAID, 10),
                  rejected=wd.queue(o.koperasi.id, wd.Status.REJECTED, 10))


@bp.route(OFFICE + "/<int:withdrawal_id>", methods=["GET", "POST"])
def one(slug, withdrawal_id):
    """One withdrawal with its destination in full, to pay it out or reject it."""
    if request.method == "POST":
        return dispatch(pay=_pay, reject=_reject)
    o = office(slug, "read")
    return _one(o, o.get(Withdrawal, withdrawal_id))


def _one(o, withdrawal: Withdrawal, pay_form: PayForm | None = None, reject_form: RejectForm | None = None):
    return render("withdrawals/one.html", o=o, w=withdrawal, zone=zone_of(o.koperasi),
                  pay_form=pay_form or PayForm(formdata=None), reject_form=reject_form or RejectForm(formdata=None,
                                                                                              prefix=REJECT),
                  status=422 if failed(*(f for f in (pay_form, reject_form) if f)) else 200)


def _pay(slug, withdrawal_id):
    o = office(slug, "pay_withdrawal")
    withdrawal = o.get(Withdrawal, withdrawal_id)
    form = PayForm()
    if run(form, lambda: wd.pay_out(withdrawal, current_user, form.transfer_ref.data, form.key.data)):
        flash(_("Marked paid. The member has been told."), "success")
        return see_other(url_for("withdrawals.one", slug=slug, withdrawal_id=withdrawal_id))
    return _one(o, o.get(Withdrawal, withdrawal_id), pay_form=form)


def _reject(slug, withdrawal_id):
    o = office(slug, "pay_withdrawal")
    withdrawal = o.get(Withdrawal, withdrawal_id)
    form = RejectForm(prefix=REJECT)
    if run(form, lambda: wd.reject(withdrawal, current_user, form.reason.data, form.key.data)):
        flash(_("Rejected. The amount is back in the member's sukarela and they have been told."), "success")
        return see_other(url_for("withdrawals.one", slug=slug, withdrawal_id=withdrawal_id))
    return _one(o, o.get(Withdrawal, withdrawal_id), reject_form=form)
