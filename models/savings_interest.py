"""Interest on simpanan sukarela, posted at each month's end, and the final tax on it.

Rules kept here:
- The base is the member's sukarela balance at the end of each of the koperasi's days of
  the month (its zone, ``models.zones``), read from the ledger lines: the lowest of those
  daily balances, or their average, as the koperasi chose (``interest_method``).
- Day count actual/365: interest = round_idr(base × rate × days in the month / 365),
  whatever the year (a leap year too), rate in hundredths of a percent a year. For the
  average method that is the sum of the daily balances × rate / 365.
- The month-end postings themselves (interest, its tax, dues autopay, dated the month's
  last second) are not part of the month's base; they are part of the next month's.
- Withholding tax (PP 15/2009), when the koperasi keeps it on: 10 % final on the whole
  month's interest of a member whose interest is above Rp240.000 (Rp240.000 exactly: none).
- Posted once per member and month whatever happens: ``savings_interest`` (interest expense
  debit → member's sukarela credit) and ``interest_tax`` (sukarela debit → tax payable
  credit) in one savepoint under idempotency keys unique per membership and month, so a
  rerun, a crash half-way or two workers at once post nothing twice. The cached sukarela
  balance changes in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from models import months
from models.accounts import User
from models.base import db
from models.errors import DomainError
from models.keys import fingerprint
from models.koperasi import Koperasi
from models.ledger import (
    MEMBER_OPEN,
    Account,
    Entry,
    Leg,
    Line,
    Purpose,
    credit_savings,
    debit_savings,
    idempotent,
    post,
    round_idr,
)
from models.membership import Membership
from models.zones import zone_of

TAX_RATE = Fraction(10, 100)  # PP 15/2009: final, on the gross monthly interest
TAX_THRESHOLD = 240_000  # a member's monthly interest up to this is not taxed
DAY_COUNT = 365
MONTH_END_KINDS = ("savings_interest", "interest_tax", "dues_autopay")


@dataclass
class Interest:
    """One member's interest for one month, worked out (not yet posted)."""

    membership_id: int
    daily: list[int]  # the balance at the end of each day of the month
    base: Fraction  # the lowest or the average daily balance
    interest: int
    tax: int

    @property
    def net(self) -> int:
        return self.interest - self.tax


def daily_balances(koperasi: Koperasi, membership_id: int, month: date) -> list[int]:
    """The member's sukarela balance at the end of each of the month's days."""
    start, end = months.bounds(koperasi, month)
    offset = timedelta(hours=zone_of(koperasi).hours)
    month_end_entry = sa.and_(Entry.kind.in_(MONTH_END_KINDS), Entry.posted_at >= start)
    rows = db.session.execute(
        sa.select(Entry.posted_at, Line.amount).join(Entry, Entry.id == Line.entry_id)
        .join(Account, Account.id == Line.account_id)
        .where(Line.membership_id == membership_id, Account.koperasi_id == koperasi.id,
               Account.purpose == Purpose.SUKARELA, Entry.posted_at < end, sa.not_(month_end_entry))).all()
    days = months.days_in(month)
    opening, changes = 0, [0] * days
    for posted_at, amount in rows:
        if posted_at < start:
            opening -= amount  # a credit (negative line) raises the member's balance
        else:
            changes[(posted_at + offset).day - 1] -= amount
    daily, balance = [], opening
    for change in changes:
        balance += change
        daily.append(balance)
    return daily


def work_out(koperasi: Koperasi, membership_id: int, month: date, daily: list[int] | None = None) -> Interest:
    """The month's interest and tax for one member, under the koperasi's settings."""
    daily = daily_balances(koperasi, membership_id, month) if daily is None else daily
    base = Fraction(min(daily)) if koperasi.interest_method == "minimum" else Fraction(sum(daily), len(daily))
    interest = round_idr(base * koperasi.savings_rate_bp / 10_000 * len(daily) / DAY_COUNT)
    tax = round_idr(interest * TAX_RATE) if koperasi.interest_tax and interest > TAX_THRESHOLD else 0
    return Interest(membership_id, daily, base, interest, tax)


@dataclass
class InterestRun:
    posted: list[Interest] = field(default_factory=list)  # posted by this run
    already: int = 0  # posted by an earlier run (or another worker)
    nothing: int = 0  # no interest (no balance, or rounds to Rp0)

    @property
    def interest(self) -> int:
        return sum(i.interest for i in self.posted)

    @property
    def tax(self) -> int:
        return sum(i.tax for i in self.posted)


def interest_key(membership_id: int, month: date) -> str:
    return f"interest:{membership_id}:{months.label(month)}"  # ":" never in a form's key: no clash


def post_interest(koperasi: Koperasi, month: date, by: User | None = None) -> InterestRun:
    """Post the month's interest (and its tax) for every member with sukarela, once per
    member and month. Refused for a month that has not ended."""
    if not months.has_ended(koperasi, month):
        raise DomainError(_l("This month has not ended yet."), field="month")
    result = InterestRun()
    if koperasi.savings_rate_bp <= 0:
        return result
    _start, end = months.bounds(koperasi, month)
    holders = db.session.scalars(
        sa.select(Line.membership_id).distinct().join(Entry, Entry.id == Line.entry_id)
        .join(Account, Account.id == Line.account_id).join(Membership, Membership.id == Line.membership_id)
        .where(Account.koperasi_id == koperasi.id, Account.purpose == Purpose.SUKARELA, Entry.posted_at < end,
               Membership.status.in_(MEMBER_OPEN)).order_by(Line.membership_id)).all()
    for membership_id in holders:
        _post_one(koperasi, membership_id, month, by, result)
    return result


def _post_one(koperasi: Koperasi, membership_id: int, month: date, by: User | None, result: InterestRun) -> None:
    key = interest_key(membership_id, month)
    once = fingerprint("savings_interest", None, membership=membership_id, month=months.label(month))
    done = None

    def run() -> Entry:
        nonlocal done
        worked = work_out(koperasi, membership_id, month)
        if worked.interest <= 0:
            raise _NoInterest()
        at = months.closing_stamp(koperasi, month)
        credit_savings(membership_id, "sukarela", worked.interest)
        entry = post(koperasi, "savings_interest",
                     [Leg(Purpose.SAVINGS_INTEREST, worked.interest),
                      Leg(Purpose.SUKARELA, -worked.interest, membership_id=membership_id)],
                     by=by, memo=f"bunga {months.label(month)}", membership_id=membership_id, key=key, at=at,
                     fingerprint=once)
        if worked.tax:
            debit_savings(membership_id, "sukarela", worked.tax)
            tax_once = fingerprint("interest_tax", None, membership=membership_id, month=months.label(month))
            post(koperasi, "interest_tax", [Leg(Purpose.SUKARELA, worked.tax, membership_id=membership_id),
                                            Leg(Purpose.TAX_PAYABLE, -worked.tax)],
                 by=by, memo=f"PPh final bunga {months.label(month)}", membership_id=membership_id,
                 key=f"interest-tax:{membership_id}:{months.label(month)}", at=at, fingerprint=tax_once)
        done = worked
        return entry

    try:
        idempotent(koperasi, key, once, run)
    except _NoInterest:
        result.nothing += 1
        return
    if done is None:
        result.already += 1
    else:
        result.posted.append(done)


class _NoInterest(DomainError):
    def __init__(self) -> None:
        super().__init__(_l("No interest this month."))
