"""A member's savings statement (mutasi) and the balances a receipt shows.

The rule: a member's savings balance is the credit balance of their lines on the
three savings accounts (pokok, wajib, sukarela), i.e. ``-SUM(amount)``. A statement
lists those lines in posting order (the receipt order) with the balance after each
one; a page or a month starts from an opening balance that is one SUM query over the
lines before it, so the running balance is right on every page without reading the
lines before it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from models.ledger import SAVINGS, Account, Entry, Line
from models.membership import WIB
from web.extensions import db

KIND_OF = {purpose.value: kind for kind, purpose in SAVINGS.items()}
PER_PAGE = 50
ENTRY_LABELS = {
    "deposit": _l("Deposit"),
    "withdrawal": _l("Withdrawal"),
    "refund": _l("Refund on resignation"),
    "disbursement": _l("Loan disbursement"),
    "repayment": _l("Loan repayment"),
    "reversal": _l("Correction (reversal)"),
}


@dataclass
class StatementLine:
    line_id: int
    posted_at: datetime  # UTC
    ref: str
    entry_kind: str  # deposit, withdrawal, refund, …
    kind: str  # pokok, wajib, sukarela
    amount: int  # the member's side: + in, - out
    balance: int  # total savings after this line

    @property
    def money_in(self) -> int:
        return max(0, self.amount)

    @property
    def money_out(self) -> int:
        return -self.amount if self.amount < 0 else 0


def _savings_lines(membership_id: int):
    """The member's lines on the savings accounts (the statement's WHERE clause)."""
    return (sa.select(Line.id).join(Account, Account.id == Line.account_id)
            .where(Line.membership_id == membership_id, Account.purpose.in_(list(KIND_OF))))


def month_range(month: str | None) -> tuple[datetime, datetime] | None:
    """"2026-03" → that month in WIB as a naive UTC [start, end), or None if unreadable."""
    try:
        start = datetime.strptime(month or "", "%Y-%m")
    except ValueError:
        return None
    end = datetime(start.year + start.month // 12, start.month % 12 + 1, 1)
    offset = start.replace(tzinfo=WIB).utcoffset()
    return start - offset, end - offset


def months(membership_id: int) -> list[str]:
    """The months (WIB, "YYYY-MM", newest first) that have statement lines."""
    # WIB is UTC+7 all year (no daylight saving).
    if db.session.get_bind().dialect.name == "postgresql":
        label = sa.func.to_char(Entry.posted_at + sa.text("interval '7 hours'"), "YYYY-MM")
    else:
        label = sa.func.strftime("%Y-%m", Entry.posted_at, "+7 hours")
    query = (_savings_lines(membership_id).with_only_columns(label.label("month")).distinct()
             .join(Entry, Entry.id == Line.entry_id).order_by(sa.desc("month")))
    return list(db.session.scalars(query))


def _filtered(membership_id: int, month: str | None):
    query = _savings_lines(membership_id).join(Entry, Entry.id == Line.entry_id)
    if (bounds := month_range(month)) is not None:
        query = query.where(Entry.posted_at >= bounds[0], Entry.posted_at < bounds[1])
    return query


def count(membership_id: int, month: str | None = None) -> int:
    query = _filtered(membership_id, month).with_only_columns(sa.func.count(Line.id))
    return db.session.scalar(query) or 0


def balance_through(membership_id: int, line_id: int, inclusive: bool = True) -> int:
    """Total savings after (or before) one line: one SUM over the index on
    (membership_id, account_id, id)."""
    bound = Line.id <= line_id if inclusive else Line.id < line_id
    query = _savings_lines(membership_id).with_only_columns(-sa.func.coalesce(sa.func.sum(Line.amount), 0))
    return int(db.session.scalar(query.where(bound)) or 0)


def _rows(query) -> list[tuple]:
    return db.session.execute(query.with_only_columns(
        Line.id, Entry.posted_at, Entry.ref, Entry.kind, Account.purpose, Line.amount)).all()


def page(membership_id: int, page_number: int, month: str | None = None,
         per_page: int = PER_PAGE) -> list[StatementLine]:
    """One page of the statement, newest first, each line with the balance after it."""
    query = (_filtered(membership_id, month).order_by(Line.id.desc())
             .limit(per_page).offset((page_number - 1) * per_page))
    rows = _rows(query)
    if not rows:
        return []
    balance = balance_through(membership_id, rows[0][0])
    result = []
    for line_id, posted_at, ref, entry_kind, purpose, amount in rows:
        result.append(StatementLine(line_id, posted_at, ref, entry_kind, KIND_OF[purpose], -amount, balance))
        balance += amount  # walking back in time: undo this line
    return result


def oldest_first(membership_id: int, month: str | None = None) -> Iterator[StatementLine]:
    """Every line of the statement (or of one month), oldest first, for the CSV."""
    rows = _rows(_filtered(membership_id, month).order_by(Line.id))
    if not rows:
        return
    balance = balance_through(membership_id, rows[0][0], inclusive=False)
    for line_id, posted_at, ref, entry_kind, purpose, amount in rows:
        balance -= amount
        yield StatementLine(line_id, posted_at, ref, entry_kind, KIND_OF[purpose], -amount, balance)


def balances_after(entry: Entry, membership_id: int) -> dict[str, int]:
    """The member's savings by kind just after this entry (what the receipt shows)."""
    last = max(line.id for line in entry.lines)
    rows = db.session.execute(
        sa.select(Account.purpose, -sa.func.sum(Line.amount)).join(Account, Account.id == Line.account_id)
        .where(Line.membership_id == membership_id, Account.purpose.in_(list(KIND_OF)), Line.id <= last)
        .group_by(Account.purpose)).all()
    found = {KIND_OF[purpose]: int(total) for purpose, total in rows}
    return {kind: found.get(kind, 0) for kind in SAVINGS}
