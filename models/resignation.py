"""Leaving a koperasi: the flow above membership, savings, loans and the marketplace.

Rules kept here:
- A member asks to resign, and staff confirm, only when nothing is left open in that
  koperasi: no loan being repaid, no marketplace order in progress, as buyer (paid
  through this membership) or as seller (in the member's store there).
- Confirming refunds pokok, wajib and sukarela in one entry (the only posting a
  membership takes once it is no longer a member's: see ``ledger.post``), marks the
  membership resigned and closes the member's stores in the koperasi, so nothing can
  be sold, paid or credited to it afterwards.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from models.accounts import User
from models.base import db
from models.errors import DomainError
from models.keys import fingerprint
from models.ledger import MEANS, SAVINGS, Entry, Leg, balances, debit_savings, post
from models.loans import has_open_loans
from models.market import Store, StoreStatus
from models.membership import Membership, mark_resigned, request_resignation
from models.orders import Order, OrderStatus

DONE = (OrderStatus.COMPLETED, OrderStatus.CANCELLED)


def refund_all(membership: Membership, by: User | None, key: str | None = None) -> Entry | None:
    """On resignation (loans settled first, see ``confirm``): every savings balance back
    in one entry, the only posting to a membership that is no longer open."""
    held = {kind: amount for kind, amount in balances(membership.id).items() if amount}
    if not held:
        return None
    for kind, amount in held.items():
        debit_savings(membership.id, kind, amount)
    legs = [Leg(SAVINGS[kind], amount, membership_id=membership.id) for kind, amount in held.items()]
    legs.append(Leg(MEANS["cash"], -sum(held.values())))
    return post(membership.koperasi, "refund", legs, by=by, memo="resignation", membership_id=membership.id,
                key=key, membership_status=("resigning",), fingerprint=fingerprint("refund", by, membership=membership.id))


def open_orders(membership: Membership) -> int:
    """Orders still in progress that this membership buys with or sells through."""
    stores = sa.select(Store.id).where(Store.membership_id == membership.id)
    return db.session.scalar(sa.select(sa.func.count()).select_from(Order).where(
        Order.status.not_in(DONE),
        sa.or_(Order.buyer_membership_id == membership.id, Order.store_id.in_(stores))))


def _nothing_open(membership: Membership) -> None:
    if has_open_loans(membership):
        raise DomainError(_l("Settle the member's loans before the resignation."))
    if open_orders(membership):
        raise DomainError(_l("Finish or cancel the member's marketplace orders (as buyer or seller) before "
                             "the resignation."))


def request(membership: Membership) -> None:
    """The member asks to resign."""
    _nothing_open(membership)
    request_resignation(membership)


def confirm(membership: Membership, staff_user: User, key: str | None = None) -> None:
    """Staff confirm: everything settled, savings refunded in one entry, stores closed."""
    _nothing_open(membership)
    refund_all(membership, staff_user, key)
    mark_resigned(membership)
    db.session.execute(sa.update(Store).where(Store.membership_id == membership.id)
                       .values(status=StoreStatus.CLOSED))
    db.session.flush()
