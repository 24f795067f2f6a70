"""Leaving a koperasi: the flow above membership, savings, loans and the marketplace.

Rules kept here:
- A member asks to resign, and staff confirm, only when nothing is left open in that
  koperasi: no loan being repaid, no marketplace order in progress, as buyer (paid
  through this membership) or as seller (in the member's store there).
- With the member's consent (ticked when resigning, or recorded by staff at confirmation),
  loans being repaid do not hold the resignation up: at confirmation the member's savings
  pay each loan off at today's payoff (kompensasi; kind ``offset``: savings debited,
  sukarela first, then wajib, then pokok → late fees, interest and principal credited,
  the instalments settled as a payoff), and the rest is refunded. Savings that do not
  cover the payoffs refuse the confirmation, so nothing is left half-paid. Without consent
  the member may still ask, and the confirmation waits for the loans to be paid. A loan
  applied for or approved must be settled before asking.
- Withdrawals awaiting payout and top-ups waiting for a transfer are settled first (paid out or
  rejected; confirmed, rejected or cancelled): neither may be left for a closed membership.
- Confirming refunds pokok, wajib and sukarela in one entry (the only posting a
  membership takes once it is no longer a member's: see ``ledger.post``), marks the
  membership resigned and closes the member's stores in the koperasi, so nothing can
  be sold, paid or credited to it afterwards.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from models import dues, topups
from models.accounts import User
from models.base import db
from models.errors import DomainError
from models.keys import fingerprint
from models.koperasi import Koperasi
from models.ledger import MEANS, SAVINGS, Entry, Leg, Purpose, balances, debit_savings, lock, post
from models.loans import Loan, LoanStatus, finish_payment, payoff, settle
from models.market import Store, StoreStatus
from models.membership import Membership, mark_resigned, request_resignation
from models.money import idr
from models.orders import Order, OrderStatus
from models.withdrawals import awaiting_of
from models.zones import zone_of

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


OFFSET_ORDER = ("sukarela", "wajib", "pokok")  # the savings a kompensasi takes first


def _loans(membership: Membership, statuses) -> list[Loan]:
    return list(db.session.scalars(sa.select(Loan).where(Loan.membership_id == membership.id,
                                                         Loan.status.in_(statuses)).order_by(Loan.id)))


def _nothing_open(membership: Membership, repaying_ok: bool = False) -> None:
    """``repaying_ok``: a loan being repaid may wait (the request; confirming needs it paid or consent)."""
    if _loans(membership, (LoanStatus.APPLIED, LoanStatus.APPROVED)):
        raise DomainError(_l("Settle the member's loans before the resignation."))
    if not repaying_ok and _loans(membership, (LoanStatus.ACTIVE,)) and not membership.offset_consent:
        raise DomainError(_l("Settle the member's loans before the resignation, or record the member's consent "
                             "to pay them from their savings."))
    if open_orders(membership):
        raise DomainError(_l("Finish or cancel the member's marketplace orders (as buyer or seller) before "
                             "the resignation."))
    if awaiting_of(membership.id):  # held outside their savings: paid out or released first
        raise DomainError(_l("Pay out or reject the member's withdrawals awaiting payout before the resignation."))
    if topups.waiting_of(membership.id):  # the transfer may be on its way: it must land in their savings first
        raise DomainError(_l("Confirm or reject the member's top-ups by transfer that are waiting (or the member "
                             "cancels them) before the resignation."))


def request(membership: Membership, consent: bool = False) -> None:
    """The member asks to resign (``consent``: their savings may pay off their loans)."""
    if consent:
        membership.offset_consent = True
    dues.lock_members([membership.id])  # a top-up asked at the same moment comes first, or sees this (models.topups)
    _nothing_open(membership, repaying_ok=True)
    request_resignation(membership)


def offset_quote(membership: Membership, today: date | None = None) -> tuple[int, int]:
    """(what the loans being repaid cost to pay off today, the member's savings)."""
    today = today or zone_of(membership.koperasi).today()
    owing = sum(payoff(loan, today).total for loan in _loans(membership, (LoanStatus.ACTIVE,)))
    return owing, sum(balances(membership.id).values())


def offset_loans(membership: Membership, by: User | None, today: date | None = None) -> list[Entry]:
    """Kompensasi: the member's savings pay off each loan being repaid (module rules)."""
    koperasi = db.session.get(Koperasi, membership.koperasi_id)
    day = today or zone_of(koperasi).today()
    for loan in _loans(membership, (LoanStatus.ACTIVE,)):
        lock(Loan, loan.id)
    loans = _loans(membership, (LoanStatus.ACTIVE,))
    owing, held = offset_quote(membership, day)
    if owing > held:
        raise DomainError(_l("The member's savings (%(held)s) do not cover the loans' payoff (%(owing)s): the "
                             "member pays the difference first.", held=idr(held), owing=idr(owing)))
    entries = []
    for loan in loans:
        amount = payoff(loan, day).total
        parts = settle(loan, amount, day)
        legs, held = [], balances(membership.id)
        for kind in OFFSET_ORDER:
            take = min(held[kind], amount - sum(leg.amount for leg in legs))
            if take > 0:
                debit_savings(membership.id, kind, take)
                legs.append(Leg(SAVINGS[kind], take, membership_id=membership.id))
        legs += [Leg(Purpose.PENALTIES, -parts["late"], loan_id=loan.id),
                 Leg(Purpose.INTEREST, -parts["interest"], loan_id=loan.id),
                 Leg(Purpose.LOANS, -parts["principal"], loan_id=loan.id)]
        entry = post(koperasi, "offset", legs, by=by, memo="kompensasi", membership_id=membership.id,
                     loan_id=loan.id)
        finish_payment(loan, entry, parts["interest"])
        entries.append(entry)
    return entries


def confirm(membership: Membership, staff_user: User, key: str | None = None, consent: bool = False) -> None:
    """Staff confirm: loans settled (or offset with consent), savings refunded in one entry, stores closed.
    ``consent``: staff record the member's consent to the offset (e.g. signed at the counter)."""
    if consent:
        membership.offset_consent = True
    dues.lock_members([membership.id])  # a payment at their stall waits, or comes first (models.stall)
    _nothing_open(membership)
    if membership.offset_consent:
        offset_loans(membership, staff_user)
    refund_all(membership, staff_user, key)
    mark_resigned(membership)
    db.session.execute(sa.update(Store).where(Store.membership_id == membership.id)
                       .values(status=StoreStatus.CLOSED))
    db.session.flush()
