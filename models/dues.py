"""Simpanan wajib billing: a bill per active member and month, arrears, reminders, and
automatic payment from sukarela.

Rules kept here:
- One bill per membership and month (a unique key), for every active member, from the
  month they joined. Bills are made lazily and idempotently (``ensure_bills``) the first
  time a month is needed: the office's dues page, the member's card page, or the month-end
  run, which makes sure no active member is missed. A bill's amount is the koperasi's
  wajib of the day it is made; it is due on the koperasi's due day (1–28) of its month.
- A payment of wajib counts toward the oldest open bill: a bill's ``paid_idr`` is the
  member's wajib balance laid over their bills oldest first (``settle``), redone in the
  same transaction by every posting that changes wajib (teller deposit, correction,
  autopay), so paying ahead, or before a bill existed, counts too. ``check_bills`` proves
  every active member's bills equal that allocation.
- Arrears are the bills of months that have ended unpaid (months and Rupiah); the due day
  is when a member is reminded: an open bill past its due day puts them on the reminder list.
- Autopay: a member who opted in has what is open on their bills through the month paid
  from sukarela by the month-end run (``dues_autopay``: sukarela debit → wajib credit),
  once per member and month (an idempotency key). If sukarela cannot cover it all,
  nothing is paid and the bills stay open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, contains_eager, mapped_column, relationship

from models import months
from models.accounts import User
from models.base import db
from models.errors import DomainError
from models.keys import fingerprint
from models.koperasi import Koperasi
from models.ledger import SAVINGS, Leg, SavingsBalance, credit_savings, debit_savings, idempotent, post
from models.membership import Membership, MemberStatus
from models.money import idr
from models.zones import zone_of


class DuesBill(db.Model):
    """One month's simpanan wajib of one member: what is due, by when, how much is paid."""

    __table_args__ = (
        sa.UniqueConstraint("membership_id", "month", name="uq_dues_bill_membership_month"),
        sa.Index("ix_dues_bill_koperasi_month", "koperasi_id", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    koperasi_id: Mapped[int] = mapped_column(sa.ForeignKey("koperasi.id", ondelete="CASCADE"))
    membership_id: Mapped[int] = mapped_column(sa.ForeignKey("membership.id"))
    month: Mapped[date]  # the month's first day
    amount: Mapped[int] = mapped_column(sa.BigInteger)
    due_on: Mapped[date]
    paid_idr: Mapped[int] = mapped_column(sa.BigInteger, default=0)  # kept by settle(): see the rules above

    membership: Mapped[Membership] = relationship()

    @property
    def open_idr(self) -> int:
        return self.amount - self.paid_idr

    @property
    def paid(self) -> bool:
        return self.paid_idr >= self.amount


def _due_on(koperasi: Koperasi, month: date) -> date:
    return month.replace(day=min(max(koperasi.wajib_due_day or 1, 1), 28))


def ensure_bills(koperasi: Koperasi, month: date) -> int:
    """Bills through ``month`` for every active member who has none for it yet (from their
    join month on), settled against what they have paid. Returns how many were made."""
    if koperasi.wajib_idr <= 0:
        return 0
    billed = sa.select(DuesBill.membership_id).where(DuesBill.koperasi_id == koperasi.id, DuesBill.month == month)
    missing = db.session.execute(
        sa.select(Membership.id, Membership.joined_on).where(
            Membership.koperasi_id == koperasi.id, Membership.status == MemberStatus.ACTIVE,
            Membership.joined_on.is_not(None), Membership.id.not_in(billed))).all()
    missing = [(member_id, joined) for member_id, joined in missing if joined.replace(day=1) <= month]
    if not missing:
        return 0
    ids = [member_id for member_id, _joined in missing]
    lock_members(ids)  # before inserting: the bills' foreign keys share-lock these rows too
    have: dict[int, set[date]] = {}
    for member_id, billed_month in db.session.execute(
            sa.select(DuesBill.membership_id, DuesBill.month).where(DuesBill.membership_id.in_(ids))):
        have.setdefault(member_id, set()).add(billed_month)
    rows = [dict(koperasi_id=koperasi.id, membership_id=member_id, month=each, amount=koperasi.wajib_idr,
                 due_on=_due_on(koperasi, each), paid_idr=0)
            for member_id, joined in missing for each in months.months_between(joined, month)
            if each not in have.get(member_id, ())]
    insert = (sa.dialects.postgresql.insert if db.session.get_bind().dialect.name == "postgresql"
              else sa.dialects.sqlite.insert)
    for start in range(0, len(rows), 500):
        # Two requests making the same month's bills at once: the unique key keeps one of each.
        db.session.execute(insert(DuesBill).values(rows[start:start + 500])
                           .on_conflict_do_nothing(index_elements=["membership_id", "month"]))
    settle(ids)
    return len(rows)


def lock_members(ids: list[int]) -> None:
    """Hold the members' rows until commit, in id order, so settling is one at a time per
    member. FOR NO KEY UPDATE: it waits for another settle, not for the key-share locks
    that inserting a member's lines and bills takes (which would deadlock two requests).
    SQLite: the writer already holds the database's write lock (web/database.py)."""
    if ids and db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.select(Membership.id).where(Membership.id.in_(sorted(set(ids))))
                           .order_by(Membership.id).with_for_update(key_share=True))


def settle(membership_ids: list[int]) -> None:
    """Lay each member's wajib balance over their bills, oldest first (under the members'
    row locks, so two postings at once cannot leave a stale allocation)."""
    ids = sorted(set(membership_ids))
    if not ids:
        return
    lock_members(ids)
    paid = dict(db.session.execute(sa.select(SavingsBalance.membership_id, SavingsBalance.balance).where(
        SavingsBalance.membership_id.in_(ids), SavingsBalance.kind == "wajib")).all())
    for bill_id, member_id, amount, before in db.session.execute(
            sa.select(DuesBill.id, DuesBill.membership_id, DuesBill.amount, DuesBill.paid_idr)
            .where(DuesBill.membership_id.in_(ids)).order_by(DuesBill.membership_id, DuesBill.month)).all():
        take = min(amount, paid.get(member_id, 0))
        paid[member_id] = paid.get(member_id, 0) - take
        if take != before:
            db.session.execute(sa.update(DuesBill).where(DuesBill.id == bill_id).values(paid_idr=take))
    db.session.expire_all()


# ---------------------------------------------------------------- what is due, who is in arrears

@dataclass
class Dues:
    """One member's dues as of a day: this month's bill, the arrears, what is open."""

    membership: Membership
    bills: list[DuesBill]  # every bill through the month, oldest first
    month: date
    today: date

    @property
    def current(self) -> DuesBill | None:
        return next((bill for bill in self.bills if bill.month == self.month), None)

    @property
    def arrears(self) -> list[DuesBill]:
        """Bills of months that have ended, not fully paid."""
        return [bill for bill in self.bills if not bill.paid and months.next_month(bill.month) <= self.today]

    @property
    def arrears_months(self) -> int:
        return len(self.arrears)

    @property
    def arrears_idr(self) -> int:
        return sum(bill.open_idr for bill in self.arrears)

    @property
    def open_idr(self) -> int:
        """Everything open through the month (arrears and this month's bill)."""
        return sum(bill.open_idr for bill in self.bills)

    @property
    def overdue(self) -> bool:
        """An open bill past its due day: time for a reminder."""
        return any(not bill.paid and bill.due_on < self.today for bill in self.bills)


def member_dues(membership: Membership, today: date | None = None, wajib_paid: int | None = None) -> Dues | None:
    """The member's dues as of today (the card page): None without billing. One query, no
    writes: a month whose bills nobody has made yet is shown as the bill it will be, with
    the wajib paid (``wajib_paid``, the cached balance) laid over it as ``settle`` will."""
    koperasi = membership.koperasi
    if koperasi.wajib_idr <= 0 or membership.status != MemberStatus.ACTIVE or not membership.joined_on:
        return None
    today = today or zone_of(koperasi).today()
    month = today.replace(day=1)
    bills = list(db.session.scalars(sa.select(DuesBill).where(
        DuesBill.membership_id == membership.id, DuesBill.month <= month).order_by(DuesBill.month)))
    have = {bill.month for bill in bills}
    missing = [each for each in months.months_between(membership.joined_on, month) if each not in have]
    if missing:
        bills += [DuesBill(koperasi_id=koperasi.id, membership_id=membership.id, month=each, amount=koperasi.wajib_idr,
                           due_on=_due_on(koperasi, each), paid_idr=0) for each in missing]
        bills.sort(key=lambda bill: bill.month)
        paid = wajib_paid if wajib_paid is not None else db.session.scalar(
            sa.select(SavingsBalance.balance).where(SavingsBalance.membership_id == membership.id,
                                                    SavingsBalance.kind == "wajib")) or 0
        for bill in bills:
            bill.paid_idr = min(bill.amount, paid)  # not flushed: kept out of the session below
            paid -= bill.paid_idr
        for bill in bills:
            if bill in db.session:
                db.session.expunge(bill)
    return Dues(membership, bills, month, today)


def month_dues(koperasi: Koperasi, month: date, today: date | None = None) -> list[Dues]:
    """Every active member's dues through ``month`` (the office's dues page), by name: each
    with the month's bill and the open ones before it."""
    today = today or zone_of(koperasi).today()
    ensure_bills(koperasi, month)
    bills = db.session.scalars(
        sa.select(DuesBill).join(Membership, Membership.id == DuesBill.membership_id)
        .options(contains_eager(DuesBill.membership))
        .where(DuesBill.koperasi_id == koperasi.id, DuesBill.month <= month,
               Membership.status == MemberStatus.ACTIVE,
               sa.or_(DuesBill.paid_idr < DuesBill.amount, DuesBill.month == month))  # paid bills add nothing
        .order_by(Membership.full_name, Membership.id, DuesBill.month)).all()
    out: dict[int, Dues] = {}
    for bill in bills:
        out.setdefault(bill.membership_id, Dues(bill.membership, [], month, today)).bills.append(bill)
    return list(out.values())


def arrears(koperasi: Koperasi, today: date | None = None) -> tuple[int, int]:
    """Active members with wajib unpaid for a month that has ended, and the Rupiah open on those
    bills (the bills the month-end run or the dues page made): one aggregate query."""
    month = (today or zone_of(koperasi).today()).replace(day=1)
    members, amount = db.session.execute(
        sa.select(sa.func.count(sa.distinct(DuesBill.membership_id)),
                  sa.func.coalesce(sa.func.sum(DuesBill.amount - DuesBill.paid_idr), 0))
        .join(Membership, Membership.id == DuesBill.membership_id)
        .where(DuesBill.koperasi_id == koperasi.id, DuesBill.month < month, DuesBill.paid_idr < DuesBill.amount,
               Membership.status == MemberStatus.ACTIVE)).one()
    return int(members), int(amount)


def reminder_text(dues: Dues) -> str:
    """The WhatsApp message to a member with dues open, in Indonesian (the members' language)."""
    member, koperasi = dues.membership, dues.membership.koperasi
    if dues.arrears_months:
        return (f"Halo {member.full_name}, simpanan wajib Anda di {koperasi.name} belum dibayar "
                f"{dues.arrears_months} bulan. Jumlah yang perlu dibayar: {idr(dues.open_idr)}. "
                f"Terima kasih.")
    due = dues.current.due_on if dues.current else dues.today
    return (f"Halo {member.full_name}, simpanan wajib Anda di {koperasi.name} sebesar {idr(dues.open_idr)} "
            f"jatuh tempo tanggal {due.day}/{due.month}/{due.year}. Terima kasih.")


def whatsapp_link(mobile: str | None, text: str) -> str | None:
    """A wa.me link to an Indonesian mobile (stored +62…) with the message filled in."""
    digits = "".join(ch for ch in mobile or "" if ch.isdigit())
    if not digits.startswith("62") or len(digits) < 10:
        return None
    return f"https://wa.me/{digits}?text={quote(text, safe='')}"


def reminders(koperasi: Koperasi, rows: list[Dues]) -> list[tuple[Dues, str | None]]:
    """Who to remind (an open bill past its due day; not a member whose autopay will pay it
    from sukarela at the month's end), each with a WhatsApp link when they have a mobile."""
    held = dict(db.session.execute(sa.select(SavingsBalance.membership_id, SavingsBalance.balance).where(
        SavingsBalance.membership_id.in_([d.membership.id for d in rows]),
        SavingsBalance.kind == "sukarela")).all()) if rows else {}
    out = []
    for dues in rows:
        if not dues.overdue:
            continue
        member = dues.membership
        if member.wajib_autopay and not dues.arrears_months and held.get(member.id, 0) >= dues.open_idr:
            continue
        out.append((dues, whatsapp_link(member.user.mobile if member.user else None, reminder_text(dues))))
    return out


# ---------------------------------------------------------------- autopay from sukarela

def set_autopay(membership: Membership, on: bool) -> None:
    """The member's own choice: pay wajib from sukarela at each month's end."""
    if membership.status != MemberStatus.ACTIVE:
        raise DomainError(_l("Only an active member can choose automatic payment."))
    membership.wajib_autopay = bool(on)


@dataclass
class AutopayResult:
    paid: int = 0  # members whose open bills were paid now
    already: int = 0  # nothing open: paid by an earlier run, or by the member
    short: int = 0  # sukarela could not cover it: nothing paid, bills open


def autopay(koperasi: Koperasi, month: date, by: User | None = None) -> AutopayResult:
    """Pay the open bills through ``month`` from sukarela for every member who opted in,
    once per member and month. The month must have ended."""
    if not months.has_ended(koperasi, month):
        raise DomainError(_l("This month has not ended yet."), field="month")
    ensure_bills(koperasi, month)
    result = AutopayResult()
    members = db.session.scalars(sa.select(Membership.id).where(
        Membership.koperasi_id == koperasi.id, Membership.status == MemberStatus.ACTIVE,
        Membership.wajib_autopay.is_(True)).order_by(Membership.id)).all()
    for member_id in members:
        outcome = _autopay_one(koperasi, member_id, month, by)
        setattr(result, outcome, getattr(result, outcome) + 1)
    return result


def autopay_key(membership_id: int, month: date) -> str:
    return f"autopay:{membership_id}:{months.label(month)}"  # ":" never in a form's key: no clash


def _autopay_one(koperasi: Koperasi, member_id: int, month: date, by: User | None) -> str:
    key = autopay_key(member_id, month)
    once = fingerprint("dues_autopay", None, membership=member_id, month=months.label(month))
    made: list[int] = []

    def run():
        lock_members([member_id])
        owed = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(DuesBill.amount - DuesBill.paid_idr), 0))
                                 .where(DuesBill.membership_id == member_id, DuesBill.month <= month)) or 0
        if owed <= 0:
            raise _NothingOwed()
        debit_savings(member_id, "sukarela", int(owed))  # refuses when sukarela cannot cover it all
        credit_savings(member_id, "wajib", int(owed))
        entry = post(koperasi, "dues_autopay", [Leg(SAVINGS["sukarela"], int(owed), membership_id=member_id),
                                                Leg(SAVINGS["wajib"], -int(owed), membership_id=member_id)],
                     by=by, memo=f"wajib {months.label(month)}",
                     membership_id=member_id, key=key, at=months.closing_stamp(koperasi, month), fingerprint=once)
        settle([member_id])
        made.append(entry.id)
        return entry

    try:
        entry = idempotent(koperasi, key, once, run)
    except _NothingOwed:
        return "already"
    except DomainError:
        return "short"
    return "paid" if entry.id in made else "already"


class _NothingOwed(DomainError):
    def __init__(self) -> None:
        super().__init__(_l("Nothing is owed."))


# ---------------------------------------------------------------- proof (ledger-check)

def check_bills() -> list[str]:
    """Every active member's bills carry their wajib balance laid oldest first."""
    problems = []
    paid = dict(db.session.execute(sa.select(SavingsBalance.membership_id, SavingsBalance.balance)
                                   .where(SavingsBalance.kind == "wajib")).all())
    rows = db.session.execute(
        sa.select(DuesBill.id, DuesBill.membership_id, DuesBill.amount, DuesBill.paid_idr)
        .join(Membership, Membership.id == DuesBill.membership_id)
        .where(Membership.status == MemberStatus.ACTIVE).order_by(DuesBill.membership_id, DuesBill.month)).all()
    for bill_id, member_id, amount, stored in rows:
        take = min(amount, paid.get(member_id, 0))
        paid[member_id] = paid.get(member_id, 0) - take
        if take != stored:
            problems.append(f"dues bill {bill_id}: paid {stored} but the wajib paid covers {take}")
    return problems
