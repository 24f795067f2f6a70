"""A member's savings statement (mutasi), the balances a receipt shows, and the one
table that names every kind of entry.

The rule: a member's savings balance is the credit balance of their lines on the
three savings accounts (pokok, wajib, sukarela), i.e. ``-SUM(amount)``. A statement
lists those lines in posting-time order (then entry, then line: a back-dated entry
takes its place in time, not at the end) with the balance after each one; a page or
a month starts from an opening balance that is one SUM query over the lines before
it in that same order, so the running balance is right on every page, in the CSV
and on every receipt.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from models.base import db
from models.ledger import MEANS, SAVINGS, Account, Entry, Line, Purpose
from models.zones import WIB, Zone

KIND_OF = {purpose.value: kind for kind, purpose in SAVINGS.items()}
PER_PAGE = 50
# Every kind of entry the code posts (``ledger.post(koperasi, kind, ...)``), as users read it.
ENTRY_LABELS = {
    "deposit": _l("Deposit"),
    "withdrawal": _l("Withdrawal"),
    "withdrawal_hold": _l("Withdrawal to a bank or e-wallet, held"),
    "withdrawal_payout": _l("Withdrawal paid out to a bank or e-wallet"),
    "withdrawal_release": _l("Withdrawal rejected, hold released"),
    "refund": _l("Refund on resignation"),
    "order_refund": _l("Refund of a cancelled order"),
    "purchase": _l("Market purchase"),
    "stall_payment": _l("Payment at a member's store"),
    "stall_refund": _l("Refund of a payment at a store"),
    "settlement": _l("Market sale paid to the seller"),
    "store_sale": _l("Sale of the koperasi's own store"),
    "disbursement": _l("Loan disbursement"),
    "repayment": _l("Loan repayment"),
    "reversal": _l("Correction (reversal)"),
    "savings_interest": _l("Interest on sukarela"),
    "interest_tax": _l("Final tax on interest (PPh, PP 15/2009)"),
    "dues_autopay": _l("Simpanan wajib paid from sukarela"),
    "year_close": _l("Closing of the book year"),
    "offset": _l("Loan paid from savings on resignation (kompensasi)"),
    "write_off": _l("Loan written off (hapus buku)"),
    "recovery": _l("Recovery of a written-off loan"),
    "provision": _l("Loan-loss allowance (PPAP)"),
    "opening": _l("Opening balances"),
    "import": _l("Opening balances brought in by the import"),
    "cash_in": _l("Cash in (kas masuk)"),
    "cash_out": _l("Cash out (kas keluar)"),
    "cash_count": _l("Cash count difference"),
    "journal": _l("Journal entry"),
    "shu": _l("SHU (share of the year's surplus)"),
}


def entry_label(kind: str):
    return ENTRY_LABELS.get(kind, kind)


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


# Posting order: the time an entry is dated, then the entry, then its lines.
OLDEST_FIRST = (Entry.posted_at, Line.entry_id, Line.id)
NEWEST_FIRST = tuple(column.desc() for column in OLDEST_FIRST)


def _up_to(posted_at: datetime, entry_id: int, line_id: int, inclusive: bool = True):
    """Lines at or before (or strictly before) one line, in posting order."""
    last = Line.id <= line_id if inclusive else Line.id < line_id
    return sa.or_(Entry.posted_at < posted_at,
                  sa.and_(Entry.posted_at == posted_at,
                          sa.or_(Line.entry_id < entry_id, sa.and_(Line.entry_id == entry_id, last))))


def month_range(month: str | None, zone: Zone = WIB) -> tuple[datetime, datetime] | None:
    """"2026-03" → that month in the koperasi's zone as a naive UTC [start, end), or
    None if unreadable."""
    try:
        start = datetime.strptime(month or "", "%Y-%m")
    except ValueError:
        return None
    end = datetime(start.year + start.month // 12, start.month % 12 + 1, 1)
    offset = start.replace(tzinfo=zone.tz).utcoffset()
    return start - offset, end - offset


def months(membership_id: int, zone: Zone = WIB) -> list[str]:
    """The months (in the koperasi's zone, "YYYY-MM", newest first) that have statement lines."""
    # Indonesia's zones keep a fixed offset all year (no daylight saving).
    if db.session.get_bind().dialect.name == "postgresql":
        label = sa.func.to_char(Entry.posted_at + sa.text(f"interval '{zone.hours:d} hours'"), "YYYY-MM")
    else:
        label = sa.func.strftime("%Y-%m", Entry.posted_at, f"+{zone.hours:d} hours")
    query = (_savings_lines(membership_id).with_only_columns(label.label("month")).distinct()
             .join(Entry, Entry.id == Line.entry_id).order_by(sa.desc("month")))
    return list(db.session.scalars(query))


def _filtered(membership_id: int, month: str | None, zone: Zone = WIB):
    query = _savings_lines(membership_id).join(Entry, Entry.id == Line.entry_id)
    if (bounds := month_range(month, zone)) is not None:
        query = query.where(Entry.posted_at >= bounds[0], Entry.posted_at < bounds[1])
    return query


def count(membership_id: int, month: str | None = None, zone: Zone = WIB) -> int:
    query = _filtered(membership_id, month, zone).with_only_columns(sa.func.count(Line.id))
    return db.session.scalar(query) or 0


def balance_through(membership_id: int, posted_at: datetime, entry_id: int, line_id: int,
                    inclusive: bool = True) -> int:
    """Total savings after (or before) one line in posting order: one SUM query."""
    query = (_savings_lines(membership_id).join(Entry, Entry.id == Line.entry_id)
             .with_only_columns(-sa.func.coalesce(sa.func.sum(Line.amount), 0)))
    return int(db.session.scalar(query.where(_up_to(posted_at, entry_id, line_id, inclusive))) or 0)


def _rows(query) -> list[tuple]:
    return db.session.execute(query.with_only_columns(
        Line.id, Line.entry_id, Entry.posted_at, Entry.ref, Entry.kind, Account.purpose, Line.amount)).all()


def page(membership_id: int, page_number: int, month: str | None = None, per_page: int = PER_PAGE,
         zone: Zone = WIB) -> list[StatementLine]:
    """One page of the statement, newest first, each line with the balance after it."""
    query = (_filtered(membership_id, month, zone).order_by(*NEWEST_FIRST)
             .limit(per_page).offset((page_number - 1) * per_page))
    rows = _rows(query)
    if not rows:
        return []
    line_id, entry_id, posted_at = rows[0][:3]
    balance = balance_through(membership_id, posted_at, entry_id, line_id)
    result = []
    for line_id, _entry_id, posted_at, ref, entry_kind, purpose, amount in rows:
        result.append(StatementLine(line_id, posted_at, ref, entry_kind, KIND_OF[purpose], -amount, balance))
        balance += amount  # walking back in time: undo this line
    return result


def oldest_first(membership_id: int, month: str | None = None, zone: Zone = WIB) -> Iterator[StatementLine]:
    """Every line of the statement (or of one month), oldest first, for the CSV."""
    rows = _rows(_filtered(membership_id, month, zone).order_by(*OLDEST_FIRST))
    if not rows:
        return
    line_id, entry_id, posted_at = rows[0][:3]
    balance = balance_through(membership_id, posted_at, entry_id, line_id, inclusive=False)
    for line_id, _entry_id, posted_at, ref, entry_kind, purpose, amount in rows:
        balance -= amount
        yield StatementLine(line_id, posted_at, ref, entry_kind, KIND_OF[purpose], -amount, balance)


def balances_after(entry: Entry, membership_id: int) -> dict[str, int]:
    """The member's savings by kind just after this entry in posting order (what the
    receipt shows, also for an entry dated in the past)."""
    last = max(line.id for line in entry.lines)
    rows = db.session.execute(
        sa.select(Account.purpose, -sa.func.sum(Line.amount)).join(Account, Account.id == Line.account_id)
        .join(Entry, Entry.id == Line.entry_id)
        .where(Line.membership_id == membership_id, Account.purpose.in_(list(KIND_OF)),
               _up_to(entry.posted_at, entry.id, last))
        .group_by(Account.purpose)).all()
    found = {KIND_OF[purpose]: int(total) for purpose, total in rows}
    return {kind: found.get(kind, 0) for kind in SAVINGS}


# ---------------------------------------------------------------- what a receipt itemises

PAID_OUT = {"cash": _l("Cash paid out"), "bank": _l("Paid out by bank transfer")}
PAID_IN = {"cash": _l("Paid in cash"), "bank": _l("Paid by bank transfer")}
LOAN_PARTS = {
    "disbursement": [(Purpose.LOANS, 1, _l("Loan principal")), (Purpose.FEES, -1, _l("Fee (provisi)"))],
    "repayment": [(Purpose.PENALTIES, -1, _l("Late fee (denda)")), (Purpose.INTEREST, -1, _l("Interest (jasa)")),
                  (Purpose.LOANS, -1, _l("Principal"))],
}
LOAN_PARTS["offset"] = LOAN_PARTS["repayment"]


@dataclass
class ReceiptParts:
    """What a receipt shows besides savings: the amount that changed hands (in
    figures and words) and the items it is made of."""

    amount: int
    items: list[tuple] = field(default_factory=list)  # (label, amount)


def receipt_parts(entry: Entry) -> ReceiptParts:
    """A disbursement: principal, fee and the cash the member got (principal minus a
    deducted fee), which is the receipt's amount. A repayment: late fee, interest and
    principal. Anything else: its total."""
    parts = LOAN_PARTS.get(entry.kind)
    if not parts:
        return ReceiptParts(entry.total)
    by_purpose: dict[str, int] = {}
    for line in entry.lines:
        by_purpose[line.account.purpose] = by_purpose.get(line.account.purpose, 0) + line.amount
    items = [(label, sign * by_purpose[purpose]) for purpose, sign, label in parts if by_purpose.get(purpose)]
    if entry.kind == "disbursement":
        means, paid = next(((means, -by_purpose[purpose]) for means, purpose in MEANS.items()
                            if by_purpose.get(purpose)), ("cash", 0))
        return ReceiptParts(paid, [*items, (PAID_OUT[means], paid)])
    means = next((means for means, purpose in MEANS.items() if by_purpose.get(purpose)), None)
    return ReceiptParts(entry.total, [*items, (PAID_IN[means], entry.total)] if means else items)
