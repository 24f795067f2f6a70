"""The koperasi's statements, read from the ledger: trial balance, balance sheet (neraca),
income statement (laporan hasil usaha) and the general ledger of one account; the cash flow
and the changes in equity are in ``models.books_flows``.

Rules kept here:
- The rows are the koperasi's accounts in code order, added up by account (a sub-account is
  a row of its own, beside its standard account). Every account of the standard chart
  (``ledger.CHART``) is listed, even one the koperasi has not been given yet: it is zero
  (reading the books never writes).
- Amounts are whole Rupiah in each account's normal balance: debit for assets and expenses,
  credit for liabilities, equity and income. A contra account (``ledger.CONTRA``: PPAP,
  accumulated depreciation) is shown inside its group as a deduction (a negative amount),
  so every group's rows add up to its total.
- The balance sheet includes the surplus not yet closed (income − expenses to the day)
  in "SHU of the current year", so assets = liabilities + equity whenever the entries balance.
- The income statement leaves out the year's closing entry (kind ``year_close``, and its
  reversal when a year is reopened): it moves the surplus into equity, it is not income.
  The trial balance and the balance sheet include it.
- Every statement has the previous period beside it (``previous_period``): the same number
  of whole months just before (a month: the month before; a year: the year before); for a
  month or a year to date, the same days of the month or year before; else the same number
  of days just before. The balance sheet at a day has the end of the previous year beside it.
- Days are the koperasi's own (its time zone, ``models.zones``); a period runs from the
  first day's midnight to the end of the last day.
- Each statement is one aggregate query (no query per account), both periods at once, over
  each account's totals per UTC day (``ledger.AccountDay``, kept by ``post()``): the whole UTC
  days inside a period from the day rows, the two partial days at its edges (a koperasi's
  midnight is not UTC's) from the lines of the koperasi's own entries posted then. So a
  statement costs the days × accounts of the koperasi's history, not its lines, whatever the
  size of the others' books.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from models.base import db
from models.koperasi import Koperasi
from models.ledger import CHART, CONTRA, Account, AccountDay, Entry, Line, Purpose
from models.months import days_in, midnight

DEBIT_NORMAL = ("asset", "expense")
BY_CODE = {code: (purpose, code, kind, label) for purpose, code, kind, label in CHART}
STANDARD_CODE = {purpose: code for purpose, code, _kind, _label in CHART}
LEDGER_LINES = 2000  # a general ledger download holds at most this many lines: narrow the period for more
LEDGER_PAGE = 100  # a general ledger page on the phone shows this many lines, then the next page
YEAR_CLOSE = "year_close"
FLOOR = date(1800, 1, 1)  # a previous period never starts before this (the books start in 1900 at the earliest)


def utc_bounds(koperasi: Koperasi, start: date | None, end: date) -> tuple[datetime | None, datetime]:
    """The koperasi's days ``start``..``end`` (both included) as naive UTC [from, until)."""
    return (midnight(koperasi, start) if start else None), midnight(koperasi, end + timedelta(days=1))


def _add_months(day: date, months: int) -> date:
    """The first of the month ``months`` after (or before) ``day``'s month (not before ``FLOOR``)."""
    index = max(day.year * 12 + day.month - 1 + months, FLOOR.year * 12)
    return date(index // 12, index % 12 + 1, 1)


def whole_months(start: date, end: date) -> int:
    """How many whole calendar months ``start``..``end`` covers; 0 when it is not whole months."""
    if start.day != 1 or (end + timedelta(days=1)).day != 1:
        return 0
    return (end.year - start.year) * 12 + end.month - start.month + 1


def _same_day(first: date, day: date) -> date:
    """``day``'s day of the month in the month that starts on ``first`` (the 31st: its last day)."""
    return first.replace(day=min(day.day, days_in(first)))


def previous_period(start: date, end: date) -> tuple[date, date]:
    """The period of the same length just before: whole months give the same number of whole
    months (a month: the month before; a year: the year before); a month to date the same days
    of the month before, a year to date the same days of the year before; else the same
    number of days."""
    months = whole_months(start, end)
    before = start - timedelta(days=1)
    if months:
        return min(_add_months(start, -months), before), before
    if start.day == 1 and (start.year, start.month) == (end.year, end.month):  # 1 March to 17 March
        first = _add_months(start, -1)
        return first, _same_day(first, end)
    if (start.month, start.day) == (1, 1) and start.year == end.year and start.year > FLOOR.year:  # 1 Jan to 17 May
        first = date(start.year - 1, 1, 1)
        return first, _same_day(_add_months(first, end.month - 1), end)
    return date.fromordinal(max(before.toordinal() - (end - start).days, min(FLOOR, before).toordinal())), before


def previous_at(at: date) -> date:
    """The balance sheet beside the one at ``at``: the end of the previous year."""
    return date(at.year - 1, 12, 31)


@dataclass(frozen=True)
class Window:
    """A span of posting times [since, until) in naive UTC; ``closing`` leaves out the closing entries."""

    since: datetime | None
    until: datetime
    closing: bool = True


def window(koperasi: Koperasi, start: date | None, end: date, closing: bool = True) -> Window:
    return Window(*utc_bounds(koperasi, start, end), closing)


def _closing_entry(koperasi: Koperasi):
    """A condition on ``Entry``: it is a year's closing entry or the reversal of one (the reversed
    entry looked up by its key, so an entry costs one lookup at most)."""
    closing = aliased(Entry)
    reverses_one = sa.and_(Entry.reverses_id.is_not(None), sa.select(closing.id).where(
        closing.id == Entry.reverses_id, closing.koperasi_id == koperasi.id, closing.kind == YEAR_CLOSE).exists())
    return sa.or_(Entry.kind == YEAR_CLOSE, reverses_one)


def _midnight_utc(day: date) -> datetime:
    return datetime.combine(day, time())


def _split(span: Window) -> tuple[tuple[date | None, date] | None, list[tuple[datetime, datetime]]]:
    """The window as the whole UTC days inside it, [first, last) (first None: from the books' start;
    None: no whole day), and the parts of days at its edges, each [from, until) and shorter than a day."""
    last = span.until.date()
    if span.since is None:
        days, edges = (None, last), [(_midnight_utc(last), span.until)]
    else:
        first = span.since.date() + timedelta(days=0 if span.since == _midnight_utc(span.since.date()) else 1)
        if first > last:  # inside one UTC day
            days, edges = None, [(span.since, span.until)]
        else:
            days = (first, last) if first < last else None
            edges = [(span.since, _midnight_utc(first)), (_midnight_utc(last), span.until)]
    return days, [(start, end) for start, end in edges if start < end]


def _totals(koperasi: Koperasi, windows: list[Window], purposes: tuple[str, ...] | None = None):
    """A subquery: the koperasi's accounts (of ``purposes``, or all; other accounts may come too, the caller
    joins ``Account`` and keeps its purposes) with their debit and credit totals in each window (columns ``d0``,
    ``c0``, ``d1``, …), only the accounts that had postings in any of them. The day rows
    of the whole UTC days inside the windows (``AccountDay``, through the accounts' key), with the lines of
    the partial days at their edges (through the koperasi's entries by time, ``ix_entry_koperasi_posted``)."""
    mine = sa.select(Account.id).where(Account.koperasi_id == koperasi.id)
    if purposes is not None:
        mine = mine.where(Account.purpose.in_(purposes))
    parts = [_split(span) for span in windows]
    branches = []
    whole = [days for days, _edges in parts if days is not None]
    if whole:
        columns = []
        for n, (span, (days, _edges)) in enumerate(zip(windows, parts, strict=True)):
            inside = sa.false()
            if days is not None:
                first, last = days
                inside = sa.and_(AccountDay.day < last, *([AccountDay.day >= first] if first else []),
                                 *([] if span.closing else [sa.not_(AccountDay.closing)]))
            columns += [sa.case((inside, AccountDay.debit), else_=0).label(f"d{n}"),
                        sa.case((inside, AccountDay.credit), else_=0).label(f"c{n}")]
        days = (sa.select(AccountDay.account_id.label("account_id"), *columns)
                .where(AccountDay.account_id.in_(mine), AccountDay.day < max(last for _first, last in whole)))
        if all(first is not None for first, _last in whole):
            days = days.where(AccountDay.day >= min(first for first, _last in whole))
        branches.append(days)
    edges = [edge for _days, spans in parts for edge in spans]
    if edges:
        columns = []
        for n, (span, (_days, spans)) in enumerate(zip(windows, parts, strict=True)):
            inside = sa.or_(sa.false(), *[sa.and_(Entry.posted_at >= start, Entry.posted_at < end) for start, end in spans])
            if spans and not span.closing:
                inside = sa.and_(inside, sa.not_(_closing_entry(koperasi)))
            columns += [sa.case((sa.and_(inside, Line.amount > 0), Line.amount), else_=0).label(f"d{n}"),
                        sa.case((sa.and_(inside, Line.amount < 0), -Line.amount), else_=0).label(f"c{n}")]
        # The koperasi's entries of those hours, then their lines by entry (a day's lines at most per edge).
        lines = (sa.select(Line.account_id.label("account_id"), *columns).join(Entry, Entry.id == Line.entry_id)
                 .where(Entry.koperasi_id == koperasi.id,
                        sa.or_(*[sa.and_(Entry.posted_at >= start, Entry.posted_at < end) for start, end in edges])))
        branches.append(lines)  # every account's: a filter by account here would lead the planner to the accounts' lines
    if not branches:  # no window holds a moment
        empty = [sa.literal(0).label(f"{side}{n}") for n in range(len(windows)) for side in "dc"]
        branches.append(sa.select(sa.literal(0).label("account_id"), *empty).where(sa.false()))
    rows = (branches[0] if len(branches) == 1 else sa.union_all(*branches)).subquery()
    return (sa.select(rows.c.account_id, *[sa.func.sum(column).label(column.name) for column in list(rows.c)[1:]])
            .group_by(rows.c.account_id).subquery())


@dataclass(frozen=True)
class AccountRef:
    """An account as the statements show it; ``id`` is None for a standard account not yet created."""

    id: int | None
    code: str
    purpose: str
    kind: str
    label: object  # lazy string, or a sub-account's own name

    @property
    def standard(self) -> bool:
        return STANDARD_CODE.get(self.purpose) == self.code


def chart_of(koperasi: Koperasi) -> list[AccountRef]:
    """The koperasi's accounts in code order, standard ones not yet created included: one query."""
    accounts = db.session.scalars(sa.select(Account).where(Account.koperasi_id == koperasi.id)).all()
    refs = [AccountRef(a.id, a.code, a.purpose, a.kind, a.label) for a in accounts]
    return sorted(refs + not_created({ref.purpose for ref in refs}), key=lambda ref: ref.code)


def not_created(purposes: set[str]) -> list[AccountRef]:
    """The standard accounts whose purpose is not among ``purposes``: not created yet, so zero."""
    return [AccountRef(None, code, purpose, kind, label) for purpose, code, kind, label in CHART if purpose not in purposes]


def account_sums(koperasi: Koperasi, windows: list[Window]) -> list[tuple[AccountRef, list[tuple[int, int]]]]:
    """Every account of the koperasi in code order with its (debit, credit) totals in each window:
    one query. Standard accounts not yet created come as zeros."""
    totals = _totals(koperasi, windows)
    query = (sa.select(Account, *[sa.func.coalesce(column, 0) for column in list(totals.c)[1:]])
             .outerjoin(totals, totals.c.account_id == Account.id)
             .where(Account.koperasi_id == koperasi.id).order_by(Account.code, Account.id))
    rows, purposes = [], set()
    for account, *sums in db.session.execute(query):
        purposes.add(account.purpose)
        ref = AccountRef(account.id, account.code, account.purpose, account.kind, account.label)
        rows.append((ref, [(int(sums[2 * n]), int(sums[2 * n + 1])) for n in range(len(windows))]))
    rows += [(ref, [(0, 0)] * len(windows)) for ref in not_created(purposes)]
    return sorted(rows, key=lambda row: row[0].code)


def balances_by_purpose(koperasi: Koperasi, untils: list[datetime], purposes: tuple[str, ...]) -> dict[str, list[int]]:
    """Signed balances (debit positive) of the accounts of each purpose, sub-accounts included, just before
    each moment of ``untils``: one query, over the day rows (see ``account_sums``). Only the purposes with
    postings before the last moment are there."""
    totals = _totals(koperasi, [Window(None, until) for until in untils], purposes)
    columns = [sa.func.sum(totals.c[f"d{n}"] - totals.c[f"c{n}"]) for n in range(len(untils))]
    rows = db.session.execute(sa.select(Account.purpose, *columns).join(totals, totals.c.account_id == Account.id)
                              .where(Account.purpose.in_(purposes)).group_by(Account.purpose))
    return {purpose: [int(value) for value in values] for purpose, *values in rows}


def normal(kind: str, debit: int, credit: int) -> int:
    """A balance in the normal direction of its kind (a contra account comes out negative)."""
    return debit - credit if kind in DEBIT_NORMAL else credit - debit


@dataclass(frozen=True)
class Row:
    account: AccountRef
    amount: int  # in the kind's normal balance
    previous: int = 0  # the same, in the previous period (or at the previous date)

    code = property(lambda self: self.account.code)
    purpose = property(lambda self: self.account.purpose)
    kind = property(lambda self: self.account.kind)
    label = property(lambda self: self.account.label)

    @property
    def contra(self) -> bool:
        return self.purpose in CONTRA

    @property
    def own_balance(self) -> int:
        """The amount in the account's own normal balance: a contra account's deduction as a positive amount."""
        return -self.amount if self.contra else self.amount


@dataclass(frozen=True)
class TrialRow:
    account: AccountRef
    debit: int
    credit: int
    previous_debit: int = 0
    previous_credit: int = 0

    code = property(lambda self: self.account.code)
    purpose = property(lambda self: self.account.purpose)
    kind = property(lambda self: self.account.kind)
    label = property(lambda self: self.account.label)


@dataclass
class TrialBalance:
    start: date
    end: date
    rows: list[TrialRow]
    previous_start: date
    previous_end: date

    @property
    def debit(self) -> int:
        return sum(row.debit for row in self.rows)

    @property
    def credit(self) -> int:
        return sum(row.credit for row in self.rows)

    @property
    def previous_debit(self) -> int:
        return sum(row.previous_debit for row in self.rows)

    @property
    def previous_credit(self) -> int:
        return sum(row.previous_credit for row in self.rows)

    @property
    def balanced(self) -> bool:
        return self.debit == self.credit and self.previous_debit == self.previous_credit


def trial_balance(koperasi: Koperasi, start: date, end: date) -> TrialBalance:
    """Every account's debit and credit totals over the koperasi's days ``start``..``end``,
    and over the previous period."""
    before = previous_period(start, end)
    sums = account_sums(koperasi, [window(koperasi, start, end), window(koperasi, *before)])
    rows = [TrialRow(ref, *now, *then) for ref, (now, then) in sums]
    return TrialBalance(start, end, rows, *before)


@dataclass
class Group:
    kind: str
    rows: list[Row] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(row.amount for row in self.rows)

    @property
    def previous_total(self) -> int:
        return sum(row.previous for row in self.rows)


@dataclass
class BalanceSheet:
    at: date
    assets: Group
    liabilities: Group
    equity: Group
    surplus: int  # income − expenses not yet closed into equity, included in "SHU of the current year"
    previous_at: date
    previous_surplus: int

    @property
    def liabilities_and_equity(self) -> int:
        return self.liabilities.total + self.equity.total

    @property
    def previous_liabilities_and_equity(self) -> int:
        return self.liabilities.previous_total + self.equity.previous_total

    @property
    def balanced(self) -> bool:
        return (self.assets.total == self.liabilities_and_equity
                and self.assets.previous_total == self.previous_liabilities_and_equity)


def _groups(sums, kinds: tuple[str, ...]) -> dict[str, Group]:
    """Rows in each kind's normal balance, now and before, grouped by kind."""
    groups = {kind: Group(kind) for kind in kinds}
    for ref, (now, then) in sums:
        if ref.kind in groups:
            groups[ref.kind].rows.append(Row(ref, normal(ref.kind, *now), normal(ref.kind, *then)))
    return groups


def neraca(koperasi: Koperasi | None, at: date, sums=None) -> BalanceSheet:
    """The balance sheet at the end of the koperasi's day ``at``, and at the end of the previous year
    (``sums``: those two windows' ``account_sums`` when the caller has them; then no koperasi is needed)."""
    before = previous_at(at)
    sums = sums or account_sums(koperasi, [window(koperasi, None, at), window(koperasi, None, before)])
    groups = _groups(sums, ("asset", "liability", "equity", "income", "expense"))
    surplus = groups["income"].total - groups["expense"].total
    previous_surplus = groups["income"].previous_total - groups["expense"].previous_total
    equity = Group("equity", [Row(r.account, r.amount + surplus, r.previous + previous_surplus)
                              if r.purpose == Purpose.SHU_CURRENT and r.account.standard else r
                              for r in groups["equity"].rows])
    return BalanceSheet(at, groups["asset"], groups["liability"], equity, surplus, before, previous_surplus)


@dataclass
class IncomeStatement:
    start: date
    end: date
    income: Group
    expenses: Group
    previous_start: date
    previous_end: date

    @property
    def surplus(self) -> int:
        """SHU before distribution: income − expenses (negative: a deficit)."""
        return self.income.total - self.expenses.total

    @property
    def previous_surplus(self) -> int:
        return self.income.previous_total - self.expenses.previous_total


def hasil_usaha(koperasi: Koperasi, start: date, end: date, sums=None) -> IncomeStatement:
    """Income and expenses over the koperasi's days ``start``..``end`` and the previous period,
    and the surplus; the year's closing entries are left out (``sums``: those two windows'
    ``account_sums`` when the caller has them)."""
    before = previous_period(start, end)
    sums = sums or account_sums(koperasi, [window(koperasi, start, end, closing=False),
                                           window(koperasi, *before, closing=False)])
    groups = _groups(sums, ("income", "expense"))
    return IncomeStatement(start, end, groups["income"], groups["expense"], *before)


def neraca_and_hasil_usaha(koperasi: Koperasi, start: date, at: date) -> tuple[BalanceSheet, IncomeStatement]:
    """``neraca(at)`` and ``hasil_usaha(start, at)`` from one query (the health rating reads both)."""
    before = previous_period(start, at)
    sums = account_sums(koperasi, [window(koperasi, None, at), window(koperasi, None, previous_at(at)),
                                   window(koperasi, start, at, closing=False), window(koperasi, *before, closing=False)])
    return (neraca(koperasi, at, [(ref, totals[:2]) for ref, totals in sums]),
            hasil_usaha(koperasi, start, at, [(ref, totals[2:]) for ref, totals in sums]))


@dataclass(frozen=True)
class LedgerLine:
    posted_at: datetime
    ref: str
    entry_kind: str
    memo: str
    debit: int
    credit: int
    balance: int  # running, in the account's normal balance


@dataclass
class AccountLedger:
    account: AccountRef
    start: date
    end: date
    opening: int  # the closing balance of the day before ``start``
    closing: int
    lines: list[LedgerLine]
    truncated: bool  # more lines than LEDGER_LINES in the period (a download)
    page: int = 1  # a page of LEDGER_PAGE lines (the phone's page), of ``pages``
    pages: int = 1

    code = property(lambda self: self.account.code)
    purpose = property(lambda self: self.account.purpose)
    kind = property(lambda self: self.account.kind)
    label = property(lambda self: self.account.label)

    @property
    def opening_day(self) -> date:
        """The day whose closing balance the ledger opens with: the end of the previous period."""
        return self.start - timedelta(days=1)


def find_account(koperasi: Koperasi, code: str) -> AccountRef | None:
    """The koperasi's account with this code (a standard one not yet created too), or None."""
    account = db.session.scalar(sa.select(Account).where(Account.koperasi_id == koperasi.id, Account.code == code))
    if account is not None:
        return AccountRef(account.id, account.code, account.purpose, account.kind, account.label)
    if code in BY_CODE:
        purpose, code, kind, label = BY_CODE[code]
        return AccountRef(None, code, purpose, kind, label)
    return None


def general_ledger(koperasi: Koperasi, code: str, start: date, end: date,
                   page: int | None = None) -> AccountLedger | None:
    """One account's lines over the period, oldest first, with the running balance from the
    closing balance of the day before ``start``; None for a code the koperasi does not have.
    ``page``: that page of ``LEDGER_PAGE`` lines, its running balance carried from the pages
    before (four queries); else the whole period up to ``LEDGER_LINES`` (three queries)."""
    ref = find_account(koperasi, code)
    if ref is None:
        return None
    if ref.id is None:
        return AccountLedger(ref, start, end, 0, 0, [], truncated=False)
    since, until = utc_bounds(koperasi, start, end)
    sign = 1 if ref.kind in DEBIT_NORMAL else -1
    # The koperasi on the entry too (always true): its entries by ``ix_entry_koperasi_posted``, never the others'.
    lines_of = (sa.select(Line).join(Entry, Entry.id == Line.entry_id)
                .where(Line.account_id == ref.id, Entry.koperasi_id == koperasi.id))
    before = sa.func.coalesce(sa.func.sum(sa.case((Entry.posted_at < since, Line.amount), else_=0)), 0)
    total = sa.func.coalesce(sa.func.sum(Line.amount), 0)
    inside = sa.func.count(sa.case((Entry.posted_at >= since, Line.id)))
    opening, closing, count = db.session.execute(lines_of.with_only_columns(before, total, inside)
                                                 .where(Entry.posted_at < until)).one()
    opening, closing = sign * int(opening), sign * int(closing)
    in_period = (lines_of.where(Entry.posted_at >= since, Entry.posted_at < until)
                 .order_by(Entry.posted_at, Line.entry_id, Line.id))
    pages = max(1, -(-count // LEDGER_PAGE))
    balance, offset, limit = opening, 0, LEDGER_LINES
    if page is not None:
        page = min(max(page, 1), pages)
        offset, limit = (page - 1) * LEDGER_PAGE, LEDGER_PAGE
        if offset:  # the pages before: their lines carried into this page's running balance
            earlier = in_period.with_only_columns(Line.amount).limit(offset).subquery()
            balance += sign * int(db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(earlier.c.amount), 0))))
    rows = db.session.execute(in_period.with_only_columns(Entry.posted_at, Entry.ref, Entry.kind, Entry.memo, Line.amount)
                              .offset(offset).limit(limit + 1)).all()
    lines = []
    for posted_at, entry_ref, entry_kind, memo, amount in rows[:limit]:
        balance += sign * amount
        lines.append(LedgerLine(posted_at, entry_ref, entry_kind, memo, max(amount, 0), max(-amount, 0), balance))
    return AccountLedger(ref, start, end, opening, closing, lines, truncated=page is None and len(rows) > limit,
                         page=page or 1, pages=pages if page is not None else 1)
