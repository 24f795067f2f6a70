"""Buying in the market: the cart, checkout, the buyer's orders and the seller's order desk."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from models import capital
from models import orders as shop
from models.market import Product, Store
from models.orders import (
    FULFILMENT_LABELS,
    PAYMENT_LABELS,
    STATUS_LABELS,
    CartItem,
    Choice,
    Order,
    OrderStatus,
)
from views.fields import NEXT_URL, Form, KeyedForm, WholeNumberField, choices, page_of
from views.forms import dispatch, run
from views.notifications import header_counts
from web.extensions import db
from web.render import render, safe_next, see_other

SELLER_ORDERS_PER_PAGE = 30

bp = Blueprint("orders", __name__)


class AddForm(Form):
    product_id = WholeNumberField(validators=[InputRequired()])
    quantity = WholeNumberField(_l("Quantity"), default=1,
                                validators=[InputRequired(_l("Choose a quantity from 1.")), NumberRange(min=1, max=999)])
    next = HiddenField(validators=[Length(max=NEXT_URL)])


class QuantityForm(Form):
    quantity = WholeNumberField(_l("Quantity"), validators=[InputRequired(_l("Choose a quantity from 1.")),
                                                             NumberRange(min=0, max=shop.MAX_QUANTITY)])


class ReasonForm(Form):
    to = HiddenField(validators=[Length(max=20)])
    reason = StringField(_l("Reason (told to the buyer)"), validators=[Optional(), Length(max=300)])


def wa_link(number: str | None) -> str | None:
    """wa.me wants the number's digits only (stored as +62…)."""
    digits = re.sub(r"\D", "", number or "")
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    return f"https://wa.me/{digits}" if digits else None


def _group(items: list[CartItem]) -> list[tuple[Store, list[CartItem], int]]:
    """(store, its lines, subtotal at the prices seen), in the order first added."""
    groups: dict[int, tuple[Store, list[CartItem]]] = {}
    for item in items:
        groups.setdefault(item.product.store_id, (item.product.store, []))[1].append(item)
    return [(store, lines, sum(i.price_seen_idr * i.quantity for i in lines)) for store, lines in groups.values()]


def checkout_form(groups, member_of: dict[int, int]) -> KeyedForm:
    """One form for the whole cart, with per-store fields named ``fulfilment-<id>`` etc.
    Choices are not checked by the form: the domain refuses what a store does not offer."""

    class CheckoutForm(KeyedForm):
        pass

    for store, _lines, _sum in groups:
        ways = [(w, FULFILMENT_LABELS[w]) for w, offered in
                (("pickup", store.pickup), ("delivery", store.delivery_km is not None), ("cod", store.cod)) if offered]
        pays = ["cash", "transfer"] + (["savings"] if store.koperasi_id in member_of else [])
        setattr(CheckoutForm, f"fulfilment-{store.id}",
                SelectField(_l("How you get the goods"), choices=choices(ways), validate_choice=False))
        setattr(CheckoutForm, f"payment-{store.id}",
                SelectField(_l("How you pay"), choices=choices((p, PAYMENT_LABELS[p]) for p in pays),
                            validate_choice=False))
        setattr(CheckoutForm, f"address-{store.id}",
                StringField(_l("Delivery address"), description=_l("Only for delivery or cash on delivery."),
                            validators=[Optional(), Length(max=300)]))
    return CheckoutForm()


def _cart_page(form=None, status: int = 200, item_errors=None):
    items = shop.cart(current_user)
    member_of = shop.active_memberships(current_user)
    groups = _group(items)
    fresh = checkout_form(groups, member_of)
    if form is not None:  # keep what was typed (and the key) after an error
        for name, field in fresh._fields.items():
            if name in form:
                field.data, field.raw_data, field.errors = form[name].data, form[name].raw_data, form[name].errors
        fresh.form_errors = form.form_errors
    return render("orders/cart.html", status, groups=groups, form=fresh, item_errors=item_errors or {},
                  total=sum(i.price_seen_idr * i.quantity for i in items), count=len(items))


def _back_to(default: str) -> str:
    """Where the buyer came from (the product page), on this site only."""
    given = request.form.get("next")
    if given:
        return safe_next(given, default)
    referer = urlsplit(request.referrer or "")
    if referer.netloc and referer.netloc != request.host:
        return default
    return safe_next(referer.path + (f"?{referer.query}" if referer.query else ""), default)


@bp.app_context_processor
def _cart_count() -> dict:
    """``cart_count()`` for the header: lines in the current user's cart (counted with the
    unread notifications in one query, only when shown)."""

    def cart_count() -> int:
        if not current_user.is_authenticated:
            return 0
        return header_counts().cart

    return {"cart_count": cart_count}


# ---------------------------------------------------------------- cart and checkout

@bp.post("/cart/add")
def add():
    """Put a product in the cart (login first, then back to the product)."""
    if not current_user.is_authenticated:
        flash(_("Please log in to open this page."), "info")
        target = url_for("accounts.login", next=_back_to(url_for("market.index")))
        if request.htmx:
            return "", 401, {"HX-Redirect": target}
        return redirect(target, 303)
    form = AddForm()
    product = db.session.get(Product, form.product_id.data) if isinstance(form.product_id.data, int) else None
    if product is None:
        abort(404)
    # With htmx the product page stays: a line under the button and the header's count
    # (out of band). Without it: back to the product (Post/Redirect/Get) with a flash.
    if run(form, lambda: shop.add_to_cart(current_user, product, form.quantity.data)):
        if request.htmx:
            return render_template("orders/_added.html")
        flash(_("Added to the cart: %(name)s.", name=product.name), "success")
        return see_other(_back_to(url_for("orders.cart")))
    message = " ".join(str(e) for e in [*form.quantity.errors, *form.form_errors, *form.product_id.errors])
    if request.htmx:
        return render_template("orders/_added.html", error=message), 422
    flash(message, "error")
    return redirect(_back_to(url_for("orders.cart")), 303)


@bp.route("/cart", methods=["GET", "POST"])
@login_required
def cart():
    """The cart, grouped by store, with one checkout form for all of it."""
    if request.method == "POST":
        return dispatch(checkout=checkout)
    return _cart_page()


@bp.post("/cart/items/<int:item_id>")
@login_required
def update(item_id: int):
    """Change a line's quantity (0 removes it)."""
    item = db.session.get(CartItem, item_id)
    if item is None or item.user_id != current_user.id:
        abort(404)
    form = QuantityForm()
    if run(form, lambda: shop.set_quantity(item, form.quantity.data)):
        return see_other(url_for("orders.cart"))
    return _cart_page(status=422, item_errors={item_id: " ".join(str(e) for e in
                                                                  [*form.quantity.errors, *form.form_errors])})


@bp.post("/cart/checkout")
@login_required
def checkout():
    """Place one order per store; a retry with the same key gives the same orders."""
    items = shop.cart(current_user)
    member_of = shop.active_memberships(current_user)
    groups = _group(items)
    form = checkout_form(groups, member_of)

    def choices_for():
        return {store.id: Choice(fulfilment=form[f"fulfilment-{store.id}"].data or "pickup",
                                 payment=form[f"payment-{store.id}"].data or "cash",
                                 address=form[f"address-{store.id}"].data)
                for store, _lines, _sum in groups}

    done = run(form, lambda: shop.checkout(current_user, choices_for(), key=form.key.data))
    if done and done.value.adjusted:
        form.form_errors.append(_("Some items changed since you added them: %(names)s. Your cart now shows the "
                                  "current price and stock; check it and confirm again.",
                                  names=", ".join(done.value.adjusted)))
        return _cart_page(form, 422)
    if done:
        numbers = ", ".join(o.number for o in done.value.orders)
        flash(_("Order placed: %(numbers)s. The seller will confirm it.", numbers=numbers), "success")
        return see_other(url_for("orders.index"))
    return _cart_page(form, 422)


# ---------------------------------------------------------------- the buyer's orders

def _own_order(order_id: int) -> Order:
    order = db.session.get(Order, order_id)
    if order is None or order.buyer_id != current_user.id:
        abort(404)
    return order


@bp.get("/orders")
@login_required
def index():
    """My orders, newest first."""
    rows = db.session.scalars(sa.select(Order).where(Order.buyer_id == current_user.id)
                              .order_by(Order.created_at.desc(), Order.id.desc()).limit(100)).all()
    return render("orders/index.html", orders=rows)


@bp.route("/orders/<int:order_id>", methods=["GET", "POST"])
@login_required
def detail(order_id: int):
    """One of my orders: items, totals, history, the store's contact."""
    if request.method == "POST":
        return dispatch(cancel=cancel)
    order = _own_order(order_id)
    return render("orders/detail.html", order=order, form=Form(), offer=shop.offer(order, as_seller=False), **_labels())


@bp.post("/orders/<int:order_id>/cancel")
@login_required
def cancel(order_id: int):
    """Cancel my order while it is still new."""
    order = _own_order(order_id)
    form = Form()
    if run(form, lambda: shop.move(order, OrderStatus.CANCELLED, current_user, as_seller=False)):
        flash(_("Order %(number)s cancelled.", number=order.number), "success")
        return see_other(url_for("orders.detail", order_id=order_id))
    order = _own_order(order_id)
    return render("orders/detail.html", 422, order=order, form=form, offer=shop.offer(order, as_seller=False),
                  **_labels())


def _labels() -> dict:
    return {"fulfilment_labels": FULFILMENT_LABELS, "payment_labels": PAYMENT_LABELS,
            "status_labels": STATUS_LABELS, "wa_link": wa_link}


# ---------------------------------------------------------------- the seller's order desk

def _seller_order(order_id: int) -> Order:
    order = db.session.get(Order, order_id)
    if order is None or order.store.owner_id != current_user.id:
        abort(404)
    return order


def _seller_page(order: Order, form: ReasonForm, status: int = 200):
    return render("orders/seller_detail.html", status, order=order, form=form, offer=shop.offer(order, as_seller=True),
                  deduction=capital.deduction_of(order.id),
                  refundable=order.status == OrderStatus.COMPLETED and order.store.membership_id is not None,
                  **_labels())


@bp.get("/seller/orders")
@login_required
def seller_orders():
    """Orders for my stores: new ones on top, SELLER_ORDERS_PER_PAGE a page."""
    mine = sa.select(Order).join(Store, Store.id == Order.store_id).where(Store.owner_id == current_user.id)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(mine.subquery()))
    page, pages = page_of(total, SELLER_ORDERS_PER_PAGE)
    rows = db.session.scalars(
        mine.order_by((Order.status == OrderStatus.NEW).desc(), Order.created_at.desc(), Order.id.desc())
        .limit(SELLER_ORDERS_PER_PAGE).offset((page - 1) * SELLER_ORDERS_PER_PAGE)).all()
    return render("orders/seller_index.html", orders=rows, total=total, page=page, pages=pages)


@bp.route("/seller/orders/<int:order_id>", methods=["GET", "POST"])
@login_required
def seller_order(order_id: int):
    """One order for my store, with the next steps."""
    if request.method == "POST":
        return dispatch(move=seller_move, paid=seller_paid, refund=seller_refund)
    return _seller_page(_seller_order(order_id), ReasonForm())


@bp.post("/seller/orders/<int:order_id>/move")
@login_required
def seller_move(order_id: int):
    """Accept, ready, on delivery, complete or cancel (with a reason)."""
    order = _seller_order(order_id)
    form = ReasonForm()
    if run(form, lambda: shop.move(order, form.to.data or "", current_user, as_seller=True,
                                   reason=form.reason.data or "")):
        flash(_("Order %(number)s: %(status)s.", number=order.number,
                status=STATUS_LABELS.get(form.to.data, form.to.data)), "success")
        return see_other(url_for("orders.seller_order", order_id=order_id))
    return _seller_page(_seller_order(order_id), form, 422)


@bp.post("/seller/orders/<int:order_id>/paid")
@login_required
def seller_paid(order_id: int):
    """The bank transfer arrived."""
    order = _seller_order(order_id)
    form = ReasonForm()
    if run(form, lambda: shop.mark_paid(order)):
        flash(_("Order %(number)s marked paid.", number=order.number), "success")
        return see_other(url_for("orders.seller_order", order_id=order_id))
    return _seller_page(_seller_order(order_id), form, 422)


@bp.post("/seller/orders/<int:order_id>/refund")
@login_required
def seller_refund(order_id: int):
    """Refund a completed order: the buyer's money back, and any share it paid into my loan taken back."""
    order = _seller_order(order_id)
    form = ReasonForm()
    if run(form, lambda: shop.refund(order, current_user, form.reason.data or "")):
        flash(_("Order %(number)s refunded.", number=order.number), "success")
        return see_other(url_for("orders.seller_order", order_id=order_id))
    return _seller_page(_seller_order(order_id), form, 422)


@bp.get("/seller/orders/badge")
@login_required
def badge():
    """How many new orders wait in my stores. The seller page no longer polls it (it shows the count
    when loaded; a new order reaches the seller as a notification and a push): a page kept from
    before asks once more and gets a badge that asks no more."""
    return render_template("orders/_badge.html", count=shop.new_orders_count(current_user.id))

