"""Withdrawing simpanan sukarela to the member's own bank account or e-wallet, from the phone.

Rules kept here:
- A member saves destinations in their own name: a bank and account number, or an e-wallet and
  its mobile number. The holder's name must be the member's name as on the KTP
  (``Membership.full_name``), compared without case, spaces, punctuation or common titles
  (``same_name``): a destination in anyone else's name is refused. The number is personal data,
  encrypted at rest (``models.crypto.Encrypted``) and shown masked to the member; the teller who
  pays (``Duty.PAY_WITHDRAWAL``) sees it in full, a read-only role (pengawas) masked. A destination
  is removed by hiding it: a withdrawal keeps its own.
- Only the member asks, for their own active membership (not one resigning or resigned), to a
  destination of theirs, and never offline (the balance cannot be known there: the form is sent to
  the server or nothing happens).
- The amount is HELD at once: one balanced entry moves it from the member's sukarela to the
  liability "withdrawals awaiting payout" (``Purpose.WITHDRAWALS``). The balance is checked and
  taken in one conditional UPDATE (``ledger.debit_savings``), so a payment at a stall, a checkout or
  another withdrawal at the same moment cannot spend it twice.
- The koperasi sets the most a member may withdraw a day (``Koperasi.withdraw_daily_limit_idr``;
  0: none from the phone). Withdrawals awaiting or paid on the koperasi's calendar day count; the
  member's row is locked first (``dues.lock_members``), so two requests at once cannot both pass.
- A teller (``Duty.PAY_WITHDRAWAL``) pays it out (one entry from the liability to the koperasi's
  bank, with the transfer's reference if any) or rejects it with a reason (one entry back to the
  member's sukarela: the hold released). Either happens once: the status changes in one
  conditional UPDATE, so two tellers at once make one payout. A retried form (same key) returns
  the first result.
- The member is told at each step (``notify``), in the step's transaction.
- A resignation waits until the member's awaiting withdrawals are paid out or rejected
  (``models.resignation``): the held money is no longer in their savings to refund.
"""

from __future__ import annotations

import enum
import re
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import dues
from models.accounts import User, normalize_mobile
from models.base import db, utcnow
from models.books import utc_bounds
from models.crypto import Encrypted
from models.errors import DomainError, reason_given
from models.keys import fingerprint
from models.koperasi import Koperasi
from models.ledger import SAVINGS, Entry, Leg, Purpose, check_amount, credit_savings, debit_savings, idempotent, post
from models.membership import Membership, MemberStatus
from models.money import idr
from models.notifications import Kind, notify
from models.zones import zone_of

SUKARELA = SAVINGS["sukarela"]
DESTINATIONS_MAX = 5  # saved per member: enough for a bank or two and an e-wallet
BANKS = {
    "bri": "BRI", "bni": "BNI", "mandiri": "Bank Mandiri", "bca": "BCA", "bsi": "BSI (Bank Syariah Indonesia)",
    "btn": "BTN", "cimb": "CIMB Niaga", "permata": "PermataBank", "danamon": "Danamon", "bjb": "bank bjb",
    "jatim": "Bank Jatim", "jateng": "Bank Jateng", "muamalat": "Bank Muamalat", "ocbc": "OCBC", "seabank": "SeaBank",
    "jago": "Bank Jago",
}
EWALLETS = {"gopay": "GoPay", "ovo": "OVO", "dana": "DANA", "shopeepay": "ShopeePay", "linkaja": "LinkAja"}
PROVIDERS = {**BANKS, **EWALLETS}
# Words before or after a name that are not the name: forms of address, the hajj, academic and
# professional degrees (as Indonesians write them on bank books: "Bpk. H. Ahmad, S.E.").
_TITLE_WORDS = (
    "bapak bpk bp pak ibu bu ib sdr sdri saudara saudari tn tuan ny nyonya nn nona mr mrs ms miss "
    "h hj haji hajjah hajah kh ustadz ust dr drs dra ir prof "
    "se sh st skom spd ssos sag sip sk sked sfarm ssi sp stp mm mba msi msc mpd mkes mh mt mkom ma ak amd "
    "amdkeb amdkep apt phd")
TITLES = frozenset(_TITLE_WORDS.split())
NUMBER_TYPED = re.compile(r"[0-9 .\-]{6,30}")  # the digits 0–9 only


class Status(enum.StrEnum):
    AWAITING = "awaiting"
    PAID = "paid"
    REJECTED = "rejected"


STATUS_LABELS = {Status.AWAITING: _l("Awaiting payout"), Status.PAID: _l("Paid out"),
                 Status.REJECTED: _l("Rejected: back in your sukarela")}
COUNTED = (Status.AWAITING, Status.PAID)  # toward the day's limit


class WithdrawalDestination(db.Model):
    """A bank account or e-wallet in the member's own name, where their withdrawals go."""

    id: Mapped[int] = mapped_column(primary_key=True)
    koperasi_id: Mapped[int] = mapped_column(sa.ForeignKey("koperasi.id"))
    membership_id: Mapped[int] = mapped_column(sa.ForeignKey("membership.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(10))  # bank, ewallet
    provider: Mapped[str] = mapped_column(sa.String(20))  # BANKS or EWALLETS
    number: Mapped[str] = mapped_column(Encrypted())  # personal data: masked but to the paying teller
    holder_name: Mapped[str] = mapped_column(sa.String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    removed_at: Mapped[datetime | None]

    @property
    def provider_label(self) -> str:
        return PROVIDERS.get(self.provider, self.provider)

    @property
    def number_masked(self) -> str:
        digits = self.number.lstrip("+")
        return "•" * 4 + digits[-4:]

    @property
    def shown(self) -> str:
        """What the member reads: "BCA •••• 7890 · Siti Aminah"."""
        return f"{self.provider_label} {self.number_masked} · {self.holder_name}"


class Withdrawal(db.Model):
    """One withdrawal: held at once (``hold_entry_id``), then paid out or released (``close_entry_id``)."""

    __table_args__ = (
        sa.Index("ix_withdrawal_queue", "koperasi_id", "status", "id"),
        sa.Index("ix_withdrawal_member_day", "membership_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(sa.String(24), unique=True)
    koperasi_id: Mapped[int] = mapped_column(sa.ForeignKey("koperasi.id"))
    membership_id: Mapped[int] = mapped_column(sa.ForeignKey("membership.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    destination_id: Mapped[int] = mapped_column(sa.ForeignKey("withdrawal_destination.id"))
    amount_idr: Mapped[int] = mapped_column(sa.BigInteger)
    status: Mapped[str] = mapped_column(sa.String(10), default=Status.AWAITING)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    hold_entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("entry.id"), unique=True)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    transfer_ref: Mapped[str | None] = mapped_column(sa.String(60))
    reject_reason: Mapped[str | None] = mapped_column(sa.String(200))
    close_entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("entry.id"), unique=True)

    destination: Mapped[WithdrawalDestination] = relationship(lazy="joined")
    membership: Mapped[Membership] = relationship(lazy="joined")

    @property
    def status_label(self):
        return STATUS_LABELS.get(self.status, self.status)

    def entry_ref(self, which: str) -> str | None:
        entry_id = self.hold_entry_id if which == "hold" else self.close_entry_id
        return db.session.scalar(sa.select(Entry.ref).where(Entry.id == entry_id)) if entry_id else None


# ---------------------------------------------------------------- names

def name_words(name: str | None) -> list[str]:
    """A name's words without case, punctuation or titles: "Bpk. H. Ahmad Yani, S.E." → ahmad, yani."""
    words = re.sub(r"[^\w\s]", "", (name or "").lower().replace(",", " ")).split()  # "S.E." is "se"
    return [word for word in words if word not in TITLES and not word.isdigit()]


def same_name(holder: str | None, member: str | None) -> bool:
    """Is the account holder the member? Their names' words, titles left out, spaces not counted
    ("Nur Aini" is "NURAINI")."""
    ours, theirs = "".join(name_words(member)), "".join(name_words(holder))
    return bool(ours) and ours == theirs


# ---------------------------------------------------------------- destinations

def _own_active(membership: Membership, user: User) -> None:
    if membership.user_id != user.id:
        raise DomainError(_l("Only the member moves their own savings."))
    if membership.status != MemberStatus.ACTIVE:
        raise DomainError(_l("Only an active member can withdraw."))


def destinations(membership_id: int) -> list[WithdrawalDestination]:
    return list(db.session.scalars(sa.select(WithdrawalDestination).where(
        WithdrawalDestination.membership_id == membership_id, WithdrawalDestination.removed_at.is_(None))
        .order_by(WithdrawalDestination.id)))


def _number(kind: str, typed: str | None) -> str:
    if kind == "ewallet":
        return normalize_mobile(typed or "", field="number")
    digits = re.sub(r"[ .\-]", "", typed or "")
    if not NUMBER_TYPED.fullmatch(typed or "") or not digits.isdigit() or not 6 <= len(digits) <= 20:
        raise DomainError(_l("Enter the account number: 6 to 20 digits."), field="number")
    return digits


def add_destination(membership: Membership, user: User, provider: str, number: str, holder: str) -> WithdrawalDestination:
    """Save a bank account or e-wallet in the member's own name (module rules)."""
    _own_active(membership, user)
    kind = "bank" if provider in BANKS else "ewallet" if provider in EWALLETS else None
    if kind is None:
        raise DomainError(_l("Choose the bank or e-wallet."), field="provider")
    number = _number(kind, number)
    holder = " ".join((holder or "").split())[:120]
    if not same_name(holder, membership.full_name):
        raise DomainError(_l("The account must be in your own name, %(name)s, as on your KTP: money is sent only "
                             "to your own account. Nothing was saved.", name=membership.full_name), field="holder")
    saved = destinations(membership.id)
    if any(d.provider == provider and d.number == number for d in saved):
        raise DomainError(_l("This account is already saved."), field="number")
    if len(saved) >= DESTINATIONS_MAX:
        raise DomainError(_l("At most %(count)s accounts: remove one first.", count=DESTINATIONS_MAX))
    destination = WithdrawalDestination(koperasi_id=membership.koperasi_id, membership_id=membership.id, kind=kind,
                                        provider=provider, number=number, holder_name=holder)
    db.session.add(destination)
    db.session.flush()
    return destination


def remove_destination(membership: Membership, user: User, destination_id: int | None) -> None:
    """Hide a saved destination; the withdrawals sent there keep it."""
    destination = db.session.get(WithdrawalDestination, destination_id) if destination_id else None
    if destination is None or destination.membership_id != membership.id or membership.user_id != user.id:
        raise DomainError(_l("This account is not among yours."))
    destination.removed_at = destination.removed_at or utcnow()


# ---------------------------------------------------------------- asking

def withdrawn_today(membership: Membership) -> int:
    """What counts toward today's limit (the koperasi's calendar day): awaiting and paid."""
    koperasi = membership.koperasi
    today = zone_of(koperasi).today()
    since, until = utc_bounds(koperasi, today, today)
    return db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Withdrawal.amount_idr), 0)).where(
        Withdrawal.membership_id == membership.id, Withdrawal.status.in_(COUNTED),
        Withdrawal.created_at >= since, Withdrawal.created_at < until))


def left_today(membership: Membership) -> int:
    return max(membership.koperasi.withdraw_daily_limit_idr - withdrawn_today(membership), 0)


def request(membership: Membership, user: User, destination_id: int | None, amount: int,
            key: str | None) -> Withdrawal:
    """Hold the amount at once for a payout to the member's destination, once per key (module rules)."""
    _own_active(membership, user)
    koperasi = membership.koperasi
    once = fingerprint("withdrawal_request", user, membership=membership.id, destination=destination_id, amount=amount)

    def run() -> Entry:
        check_amount(amount)
        destination = db.session.get(WithdrawalDestination, destination_id) if destination_id else None
        if destination is None or destination.membership_id != membership.id or destination.removed_at:
            raise DomainError(_l("Choose one of your saved accounts."), field="destination")
        limit = koperasi.withdraw_daily_limit_idr
        if limit <= 0:
            raise DomainError(_l("%(koperasi)s does not pay out withdrawals to a bank or e-wallet: withdraw at the "
                                 "counter.", koperasi=koperasi.name))
        dues.lock_members([membership.id])  # one request at a time per member: the day's sum stays true
        used = withdrawn_today(membership)
        if used + amount > limit:
            raise DomainError(_l("Above the daily limit of %(limit)s: today you may still withdraw %(left)s. Nothing "
                                 "was withdrawn.", limit=idr(limit), left=idr(max(limit - used, 0))), field="amount")
        debit_savings(membership.id, "sukarela", amount, _l("Your simpanan sukarela holds %(balance)s: not enough for "
                                                            "%(amount)s. Nothing was withdrawn."))
        withdrawal = Withdrawal(koperasi_id=koperasi.id, membership_id=membership.id, user_id=user.id,
                                destination_id=destination.id, amount_idr=amount, status=Status.AWAITING)
        db.session.add(withdrawal)
        db.session.flush()
        withdrawal.number = f"WD-{withdrawal.created_at:%y%m%d}-{withdrawal.id:06d}"
        entry = post(koperasi, "withdrawal_hold", [Leg(SUKARELA, amount, membership_id=membership.id),
                                                   Leg(Purpose.WITHDRAWALS, -amount, membership_id=membership.id)],
                     by=user, memo=f"{withdrawal.number} {destination.provider_label}", membership_id=membership.id,
                     key=key, fingerprint=once)
        withdrawal.hold_entry_id = entry.id
        _tell(withdrawal, Kind.WITHDRAWAL_HELD)
        db.session.flush()
        return entry

    entry = idempotent(koperasi, key, once, run)
    return db.session.scalar(sa.select(Withdrawal).where(Withdrawal.hold_entry_id == entry.id))


def _tell(withdrawal: Withdrawal, kind: Kind, **more) -> None:
    params = {"number": withdrawal.number, "amount": withdrawal.amount_idr,
              "destination": withdrawal.destination.shown, **more}
    notify(withdrawal.user_id, kind, koperasi_id=withdrawal.koperasi_id, params=params,
           url=f"/k/{withdrawal.membership.koperasi.slug}/me/withdrawals/{withdrawal.id}")


# ---------------------------------------------------------------- the teller's decision

def _decide(withdrawal: Withdrawal, by: User, status: Status, key: str | None, once: str, kind: str, legs,
            told: Kind, said: dict, **values) -> Withdrawal:
    """Close an awaiting withdrawal once (the conditional UPDATE: two tellers at once, one passes),
    post its entry and tell the member, all or nothing."""
    koperasi = db.session.get(Koperasi, withdrawal.koperasi_id)
    withdrawal_id = withdrawal.id

    def run() -> Entry:
        taken = db.session.execute(
            sa.update(Withdrawal).where(Withdrawal.id == withdrawal_id, Withdrawal.status == Status.AWAITING)
            .values(status=status, decided_at=utcnow(), decided_by_id=by.id, **values)
            .execution_options(synchronize_session=False)).rowcount
        if taken != 1:
            raise DomainError(_l("This withdrawal was already paid out or rejected."))
        entry = post(koperasi, kind, legs(), by=by, memo=withdrawal.number or "",
                     membership_id=withdrawal.membership_id, key=key, fingerprint=once)
        db.session.execute(sa.update(Withdrawal).where(Withdrawal.id == withdrawal_id)
                           .values(close_entry_id=entry.id).execution_options(synchronize_session=False))
        _tell(withdrawal, told, **said)
        db.session.flush()
        return entry

    entry = idempotent(koperasi, key, once, run)
    db.session.expire_all()
    return db.session.scalar(sa.select(Withdrawal).where(Withdrawal.close_entry_id == entry.id))


def pay_out(withdrawal: Withdrawal, by: User, transfer_ref: str | None, key: str | None) -> Withdrawal:
    """The teller sent the money: the liability to the bank, the member told (module rules)."""
    ref = " ".join((transfer_ref or "").split())[:60] or None
    amount, member = withdrawal.amount_idr, withdrawal.membership_id
    once = fingerprint("withdrawal_payout", by, withdrawal=withdrawal.id)
    return _decide(withdrawal, by, Status.PAID, key, once, "withdrawal_payout",
                   lambda: [Leg(Purpose.WITHDRAWALS, amount, membership_id=member), Leg(Purpose.BANK, -amount)],
                   Kind.WITHDRAWAL_PAID, {"ref": ref or ""}, transfer_ref=ref)


def reject(withdrawal: Withdrawal, by: User, reason: str, key: str | None) -> Withdrawal:
    """The teller cannot pay it: the hold goes back to the member's sukarela, with the reason."""
    text = reason_given(reason, _l("Tell the member why the withdrawal is rejected."))
    amount, member = withdrawal.amount_idr, withdrawal.membership_id
    once = fingerprint("withdrawal_reject", by, withdrawal=withdrawal.id)

    def legs():
        credit_savings(member, "sukarela", amount)
        return [Leg(Purpose.WITHDRAWALS, amount, membership_id=member), Leg(SUKARELA, -amount, membership_id=member)]

    return _decide(withdrawal, by, Status.REJECTED, key, once, "withdrawal_release", legs,
                   Kind.WITHDRAWAL_REJECTED, {"reason": text}, reject_reason=text)


# ---------------------------------------------------------------- lists

def of_member(membership_id: int, limit: int = 10) -> list[Withdrawal]:
    return list(db.session.scalars(sa.select(Withdrawal).where(Withdrawal.membership_id == membership_id)
                                   .order_by(Withdrawal.id.desc()).limit(limit)))


def queue(koperasi_id: int, status: Status = Status.AWAITING, limit: int = 50) -> list[Withdrawal]:
    """The koperasi's withdrawals of one status, oldest awaiting first, newest decided first."""
    order = Withdrawal.id if status == Status.AWAITING else Withdrawal.id.desc()
    return list(db.session.scalars(sa.select(Withdrawal).where(Withdrawal.koperasi_id == koperasi_id,
                                                               Withdrawal.status == status)
                                   .order_by(order).limit(limit)))


def awaiting_of(membership_id: int) -> int:
    """How many of the member's withdrawals await payout (a resignation waits for them)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Withdrawal).where(
        Withdrawal.membership_id == membership_id, Withdrawal.status == Status.AWAITING))
