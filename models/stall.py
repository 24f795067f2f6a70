"""Paying at a fellow member's stall: a QR (or a short code) at the store, the member's
simpanan sukarela straight to the seller's.

Rules kept here:
- Every store has a short pay code (``Store.pay_code``, ``market.new_pay_code``: 7 characters
  without look-alikes); the store's QR encodes ``/pay/<code>``, and the code can be typed.
- A payment goes to an open (approved) store of a member (not the koperasi's own store), by an
  active member of the SAME koperasi who is not the store's owner: a store of another koperasi
  is refused until inter-koperasi settlement exists.
- The payer's sukarela goes to the seller's sukarela in ONE balanced entry; the payer's
  balance is checked and taken in one conditional UPDATE (``ledger.debit_savings``), so two
  payments at once never overdraw. A retried form (same key) returns the first payment; the
  key sent with another store or amount is refused (``models.keys``).
- A payment counts like a completed marketplace purchase: for the payer's SHU transactions
  (``MemberTransaction`` with ``stall_payment_id``) and for the store's sales record.
- Both members' rows are locked first, in id order (``dues.lock_members``), as a resignation's
  confirmation locks the leaving member's: a payment to a seller whose resignation is being confirmed
  comes before the refund of their savings (and is refunded with them) or after it (and is refused),
  never in between; and two payments (or a payment and a refund) between the same two members in
  opposite directions wait for each other instead of deadlocking on their balances.
- Payer and seller are both told at once (``notify``), in the payment's transaction.
- A store with a pledged working-capital loan pays its share of each payment into the loan,
  as of a completed order (``models.capital``); a refund leaves the share there.
- The seller refunds a payment once, for at most what was paid: one balanced entry back from
  the seller's sukarela; the refunded part no longer counts for SHU nor as a sale. The
  "once" is one conditional UPDATE, so two refunds at once cannot both pass.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import capital, dues
from models.accounts import User
from models.base import db, utcnow
from models.errors import DomainError, reason_given
from models.keys import fingerprint
from models.koperasi import Koperasi
from models.ledger import SAVINGS, Entry, Leg, check_amount, credit_savings, debit_savings, idempotent, post
from models.market import Store, StoreStatus
from models.membership import Membership, MemberStatus, held_by
from models.money import idr
from models.notifications import Kind, notify
from models.transactions import MemberTransaction

SUKARELA = SAVINGS["sukarela"]
NOT_A_STORE = _l("This code is not a Kopz store. Check the code on the store's sign and type it again.")


def normal_code(typed: str | None) -> str:
    """A typed code as stored: capitals, without spaces or dashes."""
    return "".join(ch for ch in (typed or "").upper() if ch.isascii() and ch.isalnum())


class StallPayment(db.Model):
    """One payment at a store from a member's sukarela: the money moved once, by ``entry_id``."""

    __table_args__ = (
        sa.Index("ix_stall_payment_store", "store_id", "id"),
        sa.Index("ix_stall_payment_payer", "payer_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(sa.String(24), unique=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
    koperasi_id: Mapped[int] = mapped_column(sa.ForeignKey("koperasi.id"), index=True)
    payer_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    payer_membership_id: Mapped[int] = mapped_column(sa.ForeignKey("membership.id"))
    seller_membership_id: Mapped[int] = mapped_column(sa.ForeignKey("membership.id"))
    amount_idr: Mapped[int] = mapped_column(sa.BigInteger)
    entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("entry.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    refunded_idr: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    refunded_at: Mapped[datetime | None]
    refund_reason: Mapped[str | None] = mapped_column(sa.String(200))
    refund_entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("entry.id"))

    store: Mapped[Store] = relationship(lazy="joined")
    payer: Mapped[User] = relationship(lazy="joined")

    @property
    def kept_idr(self) -> int:
        """What the seller keeps: the payment less its refund."""
        return self.amount_idr - self.refunded_idr


# ---------------------------------------------------------------- finding the store

def store_by_code(typed: str | None) -> Store | None:
    code = normal_code(typed)
    if not code or len(code) > 16:
        return None
    return db.session.scalar(sa.select(Store).where(Store.pay_code == code))


def payer_membership(store: Store, payer: User) -> Membership:
    """The payer's active membership in the store's koperasi; refused with the reason otherwise
    (a store that is not open, the koperasi's own store, another koperasi's store, one's own store)."""
    if store.status != StoreStatus.APPROVED or store.membership_id is None:
        raise DomainError(_l("%(store)s does not take payments from savings now.", store=store.name))
    if store.owner_id == payer.id:
        raise DomainError(_l("This is your own store: a buyer pays here, not you."))
    membership = db.session.scalar(sa.select(Membership).where(
        held_by(payer.id), Membership.koperasi_id == store.koperasi_id, Membership.status == MemberStatus.ACTIVE))
    if membership is None:
        raise DomainError(_l("%(store)s belongs to %(koperasi)s, where you are not an active member. Paying a "
                             "store of another koperasi from your savings is not possible yet: only stores of "
                             "your own koperasi.", store=store.name, koperasi=store.koperasi.name))
    return membership


# ---------------------------------------------------------------- paying

def pay(store: Store, payer: User, amount: int, key: str | None) -> StallPayment:
    """The payer's sukarela to the seller's, once per key (module rules)."""
    membership = payer_membership(store, payer)
    koperasi = store.koperasi
    once = fingerprint("stall_payment", payer, store=store.id, amount=amount)

    def run() -> Entry:
        check_amount(amount)
        dues.lock_members([membership.id, store.membership_id])  # see the module rules: a resignation waits
        debit_savings(membership.id, "sukarela", amount, _l("Your simpanan sukarela holds %(balance)s: not enough for "
                                                            "%(amount)s. Nothing was paid."))
        credit_savings(store.membership_id, "sukarela", amount)
        payment = StallPayment(store_id=store.id, koperasi_id=store.koperasi_id, payer_id=payer.id,
                               payer_membership_id=membership.id, seller_membership_id=store.membership_id,
                               amount_idr=amount)
        db.session.add(payment)
        db.session.flush()
        payment.number = f"PAY-{payment.created_at:%y%m%d}-{payment.id:06d}"
        entry = post(koperasi, "stall_payment", [Leg(SUKARELA, amount, membership_id=membership.id),
                                                 Leg(SUKARELA, -amount, membership_id=store.membership_id)],
                     by=payer, memo=f"{payment.number} {store.name}", membership_id=membership.id, key=key,
                     fingerprint=once)
        payment.entry_id = entry.id
        db.session.add(MemberTransaction(koperasi_id=store.koperasi_id, membership_id=membership.id,
                                         amount_idr=amount, stall_payment_id=payment.id))
        capital.deduct_from_payment(payment, None)  # the seller's pledged share to their working-capital loan
        params = {"number": payment.number, "store": store.name, "amount": amount, "payer": payer.full_name}
        notify(payer.id, Kind.STALL_PAID, koperasi_id=store.koperasi_id, params=params,
               url=f"/pay/receipts/{payment.id}")
        notify(store.owner_id, Kind.STALL_RECEIVED, koperasi_id=store.koperasi_id, params=params,
               url=f"/pay/receipts/{payment.id}")
        db.session.flush()
        return entry

    entry = idempotent(koperasi, key, once, run)
    return db.session.scalar(sa.select(StallPayment).where(StallPayment.entry_id == entry.id))


# ---------------------------------------------------------------- refunding

def refund(payment: StallPayment, by: User, amount: int, reason: str, key: str | None) -> StallPayment:
    """The seller gives back at most what was paid, once (module rules)."""
    if payment.store.owner_id != by.id:
        raise DomainError(_l("Only the store's owner refunds its payments."))
    koperasi = db.session.get(Koperasi, payment.koperasi_id)
    payment_id = payment.id
    once = fingerprint("stall_refund", by, payment=payment_id, amount=amount)

    def run() -> Entry:
        text = reason_given(reason, _l("Tell the buyer why the payment is refunded."))
        check_amount(amount)
        paid = db.session.get(StallPayment, payment_id)
        if amount > paid.amount_idr:
            raise DomainError(_l("A refund is at most the %(amount)s paid.", amount=idr(paid.amount_idr)),
                              field="amount")
        taken = db.session.execute(  # the "once": two refunds at once, one passes
            sa.update(StallPayment).where(StallPayment.id == payment_id, StallPayment.refunded_at.is_(None))
            .values(refunded_at=utcnow(), refunded_idr=amount, refund_reason=text)
            .execution_options(synchronize_session=False)).rowcount
        if taken != 1:
            raise DomainError(_l("This payment was already refunded."))
        dues.lock_members([paid.payer_membership_id, paid.seller_membership_id])
        try:
            debit_savings(paid.seller_membership_id, "sukarela", amount)
        except DomainError:
            raise DomainError(_l("Your simpanan sukarela holds less than %(amount)s: deposit first, then refund.",
                                 amount=idr(amount)), field="amount") from None
        credit_savings(paid.payer_membership_id, "sukarela", amount)
        entry = post(koperasi, "stall_refund", [Leg(SUKARELA, amount, membership_id=paid.seller_membership_id),
                                                Leg(SUKARELA, -amount, membership_id=paid.payer_membership_id)],
                     by=by, memo=paid.number or "", membership_id=paid.payer_membership_id, key=key,
                     fingerprint=once)
        db.session.execute(sa.update(StallPayment).where(StallPayment.id == payment_id)
                           .values(refund_entry_id=entry.id).execution_options(synchronize_session=False))
        db.session.add(MemberTransaction(koperasi_id=paid.koperasi_id, membership_id=paid.payer_membership_id,
                                         amount_idr=-amount, stall_payment_id=payment_id))
        notify(paid.payer_id, Kind.STALL_REFUNDED, koperasi_id=paid.koperasi_id,
               params={"number": paid.number, "store": paid.store.name, "amount": amount, "reason": text},
               url=f"/pay/receipts/{payment_id}")
        db.session.flush()
        return entry

    idempotent(koperasi, key, once, run)
    db.session.expire_all()
    return db.session.get(StallPayment, payment_id)


# ---------------------------------------------------------------- lists

def of_store(store_id: int, limit: int = 20) -> list[StallPayment]:
    """The store's latest payments, newest first (``ix_stall_payment_store``)."""
    return list(db.session.scalars(sa.select(StallPayment).where(StallPayment.store_id == store_id)
                                   .order_by(StallPayment.id.desc()).limit(limit)))


def of_payer(user_id: int, limit: int = 10) -> list[StallPayment]:
    return list(db.session.scalars(sa.select(StallPayment).where(StallPayment.payer_id == user_id)
                                   .order_by(StallPayment.id.desc()).limit(limit)))


def visible_to(payment_id: int, user: User) -> StallPayment | None:
    """A payment for its payer or the store's owner; anyone else's does not exist for them."""
    payment = db.session.get(StallPayment, payment_id)
    if payment is None or user.id not in (payment.payer_id, payment.store.owner_id):
        return None
    return payment


class Sale(NamedTuple):
    """A payment as the sales record reads an order: (id, buyer, total, status, when)."""

    id: str  # "p<payment id>": never the same as an order's id
    buyer_id: int
    total_idr: int
    status: str
    at: datetime


def sales_events(store_id: int, start: datetime, end: datetime) -> list[Sale]:
    """The store's payments as sales for its record: a completed sale of the amount kept, in the
    month paid, for payments in [start, end) that kept something; a cancellation, in the month
    refunded, for whole refunds in [start, end). One query."""
    rows = db.session.execute(sa.select(StallPayment.id, StallPayment.payer_id, StallPayment.amount_idr,
                                        StallPayment.refunded_idr, StallPayment.created_at, StallPayment.refunded_at)
                              .where(StallPayment.store_id == store_id, sa.or_(
                                  sa.and_(StallPayment.created_at >= start, StallPayment.created_at < end),
                                  sa.and_(StallPayment.refunded_at >= start, StallPayment.refunded_at < end))))
    events = []
    for pid, payer, amount, refunded, paid_at, refunded_at in rows:
        if amount > refunded and start <= paid_at < end:
            events.append(Sale(f"p{pid}", payer, amount - refunded, "completed", paid_at))
        if refunded == amount and refunded_at and start <= refunded_at < end:
            events.append(Sale(f"p{pid}", payer, 0, "cancelled", refunded_at))
    return events
