"""The cash flow (arus kas) and the changes in equity (perubahan ekuitas), read from the ledger,
each for a period with the previous period beside it (``books.previous_period``).

Rules kept here:
- Cash is the accounts of purpose cash and bank, their sub-accounts included. The cash flow
  opens with their balance the day before the period, closes with their balance at its end,
  and in between shows every entry that touched cash by its *counterpart* accounts (the
  entry's other lines): a credit to a counterpart is a receipt, a debit a payment. An entry
  balances, so the counterparts' flows add up to the change in cash, and the closing balance
  always equals the accounts' balance. A move between cash and bank has no counterpart and
  shows only in the balances.
- Each counterpart account belongs to one activity (``ACTIVITY``): investing for fixed
  assets; financing for the members' capital (simpanan pokok and wajib), reserve, grants,
  borrowings and the SHU paid out; operating for everything else (sukarela deposits and
  withdrawals, loans disbursed and repaid, interest, fees, store, payables, expenses).
- The changes in equity show each equity account's opening balance (as the balance sheet
  shows it the day before), its increases (credits) and decreases (debits), and the
  period's surplus (income − expenses, as the income statement computes it) in "SHU of the
  current year", whose balance-sheet amount includes the surplus not yet closed. The year's
  closing entry only moves that surplus into the account, so it is left out of the
  increases and decreases; the closing balances therefore equal the balance sheet's equity.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from models.base import db
from models.books import AccountRef, account_sums, balances_by_purpose, normal, previous_period, utc_bounds, window
from models.koperasi import Koperasi
from models.ledger import Account, Entry, Line, Purpose

CASH = (Purpose.CASH, Purpose.BANK)
ACTIVITIES = ("operating", "investing", "financing")
ACTIVITY = {
    Purpose.FIXED_ASSETS: "investing", Purpose.DEPRECIATION_ACC: "investing",
    Purpose.POKOK: "financing", Purpose.WAJIB: "financing", Purpose.RESERVE: "financing",
    Purpose.GRANTS: "financing", Purpose.BORROWINGS: "financing", Purpose.SHU_CURRENT: "financing",
    Purpose.SHU_RETAINED: "financing", Purpose.SHU_PAYABLE: "financing", Purpose.SHU_BOARD: "financing",
    Purpose.SHU_STAFF: "financing", Purpose.SHU_EDUCATION: "financing", Purpose.SHU_SOCIAL: "financing",
}  # every other counterpart: operating


@dataclass(frozen=True)
class Flow:
    """One counterpart account's money into and out of cash, now and in the previous period."""

    account: AccountRef
    receipts: int
    payments: int
    previous_receipts: int
    previous_payments: int

    code = property(lambda self: self.account.code)
    label = property(lambda self: self.account.label)


@dataclass
class Activity:
    name: str  # operating, investing, financing
    flows: list[Flow]

    @property
    def receipts(self) -> list[Flow]:
        return [flow for flow in self.flows if flow.receipts or flow.previous_receipts]

    @property
    def payments(self) -> list[Flow]:
        return [flow for flow in self.flows if flow.payments or flow.previous_payments]

    @property
    def net(self) -> int:
        return sum(flow.receipts - flow.payments for flow in self.flows)

    @property
    def previous_net(self) -> int:
        return sum(flow.previous_receipts - flow.previous_payments for flow in self.flows)


@dataclass
class CashFlow:
    start: date
    end: date
    previous_start: date
    previous_end: date
    opening: int  # cash and bank the day before ``start``
    closing: int  # cash and bank at the end of ``end``
    previous_opening: int
    previous_closing: int  # the previous period need not end the day before this one starts (a month to date)
    activities: list[Activity]

    @property
    def net(self) -> int:
        return sum(activity.net for activity in self.activities)

    @property
    def previous_net(self) -> int:
        return sum(activity.previous_net for activity in self.activities)


def cash_flow(koperasi: Koperasi, start: date, end: date) -> CashFlow:
    """Cash and bank over the koperasi's days ``start``..``end`` and the previous period: the
    balances (from the accounts' day totals), and the receipts and payments by counterpart
    account (from the periods' lines). Two queries."""
    previous_start, previous_end = previous_period(start, end)
    earliest, previous_until = utc_bounds(koperasi, previous_start, previous_end)
    since, until = utc_bounds(koperasi, start, end)
    cash = Account.purpose.in_(CASH)
    # The balances from the accounts' day totals (``books.balances_by_purpose``), cash and bank together.
    by_purpose = balances_by_purpose(koperasi, [earliest, previous_until, since, until], CASH)
    previous_opening, previous_closing, opening, closing = (sum(values[n] for values in by_purpose.values())
                                                            for n in range(4))

    cash_line, cash_account = aliased(Line), aliased(Account)
    touches_cash = (sa.select(cash_line.id).join(cash_account, cash_account.id == cash_line.account_id)
                    .where(cash_line.entry_id == Line.entry_id, cash_account.purpose.in_(CASH)).exists())

    def moved(sign: int, low, high):
        inside = sa.and_(Entry.posted_at >= low, Entry.posted_at < high, sign * Line.amount > 0)
        return sa.func.coalesce(sa.func.sum(sa.case((inside, sign * Line.amount), else_=0)), 0)

    flows = (sa.select(Account, moved(-1, since, until), moved(1, since, until),
                       moved(-1, earliest, previous_until), moved(1, earliest, previous_until))
             .select_from(Line).join(Entry, Entry.id == Line.entry_id).join(Account, Account.id == Line.account_id)
             .where(Account.koperasi_id == koperasi.id, Entry.posted_at >= earliest, Entry.posted_at < until,
                    sa.not_(cash), touches_cash)
             .group_by(Account.id).order_by(Account.code, Account.id))
    by_activity: dict[str, list[Flow]] = {name: [] for name in ACTIVITIES}
    for account, *amounts in db.session.execute(flows):
        ref = AccountRef(account.id, account.code, account.purpose, account.kind, account.label)
        by_activity[ACTIVITY.get(account.purpose, "operating")].append(Flow(ref, *(int(a) for a in amounts)))
    activities = [Activity(name, by_activity[name]) for name in ACTIVITIES]
    return CashFlow(start, end, previous_start, previous_end, opening, closing, previous_opening, previous_closing,
                    activities)


@dataclass(frozen=True)
class Movement:
    """An equity account over one period: as the balance sheet shows it before and after."""

    opening: int
    increases: int
    decreases: int
    surplus: int = 0  # the period's surplus, in "SHU of the current year" only

    @property
    def closing(self) -> int:
        return self.opening + self.increases - self.decreases + self.surplus


@dataclass(frozen=True)
class EquityRow:
    account: AccountRef
    now: Movement
    before: Movement

    code = property(lambda self: self.account.code)
    label = property(lambda self: self.account.label)


@dataclass
class EquityChanges:
    start: date
    end: date
    previous_start: date
    previous_end: date
    rows: list[EquityRow]
    surplus: int  # the period's surplus (income − expenses), closing entries left out
    previous_surplus: int

    def total(self, period: str) -> Movement:
        """The sum of the rows' movements in ``now`` or ``before``."""
        moves = [getattr(row, period) for row in self.rows]
        return Movement(*(sum(getattr(m, name) for m in moves) for name in ("opening", "increases", "decreases",
                                                                           "surplus")))


def equity_changes(koperasi: Koperasi, start: date, end: date) -> EquityChanges:
    """Each equity account's opening, increases, decreases and closing over the koperasi's days
    ``start``..``end`` and the previous period, with the surplus: one query."""
    previous_start, previous_end = previous_period(start, end)
    day = timedelta(days=1)
    sums = account_sums(koperasi, [
        window(koperasi, None, previous_start - day),  # the balances before the previous period
        window(koperasi, None, start - day),  # before this period
        window(koperasi, previous_start, previous_end, closing=False),
        window(koperasi, start, end, closing=False),
    ])

    def surplus(n: int) -> int:
        return sum(normal(ref.kind, *totals[n]) * (1 if ref.kind == "income" else -1)
                   for ref, totals in sums if ref.kind in ("income", "expense"))

    unclosed_then, unclosed_now = surplus(0), surplus(1)
    previous_surplus, this_surplus = surplus(2), surplus(3)
    rows = []
    for ref, totals in sums:
        if ref.kind != "equity":
            continue
        shu = ref.purpose == Purpose.SHU_CURRENT and ref.standard
        (d0, c0), (d1, c1), (d2, c2), (d3, c3) = totals
        before = Movement(c0 - d0 + (unclosed_then if shu else 0), c2, d2, previous_surplus if shu else 0)
        now = Movement(c1 - d1 + (unclosed_now if shu else 0), c3, d3, this_surplus if shu else 0)
        rows.append(EquityRow(ref, now, before))
    return EquityChanges(start, end, previous_start, previous_end, rows, this_surplus, previous_surplus)
