"""A store's sales record from its marketplace orders, and applying for working capital with it.

Rules kept here:
- The record covers the last six full calendar months in the koperasi's zone (the running
  month is not yet a month of sales). A sale is a COMPLETED order, counted in the month it
  was completed, for its total (goods and delivery, Rupiah), whatever way it was paid; and a
  payment at the stall (``models.stall``), counted in the month paid, less any refund. A
  payment refunded whole counts as a cancellation in the month refunded.
- Orders: the completed orders in those months. Cancellations: orders cancelled in those
  months (by the seller, the buyer, or refunded after completion). Repeat buyers: buyers
  with two or more completed orders in those months.
- Growth: (sales of the last 3 months − sales of the 3 months before) ÷ sales of the 3
  months before, in percent; none when the 3 months before sold nothing.
- A seller applies from their own open store, as an active member of the store's
  koperasi, for one of that koperasi's loan products; the record is kept with the
  application as it stood then (``models.capital.CapitalLoan``).
- The suggested ceiling: the koperasi's percentage of the average monthly sales over its
  latest months that count, less the principal the seller still owes (loans being repaid,
  and approved loans not yet paid out); never below Rp0. Staff decide; it does not bind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import lazyload

from models import months as calendar_months
from models import stall
from models.base import db
from models.capital import DEFAULT_MONTHS, DEFAULT_PERCENT, RECORD_MONTHS, CapitalLoan, CapitalRule, check_pledge, rule_of
from models.errors import DomainError
from models.koperasi import Koperasi
from models.loans import Instalment, Loan, LoanProduct, LoanStatus, apply
from models.market import Store, StoreStatus
from models.membership import Membership, MemberStatus
from models.orders import Order, OrderEvent, OrderStatus


@dataclass
class Month:
    month: str  # "YYYY-MM"
    sales: int
    orders: int


@dataclass
class Record:
    months: list[Month]  # oldest first
    orders: int
    cancellations: int
    repeat_buyers: int
    growth_bp: int | None

    @property
    def sales(self) -> int:
        return sum(m.sales for m in self.months)

    def average(self, count: int) -> int:
        """The average monthly sales of the latest ``count`` months (whole Rupiah, down)."""
        latest = self.months[-count:] if count else []
        return sum(m.sales for m in latest) // len(latest) if latest else 0


def window(koperasi: Koperasi, today: date | None = None) -> list[date]:
    """The record's months (first days), oldest first: the six full months before this one."""
    last = calendar_months.previous(today.replace(day=1) if today else calendar_months.current(koperasi))
    first = last
    for _ in range(RECORD_MONTHS - 1):
        first = calendar_months.previous(first)
    return calendar_months.months_between(first, last)


def _events(store_id: int, start, end):
    """(order id, buyer, total, status, when) of the store's orders completed or cancelled in [start, end), and its
    stall payments alike (``stall.sales_events``, tagged ids): two queries."""
    return stall.sales_events(store_id, start, end) + db.session.execute(
        sa.select(Order.id, Order.buyer_id, Order.total_idr, Order.status, OrderEvent.at)
        .join(OrderEvent, OrderEvent.order_id == Order.id)
        .where(Order.store_id == store_id, Order.status.in_([OrderStatus.COMPLETED, OrderStatus.CANCELLED]),
               OrderEvent.status == Order.status, OrderEvent.at >= start, OrderEvent.at < end)).all()


def record(store: Store, today: date | None = None) -> Record:
    """The store's record now (module rules): three queries."""
    koperasi = store.koperasi
    months = window(koperasi, today)
    bounds = [calendar_months.bounds(koperasi, m) for m in months]
    start, end = bounds[0][0], bounds[-1][1]
    rows = _events(store.id, start, end)
    done = [row for row in rows if row.status == OrderStatus.COMPLETED]
    sales = {m: [0, 0] for m in months}
    per_buyer: dict[int, int] = {}
    for _id, buyer, total, _status, at in done:
        month = next(m for m, (low, high) in zip(months, bounds, strict=True) if low <= at < high)
        sales[month][0] += total
        sales[month][1] += 1
        per_buyer[buyer] = per_buyer.get(buyer, 0) + 1
    cancelled = len({row.id for row in rows if row.status == OrderStatus.CANCELLED})
    shown = [Month(calendar_months.label(m), *sales[m]) for m in months]
    return Record(shown, len(done), cancelled, sum(1 for n in per_buyer.values() if n >= 2), growth_bp(shown))


def growth_bp(rows: list[Month]) -> int | None:
    """(last 3 months − the 3 before) ÷ the 3 before, in hundredths of a percent (rounded down)."""
    before, after = sum(m.sales for m in rows[-6:-3]), sum(m.sales for m in rows[-3:])
    return (after - before) * 10000 // before if before else None


def snapshot(capital: CapitalLoan) -> Record:
    """The record as the seller showed it when applying."""
    return Record([Month(*row) for row in capital.months], capital.orders, capital.cancellations,
                  capital.repeat_buyers, capital.growth_bp)


# ---------------------------------------------------------------- applying

def seller_membership(store: Store, user) -> Membership:
    """The seller's active membership in the store's koperasi, for borrowing against the store."""
    if store.owner_id != user.id or store.membership_id is None:
        raise DomainError(_l("Only a member's own store can apply for working capital."))
    if store.status != StoreStatus.APPROVED:
        raise DomainError(_l("The store must be open (approved by the koperasi) to apply."))
    membership = db.session.get(Membership, store.membership_id)
    if membership is None or membership.status != MemberStatus.ACTIVE or membership.awaiting_claim:
        raise DomainError(_l("Only an active member can apply for a loan."))
    return membership


def apply_for_capital(store: Store, user, product: LoanProduct, amount: int, tenor: int, purpose: str,
                      pledge: int | None, today: date | None = None) -> Loan:
    """The seller applies; the loan carries the store's record as it is now (module rules)."""
    membership = seller_membership(store, user)
    pledge = check_pledge(pledge)
    loan = apply(membership, product, amount, tenor, purpose, business_name=store.name)
    now = record(store, today)
    db.session.add(CapitalLoan(loan_id=loan.id, store_id=store.id, pledge_percent=pledge,
                               months=[[m.month, m.sales, m.orders] for m in now.months], orders=now.orders,
                               cancellations=now.cancellations, repeat_buyers=now.repeat_buyers,
                               growth_bp=now.growth_bp))
    db.session.flush()
    return loan


# ---------------------------------------------------------------- the suggested ceiling

@dataclass
class Ceiling:
    percent: int
    months: int
    average: int  # monthly sales over the months that count
    by_rule: int  # percent × average
    outstanding: int  # principal the seller owes on other loans
    suggested: int  # by_rule − outstanding, not below 0


def outstanding_principal(membership_id: int, but: int | None = None) -> int:
    """Principal still owed on the member's loans being repaid, plus approved loans not yet paid out."""
    active = (sa.select(sa.func.coalesce(sa.func.sum(Instalment.principal_due - Instalment.principal_paid), 0))
              .join(Loan, Loan.id == Instalment.loan_id)
              .where(Loan.membership_id == membership_id, Loan.status == LoanStatus.ACTIVE, Loan.id != (but or 0)))
    approved = (sa.select(sa.func.coalesce(sa.func.sum(Loan.principal_idr), 0))
                .where(Loan.membership_id == membership_id, Loan.status == LoanStatus.APPROVED, Loan.id != (but or 0)))
    both = db.session.execute(sa.select(active.scalar_subquery(), approved.scalar_subquery())).one()
    return int(both[0]) + int(both[1])


def ceiling(koperasi_id: int, rec: Record, membership_id: int, loan_id: int | None = None,
            rule: CapitalRule | None = None) -> Ceiling:
    """The suggested ceiling by the koperasi's rule (module rules)."""
    rule = rule or rule_of(koperasi_id)
    average = rec.average(rule.months)
    by_rule = average * rule.percent // 100
    owing = outstanding_principal(membership_id, but=loan_id)
    return Ceiling(rule.percent, rule.months, average, by_rule, owing, max(by_rule - owing, 0))


@dataclass
class Application:
    """A seller's application as the office sees it (``for_office``)."""

    cap: CapitalLoan
    store: Store
    shown: Record
    live: Record
    ceiling: Ceiling


LOOK_UP = object()  # ``for_office``: the caller has not looked for the loan's CapitalLoan


def for_office(loan: Loan, cap: CapitalLoan | None | object = LOOK_UP) -> Application | None:
    """The record kept with a loan (None for other loans), the record now and the ceiling: three
    queries besides finding the ``CapitalLoan`` (``cap``, when the caller loaded it with the loan)."""
    if cap is LOOK_UP:
        cap = db.session.get(CapitalLoan, loan.id)
    if cap is None:
        return None
    store, rule = db.session.execute(
        sa.select(Store, CapitalRule).outerjoin(CapitalRule, CapitalRule.koperasi_id == Store.koperasi_id)
        .where(Store.id == cap.store_id).options(lazyload(Store.koperasi))).one()  # the loan's koperasi is the office's
    rule = rule or CapitalRule(koperasi_id=store.koperasi_id, percent=DEFAULT_PERCENT, months=DEFAULT_MONTHS)
    shown = snapshot(cap)
    return Application(cap, store, shown, record(store), ceiling(loan.koperasi_id, shown, loan.membership_id, loan.id,
                                                                  rule))


def capital_loans(store_id: int) -> list[tuple[CapitalLoan, Loan]]:
    """The store's working-capital applications and loans, newest first."""
    return db.session.execute(sa.select(CapitalLoan, Loan).join(Loan, Loan.id == CapitalLoan.loan_id)
                              .where(CapitalLoan.store_id == store_id)
                              .order_by(Loan.applied_at.desc(), Loan.id.desc())).all()
