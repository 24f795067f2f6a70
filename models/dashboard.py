"""The office dashboard: the koperasi at a glance, and its last twelve months.

Rules kept here:
- Every figure is read from the records the rest of Kopz keeps (memberships, the cached
  savings balances, the ledger's lines and each account's day totals, the loans, the
  marketplace's orders); nothing is stored for the dashboard.
- Months are the koperasi's own (its time zone): a month runs from the first day's
  midnight to the last day's end, as on the statements (``models.books.utc_bounds``).
- A balance "at" a month is its balance at the end of that month (for the current month:
  now). A flow "in" a month (members joined, marketplace sales) counts what happened in it.
- Each series is one aggregate query with a column per month, whatever the number of
  members or lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from models.base import db
from models.books import balances_by_purpose, utc_bounds
from models.collectability import Summary, classify, summarize
from models.dues import arrears
from models.koperasi import Koperasi
from models.ledger import Purpose
from models.membership import Membership, MemberStatus
from models.months import last_day, previous
from models.orders import Order, OrderStatus

MONTHS = 12
SAVINGS_PURPOSES = (Purpose.POKOK, Purpose.WAJIB, Purpose.SUKARELA)
MONEY_PURPOSES = (Purpose.CASH, Purpose.BANK)


def month_starts(today: date, months: int = MONTHS) -> list[date]:
    """The first days of the last ``months`` months, the current one last."""
    starts = [today.replace(day=1)]
    while len(starts) < months:
        starts.append(previous(starts[-1]))
    return starts[::-1]


@dataclass(frozen=True)
class Series:
    """One figure over the months: ``values[i]`` belongs to ``months[i]``."""

    key: str
    months: list[date]
    values: list[int]

    @property
    def last(self) -> int:
        return self.values[-1]

    @property
    def peak(self) -> int:
        return max(self.values, default=0)


def _bounds(koperasi: Koperasi, starts: list[date]) -> list[tuple]:
    return [utc_bounds(koperasi, start, last_day(start)) for start in starts]


def _balances_at_month_ends(koperasi: Koperasi, starts: list[date]) -> dict[str, list[int]]:
    """Signed balances (debit positive) per purpose at the end of each month: one query (over
    each account's totals per day, ``books.balances_by_purpose``)."""
    ends = [until for _since, until in _bounds(koperasi, starts)]
    return balances_by_purpose(koperasi, ends, SAVINGS_PURPOSES + MONEY_PURPOSES + (Purpose.LOANS,))


def _per_month(koperasi: Koperasi, starts: list[date], when, what, *where) -> list[int]:
    """Sum of ``what`` over the rows whose ``when`` falls in each month: one query."""
    bounds = _bounds(koperasi, starts)
    columns = [sa.func.coalesce(sa.func.sum(sa.case((sa.and_(when >= since, when < until), what), else_=0)), 0)
               for since, until in bounds]
    row = db.session.execute(sa.select(*columns).where(*where, when >= bounds[0][0], when < bounds[-1][1])).one()
    return [int(v) for v in row]


@dataclass(frozen=True)
class Overview:
    """Today's figures and the last twelve months."""

    members: dict[str, int]  # by status, plus "joined" this month
    savings: dict[str, int]  # by kind, today
    loans: Summary  # collectability: loans being repaid by class, NPL
    in_arrears: int  # loans with an instalment past due
    dues_members: int  # members with wajib unpaid for a month that has ended
    dues_idr: int
    cash: int
    bank: int
    sales_month: int
    series: dict[str, Series]


def overview(koperasi: Koperasi, today: date) -> Overview:
    """Members by status, savings by kind, loans, cash and bank, this month's sales; and over
    the last twelve months: savings, loans outstanding, cash and bank at each month's end,
    members joined and marketplace sales in each month. Six queries, whatever the size."""
    starts = month_starts(today)
    balances = _balances_at_month_ends(koperasi, starts)
    zero = [0] * len(starts)

    def added(purposes, sign):
        return [sign * sum(column) for column in zip(*(balances.get(p, zero) for p in purposes), strict=True)]

    sales = _per_month(koperasi, starts, Order.created_at, Order.total_idr,
                       Order.koperasi_id == koperasi.id, Order.status != OrderStatus.CANCELLED)
    series = [Series("savings", starts, added(SAVINGS_PURPOSES, -1)),
              Series("loans", starts, added((Purpose.LOANS,), 1)),
              Series("cash", starts, added(MONEY_PURPOSES, 1)),
              Series("joined", starts, _joined(koperasi, starts)),
              Series("sales", starts, sales)]
    by_status = dict(db.session.execute(sa.select(Membership.status, sa.func.count()).where(
        Membership.koperasi_id == koperasi.id).group_by(Membership.status)).all())
    members = {status: by_status.get(status, 0) for status in MemberStatus}
    members["joined"] = series[3].last
    # The balances at the end of the current month are today's (nothing is posted ahead).
    now = {purpose: values[-1] for purpose, values in balances.items()}
    kinds = {"pokok": Purpose.POKOK, "wajib": Purpose.WAJIB, "sukarela": Purpose.SUKARELA}
    loans = classify(koperasi.id, today)
    dues_members, dues_idr = arrears(koperasi, today)
    return Overview(members=members, savings={kind: -now.get(p, 0) for kind, p in kinds.items()},
                    loans=summarize(koperasi, loans), in_arrears=sum(1 for loan in loans if loan.days_late),
                    dues_members=dues_members, dues_idr=dues_idr, cash=now.get(Purpose.CASH, 0),
                    bank=now.get(Purpose.BANK, 0), sales_month=sales[-1], series={s.key: s for s in series})


def _joined(koperasi: Koperasi, starts: list[date]) -> list[int]:
    """Members who became members in each month (``joined_on`` is a day in the koperasi's days)."""
    columns = [sa.func.coalesce(sa.func.sum(sa.case(
        (sa.and_(Membership.joined_on >= start, Membership.joined_on <= last_day(start)), 1), else_=0)), 0)
        for start in starts]
    row = db.session.execute(sa.select(*columns).where(
        Membership.koperasi_id == koperasi.id, Membership.joined_on >= starts[0])).one()
    return [int(v) for v in row]
