"""Topping up simpanan sukarela by bank transfer: the member asks, transfers, the teller confirms.

Rules kept here:
- Only an active member asks, in a koperasi that set its bank account (bank, number, holder:
  ``Koperasi.topup_bank_*``, set by the board, ``set_bank_account``); without one, top-ups are
  not available. A request is an amount plus a unique code of 1–999 Rupiah: the unique amount
  is never the same as another pending top-up's of that koperasi (a partial unique index, so two
  requests at once cannot take the same one), and a short reference (``T`` and 6 characters
  without look-alikes) for the transfer's note. A retried request (same key) is the first one;
  the key sent with another amount is refused.
- The photo of the transfer is re-encoded (``views.fields.take_pictures``) and kept privately
  (``models.private_files``): only the office sees it, through its own view.
- A request expires ``Koperasi.topup_expiry_hours`` after it was made (``expires_at``, fixed when
  made). No job is needed: a pending request past that time reads as expired everywhere
  (``Topup.state``), cannot be confirmed, and is marked so when a new request of that koperasi is
  made or by ``expire_stale`` (``flask topups-expire``).
- The teller (``Duty.CONFIRM_TOPUP``) confirms a pending request once it is seen on the bank
  statement: ONE deposit of the unique amount to the member's sukarela, from the koperasi's BANK
  account (``savings.deposit`` with means "bank"), and the member is told with the receipt. The
  "once" is one conditional UPDATE of the request's status: a retried confirm, or a second teller
  confirming at the same moment, gets the first confirm back and posts nothing more.
- The teller rejects a pending request with a reason the member reads (once, likewise); the
  member cancels their own pending request. A decided request stays as it is.
- A resignation waits until the member's requests still in time are confirmed, rejected or cancelled
  (``models.resignation``): the member may have transferred already, and a membership no longer
  active takes no deposit. Both lock the member's row first (``dues.lock_members``), so a request
  asked while the member resigns comes before the resignation's check or is refused.
- A bank statement (CSV, ``models.bank_statement``) proposes matches for several pending requests
  at once: a line whose description holds a request's reference and whose amount is its unique
  amount, or, without any request's reference (one no longer waiting included), the one pending
  request with exactly that unique amount. Each
  request and each line is matched at most once; the teller confirms the chosen ones, each
  confirm on its own as above.
"""

from __future__ import annotations

import enum
import hashlib
import re
import secrets
from datetime import datetime, timedelta
from typing import NamedTuple

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import bank_statement, dues, private_files, savings
from models.accounts import User
from models.base import db, utcnow
from models.errors import Checks, DomainError, reason_given
from models.keys import KeyReused
from models.koperasi import Koperasi, record
from models.ledger import Entry, check_amount
from models.market import PAY_CODE_ALPHABET
from models.membership import Membership, MemberStatus
from models.money import idr
from models.notifications import Kind, notify

PROOF_FOLDER = "topups"  # under the media folder, private
PROOF_MAX_BYTES = 8 * 1024 * 1024  # a phone camera's photo, or a screenshot of the bank app
PROOF_SIZE = (1600, 1600)
MAX_AMOUNT = 100_000_000  # more in one transfer: at the counter
MAX_CODE = 999
EXPIRY_HOURS = (1, 168)  # the setting's range: an hour to a week
REFERENCE_LENGTH = 6


class TopupStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


STATUS_LABELS = {
    TopupStatus.PENDING: _l("Waiting for your transfer"),
    TopupStatus.CONFIRMED: _l("Confirmed"),
    TopupStatus.REJECTED: _l("Rejected"),
    TopupStatus.CANCELLED: _l("Cancelled"),
    TopupStatus.EXPIRED: _l("Expired"),
}
PENDING_WHERE = sa.text("status = 'pending'")


class Topup(db.Model):
    """One request to add money to sukarela by bank transfer; the money moved once, by ``entry_id``."""

    __table_args__ = (
        sa.Index("uq_topup_pending_amount", "koperasi_id", "unique_amount_idr", unique=True,
                 sqlite_where=PENDING_WHERE, postgresql_where=PENDING_WHERE),
        sa.Index("ix_topup_koperasi_status", "koperasi_id", "status", "id"),
        sa.Index("ix_topup_membership", "membership_id", "id"),
        sa.UniqueConstraint("membership_id", "request_key", name="uq_topup_request_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    koperasi_id: Mapped[int] = mapped_column(sa.ForeignKey("koperasi.id"))
    membership_id: Mapped[int] = mapped_column(sa.ForeignKey("membership.id"))
    reference: Mapped[str] = mapped_column(sa.String(12), unique=True)
    amount_idr: Mapped[int] = mapped_column(sa.BigInteger)  # what the member asked for
    unique_amount_idr: Mapped[int] = mapped_column(sa.BigInteger)  # plus the code: what to transfer
    status: Mapped[str] = mapped_column(sa.String(10), default=TopupStatus.PENDING)
    request_key: Mapped[str | None] = mapped_column(sa.String(64))
    proof_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    reason: Mapped[str | None] = mapped_column(sa.String(200))
    entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("entry.id"), unique=True)

    membership: Mapped[Membership] = relationship(lazy="joined")
    entry: Mapped[Entry | None] = relationship()

    @property
    def code_idr(self) -> int:
        return self.unique_amount_idr - self.amount_idr

    def state(self, now: datetime | None = None) -> str:
        """The status as the member and the teller read it: a pending request past its time is expired."""
        if self.status == TopupStatus.PENDING and (now or utcnow()) >= self.expires_at:
            return TopupStatus.EXPIRED
        return self.status

    @property
    def state_label(self):
        return STATUS_LABELS[self.state()]


# ---------------------------------------------------------------- the koperasi's bank account

class BankAccount(NamedTuple):
    bank: str
    number: str
    holder: str


def bank_account(koperasi: Koperasi) -> BankAccount | None:
    """Where members transfer, or None: top-ups are not available until the board sets it."""
    parts = (koperasi.topup_bank_name, koperasi.topup_bank_account, koperasi.topup_bank_holder)
    return BankAccount(*parts) if all(parts) else None


def set_bank_account(koperasi: Koperasi, by: User, bank: str | None, number: str | None, holder: str | None,
                     hours: int | None) -> dict:
    """The board sets (or, all empty, clears) the account and the expiry; each change is recorded."""
    bank, holder = " ".join((bank or "").split())[:60], " ".join((holder or "").split())[:120]
    digits = re.sub(r"[\s.-]", "", number or "")
    checks = Checks()
    if any((bank, digits, holder)):
        with checks.catching():
            if not bank:
                raise DomainError(_l("Write the bank's name, for example BRI."), field="bank")
        with checks.catching():
            if not re.fullmatch(r"[0-9]{5,20}", digits):
                raise DomainError(_l("An account number is 5 to 20 digits."), field="number")
        with checks.catching():
            if not holder:
                raise DomainError(_l("Write the account holder's name as the bank shows it."), field="holder")
    with checks.catching():
        if hours is None or not EXPIRY_HOURS[0] <= hours <= EXPIRY_HOURS[1]:
            raise DomainError(_l("From %(low)s to %(high)s hours.", low=EXPIRY_HOURS[0], high=EXPIRY_HOURS[1]),
                              field="hours")
    checks.done()
    new = {"topup_bank_name": bank or None, "topup_bank_account": digits or None,
           "topup_bank_holder": holder or None, "topup_expiry_hours": hours}
    changes = {key: [getattr(koperasi, key), value] for key, value in new.items() if getattr(koperasi, key) != value}
    for key, (_old, value) in changes.items():
        setattr(koperasi, key, value)
    if changes:
        record(koperasi, by, "topup_account", changes)
    return changes


# ---------------------------------------------------------------- the member asks

def ask(membership: Membership, amount: int | None, key: str | None) -> Topup:
    """A new pending request with its unique amount and reference (module rules)."""
    if key and (first := db.session.scalar(sa.select(Topup).where(Topup.membership_id == membership.id,
                                                                  Topup.request_key == key))):
        if first.amount_idr != amount:
            raise KeyReused()  # the key was sent with another amount: nothing more is asked
        return first
    koperasi = membership.koperasi
    if bank_account(koperasi) is None:
        raise DomainError(_l("%(koperasi)s does not take top-ups by transfer yet. Deposit at the counter, or ask "
                             "the koperasi.", koperasi=koperasi.name))
    if membership.status != MemberStatus.ACTIVE:
        raise DomainError(_l("Only an active member can top up."))
    check_amount(amount)
    if amount > MAX_AMOUNT:
        raise DomainError(_l("At most %(amount)s by transfer at a time: for more, come to the counter.",
                             amount=idr(MAX_AMOUNT)), field="amount")
    dues.lock_members([membership.id])  # a resignation asked at the same moment: one after the other
    if db.session.scalar(sa.select(Membership.status).where(Membership.id == membership.id)) != MemberStatus.ACTIVE:
        raise DomainError(_l("Only an active member can top up."))
    now = utcnow()
    expire_stale(now, koperasi.id)
    for _attempt in range(8):  # another request took the same code or reference meanwhile: draw again
        code = _free_code(koperasi.id, amount)
        topup = Topup(koperasi_id=koperasi.id, membership_id=membership.id, reference=new_reference(),
                      amount_idr=amount, unique_amount_idr=amount + code, request_key=key or None,
                      created_at=now, expires_at=now + timedelta(hours=koperasi.topup_expiry_hours))
        try:
            with db.session.begin_nested():
                db.session.add(topup)
        except sa.exc.IntegrityError:
            if key and (first := db.session.scalar(sa.select(Topup).where(Topup.membership_id == membership.id,
                                                                          Topup.request_key == key))):
                return first  # a double tap: the other request won
            continue
        return topup
    raise DomainError(_l("Too many top-ups are waiting right now. Try again in a moment."))


def new_reference() -> str:
    return "T" + "".join(secrets.choice(PAY_CODE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def _free_code(koperasi_id: int, amount: int) -> int:
    """A code from 1 to 999 whose unique amount no pending request of the koperasi has."""
    taken = set(db.session.scalars(sa.select(Topup.unique_amount_idr - amount).where(
        Topup.koperasi_id == koperasi_id, Topup.status == TopupStatus.PENDING,
        Topup.unique_amount_idr.between(amount + 1, amount + MAX_CODE))))
    free = [code for code in range(1, MAX_CODE + 1) if code not in taken]
    if not free:
        raise DomainError(_l("Too many top-ups of this amount are waiting: change the amount a little."),
                          field="amount")
    return secrets.choice(free)


def expire_stale(now: datetime | None = None, koperasi_id: int | None = None) -> int:
    """Mark pending requests past their time as expired (they read as expired already); how many."""
    query = sa.update(Topup).where(Topup.status == TopupStatus.PENDING, Topup.expires_at <= (now or utcnow()))
    if koperasi_id is not None:
        query = query.where(Topup.koperasi_id == koperasi_id)
    return db.session.execute(query.values(status=TopupStatus.EXPIRED)
                              .execution_options(synchronize_session=False)).rowcount


def attach_proof(topup: Topup, by: User, photo: bytes | None, folder: str) -> Topup:
    """The member adds (or replaces) the transfer's photo while the request waits."""
    if topup.membership.user_id != by.id:
        raise DomainError(_l("Only the member who asked adds the transfer's photo."))
    if not photo:
        raise DomainError(_l("Take or choose a photo of the transfer."), field="proof")
    if topup.state() != TopupStatus.PENDING:
        raise DomainError(_not_pending(topup))
    topup.proof_sha256 = private_files.store(photo, folder, "webp")
    return topup


def cancel(topup: Topup, by: User) -> Topup:
    """The member withdraws their pending request (again: nothing more)."""
    if topup.membership.user_id != by.id:
        raise DomainError(_l("Only the member who asked cancels a top-up."))
    if _decide(topup, TopupStatus.CANCELLED, by) or topup.status == TopupStatus.CANCELLED:
        return topup
    raise DomainError(_not_pending(topup))


# ---------------------------------------------------------------- the teller decides

def _decide(topup: Topup, status: str, by: User, reason: str | None = None) -> bool:
    """Pending (and in time) → ``status``, in one conditional UPDATE: True for the one that changed it."""
    now = utcnow()
    taken = db.session.execute(
        sa.update(Topup).where(Topup.id == topup.id, Topup.status == TopupStatus.PENDING, Topup.expires_at > now)
        .values(status=status, decided_at=now, decided_by_id=by.id, reason=reason)
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(topup)
    return taken == 1


def _not_pending(topup: Topup):
    state = topup.state()
    if state == TopupStatus.EXPIRED:
        return _l("This top-up expired: the member can ask again. Money that arrived anyway is deposited at the "
                  "counter (by bank).")
    if state == TopupStatus.CONFIRMED:
        return _l("This top-up was already confirmed.")
    if state == TopupStatus.REJECTED:
        return _l("This top-up was already rejected.")
    return _l("This top-up was cancelled by the member.")


def confirm(topup: Topup, by: User, key: str | None) -> Topup:
    """The money is on the statement: one deposit of the unique amount, by bank (module rules)."""
    if topup.status == TopupStatus.CONFIRMED:
        return topup  # a retry, or another teller was first: the first result
    if not _decide(topup, TopupStatus.CONFIRMED, by):
        if topup.status == TopupStatus.CONFIRMED:
            return topup
        raise DomainError(_not_pending(topup))
    entry = savings.deposit(topup.membership, "sukarela", topup.unique_amount_idr, "bank", by, key=key)
    db.session.execute(sa.update(Topup).where(Topup.id == topup.id).values(entry_id=entry.id)
                       .execution_options(synchronize_session=False))
    koperasi = topup.membership.koperasi
    notify(topup.membership.user_id, Kind.TOPUP_CONFIRMED, koperasi_id=koperasi.id,
           params={"amount": topup.unique_amount_idr, "ref": entry.ref, "reference": topup.reference},
           url=f"/k/{koperasi.slug}/me/topups/{topup.id}")
    db.session.refresh(topup)
    return topup


def reject(topup: Topup, by: User, reason: str | None) -> Topup:
    """Not on the statement (or not the member's transfer): the member reads why."""
    text = reason_given(reason, _l("Tell the member why the top-up is rejected."))
    if topup.status == TopupStatus.REJECTED:
        return topup
    if not _decide(topup, TopupStatus.REJECTED, by, text):
        if topup.status == TopupStatus.REJECTED:
            return topup
        raise DomainError(_not_pending(topup))
    koperasi = topup.membership.koperasi
    notify(topup.membership.user_id, Kind.TOPUP_REJECTED, koperasi_id=koperasi.id,
           params={"amount": topup.unique_amount_idr, "reference": topup.reference, "reason": text},
           url=f"/k/{koperasi.slug}/me/topups/{topup.id}")
    return topup


def confirm_many(koperasi: Koperasi, topup_ids: list[int], by: User, key: str) -> tuple[list[Topup], list[tuple]]:
    """Confirm each chosen request on its own (a savepoint each): (confirmed, [(request, why not)])."""
    done, refused = [], []
    for topup_id in dict.fromkeys(topup_ids):
        topup = db.session.get(Topup, topup_id)
        if topup is None or topup.koperasi_id != koperasi.id:
            continue
        try:
            with db.session.begin_nested():
                done.append(confirm(topup, by, _item_key(key, topup_id)))
        except DomainError as error:
            db.session.refresh(topup)
            refused.append((topup, error.message))
    return done, refused


def _item_key(key: str, topup_id: int) -> str:
    """Each confirm of a batch has its own idempotency key, made from the batch form's."""
    return hashlib.sha256(f"{key}:topup:{topup_id}".encode()).hexdigest()


# ---------------------------------------------------------------- lists

def waiting(koperasi_id: int, now: datetime | None = None) -> list[Topup]:
    """Pending requests still in time, oldest first."""
    return list(db.session.scalars(sa.select(Topup).where(
        Topup.koperasi_id == koperasi_id, Topup.status == TopupStatus.PENDING, Topup.expires_at > (now or utcnow()))
        .order_by(Topup.id)))


def decided(koperasi_id: int, limit: int = 20) -> list[Topup]:
    """The latest requests no longer waiting (or past their time), newest first."""
    return list(db.session.scalars(sa.select(Topup).where(
        Topup.koperasi_id == koperasi_id, sa.or_(Topup.status != TopupStatus.PENDING, Topup.expires_at <= utcnow()))
        .order_by(Topup.id.desc()).limit(limit)))


def waiting_of(membership_id: int) -> int:
    """How many of the member's requests still wait in time (a resignation waits for them)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Topup).where(
        Topup.membership_id == membership_id, Topup.status == TopupStatus.PENDING, Topup.expires_at > utcnow()))


def of_member(membership_id: int, limit: int = 10) -> list[Topup]:
    return list(db.session.scalars(sa.select(Topup).where(Topup.membership_id == membership_id)
                                   .order_by(Topup.id.desc()).limit(limit)))


def proof_file(topup: Topup, folder: str) -> str | None:
    return private_files.path_of(topup.proof_sha256, folder, "webp") if topup.proof_sha256 else None


# ---------------------------------------------------------------- matching a bank statement

class Match(NamedTuple):
    line: bank_statement.Line
    topup: Topup
    by_reference: bool


def match(koperasi_id: int, statement: bank_statement.Statement) -> tuple[list[Match], list[bank_statement.Line]]:
    """Proposed matches (module rules) and the statement's lines that matched no waiting request."""
    pending = waiting(koperasi_id)
    by_reference = {topup.reference: topup for topup in pending}
    by_amount = {topup.unique_amount_idr: topup for topup in pending}
    # every reference the koperasi ever gave: a line naming one no longer waiting (a late transfer for an
    # expired request, whose unique amount another request may have taken since) is nobody else's money
    given = set(db.session.scalars(sa.select(Topup.reference).where(Topup.koperasi_id == koperasi_id)))
    size = REFERENCE_LENGTH + 1
    used, matches, unmatched = set(), [], []
    for line in statement.lines:
        words = re.sub(r"[^A-Z0-9]", " ", line.description.upper()).split()
        named = [by_reference[word] for word in words if word in by_reference]
        glued = "".join(words)  # "TU 7X3 ABC": a reference typed with spaces
        named = named or [topup for reference, topup in by_reference.items() if reference in glued]
        topup = next((t for t in named if t.unique_amount_idr == line.amount), None)
        found_by_reference = topup is not None
        if topup is None and not named and not any(glued[i:i + size] in given for i in range(len(glued) - size + 1)):
            topup = by_amount.get(line.amount)
        if topup is None or topup.id in used:
            unmatched.append(line)
            continue
        used.add(topup.id)
        matches.append(Match(line, topup, found_by_reference))
    return matches, unmatched
