"""Paying at a fellow member's stall: the store's QR and its payments (seller), the pay page
a QR opens or a typed code leads to (buyer), the receipt both see, the seller's refund."""

from __future__ import annotations

from flask import Blueprint, abort, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from models import stall
from models.errors import DomainError
from models.ledger import balances
from models.stall import StallPayment
from views.fields import PASSWORD_TYPED, Form, KeyedForm, RupiahField
from views.forms import password_confirmed, run
from views.membership import qr_svg
from views.seller import own_store
from web.render import render, see_other

bp = Blueprint("stall", __name__)
REQUIRED = _l("This field is required.")
AMOUNT_KW = {"inputmode": "numeric", "autocomplete": "off"}


class CodeForm(Form):
    class Meta:
        csrf = False  # a GET that only finds a store

    code = StringField(_l("Store code"), [DataRequired(REQUIRED), Length(max=20)],
                       description=_l("The 7 characters under the store's QR, for example K7PX3MA"),
                       render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"})


class PayForm(KeyedForm):
    amount = RupiahField(_l("Amount (Rp)"), [InputRequired(REQUIRED)], description=_l("For example 25.000"),
                         render_kw=AMOUNT_KW)
    password = PasswordField(_l("Your Kopz password"), [DataRequired(REQUIRED), Length(max=PASSWORD_TYPED)],
                             description=_l("To confirm that it is you who pays."),
                             render_kw={"autocomplete": "current-password"})


class RefundForm(KeyedForm):
    amount = RupiahField(_l("Amount to refund (Rp)"), [InputRequired(REQUIRED)], render_kw=AMOUNT_KW)
    reason = StringField(_l("Reason"), [DataRequired(REQUIRED), Length(max=200)],
                         description=_l("The buyer reads it, for example: wrong amount typed"))


# ---------------------------------------------------------------- the buyer

@bp.get("/pay")
@login_required
def start():
    """Scan a store's QR or type its code; my latest payments."""
    typed = "code" in request.args
    form = CodeForm(formdata=request.args if typed else None)
    if typed:
        if form.validate():
            return see_other(url_for("stall.pay", code=stall.normal_code(form.code.data)))
        return _start_page(form, 422)
    return _start_page(form)


def _start_page(form: CodeForm, status: int = 200):
    return render("stall/start.html", form=form, payments=stall.of_payer(current_user.id), status=status)


def _refused(form: CodeForm, message, status: int):
    form.code.errors = [message]
    return _start_page(form, status)


@bp.route("/pay/<code>", methods=["GET", "POST"])
@login_required
def pay(code):
    """Pay the store this code names from my simpanan sukarela, confirming with my password."""
    store = stall.store_by_code(code)
    if store is None:
        return _refused(CodeForm(formdata=None, data={"code": code[:20]}), stall.NOT_A_STORE, 404)
    try:
        membership = stall.payer_membership(store, current_user)
    except DomainError as error:
        return _refused(CodeForm(formdata=None, data={"code": store.pay_code}), error.message, 403)
    form = PayForm()
    status = 200
    if form.is_submitted():
        ok = form.validate() and password_confirmed(form, _l("The password is not correct. Nothing was paid."))
        done = ok and run(form, lambda: stall.pay(store, current_user, form.amount.data, form.key.data),
                          validate=False)
        if done:
            flash(_("Paid. %(store)s has been told.", store=store.name), "success")
            return see_other(url_for("stall.receipt", payment_id=done.value.id))
        form.password.data = ""
        status = 422
    return render("stall/pay.html", form=form, store=store, balance=balances(membership.id)["sukarela"],
                  status=status)


def _visible(payment_id: int) -> StallPayment:
    payment = stall.visible_to(payment_id, current_user)
    if payment is None:
        abort(404)
    return payment


@bp.route("/pay/receipts/<int:payment_id>", methods=["GET", "POST"])
@login_required
def receipt(payment_id):
    """The payment's receipt, for its payer and the store's owner; the owner may refund it once."""
    payment = _visible(payment_id)
    seller = payment.store.owner_id == current_user.id
    form = None
    status = 200
    if seller and payment.refunded_at is None:
        form = RefundForm(amount=payment.amount_idr) if request.method == "GET" else RefundForm()
        if request.method == "POST":
            if run(form, lambda: stall.refund(payment, current_user, form.amount.data, form.reason.data,
                                               form.key.data)):
                flash(_("Refunded. The buyer has been told."), "success")
                return see_other(url_for("stall.receipt", payment_id=payment.id))
            status = 422
    elif request.method == "POST":
        if seller:  # a second refund: the first one stands
            flash(_("This payment was already refunded."), "error")
            return see_other(url_for("stall.receipt", payment_id=payment.id))
        abort(404)
    return render("stall/receipt.html", p=payment, seller=seller, form=form, status=status)


# ---------------------------------------------------------------- the seller

@bp.get("/seller/stores/<int:store_id>/pay")
@login_required
def store_qr(store_id):
    """The store's payment QR on the phone, and its payments (refreshed every few seconds)."""
    store = own_store(store_id)
    return render("stall/store.html", store=store, qr=_qr(store), payments=stall.of_store(store.id))


@bp.get("/seller/stores/<int:store_id>/pay/print")
@login_required
def store_print(store_id):
    """The store's payment QR, to print and put up at the stall."""
    store = own_store(store_id)
    return render("stall/print.html", store=store, qr=_qr(store))


def _qr(store) -> str:
    return qr_svg(url_for("stall.pay", code=store.pay_code, _external=True))
