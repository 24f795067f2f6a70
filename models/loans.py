"""Loans (pinjaman): products, schedules, applying, approval, disbursement, repayment.

Rules kept here:
- A product's nominal rate is at most 24 % a year (2 % a month), and so is its effective
  rate with the fee (``models.loan_rate``: 12 × the monthly rate that equates what the
  member receives with the instalments) at every tenor it allows, and that of every loan
  applied for; checked to the whole percent, as the agreement states it.
- A schedule's principal parts sum exactly to the principal; interest is rounded
  half up per instalment (``round_idr``). Flat: interest on the original principal;
  annuity (menurun/efektif): equal instalments, interest on the remaining balance.
- A product lends from its minimum to its maximum amount, and no allowed amount and tenor
  gives an instalment of Rp0 (``check_terms`` refuses it); no late fee is ever charged
  on an instalment with nothing to pay.
- A repayment is allocated to late fee, then interest, then principal, instalment by
  instalment, under a row lock on the loan, and never pays more than is owed.
- The late fee of an instalment never exceeds the instalment (its principal and interest
  as scheduled): a Rp5.000-a-day fee on a Rp1 instalment stops at Rp1. A product's
  late fee is at most 1 % of its largest loan (per day) or 5 % of it (per instalment).
- Paying off early (``payoff``): a declining-balance loan costs the principal left, the
  interest of instalments already due, interest accrued on the principal still lent from
  the last due date to the day (actual/actual: the days elapsed over the days of that
  month of the schedule), and the late fees owed; never interest for months not lent.
  A flat loan's payoff follows its product's rebate rule (``REBATE_LABELS``, fixed at
  approval): ``none``, all the interest left is due; ``rule_of_78``, the interest of the
  months not begun is rebated by the rule of 78 (rebate = interest × m(m+1) / n(n+1), m
  months left of n); ``month``, only the interest of the month running is due besides
  the principal left. A repayment of exactly the payoff closes the loan.
- Late fees: a fixed Rupiah amount and/or a percentage of the instalment (as scheduled: the
  amount that fell overdue), per day late or once per late instalment; at most the
  instalment itself and at most the product's cap per instalment (``late_fee_cap_idr``,
  0 = none besides the instalment). At most 0,5 % a day or 10 % per instalment.
- Every repayment keeps the state of the instalments it changed (``InstalmentSnapshot``),
  so a correction (``models.loan_corrections``) puts them back exactly.
- Loan interest paid counts as the member's transaction with the koperasi (for SHU).
- The person who approved a loan does not pay it out (a second pair of eyes on every
  loan), unless the koperasi turned on its one-person setting; the receipt then says so.
"""

from __future__ import annotations

import calendar
import enum
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction

import sqlalchemy as sa
from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.accounts import User
from models.base import db, utcnow
from models.errors import Checks, DomainError
from models.keys import fingerprint
from models.koperasi import Koperasi
from models.ledger import (
    MEANS,
    SAVINGS,
    Entry,
    Leg,
    Purpose,
    check_amount,
    debit_savings,
    idempotent,
    lock,
    post,
    round_idr,
)
from models.loan_rate import effective_annual_bp, shape_annual_bp
from models.membership import WIB, Membership, MemberStatus
from models.money import idr
from models.notifications import Kind, notify
from models.transactions import LOAN_INTEREST, MemberTransaction

MAX_MONTHLY_RATE_BP = 200  # 24 % a year (Permenkop): rates are in hundredths of a percent per month
MAX_ANNUAL_RATE_BP = 2400  # the same cap on the effective rate, fee included


def above_cap(annual_bp: int) -> bool:
    """Is an effective annual rate above the cap, to the whole percent (24,4 % is 24 %)?"""
    return (annual_bp + 50) // 100 > MAX_ANNUAL_RATE_BP // 100
DEFAULT_MIN_AMOUNT_IDR = 100_000  # products made before the minimum existed lend from here
LOWEST_MIN_AMOUNT_IDR = 10_000  # a product may not lend less: the instalments would be pennies


class LoanStatus(enum.StrEnum):
    APPLIED = "applied"
    APPROVED = "approved"
    REJECTED = "rejected"
    ACTIVE = "active"  # disbursed, being repaid
    PAID_OFF = "paid_off"
    WRITTEN_OFF = "writeoff"  # hapus buku: off the balance sheet, still owed (models.collectability)


STATUS_LABELS = {
    LoanStatus.APPLIED: _l("Applied"),
    LoanStatus.APPROVED: _l("Approved, awaiting disbursement"),
    LoanStatus.REJECTED: _l("Rejected"),
    LoanStatus.ACTIVE: _l("Being repaid"),
    LoanStatus.PAID_OFF: _l("Paid off"),
    LoanStatus.WRITTEN_OFF: _l("Written off (hapus buku)"),
}
METHOD_LABELS = {"flat": _l("Flat"), "annuity": _l("Declining (annuity)")}
FEE_MODE_LABELS = {"deducted": _l("Deducted from the disbursement"), "upfront": _l("Paid in cash at disbursement")}
LATE_FEE_LABELS = {"per_day": _l("per day late"), "per_instalment": _l("per late instalment")}
REBATE_LABELS = {
    "none": _l("No rebate: all the interest left is due"),
    "rule_of_78": _l("Rule of 78: the interest of the months not begun is rebated"),
    "month": _l("Only the interest of the month running is due"),
}
MAX_LATE_FEE_BP = {"per_day": 50, "per_instalment": 1000}  # 0,5 % a day, 10 % per instalment


class LoanProduct(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    koperasi_id: Mapped[int] = mapped_column(sa.ForeignKey("koperasi.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    method: Mapped[str] = mapped_column(sa.String(10))  # flat | annuity
    monthly_rate_bp: Mapped[int]  # 100 = 1.00 % a month
    fee_bp: Mapped[int] = mapped_column(default=0)  # provisi/admin, 100 = 1.00 % of principal
    fee_mode: Mapped[str] = mapped_column(sa.String(10), default="deducted")
    max_amount_idr: Mapped[int] = mapped_column(sa.BigInteger)
    min_amount_idr: Mapped[int] = mapped_column(sa.BigInteger, default=DEFAULT_MIN_AMOUNT_IDR,
                                                server_default=sa.text(str(DEFAULT_MIN_AMOUNT_IDR)))
    min_tenor: Mapped[int] = mapped_column(default=6)
    max_tenor: Mapped[int] = mapped_column(default=24)
    late_fee_mode: Mapped[str] = mapped_column(sa.String(16), default="per_instalment")
    late_fee_idr: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    # A percentage of the overdue instalment (100 = 1 %), per day or per instalment as late_fee_mode.
    late_fee_bp: Mapped[int] = mapped_column(default=0, server_default=sa.text("0"))
    late_fee_cap_idr: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default=sa.text("0"))
    rebate_rule: Mapped[str] = mapped_column(sa.String(12), default="none", server_default="none")
    requires_guarantor: Mapped[bool] = mapped_column(default=False)
    requires_documents: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)


class Loan(db.Model):
    __table_args__ = (sa.Index("ix_loan_koperasi_status", "koperasi_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    koperasi_id: Mapped[int] = mapped_column(sa.ForeignKey("koperasi.id", ondelete="CASCADE"))
    membership_id: Mapped[int] = mapped_column(sa.ForeignKey("membership.id"), index=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("loan_product.id"))
    status: Mapped[str] = mapped_column(sa.String(10), default=LoanStatus.APPLIED)
    requested_idr: Mapped[int] = mapped_column(sa.BigInteger)
    principal_idr: Mapped[int | None] = mapped_column(sa.BigInteger)  # as approved
    tenor: Mapped[int]
    purpose: Mapped[str] = mapped_column(sa.String(300))
    business_name: Mapped[str | None] = mapped_column(sa.String(160))
    # The product's terms, fixed at approval.
    method: Mapped[str | None] = mapped_column(sa.String(10))
    monthly_rate_bp: Mapped[int | None]
    fee_idr: Mapped[int | None] = mapped_column(sa.BigInteger)
    fee_mode: Mapped[str | None] = mapped_column(sa.String(10))
    late_fee_mode: Mapped[str | None] = mapped_column(sa.String(16))
    late_fee_idr: Mapped[int | None] = mapped_column(sa.BigInteger)
    late_fee_bp: Mapped[int | None]
    late_fee_cap_idr: Mapped[int | None] = mapped_column(sa.BigInteger)
    rebate_rule: Mapped[str | None] = mapped_column(sa.String(12))
    applied_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    rejection_reason: Mapped[str | None] = mapped_column(sa.Text)
    disbursed_on: Mapped[date | None]
    paid_off_at: Mapped[datetime | None]
    written_off_at: Mapped[datetime | None]
    written_off_idr: Mapped[int | None] = mapped_column(sa.BigInteger)  # the principal taken off the books

    product: Mapped[LoanProduct] = relationship(lazy="joined")
    membership: Mapped[Membership] = relationship(lazy="joined")
    instalments: Mapped[list[Instalment]] = relationship(lazy="selectin", order_by="Instalment.seq")

    @property
    def status_label(self):
        return STATUS_LABELS.get(self.status, self.status)

    def paid_out_by_another(self, koperasi: Koperasi, user: User) -> bool:
        """Must someone other than ``user`` pay this loan out? Yes if they approved it,
        unless the koperasi lets one person do both (small koperasi)."""
        return self.decided_by_id == user.id and not koperasi.single_person_loans


class Instalment(db.Model):
    __table_args__ = (sa.UniqueConstraint("loan_id", "seq"),
                      sa.Index("ix_instalment_due", "settled_on", "due_on"))

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(sa.ForeignKey("loan.id"))
    seq: Mapped[int]
    due_on: Mapped[date]
    principal_due: Mapped[int] = mapped_column(sa.BigInteger)
    interest_due: Mapped[int] = mapped_column(sa.BigInteger)
    principal_paid: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    interest_paid: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    late_fee_paid: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    settled_on: Mapped[date | None]  # fully paid (late fees stop accruing)

    @property
    def remaining(self) -> int:
        return self.principal_due - self.principal_paid + self.interest_due - self.interest_paid


SNAPSHOT = ("principal_paid", "interest_paid", "late_fee_paid", "interest_due", "settled_on")


class InstalmentSnapshot(db.Model):
    """An instalment as it was just before a repayment changed it, so a correction
    restores it exactly (paid amounts, late fees, the interest a payoff lowered, status)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("entry.id"), index=True)
    instalment_id: Mapped[int] = mapped_column(sa.ForeignKey("instalment.id"), index=True)
    principal_paid: Mapped[int] = mapped_column(sa.BigInteger)
    interest_paid: Mapped[int] = mapped_column(sa.BigInteger)
    late_fee_paid: Mapped[int] = mapped_column(sa.BigInteger)
    interest_due: Mapped[int] = mapped_column(sa.BigInteger)
    settled_on: Mapped[date | None]


def state_of(inst: Instalment) -> tuple:
    return tuple(getattr(inst, name) for name in SNAPSHOT)


def keep_states(entry: Entry, before: dict[int, tuple], instalments: list[Instalment]) -> None:
    """Record the instalments the entry changed, as they were before it."""
    for inst in instalments:
        if state_of(inst) != before[inst.id]:
            db.session.add(InstalmentSnapshot(entry_id=entry.id, instalment_id=inst.id,
                                              **dict(zip(SNAPSHOT, before[inst.id], strict=True))))


# ---------------------------------------------------------------- schedules

@dataclass
class Row:
    seq: int
    due_on: date
    principal: int
    interest: int

    @property
    def total(self) -> int:
        return self.principal + self.interest


def add_months(start: date, months: int) -> date:
    month = start.month - 1 + months
    year, month = start.year + month // 12, month % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def schedule(principal: int, tenor: int, method: str, monthly_rate_bp: int, start: date) -> list[Row]:
    """Instalments for a loan; principal parts always sum to the principal. Computed on
    exact rationals: the annuity payment P·r / (1 − (1 + r)^−n) rounds half up exactly."""
    rate = Fraction(monthly_rate_bp, 10000)
    rows, balance = [], principal
    if method == "flat":
        interest = round_idr(principal * rate)
        part = principal // tenor
        for k in range(1, tenor + 1):
            share = part if k < tenor else principal - part * (tenor - 1)
            rows.append(Row(k, add_months(start, k), share, interest))
        return rows
    if rate == 0:  # equal parts, the remainder (under Rp1 a month) in the last: the balance never runs out early
        payment = principal // tenor
    else:
        payment = round_idr(principal * rate / (1 - (1 + rate) ** -tenor))
    for k in range(1, tenor + 1):
        interest = round_idr(balance * rate)
        share = balance if k == tenor else min(max(payment - interest, 0), balance)
        rows.append(Row(k, add_months(start, k), share, interest))
        balance -= share
    return rows


def fee_for(product: LoanProduct, principal: int) -> int:
    return round_idr(Fraction(principal * product.fee_bp, 10000))


# ---------------------------------------------------------------- products

PRODUCT_DEFAULTS = {"late_fee_bp": 0, "late_fee_cap_idr": 0, "rebate_rule": "none"}


def check_product(data: dict) -> dict:
    """A loan product's terms within the regulation (≤ 24 % a year) and sense; every bad field at once."""
    data = {**PRODUCT_DEFAULTS, **{k: v for k, v in data.items() if not (k in PRODUCT_DEFAULTS and v is None)}}
    checks = Checks()
    name = " ".join((data.get("name") or "").split())
    if len(name) < 3:
        checks.fail(_l("Enter the product's name."), "name")
    if data.get("method") not in METHOD_LABELS:
        checks.fail(_l("Choose flat or declining interest."), "method")
    rate = data.get("monthly_rate_bp")
    if rate is None or not 0 <= rate <= MAX_MONTHLY_RATE_BP:
        checks.fail(_l("The rate may be at most 2% a month (24% a year)."), "monthly_rate_bp")
    fee = data.get("fee_bp")
    if fee is None or not 0 <= fee <= 500:
        checks.fail(_l("The fee may be from 0 to 5 percent of the loan."), "fee_bp")
    if data.get("fee_mode") not in FEE_MODE_LABELS:
        checks.fail(_l("Choose how the fee is paid."), "fee_mode")
    if not data.get("max_amount_idr") or not 100_000 <= data["max_amount_idr"] <= 10_000_000_000:
        checks.fail(_l("Enter a maximum from Rp100.000 to Rp10.000.000.000."), "max_amount_idr")
    data = {**data, "min_amount_idr": data.get("min_amount_idr", DEFAULT_MIN_AMOUNT_IDR)}
    low_amount = data["min_amount_idr"]
    if not isinstance(low_amount, int) or low_amount < LOWEST_MIN_AMOUNT_IDR:
        checks.fail(_l("Enter a smallest loan of at least %(amount)s.", amount=idr(LOWEST_MIN_AMOUNT_IDR)),
                    "min_amount_idr")
    elif isinstance(data.get("max_amount_idr"), int) and low_amount > data["max_amount_idr"]:
        checks.fail(_l("The smallest loan may not be above the largest."), "min_amount_idr")
    low, high = data.get("min_tenor"), data.get("max_tenor")
    if not low or not high or not 1 <= low <= high <= 120:
        checks.fail(_l("Tenor: from 1 to 120 months, the minimum not above the maximum."), "min_tenor")
    if not any(checks.failed(name) for name in ("method", "monthly_rate_bp", "fee_bp", "min_tenor")):
        _check_effective_rate(checks, data)
    if data.get("late_fee_mode") not in LATE_FEE_LABELS:
        checks.fail(_l("Choose how late fees are charged."), "late_fee_mode")
    if data.get("late_fee_idr") is None or not 0 <= data["late_fee_idr"] <= 10_000_000:
        checks.fail(_l("Enter a late fee from Rp0 to Rp10.000.000."), "late_fee_idr")
    elif isinstance(data.get("max_amount_idr"), int) and data.get("late_fee_mode") in LATE_FEE_LABELS:
        bound = late_fee_bound(data["late_fee_mode"], data["max_amount_idr"])
        if data["late_fee_idr"] > bound:
            checks.fail(_l("The late fee may be at most %(amount)s for this largest loan (1%% of it a day, "
                           "or 5%% of it per late instalment).", amount=idr(bound)), "late_fee_idr")
    _check_late_fee_percent(checks, data)
    if data.get("rebate_rule") not in REBATE_LABELS:
        checks.fail(_l("Choose the rebate rule for paying off early."), "rebate_rule")
    checks.done()
    return {**data, "name": name}


def _check_late_fee_percent(checks: Checks, data: dict) -> None:
    """A percentage late fee that no court would call usury, and a cap that means something."""
    bp, cap, mode = data.get("late_fee_bp"), data.get("late_fee_cap_idr"), data.get("late_fee_mode")
    top = MAX_LATE_FEE_BP.get(mode, MAX_LATE_FEE_BP["per_day"])
    if not isinstance(bp, int) or not 0 <= bp <= top:
        checks.fail(_l("A late fee of at most %(day)s of the overdue amount a day, or %(instalment)s per late "
                       "instalment.", day=percent(MAX_LATE_FEE_BP["per_day"]),
                       instalment=percent(MAX_LATE_FEE_BP["per_instalment"])), "late_fee_bp")
    if not isinstance(cap, int) or cap < 0:
        checks.fail(_l("Enter a cap of Rp0 (no cap but the instalment) or more."), "late_fee_cap_idr")
    elif isinstance(data.get("max_amount_idr"), int) and cap > data["max_amount_idr"]:
        checks.fail(_l("The cap may not be above the largest loan."), "late_fee_cap_idr")


def _check_effective_rate(checks: Checks, data: dict) -> None:
    """The product's worst tenor, fee included, within the cap (rate, fee and tenors already sane)."""
    worst, months = max((shape_annual_bp(data["method"], data["monthly_rate_bp"], data["fee_bp"], n), n)
                        for n in range(data["min_tenor"], data["max_tenor"] + 1))
    if above_cap(worst):
        checks.fail(_l("Fee included, this product costs up to %(rate)s a year effective (over %(months)s months); "
                       "the cap is 24%% a year. Lower the rate or the fee, or change the tenors.",
                       rate=percent(worst), months=months), "fee_bp" if data["fee_bp"] else "monthly_rate_bp")


def percent(hundredths: int) -> str:
    """2408 → "24,08%" (id) / "24.08%" (en), for messages."""
    return f"{format_decimal(hundredths / 100, format='#,##0.##')}%"


def loan_effective_bp(principal: int, fee: int, rows: list) -> int:
    """12 × the monthly rate at which ``rows`` repay the principal received less the fee."""
    return effective_annual_bp(principal - fee, [row.total for row in rows])


def effective_rate_bp(loan: Loan) -> int | None:
    """The loan's effective annual rate with its fee, from its terms as approved (None before)."""
    if loan.principal_idr is None or loan.monthly_rate_bp is None:
        return None
    rows = schedule(loan.principal_idr, loan.tenor, loan.method, loan.monthly_rate_bp, loan.disbursed_on or date.today())
    return loan_effective_bp(loan.principal_idr, loan.fee_idr or 0, rows)


def late_fee_bound(mode: str, max_amount: int) -> int:
    """The highest late fee a product may charge: 1 % of its largest loan a day, 5 % per instalment."""
    return max_amount // 100 if mode == "per_day" else max_amount * 5 // 100


def save_product(koperasi: Koperasi, data: dict, product: LoanProduct | None = None) -> LoanProduct:
    clean = check_product(data)
    product = product or LoanProduct(koperasi_id=koperasi.id)
    for key in ("name", "method", "monthly_rate_bp", "fee_bp", "fee_mode", "min_amount_idr", "max_amount_idr", "min_tenor",
                "max_tenor", "late_fee_mode", "late_fee_idr", "late_fee_bp", "late_fee_cap_idr", "rebate_rule",
                "requires_guarantor", "requires_documents", "active"):
        if key in clean:
            setattr(product, key, clean[key])
    db.session.add(product)
    db.session.flush()
    return product


# ---------------------------------------------------------------- the loan's life

def _transition(loan: Loan, expected: str, new: str, **values) -> None:
    """Change status only from the expected one, in one conditional UPDATE."""
    done = db.session.execute(sa.update(Loan).where(Loan.id == loan.id, Loan.status == expected)
                              .values(status=new, **values)).rowcount
    db.session.refresh(loan)
    if done != 1:
        raise DomainError(_l("This loan was already handled: %(status)s.", status=loan.status_label))


def check_terms(product: LoanProduct, amount: int | None, tenor: int | None) -> None:
    """The amount and the tenor fit the product, and no instalment would be Rp0; both fields at once."""
    checks = Checks()
    low = product.min_amount_idr or DEFAULT_MIN_AMOUNT_IDR
    if not isinstance(amount, int) or amount <= 0:
        checks.fail(_l("Enter an amount above Rp0."), "amount")
    elif amount < low:
        checks.fail(_l("This product lends at least %(amount)s.", amount=idr(low)), "amount")
    elif amount > product.max_amount_idr:
        checks.fail(_l("This product lends at most %(amount)s.", amount=idr(product.max_amount_idr)), "amount")
    if not isinstance(tenor, int) or not product.min_tenor <= tenor <= product.max_tenor:
        checks.fail(_l("Choose a tenor from %(low)s to %(high)s months.", low=product.min_tenor,
                       high=product.max_tenor), "tenor")
    elif not checks.failed("amount") and any(row.total <= 0 for row in schedule(
            amount, tenor, product.method, product.monthly_rate_bp, date.today())):
        # A product's minimum keeps this away; the guard holds whatever the minimum was set to.
        checks.fail(_l("This amount is too small to pay back over %(months)s months: choose a shorter tenor.",
                       months=tenor), "tenor")
    elif not checks.failed("amount") and above_cap(effective := loan_effective_bp(
            amount, fee_for(product, amount), schedule(amount, tenor, product.method, product.monthly_rate_bp,
                                                       date.today()))):
        checks.fail(_l("Fee included, this loan would cost %(rate)s a year effective, above the cap of 24%% a year: "
                       "choose another tenor.", rate=percent(effective)), "tenor")
    checks.done()


def check_application(product: LoanProduct, amount: int | None, tenor: int | None, purpose: str | None) -> str:
    """Terms and purpose of an application, every bad field at once; the cleaned purpose."""
    checks = Checks()
    with checks.catching():
        check_terms(product, amount, tenor)
    purpose = " ".join((purpose or "").split())
    if len(purpose) < 5:
        checks.fail(_l("Tell the koperasi what the loan is for."), "purpose")
    checks.done()
    return purpose


def apply(membership: Membership, product: LoanProduct, amount: int, tenor: int, purpose: str,
          business_name: str | None = None) -> Loan:
    """An active member applies; staff review it."""
    if membership.status != MemberStatus.ACTIVE:
        raise DomainError(_l("Only an active member can apply for a loan."))
    if product.koperasi_id != membership.koperasi_id or not product.active:
        raise DomainError(_l("Choose a loan product from the list."), field="product")
    purpose = check_application(product, amount, tenor, purpose)
    loan = Loan(koperasi_id=membership.koperasi_id, membership_id=membership.id, product_id=product.id,
                requested_idr=amount, tenor=tenor, purpose=purpose[:300],
                business_name=(business_name or "").strip() or membership.business_name)
    db.session.add(loan)
    db.session.flush()
    return loan


def approve(loan: Loan, by: User, amount: int | None = None) -> None:
    """Approve, possibly for less than asked; the product's terms are fixed now."""
    amount = loan.requested_idr if amount is None else amount
    product = loan.product
    if isinstance(amount, int) and amount > loan.requested_idr:
        raise DomainError(_l("Approve at most the amount asked for."), field="amount")
    check_terms(product, amount, loan.tenor)
    _transition(loan, LoanStatus.APPLIED, LoanStatus.APPROVED, principal_idr=amount, method=product.method,
                monthly_rate_bp=product.monthly_rate_bp, fee_idr=fee_for(product, amount),
                fee_mode=product.fee_mode, late_fee_mode=product.late_fee_mode, late_fee_idr=product.late_fee_idr,
                late_fee_bp=product.late_fee_bp, late_fee_cap_idr=product.late_fee_cap_idr,
                rebate_rule=product.rebate_rule,
                decided_at=utcnow(), decided_by_id=by.id)
    _tell(loan, Kind.LOAN_APPROVED, amount=amount)


def reject(loan: Loan, by: User, reason: str) -> None:
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise DomainError(_l("Write the reason, so the member understands."), field="reason")
    _transition(loan, LoanStatus.APPLIED, LoanStatus.REJECTED, rejection_reason=reason, decided_at=utcnow(),
                decided_by_id=by.id)
    _tell(loan, Kind.LOAN_REJECTED, amount=loan.requested_idr, reason=reason)


def _tell(loan: Loan, kind: Kind, **params) -> None:
    """Notify the borrower of a decision on their loan (in the decision's transaction)."""
    if loan.membership.awaiting_claim:  # an imported loan: nobody is confirmed to tell yet
        return
    notify(loan.membership.user_id, kind, koperasi_id=loan.koperasi_id, params={"loan": loan.id, **params},
           url=f"/k/{loan.membership.koperasi.slug}/me/loans/{loan.id}")


def disburse(loan: Loan, by: User, means: str, key: str | None = None, today: date | None = None) -> Entry:
    """Pay the loan out: the schedule is fixed and one entry posts principal and fee."""
    koperasi = db.session.get(Koperasi, loan.koperasi_id)
    once = fingerprint("disbursement", by, loan=loan.id, means=means)

    def run() -> Entry:
        if means not in MEANS:
            raise DomainError(_l("Choose cash or bank."), field="means")
        if loan.paid_out_by_another(koperasi, by):
            raise DomainError(_l("You approved this loan, so another staff member must pay it out."))
        start = today or datetime.now(WIB).date()
        _transition(loan, LoanStatus.APPROVED, LoanStatus.ACTIVE, disbursed_on=start)
        for row in schedule(loan.principal_idr, loan.tenor, loan.method, loan.monthly_rate_bp, start):
            db.session.add(Instalment(loan_id=loan.id, seq=row.seq, due_on=row.due_on,
                                      principal_due=row.principal, interest_due=row.interest))
        principal, fee = loan.principal_idr, loan.fee_idr or 0
        legs = [Leg(Purpose.LOANS, principal, loan_id=loan.id), Leg(MEANS[means], -(principal - fee)),
                Leg(Purpose.FEES, -fee, loan_id=loan.id)]
        entry = post(koperasi, "disbursement", legs, by=by, memo=loan.product.name,
                     membership_id=loan.membership_id, loan_id=loan.id, key=key, at=_noon(today), fingerprint=once)
        db.session.expire(loan, ["instalments"])
        first = loan.instalments[0] if loan.instalments else None
        _tell(loan, Kind.LOAN_DISBURSED, amount=principal,
              instalment=(first.principal_due + first.interest_due) if first else None,
              first_due_on=first.due_on.isoformat() if first else None)
        return entry

    return idempotent(koperasi, key, once, run)


# ---------------------------------------------------------------- what is owed

def late_fee_accrued(loan: Loan, inst: Instalment, today: date) -> int:
    """Late fee earned by one instalment so far (it stops when the instalment is settled):
    the fixed fee plus the percentage of the instalment, per day late or once; at most the
    instalment itself and the product's cap (fixed caps: paying part of the fee or of the
    instalment never moves them). An instalment with nothing to pay never earns a fee."""
    end = inst.settled_on or today
    scheduled = inst.principal_due + inst.interest_due
    fixed, pct = loan.late_fee_idr or 0, loan.late_fee_bp or 0
    if not (fixed or pct) or end <= inst.due_on or scheduled <= 0:
        return 0
    times = (end - inst.due_on).days if loan.late_fee_mode == "per_day" else 1
    earned = fixed * times + round_idr(Fraction(scheduled * pct * times, 10000))
    cap = min(scheduled, loan.late_fee_cap_idr) if loan.late_fee_cap_idr else scheduled
    return min(earned, cap)


@dataclass
class Owed:
    late_fee: int
    interest: int
    principal: int
    overdue: int  # instalment amounts past their due date, unpaid
    next_due: Instalment | None

    @property
    def total(self) -> int:
        return self.late_fee + self.interest + self.principal

    @property
    def due_now(self) -> int:
        """What to collect today: late fees and overdue instalments, or else the next instalment."""
        if self.overdue or self.late_fee:
            return self.late_fee + self.overdue
        return self.next_due.remaining if self.next_due else 0


def owed(loan: Loan, today: date | None = None) -> Owed:
    today = today or datetime.now(WIB).date()
    late = interest = principal = overdue = 0
    next_due = None
    for inst in loan.instalments:
        late += late_fee_accrued(loan, inst, today) - inst.late_fee_paid
        interest += inst.interest_due - inst.interest_paid
        principal += inst.principal_due - inst.principal_paid
        if inst.remaining and inst.due_on < today:
            overdue += inst.remaining
        if inst.remaining and next_due is None:
            next_due = inst
    return Owed(late, interest, principal, overdue, next_due)


@dataclass
class Payoff:
    """What closes a loan today (``payoff``)."""

    late_fee: int
    interest: int
    principal: int

    @property
    def total(self) -> int:
        return self.late_fee + self.interest + self.principal


def _payoff_interest(loan: Loan, today: date) -> dict[int, int]:
    """{instalment seq: the interest it carries if the loan is paid off today}. Declining
    loans: instalments due keep theirs; the running month earns interest on the principal
    still lent, actual/actual (days elapsed over that month's days); later months none.
    Never below what was already paid, never above the schedule. Flat loans: their rebate rule."""
    charge = {inst.seq: inst.interest_due for inst in loan.instalments}
    if loan.method != "annuity":
        return _flat_rebate(loan, today, charge)
    rate = Fraction(loan.monthly_rate_bp or 0, 10000)
    start, running = loan.disbursed_on, None
    for inst in loan.instalments:
        if inst.due_on > today:
            if running is None:
                running = inst
                lent = sum(i.principal_due - i.principal_paid for i in loan.instalments if i.seq >= inst.seq)
                days, month = max((today - start).days, 0), (inst.due_on - start).days
                accrued = round_idr(lent * rate * Fraction(days, month)) if month > 0 else inst.interest_due
                charge[inst.seq] = min(inst.interest_due, max(accrued, inst.interest_paid))
            else:
                charge[inst.seq] = inst.interest_paid
        start = inst.due_on
    return charge


def _flat_rebate(loan: Loan, today: date, charge: dict[int, int]) -> dict[int, int]:
    """A flat loan's interest at payoff by its rebate rule (module rules); instalments due keep
    theirs, and none goes below what was already paid on it."""
    future = [inst for inst in loan.instalments if inst.due_on > today]
    rule = loan.rebate_rule or "none"
    if rule == "none" or not future:
        return charge
    if rule == "month":
        for inst in future[1:]:
            charge[inst.seq] = inst.interest_paid
        return charge
    n, m = len(loan.instalments), len(future)
    rebate = round_idr(Fraction(sum(i.interest_due for i in loan.instalments) * m * (m + 1), n * (n + 1)))
    extra = max(sum(i.interest_due - i.interest_paid for i in future) - rebate, 0)
    for inst in future:  # the interest kept falls on the earliest months, as the rule of 78 earns it
        add = min(inst.interest_due - inst.interest_paid, extra)
        charge[inst.seq], extra = inst.interest_paid + add, extra - add
    return charge


def payoff(loan: Loan, today: date | None = None) -> Payoff:
    """The payoff quote: principal left, interest to the day, late fees owed (see the module rules)."""
    today = today or datetime.now(WIB).date()
    charge = _payoff_interest(loan, today)
    late = sum(late_fee_accrued(loan, inst, today) - inst.late_fee_paid for inst in loan.instalments)
    interest = sum(charge[inst.seq] - inst.interest_paid for inst in loan.instalments)
    principal = sum(inst.principal_due - inst.principal_paid for inst in loan.instalments)
    return Payoff(late, interest, principal)


def in_arrears(loan: Loan, today: date | None = None) -> bool:
    return loan.status == LoanStatus.ACTIVE and owed(loan, today).overdue > 0


def repay(loan: Loan, amount: int, source: str, by: User | None, key: str | None = None,
          today: date | None = None) -> Entry:
    """Allocate to late fee, then interest, then principal, instalment by instalment.
    Under a row lock on the loan, so repayments at once never pay more than is owed.
    ``source``: cash, bank, or the member's own simpanan sukarela."""
    loan_id = loan.id
    koperasi = db.session.get(Koperasi, loan.koperasi_id)
    once = fingerprint("repayment", by, loan=loan_id, amount=amount, source=source)

    def run() -> Entry:
        check_amount(amount)
        if source not in (*MEANS, "sukarela"):
            raise DomainError(_l("Choose cash, bank or simpanan sukarela."), field="source")
        lock(Loan, loan_id)
        current = db.session.get(Loan, loan_id)
        if current.status != LoanStatus.ACTIVE:
            raise DomainError(_l("This loan is not being repaid."))
        day = today or datetime.now(WIB).date()
        before = {inst.id: state_of(inst) for inst in current.instalments}
        parts = settle(current, amount, day)
        if source == "sukarela":
            debit_savings(current.membership_id, "sukarela", amount)
            payer = Leg(SAVINGS["sukarela"], amount, membership_id=current.membership_id)
        else:
            payer = Leg(MEANS[source], amount)
        legs = [payer, Leg(Purpose.PENALTIES, -parts["late"], loan_id=loan_id),
                Leg(Purpose.INTEREST, -parts["interest"], loan_id=loan_id),
                Leg(Purpose.LOANS, -parts["principal"], loan_id=loan_id)]
        entry = post(koperasi, "repayment", legs, by=by, memo=source, membership_id=current.membership_id,
                     loan_id=loan_id, key=key, at=_noon(today), fingerprint=once)
        keep_states(entry, before, current.instalments)
        finish_payment(current, entry, parts["interest"])
        return entry

    entry = idempotent(koperasi, key, once, run)
    db.session.refresh(loan)
    return entry


def settle(loan: Loan, amount: int, day: date) -> dict[str, int]:
    """Allocate ``amount`` to the loan's instalments (late fee, interest, principal, in order),
    a payoff first lowering the interest of the months not lent; never more than is owed.
    The parts paid: {"late", "interest", "principal"}. The caller holds the loan's lock."""
    due = owed(loan, day)
    if amount < due.total and amount == payoff(loan, day).total:
        # Paid off early: the months not lent lose their interest, then the usual allocation settles all.
        for inst, interest in zip(loan.instalments, _payoff_interest(loan, day).values(), strict=True):
            inst.interest_due = interest
        due = owed(loan, day)
    if amount > due.total:
        raise DomainError(_l("That is more than what is owed (%(amount)s).", amount=idr(due.total)),
                          field="amount")
    left, parts = amount, {"late": 0, "interest": 0, "principal": 0}
    for inst in loan.instalments:
        for attr, kind, owing in (
            ("late_fee_paid", "late", late_fee_accrued(loan, inst, day) - inst.late_fee_paid),
            ("interest_paid", "interest", inst.interest_due - inst.interest_paid),
            ("principal_paid", "principal", inst.principal_due - inst.principal_paid),
        ):
            pay = min(left, owing)
            if pay > 0:
                setattr(inst, attr, getattr(inst, attr) + pay)
                parts[kind] += pay
                left -= pay
        if left == 0:
            break
    for inst in loan.instalments:  # also any Rp0 instalment at the tail of a tiny loan
        if inst.remaining == 0 and inst.settled_on is None:
            inst.settled_on = day
    return parts


def finish_payment(loan: Loan, entry: Entry, interest: int) -> None:
    """After a posting that paid the loan: the interest counts for SHU; all paid closes it."""
    if interest:
        db.session.add(MemberTransaction(koperasi_id=loan.koperasi_id, membership_id=loan.membership_id,
                                         kind=LOAN_INTEREST, amount_idr=interest, at=entry.posted_at))
    if all(inst.remaining == 0 for inst in loan.instalments):
        loan.status, loan.paid_off_at = LoanStatus.PAID_OFF, utcnow()
    db.session.flush()


def _noon(day: date | None) -> datetime | None:
    """A posting dated in the past (imported records) is stamped at noon WIB that day."""
    return datetime(day.year, day.month, day.day, 5) if day and day < datetime.now(WIB).date() else None


def one_person_disbursement(entry: Entry) -> bool:
    """Was this disbursement paid out by the same person who approved the loan?
    (Only under the one-person setting; the receipt says so.)"""
    if entry.kind != "disbursement" or entry.loan_id is None:
        return False
    return db.session.scalar(sa.select(Loan.decided_by_id).where(Loan.id == entry.loan_id)) == entry.posted_by_id


def has_open_loans(membership: Membership) -> bool:
    return bool(db.session.scalar(sa.select(sa.func.count()).select_from(Loan).where(
        Loan.membership_id == membership.id,
        Loan.status.in_([LoanStatus.APPLIED, LoanStatus.APPROVED, LoanStatus.ACTIVE]))))
