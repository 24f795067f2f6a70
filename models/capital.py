"""Working capital for sellers: the koperasi's ceiling rule, the sales record kept with a
seller's application, and repayment from sales (a share of each completed order).

Rules kept here:
- A working-capital loan is an ordinary loan (``models.loans``) with a ``CapitalLoan`` row:
  the store's sales record as it stood when the seller applied (staff decide on what the
  seller showed) and the share of each sale the seller pledged to the loan (0 = none, else
  1–50 %), which the seller may change while the loan is open.
- A completed order paid through Kopz (from the buyer's simpanan sukarela) to a store with
  a pledged, active loan pays ``floor(total × percent / 100)`` of it, never more than the
  loan owes, into the loan: ONE balanced repayment entry from the seller's sukarela (where
  the sale's proceeds just arrived) to the loan, keyed by the order (``sale:<order id>``),
  under the loan's row lock, so two completions at once for the last instalment never
  over-deduct. A paid-off loan takes nothing more.
- A payment at the member's stall (``models.stall``) pays its share the same way, keyed
  ``sale:p<payment id>``. Its refund leaves the share in the loan (an early repayment of the
  seller's own money): payments at a stall come many a day, and taking a share back needs it
  to be the loan's latest payment, which would block most refunds.
- An order refunded after completion takes its deduction back with it: the repayment is
  reversed (``models.loan_corrections.reverse``: instalments restored, the money back to
  the seller's sukarela) before the refund leaves the seller's savings.
- The koperasi's rule (``CapitalRule``) suggests a ceiling: ``percent`` % of the average
  monthly sales over the latest ``months`` full months, less the principal the seller
  still owes on other loans. A suggestion: staff may approve more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from models import loan_corrections
from models.accounts import User
from models.base import db, utcnow
from models.errors import DomainError
from models.keys import fingerprint
from models.koperasi import Koperasi
from models.ledger import SAVINGS, Entry, Leg, Purpose, debit_savings, idempotent, lock, post
from models.loans import Loan, LoanStatus, finish_payment, keep_states, owed, settle, state_of
from models.membership import WIB

DEFAULT_PERCENT = 150
DEFAULT_MONTHS = 6
RECORD_MONTHS = 6  # the record shows the last six full months
MAX_PLEDGE = 50


class CapitalRule(db.Model):
    """A koperasi's rule for the suggested ceiling (no row: the defaults)."""

    koperasi_id: Mapped[int] = mapped_column(sa.ForeignKey("koperasi.id", ondelete="CASCADE"), primary_key=True)
    percent: Mapped[int] = mapped_column(default=DEFAULT_PERCENT)  # of the average monthly sales
    months: Mapped[int] = mapped_column(default=DEFAULT_MONTHS)  # the latest full months that count


class CapitalLoan(db.Model):
    """A loan applied for from the seller page: the record shown, and the pledge from sales."""

    loan_id: Mapped[int] = mapped_column(sa.ForeignKey("loan.id", ondelete="CASCADE"), primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"), index=True)
    pledge_percent: Mapped[int] = mapped_column(default=0)  # 0: no repayment from sales
    # The record as the seller showed it: [[ "YYYY-MM", sales Rp, completed orders ], …] oldest first.
    months: Mapped[list] = mapped_column(sa.JSON, default=list)
    orders: Mapped[int] = mapped_column(default=0)
    cancellations: Mapped[int] = mapped_column(default=0)
    repeat_buyers: Mapped[int] = mapped_column(default=0)
    growth_bp: Mapped[int | None]  # hundredths of a percent; None when the earlier three months sold nothing
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)


class SaleDeduction(db.Model):
    """The share of one completed order, or of one stall payment, paid into a loan (at most one each)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("market_order.id"), unique=True)
    stall_payment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stall_payment.id"), unique=True)
    loan_id: Mapped[int] = mapped_column(sa.ForeignKey("loan.id"), index=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("entry.id"))
    amount_idr: Mapped[int] = mapped_column(sa.BigInteger)
    reversal_id: Mapped[int | None] = mapped_column(sa.ForeignKey("entry.id"))  # the refund took it back


def rule_of(koperasi_id: int) -> CapitalRule:
    return db.session.get(CapitalRule, koperasi_id) or CapitalRule(koperasi_id=koperasi_id, percent=DEFAULT_PERCENT,
                                                                   months=DEFAULT_MONTHS)


def save_rule(koperasi: Koperasi, percent: int | None, months: int | None) -> CapitalRule:
    """The koperasi's ceiling rule: 10–500 % of the average of the latest 1–6 full months."""
    if not isinstance(percent, int) or not 10 <= percent <= 500:
        raise DomainError(_l("Enter a percentage from 10 to 500."), field="percent")
    if not isinstance(months, int) or not 1 <= months <= RECORD_MONTHS:
        raise DomainError(_l("Choose from 1 to 6 months."), field="months")
    rule = db.session.get(CapitalRule, koperasi.id) or CapitalRule(koperasi_id=koperasi.id)
    rule.percent, rule.months = percent, months
    db.session.add(rule)
    db.session.flush()
    return rule


def check_pledge(percent: int | None) -> int:
    if percent is None or percent == 0:
        return 0
    if not isinstance(percent, int) or not 1 <= percent <= MAX_PLEDGE:
        raise DomainError(_l("Choose a share from 1 to 50 percent, or 0 for none."), field="pledge")
    return percent


def set_pledge(capital: CapitalLoan, percent: int | None) -> None:
    """The seller changes the share of each sale that goes to the loan, while it is open."""
    percent = check_pledge(percent)
    loan = db.session.get(Loan, capital.loan_id)
    if loan.status not in (LoanStatus.APPLIED, LoanStatus.APPROVED, LoanStatus.ACTIVE):
        raise DomainError(_l("This loan is closed: nothing more is taken from sales."))
    capital.pledge_percent = percent
    db.session.flush()


# ---------------------------------------------------------------- repayment from sales

def sale_key(order_id: int) -> str:
    """The deduction's key: the ":" is one no form's key may carry (views.fields.KEY_SHAPE)."""
    return f"sale:{order_id}"


def pledged_loan(store_id: int) -> CapitalLoan | None:
    """The store's oldest working-capital loan being repaid with a pledge from sales."""
    return db.session.scalar(sa.select(CapitalLoan).join(Loan, Loan.id == CapitalLoan.loan_id).where(
        CapitalLoan.store_id == store_id, CapitalLoan.pledge_percent > 0, Loan.status == LoanStatus.ACTIVE)
        .order_by(Loan.disbursed_on, Loan.id).limit(1))


@dataclass(frozen=True)
class Sale:
    """What a deduction is taken from: a completed order (``order``) or a stall payment
    (``stall``, ``models.stall``), by its id; the rest is what the deduction needs of it."""

    source: str
    id: int
    store_id: int
    koperasi_id: int
    seller: int  # the seller's membership: their sukarela holds the proceeds
    total: int
    number: str

    @property
    def column(self):
        return SaleDeduction.order_id if self.source == "order" else SaleDeduction.stall_payment_id

    @property
    def key(self) -> str:
        return sale_key(self.id) if self.source == "order" else f"sale:p{self.id}"

    def fingerprint(self, loan_id: int) -> str:
        if self.source == "order":
            return fingerprint("sale_deduction", None, order=self.id, loan=loan_id)
        return fingerprint("sale_deduction", None, stall_payment=self.id, loan=loan_id)


def deduct_from_sale(order, by: User | None, today=None) -> SaleDeduction | None:
    """The pledged share of a completed, savings-paid order into the loan (module rules).
    Called when the order completes, after its proceeds reached the seller's sukarela."""
    seller = order.store.membership_id
    if order.payment != "savings" or seller is None:
        return None
    return _deduct(Sale("order", order.id, order.store_id, order.koperasi_id, seller, order.total_idr,
                        order.number or ""), by, today)


def deduct_from_payment(payment, by: User | None, today=None) -> SaleDeduction | None:
    """The pledged share of a payment at the stall (``models.stall``), as of a completed order."""
    return _deduct(Sale("stall", payment.id, payment.store_id, payment.koperasi_id, payment.seller_membership_id,
                        payment.amount_idr, payment.number or ""), by, today)


def _deduct(sale: Sale, by: User | None, today) -> SaleDeduction | None:
    if (done := _deduction(sale)) is not None:  # a retry: the first deduction stands
        return done
    capital = pledged_loan(sale.store_id)
    if capital is None:
        return None
    loan_id, share_pct, seller = capital.loan_id, capital.pledge_percent, sale.seller
    koperasi = db.session.get(Koperasi, sale.koperasi_id)
    once = sale.fingerprint(loan_id)

    def run() -> Entry | None:
        lock(Loan, loan_id)  # two completions at once: the second sees what the first paid
        loan = db.session.get(Loan, loan_id)
        if loan.status != LoanStatus.ACTIVE:
            return None
        day = today or datetime.now(WIB).date()
        amount = min(sale.total * share_pct // 100, owed(loan, day).total)
        if amount <= 0:
            return None
        before = {inst.id: state_of(inst) for inst in loan.instalments}
        parts = settle(loan, amount, day)
        debit_savings(seller, "sukarela", amount)
        legs = [Leg(SAVINGS["sukarela"], amount, membership_id=seller),
                Leg(Purpose.PENALTIES, -parts["late"], loan_id=loan_id),
                Leg(Purpose.INTEREST, -parts["interest"], loan_id=loan_id),
                Leg(Purpose.LOANS, -parts["principal"], loan_id=loan_id)]
        entry = post(koperasi, "repayment", legs, by=by, memo=sale.number, membership_id=seller, loan_id=loan_id,
                     key=sale.key, fingerprint=once)
        keep_states(entry, before, loan.instalments)
        finish_payment(loan, entry, parts["interest"])
        db.session.add(SaleDeduction(**{sale.column.key: sale.id}, loan_id=loan_id, entry_id=entry.id,
                                     amount_idr=amount))
        db.session.flush()
        return entry

    entry = idempotent(koperasi, sale.key, once, run)
    if entry is None:
        return None
    return _deduction(sale)


def undo_for_order(order, by: User, reason: str) -> SaleDeduction | None:
    """A refund after completion takes the order's deduction back (module rules)."""
    deduction = deduction_of(order.id)
    if deduction is None or deduction.reversal_id:
        return deduction
    entry = db.session.get(Entry, deduction.entry_id)
    latest = loan_corrections.latest_repayment(deduction.loan_id)
    if latest is None or latest.id != entry.id:
        raise DomainError(_l("A later payment on your working-capital loan stands, so this order's share cannot be "
                             "taken back here: ask the koperasi to correct it."))
    reversal = loan_corrections.reverse(entry, by, reason, key=f"sale-undo:{order.id}")
    deduction.reversal_id = reversal.id
    db.session.flush()
    return deduction


def _deduction(sale: Sale) -> SaleDeduction | None:
    return db.session.scalar(sa.select(SaleDeduction).where(sale.column == sale.id))


def deduction_of(order_id: int) -> SaleDeduction | None:
    return db.session.scalar(sa.select(SaleDeduction).where(SaleDeduction.order_id == order_id))


def from_orders(loan_id: int) -> dict[int, str]:
    """{entry id: order number} for the loan's payments taken from sales (its payments list)."""
    orders = db.metadata.tables["market_order"]  # by table: orders and stall payments sit above this module
    paid = db.metadata.tables["stall_payment"]
    rows = db.session.execute(sa.select(SaleDeduction.entry_id, sa.func.coalesce(orders.c.number, paid.c.number))
                              .outerjoin(orders, orders.c.id == SaleDeduction.order_id)
                              .outerjoin(paid, paid.c.id == SaleDeduction.stall_payment_id)
                              .where(SaleDeduction.loan_id == loan_id))
    return dict(rows.all())
