"""Closed periods and the book year: months whose postings are locked, and the year's close.

Rules kept here, for every koperasi:
- A month is the koperasi's own calendar month (its time zone, ``models.zones``). A posting
  dated in a closed month is refused by ``ledger.post`` (``ledger._check_period_open``): a
  correction goes into an open month.
- A month closes only after it has ended, and only when no earlier month with postings is
  still open: months close in order, so a closed month never follows an open one that could
  still change the balances it starts from.
- Closing the book year (a calendar year, after 31 December has ended) closes each of its
  months and posts one closing entry, kind ``year_close``, dated the last moment of
  31 December: every income and expense account's balance for the year (sub-accounts too)
  moves to "SHU of the current year" (income debited, expenses credited, the net to SHU).
  It is the one posting allowed into its own closed December.
- Closing a closed month or year again changes nothing; nor does reopening a reopened one
  (a double tap), but a month or year never closed cannot be reopened.
- Reopening is the admin's, with a reason; a year whose SHU split the RAT approved stays closed
  (its members' shares were computed from its books). A month of a year whose close stands cannot be
  reopened alone (its income is already in SHU): reopen the year, which reverses the
  closing entry (a reversal of the same kind, ``year_close``, dated the same moment, so
  a statement that leaves the close out leaves its reversal out too) and reopens its months.
- The history is ``PeriodEvent`` rows, append-only: a month's or a year's state is its latest
  event. Closing and reopening hold the koperasi's row (as every posting does), so a posting
  and a close cannot pass each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.accounts import User
from models.base import db, utcnow
from models.errors import DomainError
from models.koperasi import Koperasi
from models.ledger import YEAR_CLOSE, Account, Entry, Leg, Line, Purpose, post
from models.months import midnight, next_month
from models.zones import zone_of

MONTH, YEAR = "month", "year"
CLOSED, REOPENED = "closed", "reopened"
REASON_MAX = 200


class PeriodEvent(db.Model):
    """A month or a book year closed or reopened: who, when, why. Append-only."""

    __table_args__ = (sa.Index("ix_period_event_koperasi_start", "koperasi_id", "start", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    koperasi_id: Mapped[int] = mapped_column(sa.ForeignKey("koperasi.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(sa.String(5))  # month, year
    start: Mapped[date]  # the month's (or the year's) first day
    action: Mapped[str] = mapped_column(sa.String(10))  # closed, reopened
    reason: Mapped[str] = mapped_column(sa.String(REASON_MAX), default="")
    entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("entry.id"))  # the closing entry, or its reversal
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    by: Mapped[User | None] = relationship(lazy="joined")

    @property
    def closed(self) -> bool:
        return self.action == CLOSED


@sa.event.listens_for(Session, "before_flush")
def _append_only(session: Session, _context, _instances) -> None:
    """The history of closing and reopening is never changed or deleted."""
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, PeriodEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise RuntimeError("period events are append-only: record a new event instead")


# ---------------------------------------------------------------- dates

def month_of(day: date) -> date:
    return day.replace(day=1)


def months_of(year: int) -> list[date]:
    return [date(year, m, 1) for m in range(1, 13)]


def closing_moment(koperasi: Koperasi, year: int) -> datetime:
    """The last moment of 31 December in the koperasi's zone (naive UTC): the closing entry's date."""
    return midnight(koperasi, date(year + 1, 1, 1)) - timedelta(microseconds=1)


def _this_month(koperasi: Koperasi) -> date:
    return month_of(zone_of(koperasi).today())


# ---------------------------------------------------------------- state

def events(koperasi: Koperasi, since: date | None = None, until: date | None = None) -> list[PeriodEvent]:
    """The koperasi's events for periods starting in [since, until), oldest first."""
    query = sa.select(PeriodEvent).where(PeriodEvent.koperasi_id == koperasi.id)
    if since is not None:
        query = query.where(PeriodEvent.start >= since)
    if until is not None:
        query = query.where(PeriodEvent.start < until)
    return list(db.session.scalars(query.order_by(PeriodEvent.id)))


def latest(koperasi: Koperasi, scope: str, start: date) -> PeriodEvent | None:
    return db.session.scalar(sa.select(PeriodEvent).where(
        PeriodEvent.koperasi_id == koperasi.id, PeriodEvent.scope == scope, PeriodEvent.start == start)
        .order_by(PeriodEvent.id.desc()).limit(1))


def is_closed(koperasi: Koperasi, scope: str, start: date) -> bool:
    event = latest(koperasi, scope, start)
    return bool(event and event.closed)


def _hold(koperasi: Koperasi) -> None:
    """Hold the koperasi's row until commit, as ``ledger.post`` does (its receipt number's UPDATE)
    before it checks a period: a posting and a close of its month never pass each other."""
    db.session.execute(sa.select(Koperasi.id).where(Koperasi.id == koperasi.id).with_for_update(key_share=True))


def _has_postings(koperasi: Koperasi, since: date, until: date) -> bool:
    return db.session.scalar(sa.select(Entry.id).where(
        Entry.koperasi_id == koperasi.id, Entry.posted_at >= midnight(koperasi, since),
        Entry.posted_at < midnight(koperasi, until)).limit(1)) is not None


def first_open_before(koperasi: Koperasi, month: date) -> date | None:
    """The earliest month before ``month`` that has postings and is open, if any."""
    first = db.session.scalar(sa.select(sa.func.min(Entry.posted_at)).where(
        Entry.koperasi_id == koperasi.id, Entry.posted_at < midnight(koperasi, month)))
    if first is None:
        return None
    closed = {e.start for e in _latest_by_period(events(koperasi, until=month)).values()
              if e.scope == MONTH and e.closed}
    current = month_of((first + timedelta(hours=zone_of(koperasi).hours)).date())
    while current < month:
        if current not in closed and _has_postings(koperasi, current, next_month(current)):
            return current
        current = next_month(current)
    return None


def _latest_by_period(rows: list[PeriodEvent]) -> dict[tuple[str, date], PeriodEvent]:
    found: dict[tuple[str, date], PeriodEvent] = {}
    for event in rows:  # oldest first: the last one wins
        found[(event.scope, event.start)] = event
    return found


@dataclass
class MonthState:
    month: date
    event: PeriodEvent | None  # the latest: closed, or reopened; None: never closed
    reopened: list[PeriodEvent]  # every reopening, oldest first

    @property
    def closed(self) -> bool:
        return bool(self.event and self.event.closed)


@dataclass
class YearState:
    year: int
    event: PeriodEvent | None
    reopened: list[PeriodEvent]
    months: list[MonthState]
    ended: bool  # 31 December is past: the year may be closed

    @property
    def closed(self) -> bool:
        return bool(self.event and self.event.closed)


def year_states(koperasi: Koperasi, years: list[int]) -> list[YearState]:
    """Each year's state and its months' (for the periods page): one query."""
    rows = events(koperasi, date(min(years), 1, 1), date(max(years) + 1, 1, 1))
    last = _latest_by_period(rows)

    def reopened(scope, start):
        return [e for e in rows if e.scope == scope and e.start == start and not e.closed]

    today = zone_of(koperasi).today()
    return [YearState(year, last.get((YEAR, date(year, 1, 1))), reopened(YEAR, date(year, 1, 1)),
                      [MonthState(m, last.get((MONTH, m)), reopened(MONTH, m)) for m in months_of(year)],
                      ended=year < today.year)
            for year in years]


# ---------------------------------------------------------------- closing

def close_month(koperasi: Koperasi, month: date, by: User | None) -> PeriodEvent | None:
    """Close one month (postings dated in it are refused from now on); None when it was closed already."""
    month = month_of(month)
    _hold(koperasi)
    if month >= _this_month(koperasi):
        raise DomainError(_l("A month can be closed only after it has ended."), field="month")
    if is_closed(koperasi, MONTH, month):
        return None
    if (earlier := first_open_before(koperasi, month)) is not None:
        raise DomainError(_l("Close %(month)s first: months are closed in order.",
                             month=earlier.strftime("%Y-%m")), field="month")
    event = PeriodEvent(koperasi_id=koperasi.id, scope=MONTH, start=month, action=CLOSED,
                        by_id=by.id if by else None)
    db.session.add(event)
    db.session.flush()
    return event


def year_balances(koperasi: Koperasi, year: int) -> list[tuple[Account, int]]:
    """Every income and expense account's signed balance (debit positive) over the year: one query."""
    total = sa.func.sum(Line.amount)
    rows = db.session.execute(
        sa.select(Account, total).select_from(Line).join(Account, Account.id == Line.account_id)
        .join(Entry, Entry.id == Line.entry_id)
        .where(Account.koperasi_id == koperasi.id, Account.kind.in_(("income", "expense")),
               Entry.posted_at >= midnight(koperasi, date(year, 1, 1)),
               Entry.posted_at < midnight(koperasi, date(year + 1, 1, 1)))
        .group_by(Account).order_by(Account.code))
    return [(account, int(amount)) for account, amount in rows if amount]


def _leg(account_id: int, purpose: str, amount: int) -> Leg:
    """A leg on one account: the purpose names it today; ``account_id`` picks a sub-account
    once ``Leg`` carries it (the chart's sub-accounts share their parent's purpose)."""
    leg = Leg(purpose, amount)
    leg.account_id = account_id
    return leg


def close_year(koperasi: Koperasi, year: int, by: User | None) -> PeriodEvent | None:
    """Close the book year: its months, and one closing entry moving the year's income and
    expenses into SHU of the current year. None when the year was closed already."""
    _hold(koperasi)
    if year >= zone_of(koperasi).today().year:
        raise DomainError(_l("A book year can be closed only after 31 December has ended."), field="year")
    if is_closed(koperasi, YEAR, date(year, 1, 1)):
        return None
    if (earlier := first_open_before(koperasi, date(year, 1, 1))) is not None:
        raise DomainError(_l("Close %(month)s first: months are closed in order.",
                             month=earlier.strftime("%Y-%m")), field="year")
    legs = [_leg(account.id, account.purpose, -amount) for account, amount in year_balances(koperasi, year)]
    entry = None
    if legs:
        net = -sum(leg.amount for leg in legs)  # debit positive: a surplus is a credit to SHU
        if net:
            legs.append(Leg(Purpose.SHU_CURRENT, net))
        entry = post(koperasi, YEAR_CLOSE, legs, by=by, at=closing_moment(koperasi, year),
                     memo=str(_l("Closing of the book year %(year)s", year=year)))
    now = utcnow()  # the year's event and its months' share the moment (``notes`` shows the year's alone)
    for month in months_of(year):
        if not is_closed(koperasi, MONTH, month):
            db.session.add(PeriodEvent(koperasi_id=koperasi.id, scope=MONTH, start=month, action=CLOSED,
                                       by_id=by.id if by else None, at=now))
    event = PeriodEvent(koperasi_id=koperasi.id, scope=YEAR, start=date(year, 1, 1), action=CLOSED,
                        entry_id=entry.id if entry else None, by_id=by.id if by else None, at=now)
    db.session.add(event)
    db.session.flush()
    return event


# ---------------------------------------------------------------- reopening

def _reason(reason: str | None) -> str:
    text = " ".join((reason or "").split())
    if len(text) < 5:
        raise DomainError(_l("Write why this period is reopened."), field="reason")
    if len(text) > REASON_MAX:
        raise DomainError(_l("Keep the reason under %(max)s characters.", max=REASON_MAX), field="reason")
    return text


def reopen_month(koperasi: Koperasi, month: date, by: User | None, reason: str) -> PeriodEvent:
    """Reopen a closed month (an admin's action, with a reason that the reports show);
    a month reopened already stays as it is (its latest event comes back)."""
    text, month = _reason(reason), month_of(month)
    _hold(koperasi)
    if is_closed(koperasi, YEAR, date(month.year, 1, 1)):
        raise DomainError(_l("The book year %(year)s is closed: reopen the year first.", year=month.year),
                          field="month")
    last = latest(koperasi, MONTH, month)
    if last is None:
        raise DomainError(_l("This month is not closed."), field="month")
    if not last.closed:
        return last  # reopened already (a double tap): nothing more
    event = PeriodEvent(koperasi_id=koperasi.id, scope=MONTH, start=month, action=REOPENED, reason=text,
                        by_id=by.id if by else None)
    db.session.add(event)
    db.session.flush()
    return event


def _shu_approved(koperasi: Koperasi, year: int) -> bool:
    """Has the RAT approved the year's SHU split (``models.shu``)? Its shares came from these books."""
    plans = db.metadata.tables["shu_plan"]  # by table: models.shu sits above the periods
    return db.session.scalar(sa.select(plans.c.id).where(plans.c.koperasi_id == koperasi.id, plans.c.year == year,
                                                         plans.c.approved_at.is_not(None))) is not None


def reopen_year(koperasi: Koperasi, year: int, by: User | None, reason: str) -> PeriodEvent:
    """Reopen a closed book year: its months reopen and its closing entry is reversed,
    dated the same moment, so the year's income and expenses are back in their accounts."""
    text = _reason(reason)
    _hold(koperasi)
    closing = latest(koperasi, YEAR, date(year, 1, 1))
    if closing is None:
        raise DomainError(_l("This book year is not closed."), field="year")
    if not closing.closed:
        return closing  # reopened already (a double tap): nothing more
    if _shu_approved(koperasi, year):
        raise DomainError(_l("The RAT approved the SHU of %(year)s: its books stay closed.", year=year),
                          field="year")
    now = utcnow()
    for month in months_of(year):
        if is_closed(koperasi, MONTH, month):
            db.session.add(PeriodEvent(koperasi_id=koperasi.id, scope=MONTH, start=month, action=REOPENED,
                                       reason=text, by_id=by.id if by else None, at=now))
    db.session.flush()  # December is open again: the reversal may be posted into it
    reversal = None
    if closing.entry_id:
        original = db.session.get(Entry, closing.entry_id)
        legs = [_leg(line.account_id, line.account.purpose, -line.amount) for line in original.lines]
        # Of the closing entry's kind, so a statement that leaves the year's close out leaves this out too.
        reversal = post(koperasi, YEAR_CLOSE, legs, by=by, reverses=original, at=original.posted_at,
                        memo=str(_l("Book year %(year)s reopened: %(reason)s", year=year, reason=text)))
    event = PeriodEvent(koperasi_id=koperasi.id, scope=YEAR, start=date(year, 1, 1), action=REOPENED, reason=text,
                        entry_id=reversal.id if reversal else None, by_id=by.id if by else None, at=now)
    db.session.add(event)
    kept = db.metadata.tables["health_rating"]  # by table: models.health_cache sits above the periods
    db.session.execute(sa.delete(kept).where(kept.c.koperasi_id == koperasi.id, kept.c.year == year))
    db.session.flush()
    return event


# ---------------------------------------------------------------- what a report says

@dataclass(frozen=True)
class Note:
    scope: str  # month, year
    start: date
    action: str  # closed, reopened
    by: str
    day: date  # when, the koperasi's day
    reason: str


def notes(koperasi: Koperasi, start: date | None, end: date | None) -> list[Note]:
    """What a report over the koperasi's days ``start``..``end`` should say about its periods:
    each closed year and closed month it covers (a closed year stands for its months), and
    every reopening, with who and why. ``start`` None (a balance sheet at ``end``): the book
    year ``end`` falls in, up to its month."""
    if end is None:
        return []
    rows = events(koperasi, date((start or end).year, 1, 1), next_month(month_of(end)))
    if start:
        rows = [e for e in rows if e.scope == YEAR or e.start >= month_of(start)]
    last = _latest_by_period(rows)
    closed_years = {e.start.year for e in last.values() if e.scope == YEAR and e.closed}
    year_moments = {e.at for e in rows if e.scope == YEAR}
    shown = []
    for event in rows:
        if event.scope == MONTH and (event.at in year_moments or (event.closed and event.start.year in closed_years)):
            continue  # the year's own note says it
        if not event.closed or last[(event.scope, event.start)] is event:
            shown.append(Note(event.scope, event.start, event.action, event.by.full_name if event.by else "",
                              (event.at + timedelta(hours=zone_of(koperasi).hours)).date(), event.reason))
    return shown
