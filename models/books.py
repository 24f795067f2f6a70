"""The koperasi's statements, read from the ledger: trial balance, balance sheet (neraca),
income statement (laporan hasil usaha) and the general ledger of one account.

Rules kept here:
- Every account of the standard chart (``ledger.CHART``) is listed, in code order, even one
  the koperasi has not been given yet (accounts are created at the first posting): it is zero.
- Amounts are whole Rupiah in each account's normal balance: debit for assets and expenses,
  credit for liabilities, equity and income. A contra account (``ledger.CONTRA``: PPAP,
  accumulated depreciation) is shown inside its group as a deduction (a negative amount),
  so every group's rows add up to its total.
- The balance sheet includes the surplus not yet closed (income − expenses to the day)
  in "SHU of the current year", so assets = liabilities + equity whenever the entries balance.
- Days are the koperasi's own (its time zone, ``models.zones``); a period runs from the
  first day's midnight to the end of the last day.
- Each statement is one aggregate query over the lines (no query per account).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from models.base import db
from models.koperasi import Koperasi
from models.ledger import CHART, CONTRA, Account, Entry, Line, Purpose
from models.zones import zone_of

DEBIT_NORMAL = ("asset", "expense")
BY_CODE = {code: (purpose, code, kind, label) for purpose, code, kind, label in CHART}
LEDGER_LINES = 2000  # a general ledger page shows at most this many lines: narrow the period for more


def utc_bounds(koperasi: Koperasi, start: date | None, end: date) -> tuple[datetime | None, datetime]:
    """The koperasi's days ``start``..``end`` (both included) as naive UTC [from, until)."""
    offset = timedelta(hours=zone_of(koperasi).hours)
    until = datetime.combine(end + timedelta(days=1), time()) - offset
    return (datetime.combine(start, time()) - offset if start else None), until


def _sums(koperasi: Koperasi, start: date | None, end: date) -> dict[str, tuple[int, int]]:
    """Debit and credit totals per account purpose over the period: one query."""
    since, until = utc_bounds(koperasi, start, end)
    debit = sa.func.coalesce(sa.func.sum(sa.case((Line.amount > 0, Line.amount), else_=0)), 0)
    credit = sa.func.coalesce(sa.func.sum(sa.case((Line.amount < 0, -Line.amount), else_=0)), 0)
    query = (sa.select(Account.purpose, debit, credit).select_from(Line)
             .join(Account, Account.id == Line.account_id).join(Entry, Entry.id == Line.entry_id)
             .where(Account.koperasi_id == koperasi.id, Entry.posted_at < until).group_by(Account.purpose))
    if since is not None:
        query = query.where(Entry.posted_at >= since)
    return {purpose: (int(d), int(c)) for purpose, d, c in db.session.execute(query)}


def normal(kind: str, debit: int, credit: int) -> int:
    """A balance in the normal direction of its kind (a contra account comes out negative)."""
    return debit - credit if kind in DEBIT_NORMAL else credit - debit


@dataclass(frozen=True)
class Row:
    code: str
    purpose: str
    kind: str
    label: object  # lazy string
    amount: int  # in the kind's normal balance

    @property
    def contra(self) -> bool:
        return self.purpose in CONTRA


@dataclass(frozen=True)
class TrialRow:
    code: str
    purpose: str
    kind: str
    label: object
    debit: int
    credit: int


@dataclass
class TrialBalance:
    start: date
    end: date
    rows: list[TrialRow]

    @property
    def debit(self) -> int:
        return sum(row.debit for row in self.rows)

    @property
    def credit(self) -> int:
        return sum(row.credit for row in self.rows)

    @property
    def balanced(self) -> bool:
        return self.debit == self.credit


def trial_balance(koperasi: Koperasi, start: date, end: date) -> TrialBalance:
    """Every account's debit and credit totals over the koperasi's days ``start``..``end``."""
    sums = _sums(koperasi, start, end)
    rows = [TrialRow(code, purpose, kind, label, *sums.get(purpose, (0, 0))) for purpose, code, kind, label in CHART]
    return TrialBalance(start, end, rows)


@dataclass
class Group:
    kind: str
    rows: list[Row] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(row.amount for row in self.rows)


@dataclass
class BalanceSheet:
    at: date
    assets: Group
    liabilities: Group
    equity: Group
    surplus: int  # income − expenses not yet closed into equity, included in "SHU of the current year"

    @property
    def liabilities_and_equity(self) -> int:
        return self.liabilities.total + self.equity.total

    @property
    def balanced(self) -> bool:
        return self.assets.total == self.liabilities_and_equity


def _groups(sums: dict[str, tuple[int, int]], kinds: tuple[str, ...]) -> dict[str, Group]:
    groups = {kind: Group(kind) for kind in kinds}
    for purpose, code, kind, label in CHART:
        if kind in groups:
            groups[kind].rows.append(Row(code, purpose, kind, label, normal(kind, *sums.get(purpose, (0, 0)))))
    return groups


def neraca(koperasi: Koperasi, at: date) -> BalanceSheet:
    """The balance sheet at the end of the koperasi's day ``at``."""
    sums = _sums(koperasi, None, at)
    groups = _groups(sums, ("asset", "liability", "equity", "income", "expense"))
    surplus = groups["income"].total - groups["expense"].total
    equity = Group("equity", [Row(r.code, r.purpose, r.kind, r.label, r.amount + surplus)
                              if r.purpose == Purpose.SHU_CURRENT else r for r in groups["equity"].rows])
    return BalanceSheet(at, groups["asset"], groups["liability"], equity, surplus)


@dataclass
class IncomeStatement:
    start: date
    end: date
    income: Group
    expenses: Group

    @property
    def surplus(self) -> int:
        """SHU before distribution: income − expenses (negative: a deficit)."""
        return self.income.total - self.expenses.total


def hasil_usaha(koperasi: Koperasi, start: date, end: date) -> IncomeStatement:
    """Income and expenses over the koperasi's days ``start``..``end``, and the surplus."""
    groups = _groups(_sums(koperasi, start, end), ("income", "expense"))
    return IncomeStatement(start, end, groups["income"], groups["expense"])


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
    code: str
    purpose: str
    kind: str
    label: object
    start: date
    end: date
    opening: int
    closing: int
    lines: list[LedgerLine]
    truncated: bool  # more lines than LEDGER_LINES in the period


def general_ledger(koperasi: Koperasi, code: str, start: date, end: date) -> AccountLedger | None:
    """One account's lines over the period, oldest first, with the running balance from the
    balance before ``start``; None for a code the chart does not have. Three queries."""
    if code not in BY_CODE:
        return None
    purpose, code, kind, label = BY_CODE[code]
    since, until = utc_bounds(koperasi, start, end)
    sign = 1 if kind in DEBIT_NORMAL else -1
    lines_of = (sa.select(Line).join(Entry, Entry.id == Line.entry_id).join(Account, Account.id == Line.account_id)
                .where(Account.koperasi_id == koperasi.id, Account.purpose == purpose))
    total = sa.func.coalesce(sa.func.sum(Line.amount), 0)
    opening = sign * int(db.session.scalar(lines_of.with_only_columns(total).where(Entry.posted_at < since)))
    closing = sign * int(db.session.scalar(lines_of.with_only_columns(total).where(Entry.posted_at < until)))
    rows = db.session.execute(
        lines_of.with_only_columns(Entry.posted_at, Entry.ref, Entry.kind, Entry.memo, Line.amount)
        .where(Entry.posted_at >= since, Entry.posted_at < until)
        .order_by(Entry.posted_at, Line.entry_id, Line.id).limit(LEDGER_LINES + 1)).all()
    balance, lines = opening, []
    for posted_at, ref, entry_kind, memo, amount in rows[:LEDGER_LINES]:
        balance += sign * amount
        lines.append(LedgerLine(posted_at, ref, entry_kind, memo, max(amount, 0), max(-amount, 0), balance))
    return AccountLedger(code, purpose, kind, label, start, end, opening, closing, lines,
                         truncated=len(rows) > LEDGER_LINES)

