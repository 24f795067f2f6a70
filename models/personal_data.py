"""A person's rights over their data (UU PDP 27/2022): a copy of it, and its deletion.

Rules kept here:
- The copy (``collect``) holds everything Kopz keeps about the account holder and nothing of
  anyone else: their account, sign-in sessions, consents, orders, and each membership the
  koperasi has confirmed as theirs (an imported one awaiting their claim may be someone else's)
  with its savings lines, balances and loans.
- Deletion (``erase``) is carried out at once, by the person, after their password: there is
  nothing for anyone to decide once these hold, and a queue would only delay it. It is refused,
  with the reason, while the person still has something open that needs them: a membership
  (resign first: the koperasi refunds the savings when it confirms), savings not paid out, a loan
  not settled (written off counts: it is still owed), an order in progress, or a staff role.
- Deleting keeps the books: entries, loans and orders stay (a koperasi must keep its books for
  10 years, UU 8/1997), so the ledger still balances; the person in them is pseudonymised. Names
  become "Anggota dihapus #id"; NIK, address, birth date, gender, region, occupation, business
  name, e-mail, mobile number, delivery addresses and KTP photos are cleared; the account is
  disabled and every session ended; notifications and push subscriptions go. Consents stay, as
  proof of what was agreed. Each koperasi's history records that a member's data was erased.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from models import consent, documents, sessions
from models.accounts import User, placeholder_for
from models.base import db, utcnow
from models.errors import DomainError
from models.koperasi import Staff, record
from models.ledger import balances
from models.loans import Loan, LoanStatus
from models.market import Store
from models.membership import Membership, MemberStatus, confirmed, held_by, withdraw
from models.notifications import Notification
from models.orders import Order, OrderStatus
from models.push import PushSubscription
from models.statement import oldest_first

ERASED = "erased"  # a session's ended_reason
OWING = (LoanStatus.APPLIED, LoanStatus.APPROVED, LoanStatus.ACTIVE, LoanStatus.WRITTEN_OFF)
MEMBER = (MemberStatus.APPROVED, MemberStatus.ACTIVE, MemberStatus.RESIGNING)
DONE_ORDERS = (OrderStatus.COMPLETED, OrderStatus.CANCELLED)
# Never in a copy: secrets and internal keys.
HIDDEN = {"password_hash", "token_hash", "checkout_key", "idempotency_fingerprint", "nik_hash", "koperasi_id",
          "user_id", "buyer_id", "decided_by_id"}


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _row(obj) -> dict:
    """A row's columns as plain values, without the ``HIDDEN`` ones."""
    return {c.key: _plain(getattr(obj, c.key)) for c in sa.inspect(obj).mapper.column_attrs if c.key not in HIDDEN}


def _membership(m: Membership) -> dict:
    loans = db.session.scalars(sa.select(Loan).where(Loan.membership_id == m.id).order_by(Loan.id))
    return {**_row(m), "koperasi": m.koperasi.name,
            "savings_balances": balances(m.id),
            "savings_lines": [{"posted_at": line.posted_at.isoformat(), "ref": line.ref, "kind": line.kind,
                               "entry_kind": line.entry_kind, "amount": line.amount, "balance": line.balance}
                              for line in oldest_first(m.id)],
            "loans": [{**_row(loan), "product": loan.product.name,
                       "instalments": [_row(i) for i in loan.instalments]} for loan in loans]}


def collect(user: User) -> dict:
    """Everything kept about this account holder (module docstring), as plain JSON values."""
    memberships = db.session.scalars(sa.select(Membership).where(held_by(user.id)).order_by(Membership.id))
    orders = db.session.scalars(sa.select(Order).where(Order.buyer_id == user.id).order_by(Order.id))
    return {
        "account": _row(user),
        "memberships": [_membership(m) for m in memberships],
        "orders": [{**_row(o), "store": o.store.name, "items": [_row(i) for i in o.items]} for o in orders],
        "consents": [{**_row(c), "purpose_text": str(c.purpose_label)} for c in consent.of_user(user.id)],
        "sessions": [_row(s) for s in db.session.scalars(
            sa.select(sessions.UserSession).where(sessions.UserSession.user_id == user.id)
            .order_by(sessions.UserSession.id))],
    }


def flat(data, path: str = "") -> list[tuple[str, str]]:
    """The copy as (path, value) rows for a spreadsheet: ``memberships.0.loans.1.status``."""
    if isinstance(data, dict):
        return [row for key, value in data.items() for row in flat(value, f"{path}.{key}" if path else key)]
    if isinstance(data, list):
        return [row for n, value in enumerate(data) for row in flat(value, f"{path}.{n}")]
    return [(path, "" if data is None else str(data))]


# ---------------------------------------------------------------- deletion

def blockers(user: User) -> list:
    """Why this person's data cannot be erased yet (module docstring); empty when it can."""
    out = []
    if user.is_platform_admin or db.session.scalar(sa.select(Staff.id).where(Staff.user_id == user.id).limit(1)):
        out.append(_l("You are on the staff of a koperasi or of Kopz: ask to be removed from the staff first."))
    for m in db.session.scalars(sa.select(Membership).where(held_by(user.id)).order_by(Membership.id)):
        name = m.koperasi.name
        if m.status in MEMBER:
            out.append(_l("You are still a member of %(name)s: resign there first (the koperasi refunds your "
                          "savings when it confirms).", name=name))
        elif any(balances(m.id).values()):
            out.append(_l("You still have savings at %(name)s: ask the koperasi to pay them out first.", name=name))
        if db.session.scalar(sa.select(Loan.id).where(Loan.membership_id == m.id, Loan.status.in_(OWING)).limit(1)):
            out.append(_l("A loan at %(name)s is not settled yet: pay it off first.", name=name))
    stores = sa.select(Store.id).where(Store.owner_id == user.id)
    if db.session.scalar(sa.select(Order.id).where(sa.or_(Order.buyer_id == user.id, Order.store_id.in_(stores)),
                                                   Order.status.not_in(DONE_ORDERS)).limit(1)):
        out.append(_l("An order is still in progress: wait until it is completed or cancelled."))
    return out


def erase(user: User, password: str, ktp_folder: str) -> None:
    """Pseudonymise the person, keeping the books (module docstring); after their password."""
    if not user.check_password(password or ""):
        raise DomainError(_l("The password is not right."), field="password")
    problems = blockers(user)
    if problems:
        raise DomainError(" ".join(str(p) for p in problems))
    mobile = user.mobile
    gone = f"Anggota dihapus #{user.id}"
    user.full_name, user.mobile, user.email, user.password_hash = gone, f"hapus-{user.id}", None, "!"
    user.disabled_at, user.must_change_password = utcnow(), False
    db.session.flush()
    awaiting = db.session.scalars(sa.select(Membership).where(Membership.user_id == user.id, sa.not_(confirmed())))
    for m in awaiting:  # imported, never confirmed as theirs: kept for whoever owns the number
        m.user_id = placeholder_for(mobile, m.full_name).id
    own = list(db.session.scalars(sa.select(Membership).where(held_by(user.id))))
    for m in own:
        if m.status == MemberStatus.APPLIED:
            withdraw(m)
        m.full_name, m.nik, m.address, m.birth_date = f"Anggota dihapus #{m.id}", "", "", None
        m.gender = m.region_code = m.business_name = None
        m.occupation = ""
        record(m.koperasi, None, "member_erased", {"member": m.member_number or f"#{m.id}"})
    documents.forget_ktp([m.id for m in own], ktp_folder)
    db.session.execute(sa.update(Order).where(Order.buyer_id == user.id).values(delivery_address=None))
    sessions.end_all(user.id, ERASED)
    db.session.execute(sa.update(sessions.UserSession).where(sessions.UserSession.user_id == user.id)
                       .values(user_agent="", created_from=""))
    for table in (Notification, PushSubscription):
        db.session.execute(sa.delete(table).where(table.user_id == user.id))
    db.session.flush()
