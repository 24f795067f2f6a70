"""Cart, checkout and orders in the marketplace.

Rules kept here:
- The cart is on the server, per user; a quantity never exceeds the stock.
- Checkout makes one order per store, in one transaction that also reserves the
  stock (one conditional UPDATE per line: two buyers cannot both get the last item)
  and, when paying from simpanan sukarela, moves the money in the same transaction.
  A changed price or stock since the item was added stops checkout and is shown.
- A retried checkout (same key) returns the orders it made the first time; the key
  sent with another cart (other lines or choices than it ordered) is refused.
- Money paid from savings waits in the koperasi's settlement account: it reaches the
  seller when the order is completed, and goes back to the buyer if it is cancelled.
- A completed sale of the koperasi's own store is booked in its books: savings
  payments from settlement, cash and cash-on-delivery into cash, transfers into the
  bank, each against store sales. (A member's own store keeps its cash outside the
  koperasi's books.)
- Status moves only along the allowed paths; each move is recorded, and the other side
  is notified (the seller of a new order or of the buyer's cancelling, the buyer of every
  move the seller makes), in the same transaction.
- A completed purchase by a member of the store's koperasi counts as their
  transaction with that koperasi (for SHU).
- A completed order of a member's store paid from savings pays the seller's pledged share
  into their working-capital loan (``models.capital``). The seller may refund a completed
  order (``refund``): stock back, a savings payment back to the buyer from the seller's
  sukarela, the loan's share of it taken back first, the purchase no longer counted for SHU.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import capital, catalogue
from models.accounts import User
from models.base import db, utcnow
from models.crypto import Encrypted
from models.errors import DomainError
from models.keys import fingerprint, same
from models.koperasi import Koperasi
from models.ledger import SAVINGS, Leg, Purpose, credit_savings, debit_savings, lock, post
from models.market import Product, Store
from models.membership import Membership, MemberStatus, held_by
from models.money import idr
from models.notifications import Kind, notify
from models.transactions import MemberTransaction

MAX_QUANTITY = 999


class OrderStatus(enum.StrEnum):
    NEW = "new"
    ACCEPTED = "accepted"
    READY = "ready"  # ready for pickup
    DELIVERING = "delivering"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


STATUS_LABELS = {
    OrderStatus.NEW: _l("New"),
    OrderStatus.ACCEPTED: _l("Accepted"),
    OrderStatus.READY: _l("Ready for pickup"),
    OrderStatus.DELIVERING: _l("On delivery"),
    OrderStatus.COMPLETED: _l("Completed"),
    OrderStatus.CANCELLED: _l("Cancelled"),
}
FULFILMENT_LABELS = {"pickup": _l("Pickup at the store"), "delivery": _l("Seller delivers"),
                     "cod": _l("Cash on delivery")}
PAYMENT_LABELS = {"cash": _l("Cash on pickup or delivery"), "transfer": _l("Bank transfer"),
                  "savings": _l("From my simpanan sukarela")}
# Who may move an order from one status to the next.
SELLER_MOVES = {
    OrderStatus.NEW: {OrderStatus.ACCEPTED, OrderStatus.CANCELLED},
    OrderStatus.ACCEPTED: {OrderStatus.READY, OrderStatus.DELIVERING, OrderStatus.CANCELLED},
    OrderStatus.READY: {OrderStatus.COMPLETED, OrderStatus.CANCELLED},
    OrderStatus.DELIVERING: {OrderStatus.COMPLETED, OrderStatus.CANCELLED},
}
BUYER_MOVES = {OrderStatus.NEW: {OrderStatus.CANCELLED}}


class CartItem(db.Model):
    __table_args__ = (sa.UniqueConstraint("user_id", "product_id", name="uq_cart_item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("product.id", ondelete="CASCADE"))
    quantity: Mapped[int]
    price_seen_idr: Mapped[int] = mapped_column(sa.BigInteger)  # the price shown when added
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    product: Mapped[Product] = relationship(lazy="joined")


class Order(db.Model):
    __tablename__ = "market_order"  # "order" is an SQL keyword
    __table_args__ = (
        sa.UniqueConstraint("buyer_id", "checkout_key", "store_id", name="uq_order_checkout"),
        sa.Index("ix_order_store_status", "store_id", "status", "created_at"),
        sa.Index("ix_order_buyer", "buyer_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(sa.String(24), unique=True)
    buyer_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
    koperasi_id: Mapped[int] = mapped_column(sa.ForeignKey("koperasi.id"), index=True)
    buyer_membership_id: Mapped[int | None] = mapped_column(sa.ForeignKey("membership.id"))
    status: Mapped[str] = mapped_column(sa.String(12), default=OrderStatus.NEW)
    fulfilment: Mapped[str] = mapped_column(sa.String(10))
    delivery_address: Mapped[str | None] = mapped_column(Encrypted())  # personal data (models.crypto)
    delivery_fee_idr: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    payment: Mapped[str] = mapped_column(sa.String(10))
    paid_at: Mapped[datetime | None]
    subtotal_idr: Mapped[int] = mapped_column(sa.BigInteger)
    total_idr: Mapped[int] = mapped_column(sa.BigInteger)
    checkout_key: Mapped[str] = mapped_column(sa.String(64))
    idempotency_fingerprint: Mapped[str | None] = mapped_column(sa.String(64))  # of the cart it ordered
    cancel_reason: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    store: Mapped[Store] = relationship(lazy="joined")
    buyer: Mapped[User] = relationship(lazy="joined")
    items: Mapped[list[OrderItem]] = relationship(lazy="selectin", order_by="OrderItem.id")
    events: Mapped[list[OrderEvent]] = relationship(lazy="selectin", order_by="OrderEvent.id")

    @property
    def status_label(self):
        return STATUS_LABELS.get(self.status, self.status)


class OrderItem(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("market_order.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("product.id"))
    name: Mapped[str] = mapped_column(sa.String(120))
    unit: Mapped[str] = mapped_column(sa.String(20))
    price_idr: Mapped[int] = mapped_column(sa.BigInteger)
    quantity: Mapped[int]


class OrderEvent(db.Model):
    """The order's status history: append-only."""

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("market_order.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(sa.String(12))
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)


# ---------------------------------------------------------------- prices and the cart

def active_memberships(user: User) -> dict[int, int]:
    """{koperasi id: membership id} where the user is an active member."""
    if not user or not user.is_authenticated:
        return {}
    return dict(db.session.execute(sa.select(Membership.koperasi_id, Membership.id).where(
        held_by(user.id), Membership.status == MemberStatus.ACTIVE)).all())


def price_for(product: Product, member_of: dict[int, int]) -> int:
    """The member price applies to members of the store's koperasi."""
    if product.member_price_idr and product.koperasi_id in member_of:
        return product.member_price_idr
    return product.price_idr


def _check_quantity(product: Product, quantity: int) -> None:
    if catalogue.listed_product(product.id) is None:
        raise DomainError(_l("This product is not for sale now."))
    if not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
        raise DomainError(_l("Choose a quantity from 1."), field="quantity")
    if quantity > product.stock:
        raise DomainError(_l("Only %(n)s left in stock.", n=product.stock), field="quantity")


def add_to_cart(user: User, product: Product, quantity: int) -> CartItem:
    """Add (or add more of) a product; the quantity is limited to the stock."""
    item = db.session.scalar(sa.select(CartItem).where(CartItem.user_id == user.id,
                                                       CartItem.product_id == product.id))
    total = quantity + (item.quantity if item else 0) if isinstance(quantity, int) else quantity
    _check_quantity(product, total)
    price = price_for(product, active_memberships(user))
    if item is None:
        item = CartItem(user_id=user.id, product_id=product.id, quantity=total, price_seen_idr=price)
        db.session.add(item)
    else:
        item.quantity, item.price_seen_idr = total, price
    db.session.flush()
    return item


def set_quantity(item: CartItem, quantity: int) -> None:
    if quantity == 0:
        db.session.delete(item)
        return
    _check_quantity(item.product, quantity)
    item.quantity = quantity


def cart(user: User) -> list[CartItem]:
    return list(db.session.scalars(sa.select(CartItem).where(CartItem.user_id == user.id)
                                   .order_by(CartItem.added_at, CartItem.id)))


# ---------------------------------------------------------------- checkout

@dataclass
class Choice:
    """The buyer's choice for one store's order."""

    fulfilment: str = "pickup"
    payment: str = "cash"
    address: str | None = None


def _delivery_fee(store: Store, choice: Choice) -> int:
    return store.delivery_fee_idr if choice.fulfilment in ("delivery", "cod") else 0


def _check_choice(store: Store, choice: Choice, member_of: dict[int, int]) -> None:
    allowed = {"pickup": store.pickup, "delivery": store.delivery_km is not None, "cod": store.cod}
    if not allowed.get(choice.fulfilment):
        raise DomainError(_l("%(store)s does not offer that way of getting the goods.", store=store.name),
                          field=f"fulfilment-{store.id}")
    if choice.fulfilment in ("delivery", "cod") and len((choice.address or "").strip()) < 10:
        raise DomainError(_l("Enter the delivery address for %(store)s.", store=store.name),
                          field=f"address-{store.id}")
    if choice.payment not in PAYMENT_LABELS:
        raise DomainError(_l("Choose how to pay."), field=f"payment-{store.id}")
    if choice.payment == "savings" and store.koperasi_id not in member_of:
        raise DomainError(_l("Paying from savings needs an active membership in %(koperasi)s.",
                             koperasi=store.koperasi.name), field=f"payment-{store.id}")


@dataclass
class Checkout:
    """What a checkout did: the orders it placed, or (instead) the cart lines it had to
    adjust because the price, the stock or the product's availability changed."""

    orders: list[Order]
    adjusted: list[str]


def _adjust(items: list[CartItem], member_of: dict[int, int]) -> list[str]:
    """Bring the cart up to date; the names of the lines that changed."""
    listed = {p.id: p for p in db.session.scalars(
        catalogue.listed_query().where(Product.id.in_([i.product_id for i in items]))).unique()}
    changed = []
    for item in items:
        product = listed.get(item.product_id)
        if product is None or product.stock < 1:
            changed.append(item.product.name)
            db.session.delete(item)
            continue
        price = price_for(product, member_of)
        if price != item.price_seen_idr or item.quantity > product.stock:
            changed.append(product.name)
            item.price_seen_idr, item.quantity = price, min(item.quantity, product.stock)
    return changed


def _fingerprint(user: User, items: list[CartItem], choices: dict[int, Choice]) -> str:
    """A checkout is its buyer, the cart's lines at the prices seen, and each store's choices."""
    chosen = {store_id: choices.get(store_id) or Choice() for store_id in {item.product.store_id for item in items}}
    picked = sorted((store_id, choice.fulfilment, choice.payment) for store_id, choice in chosen.items())
    lines = sorted((item.product_id, item.quantity, item.price_seen_idr) for item in items)
    return fingerprint("checkout", user, lines=lines, choices=picked)


def checkout(user: User, choices: dict[int, Choice], key: str) -> Checkout:
    """Turn the cart into one order per store, reserving stock and taking any savings
    payment in the same transaction. See the module docstring for the rules."""
    lock(User, user.id)  # one checkout per buyer at a time: a double tap waits here
    done = list(db.session.scalars(sa.select(Order).where(Order.buyer_id == user.id, Order.checkout_key == key)))
    items = cart(user)
    if done:
        # The checkout that made them emptied its cart: an empty cart is a retry; a cart
        # filled since is another checkout, unless it is the very same one.
        if items:
            same(done[0].idempotency_fingerprint, _fingerprint(user, items, choices))
        return Checkout(done, [])
    if not items:
        raise DomainError(_l("Your cart is empty."))
    member_of = active_memberships(user)
    if changed := _adjust(items, member_of):
        db.session.flush()
        return Checkout([], changed)
    once = _fingerprint(user, items, choices)
    by_store: dict[int, list[CartItem]] = {}
    for item in items:
        by_store.setdefault(item.product.store_id, []).append(item)
    orders = []
    for store_id, lines in by_store.items():
        store = lines[0].product.store
        choice = choices.get(store_id) or Choice()
        _check_choice(store, choice, member_of)
        subtotal = sum(item.price_seen_idr * item.quantity for item in lines)
        order = Order(buyer_id=user.id, store_id=store_id, koperasi_id=store.koperasi_id,
                      buyer_membership_id=member_of.get(store.koperasi_id), fulfilment=choice.fulfilment,
                      delivery_address=(choice.address or "").strip() or None,
                      delivery_fee_idr=_delivery_fee(store, choice), payment=choice.payment,
                      subtotal_idr=subtotal, total_idr=subtotal + _delivery_fee(store, choice), checkout_key=key,
                      idempotency_fingerprint=once)
        db.session.add(order)
        db.session.flush()
        order.number = f"ORD-{order.created_at:%y%m%d}-{order.id:06d}"
        for item in lines:
            reserved = db.session.execute(
                sa.update(Product).where(Product.id == item.product_id, Product.stock >= item.quantity,
                                         Product.active.is_(True))
                .values(stock=Product.stock - item.quantity)).rowcount
            if reserved != 1:
                raise DomainError(_l("%(name)s just sold out. Check your cart and confirm again.",
                                     name=item.product.name))
            db.session.add(OrderItem(order_id=order.id, product_id=item.product_id, name=item.product.name,
                                     unit=item.product.unit, price_idr=item.price_seen_idr, quantity=item.quantity))
        db.session.add(OrderEvent(order_id=order.id, status=OrderStatus.NEW, by_id=user.id))
        if choice.payment == "savings":
            _pay_from_savings(order)
        notify(store.owner_id, Kind.ORDER_RECEIVED, koperasi_id=store.koperasi_id,
               params={"number": order.number, "buyer": user.full_name, "store": store.name,
                       "amount": order.total_idr}, url=f"/seller/orders/{order.id}")
        orders.append(order)
    for item in items:
        db.session.delete(item)
    db.session.flush()
    return Checkout(orders, [])


def new_orders_count(owner_id: int) -> int:
    """How many orders wait for the seller's first answer, across the stores they own (one indexed count)."""
    return db.session.scalar(sa.select(sa.func.count(Order.id)).join(Store, Store.id == Order.store_id)
                             .where(Store.owner_id == owner_id, Order.status == OrderStatus.NEW))


def _koperasi(order: Order) -> Koperasi:
    return db.session.get(Koperasi, order.koperasi_id)


def _pay_from_savings(order: Order) -> None:
    """Buyer's sukarela → the koperasi's settlement account (held until completion)."""
    debit_savings(order.buyer_membership_id, "sukarela", order.total_idr)
    post(_koperasi(order), "purchase", [Leg(SAVINGS["sukarela"], order.total_idr,
                                            membership_id=order.buyer_membership_id),
                                        Leg(Purpose.SETTLEMENT, -order.total_idr)],
         by=order.buyer, memo=order.number or "", membership_id=order.buyer_membership_id)
    order.paid_at = utcnow()


# ---------------------------------------------------------------- status

@dataclass(frozen=True)
class Offer:
    """What an order's page offers, by the rules ``move`` and ``mark_paid`` keep."""

    moves: list[str]  # the next steps, in the order they happen (cancelling apart)
    cancel: bool
    mark_paid: bool


def offer(order: Order, as_seller: bool) -> Offer:
    """The buttons to show the seller (or the buyer) for this order now."""
    allowed = (SELLER_MOVES if as_seller else BUYER_MOVES).get(order.status, set())
    step = OrderStatus.READY if order.fulfilment == "pickup" else OrderStatus.DELIVERING
    moves = [to for to in (OrderStatus.ACCEPTED, step, OrderStatus.COMPLETED) if to in allowed]
    return Offer(moves, OrderStatus.CANCELLED in allowed, as_seller and _awaiting_transfer(order))


def _awaiting_transfer(order: Order) -> bool:
    return order.payment == "transfer" and not order.paid_at and order.status != OrderStatus.CANCELLED


def move(order: Order, to: str, by: User, as_seller: bool, reason: str = "") -> None:
    """Change an order's status along the allowed paths (seller or buyer)."""
    allowed = (SELLER_MOVES if as_seller else BUYER_MOVES).get(order.status, set())
    if to not in allowed:
        raise DomainError(_l("An order that is %(status)s cannot be moved to %(to)s.",
                             status=order.status_label, to=STATUS_LABELS.get(to, to)))
    if to == OrderStatus.READY and order.fulfilment != "pickup":
        raise DomainError(_l("Only pickup orders wait at the store; this one is delivered."))
    if to == OrderStatus.DELIVERING and order.fulfilment == "pickup":
        raise DomainError(_l("This order is picked up at the store."))
    reason = " ".join((reason or "").split())
    if to == OrderStatus.CANCELLED and as_seller and len(reason) < 5:
        raise DomainError(_l("Tell the buyer why the order is cancelled."), field="reason")
    lock(Order, order.id)
    order = db.session.get(Order, order.id)
    if to not in (SELLER_MOVES if as_seller else BUYER_MOVES).get(order.status, set()):
        raise DomainError(_l("This order was already updated: %(status)s.", status=order.status_label))
    if to == OrderStatus.CANCELLED:
        _cancel(order, by, reason)
    elif to == OrderStatus.COMPLETED:
        _complete(order, by)
    order.status = to
    db.session.add(OrderEvent(order_id=order.id, status=to, by_id=by.id, note=reason))
    # the other side hears of it: the buyer of the seller's move, the seller of the buyer's
    to_user, url = (order.buyer_id, f"/orders/{order.id}") if as_seller else (order.store.owner_id,
                                                                              f"/seller/orders/{order.id}")
    notify(to_user, Kind.ORDER_STATUS, koperasi_id=order.koperasi_id,
           params={"number": order.number, "store": order.store.name, "status": str(to), "reason": reason,
                   "by": "seller" if as_seller else "buyer"}, url=url)
    db.session.flush()


def _cancel(order: Order, by: User, reason: str) -> None:
    """Stock goes back; a savings payment goes back to the buyer."""
    for item in order.items:
        db.session.execute(sa.update(Product).where(Product.id == item.product_id)
                           .values(stock=Product.stock + item.quantity))
    if order.payment == "savings" and order.paid_at:
        credit_savings(order.buyer_membership_id, "sukarela", order.total_idr)
        post(_koperasi(order), "order_refund", [Leg(Purpose.SETTLEMENT, order.total_idr),
                                          Leg(SAVINGS["sukarela"], -order.total_idr,
                                              membership_id=order.buyer_membership_id)],
             by=by, memo=order.number or "", membership_id=order.buyer_membership_id)
    order.cancel_reason = reason or None


def _complete(order: Order, by: User) -> None:
    """A savings payment reaches the seller's sukarela (or the koperasi's own sales);
    a member's purchase is recorded for SHU."""
    seller = order.store.membership_id
    if order.payment == "savings":
        credit = (Leg(SAVINGS["sukarela"], -order.total_idr, membership_id=seller) if seller
                  else Leg(Purpose.SALES, -order.total_idr))
        if seller:
            credit_savings(seller, "sukarela", order.total_idr)
        post(_koperasi(order), "settlement", [Leg(Purpose.SETTLEMENT, order.total_idr), credit],
             by=by, memo=order.number or "", membership_id=seller)
        capital.deduct_from_sale(order, by)  # the seller's pledged share to their working-capital loan
    elif seller is None:  # the koperasi's own store took cash or a transfer
        into = Purpose.BANK if order.payment == "transfer" else Purpose.CASH
        post(_koperasi(order), "store_sale", [Leg(into, order.total_idr), Leg(Purpose.SALES, -order.total_idr)],
             by=by, memo=order.number or "")
    if not order.paid_at:
        order.paid_at = utcnow()  # cash, COD or transfer: paid by now
    if order.buyer_membership_id:
        db.session.add(MemberTransaction(koperasi_id=order.koperasi_id, membership_id=order.buyer_membership_id,
                                         amount_idr=order.subtotal_idr, order_id=order.id))


def mark_paid(order: Order) -> None:
    """The seller confirms a bank transfer arrived."""
    if not _awaiting_transfer(order):
        raise DomainError(_l("Only an unpaid bank-transfer order can be marked paid."))
    order.paid_at = utcnow()


def refund(order: Order, by: User, reason: str) -> None:
    """The seller refunds a completed order of their own (member's) store (module rules)."""
    reason = " ".join((reason or "").split())
    if len(reason) < 5:
        raise DomainError(_l("Tell the buyer why the order is refunded."), field="reason")
    lock(Order, order.id)
    order = db.session.get(Order, order.id)
    if order.status != OrderStatus.COMPLETED:
        raise DomainError(_l("Only a completed order can be refunded."))
    seller = order.store.membership_id
    if seller is None:
        raise DomainError(_l("The koperasi's own store refunds at the office."))
    for item in order.items:
        db.session.execute(sa.update(Product).where(Product.id == item.product_id)
                           .values(stock=Product.stock + item.quantity))
    if order.payment == "savings":
        capital.undo_for_order(order, by, reason)
        try:
            debit_savings(seller, "sukarela", order.total_idr)
        except DomainError:
            raise DomainError(_l("Your simpanan sukarela holds less than this order's %(amount)s: deposit first, "
                                 "then refund.", amount=idr(order.total_idr))) from None
        credit_savings(order.buyer_membership_id, "sukarela", order.total_idr)
        post(_koperasi(order), "order_refund", [Leg(SAVINGS["sukarela"], order.total_idr, membership_id=seller),
                                          Leg(SAVINGS["sukarela"], -order.total_idr,
                                              membership_id=order.buyer_membership_id)],
             by=by, memo=order.number or "", membership_id=order.buyer_membership_id)
    if order.buyer_membership_id:  # no longer the buyer's transaction with the koperasi (SHU)
        db.session.add(MemberTransaction(koperasi_id=order.koperasi_id, membership_id=order.buyer_membership_id,
                                         amount_idr=-order.subtotal_idr))
    order.status, order.cancel_reason = OrderStatus.CANCELLED, reason
    db.session.add(OrderEvent(order_id=order.id, status=OrderStatus.CANCELLED, by_id=by.id, note=reason))
    notify(order.buyer_id, Kind.ORDER_STATUS, koperasi_id=order.koperasi_id,
           params={"number": order.number, "store": order.store.name, "status": str(OrderStatus.CANCELLED),
                   "reason": reason, "by": "seller"}, url=f"/orders/{order.id}")
    db.session.flush()
