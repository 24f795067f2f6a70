"""SHU (Sisa Hasil Usaha): the split of a closed book year's surplus, and each member's share.

Rules kept here (the approval and the posting are in ``models.shu_posting``):
- One plan per koperasi and closed book year. A plan for a year that is not closed is refused.
- The split is in basis points (1 % = 100) over reserve, jasa modal (JM), jasa usaha (JU),
  board, staff, education, social and others; the parts must total exactly 100 %, or nothing
  is saved. Once the RAT's approval is recorded, the plan no longer changes.
- The SHU amount is the closed year's surplus: what the year's closing entry credited to
  3401 "SHU of the current year" (``models.periods.close_year``). The pengurus may override
  it, with a reason; the override and its reason are shown wherever the amount is.
- Jasa modal: each member's savings figure is the sum of the chosen savings (pokok, wajib,
  sukarela), either the balance at the end of 31 December or the average of the twelve
  month-end balances (the sum of the twelve, divided by 12, rounded down).
- Jasa usaha: each member's transactions figure is the sum, over the year, of the chosen
  kinds of ``models.transactions.MemberTransaction``: completed purchases at the koperasi's
  own stores, completed purchases at its members' stores (and payments at their stalls), loan interest paid (a correction
  counts negatively; a member's figure is never below zero).
- The arithmetic (``split``), in whole Rupiah:
  * each pool is SHU × its percentage, rounded down;
  * a member's JM = JM pool × their savings / all members' savings, rounded down; JU the
    same with transactions (a pool that nobody earned, all figures zero, is not paid out);
  * THE ROUNDING REMAINDER GOES TO THE RESERVE: the reserve is SHU minus every other pool
    minus every member's share, so it takes the pools' rounding, the members' rounding and
    any pool nobody earned. The parts therefore sum to the SHU to the Rupiah.
- A year without a surplus (SHU of Rp0 or a loss) has nothing to divide.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import periods
from models.accounts import User
from models.base import db, utcnow
from models.errors import DomainError, reason_given
from models.koperasi import Koperasi
from models.ledger import SAVINGS, Account, Entry, Line, Purpose
from models.market import Store
from models.membership import Membership
from models.months import midnight
from models.orders import Order
from models.stall import StallPayment
from models.transactions import LOAN_INTEREST, PURCHASE, MemberTransaction

WHOLE = 10_000  # 100 % in basis points
PARTS = ("reserve", "jm", "ju", "board", "staff", "education", "social", "others")
PART_LABELS = {
    "reserve": _l("Reserve (cadangan)"),
    "jm": _l("Jasa modal (members' savings)"),
    "ju": _l("Jasa usaha (members' transactions)"),
    "board": _l("Board (pengurus and pengawas)"),
    "staff": _l("Staff"),
    "education": _l("Education"),
    "social": _l("Social"),
    "others": _l("Others"),
}
YEAR_END, AVERAGE = "year_end", "average"
BASIS_LABELS = {YEAR_END: _l("Balance at the end of the year"),
                AVERAGE: _l("Average of the 12 month-end balances")}
JU_KINDS = ("own_store", "member_stores", "interest")
JU_LABELS = {"own_store": _l("Purchases at the koperasi's own stores"),
             "member_stores": _l("Purchases at members' stores"),
             "interest": _l("Loan interest paid")}
# A usual split (DESIGN.md): reserve 40 %, members 40 % (JM 20, JU 20), the funds 5 % each.
DEFAULT_SPLIT = {"reserve": 4000, "jm": 2000, "ju": 2000, "board": 500, "staff": 500, "education": 500,
                 "social": 500, "others": 0}


class ShuPlan(db.Model):
    """How one closed book year's SHU is divided: the split, what counts, the approval, the posting."""

    __table_args__ = (sa.UniqueConstraint("koperasi_id", "year", name="uq_shu_plan_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    koperasi_id: Mapped[int] = mapped_column(sa.ForeignKey("koperasi.id", ondelete="CASCADE"))
    year: Mapped[int]
    reserve_bp: Mapped[int] = mapped_column(default=0)
    jm_bp: Mapped[int] = mapped_column(default=0)
    ju_bp: Mapped[int] = mapped_column(default=0)
    board_bp: Mapped[int] = mapped_column(default=0)
    staff_bp: Mapped[int] = mapped_column(default=0)
    education_bp: Mapped[int] = mapped_column(default=0)
    social_bp: Mapped[int] = mapped_column(default=0)
    others_bp: Mapped[int] = mapped_column(default=0)
    jm_pokok: Mapped[bool] = mapped_column(default=True)
    jm_wajib: Mapped[bool] = mapped_column(default=True)
    jm_sukarela: Mapped[bool] = mapped_column(default=False)
    jm_basis: Mapped[str] = mapped_column(sa.String(10), default=YEAR_END)
    ju_own_store: Mapped[bool] = mapped_column(default=True)
    ju_member_stores: Mapped[bool] = mapped_column(default=True)
    ju_interest: Mapped[bool] = mapped_column(default=True)
    override_idr: Mapped[int | None] = mapped_column(sa.BigInteger)  # None: the income statement's SHU
    override_reason: Mapped[str] = mapped_column(sa.String(200), default="")
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set by the approval (models.shu_posting): the RAT that approved it, and the figures it approved.
    meeting_id: Mapped[int | None] = mapped_column(sa.ForeignKey("meeting.id"))
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    approved_at: Mapped[datetime | None]
    amounts: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # the approved pools and totals, Rupiah
    job_id: Mapped[int | None] = mapped_column(sa.ForeignKey("job.id"))  # the posting's progress
    funds_entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("entry.id"))  # reserve and funds
    posted_at: Mapped[datetime | None]  # every part posted

    koperasi: Mapped[Koperasi] = relationship(lazy="joined")
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id], lazy="joined")

    def bp(self) -> dict[str, int]:
        return {part: getattr(self, f"{part}_bp") for part in PARTS}

    @property
    def savings_kinds(self) -> list[str]:
        return [kind for kind in SAVINGS if getattr(self, f"jm_{kind}")]

    @property
    def ju_kinds(self) -> list[str]:
        return [kind for kind in JU_KINDS if getattr(self, f"ju_{kind}")]

    @property
    def approved(self) -> bool:
        return self.approved_at is not None


@dataclass(frozen=True)
class MemberShare:
    """One member's inputs and shares."""

    membership_id: int
    savings: int  # the JM input
    transactions: int  # the JU input
    jm: int
    ju: int

    @property
    def total(self) -> int:
        return self.jm + self.ju


@dataclass
class Split:
    """The whole division of one SHU: the parts (reserve with every remainder) and the members."""

    shu: int
    parts: dict[str, int]  # reserve, jm, ju, board, staff, education, social, others: what each receives
    pools: dict[str, int]  # SHU × percentage, rounded down
    savings_total: int
    transactions_total: int
    members: list[MemberShare] = field(default_factory=list)

    @property
    def remainder(self) -> int:
        """What rounding (and any pool nobody earned) added to the reserve."""
        return self.parts["reserve"] - self.pools["reserve"]


# ---------------------------------------------------------------- the arithmetic

def split(shu: int, bp: dict[str, int], savings: dict[int, int], transactions: dict[int, int]) -> Split:
    """Divide ``shu`` by the percentages ``bp``; JM by ``savings``, JU by ``transactions`` (per
    membership id). Everything rounds down; the reserve takes what rounding leaves (see the module)."""
    shu = max(shu, 0)
    pools = {part: shu * bp.get(part, 0) // WHOLE for part in PARTS}
    savings = {m: s for m, s in savings.items() if s > 0}
    transactions = {m: t for m, t in transactions.items() if t > 0}
    s_total, t_total = sum(savings.values()), sum(transactions.values())
    members = [MemberShare(m, savings.get(m, 0), transactions.get(m, 0),
                           pools["jm"] * savings.get(m, 0) // s_total if s_total else 0,
                           pools["ju"] * transactions.get(m, 0) // t_total if t_total else 0)
               for m in sorted(savings.keys() | transactions.keys())]
    parts = dict(pools)
    parts["jm"], parts["ju"] = sum(s.jm for s in members), sum(s.ju for s in members)
    parts["reserve"] = shu - sum(amount for part, amount in parts.items() if part != "reserve")
    return Split(shu, parts, pools, s_total, t_total, members)


# ---------------------------------------------------------------- the year's figures

def income_statement_shu(koperasi: Koperasi, year: int) -> int | None:
    """The surplus the closed year's closing entry put into 3401 (negative: a loss); None: not closed."""
    event = periods.latest(koperasi, periods.YEAR, date(year, 1, 1))
    if event is None or not event.closed:
        return None
    if not event.entry_id:
        return 0
    credited = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Line.amount), 0)).join(Account, Account.id == Line.account_id)
        .where(Line.entry_id == event.entry_id, Account.purpose == Purpose.SHU_CURRENT))
    return -int(credited)


def shu_amount(plan: ShuPlan) -> int:
    """The SHU the plan divides: the override when there is one, else the income statement's."""
    if plan.override_idr is not None:
        return plan.override_idr
    return income_statement_shu(plan.koperasi, plan.year) or 0


def savings_figures(koperasi: Koperasi, year: int, kinds: list[str], basis: str) -> dict[int, int]:
    """Each member's chosen savings at the year's end, or the average of its 12 month-end balances: one query."""
    if not kinds:
        return {}
    ends = [midnight(koperasi, date(year, m + 1, 1) if m < 12 else date(year + 1, 1, 1)) for m in range(1, 13)]
    if basis == AVERAGE:  # a line counts in every month-end after it: weight 12 for January's, 1 for December's
        weight = sa.case(*[(Entry.posted_at < end, 12 - i) for i, end in enumerate(ends)], else_=0)
        amount = Line.amount * weight
    else:
        amount = Line.amount
    rows = db.session.execute(
        sa.select(Line.membership_id, sa.func.sum(amount)).join(Entry, Entry.id == Line.entry_id)
        .join(Account, Account.id == Line.account_id)
        .where(Entry.koperasi_id == koperasi.id, Account.koperasi_id == koperasi.id,
               Account.purpose.in_([SAVINGS[k] for k in kinds]), Line.membership_id.is_not(None),
               Entry.posted_at < ends[-1])
        .group_by(Line.membership_id))
    figures = {}
    for membership_id, total in rows:
        held = -int(total)  # savings are credits
        figures[membership_id] = held // 12 if basis == AVERAGE else held
    return {m: v for m, v in figures.items() if v > 0}


def transaction_figures(koperasi: Koperasi, year: int, kinds: list[str]) -> dict[int, int]:
    """Each member's counted business with the koperasi over the year: one query."""
    if not kinds:
        return {}
    counted = []
    if "interest" in kinds:
        counted.append(MemberTransaction.kind == LOAN_INTEREST)
    if "own_store" in kinds:
        counted.append(sa.and_(MemberTransaction.kind == PURCHASE, Store.id.is_not(None),
                               Store.membership_id.is_(None)))
    if "member_stores" in kinds:
        counted.append(sa.and_(MemberTransaction.kind == PURCHASE, Store.membership_id.is_not(None)))
    rows = db.session.execute(
        sa.select(MemberTransaction.membership_id, sa.func.sum(MemberTransaction.amount_idr))
        .outerjoin(Order, Order.id == MemberTransaction.order_id)
        .outerjoin(StallPayment, StallPayment.id == MemberTransaction.stall_payment_id)
        .outerjoin(Store, Store.id == sa.func.coalesce(Order.store_id, StallPayment.store_id))
        .where(MemberTransaction.koperasi_id == koperasi.id,
               MemberTransaction.at >= midnight(koperasi, date(year, 1, 1)),
               MemberTransaction.at < midnight(koperasi, date(year + 1, 1, 1)), sa.or_(*counted))
        .group_by(MemberTransaction.membership_id))
    return {m: int(total) for m, total in rows if total and total > 0}


def preview(plan: ShuPlan) -> Split:
    """Every member's inputs and shares under the plan as it stands."""
    koperasi = plan.koperasi
    return split(shu_amount(plan), plan.bp(),
                 savings_figures(koperasi, plan.year, plan.savings_kinds, plan.jm_basis),
                 transaction_figures(koperasi, plan.year, plan.ju_kinds))


def names(membership_ids: list[int]) -> dict[int, tuple[str, str]]:
    """Member number and name for the rows a page shows: one query."""
    rows = db.session.execute(sa.select(Membership.id, Membership.member_number, Membership.full_name)
                              .where(Membership.id.in_(membership_ids)))
    return {m: (number or "", name) for m, number, name in rows}


# ---------------------------------------------------------------- the plan

def closed_years(koperasi: Koperasi) -> list[int]:
    """The koperasi's book years whose close stands, newest first."""
    rows = periods.events(koperasi)
    last = {}
    for event in rows:
        if event.scope == periods.YEAR:
            last[event.start.year] = event.closed
    return sorted((year for year, closed in last.items() if closed), reverse=True)


def plan_of(koperasi: Koperasi, year: int) -> ShuPlan | None:
    return db.session.scalar(sa.select(ShuPlan).where(ShuPlan.koperasi_id == koperasi.id, ShuPlan.year == year))


def plans(koperasi: Koperasi) -> dict[int, ShuPlan]:
    return {p.year: p for p in db.session.scalars(sa.select(ShuPlan).where(ShuPlan.koperasi_id == koperasi.id))}


def check_year_closed(koperasi: Koperasi, year: int) -> None:
    if income_statement_shu(koperasi, year) is None:
        raise DomainError(_l("The book year %(year)s is not closed: close it first (Books → Closed periods).",
                             year=year), field="year")


def save_plan(koperasi: Koperasi, year: int, data: dict, by: User | None) -> ShuPlan:
    """Create or change the year's plan. The parts total 100 %; the year is closed; an override
    has a reason; an approved plan no longer changes. Nothing is saved when a rule refuses."""
    check_year_closed(koperasi, year)
    plan = plan_of(koperasi, year)
    if plan is not None and plan.approved:
        raise DomainError(_l("The RAT approved this split: it no longer changes."))
    bp = {part: data.get(f"{part}_bp") or 0 for part in PARTS}
    if any(not isinstance(v, int) or v < 0 or v > WHOLE for v in bp.values()):
        raise DomainError(_l("Enter each part as a percentage from 0 to 100."), field="reserve_bp")
    if sum(bp.values()) != WHOLE:
        total = f"{sum(bp.values()) / 100:g}".replace(".", ",")
        raise DomainError(_l("The parts add up to %(total)s%%: they must total exactly 100%%.", total=total),
                          field="reserve_bp")
    basis = data.get("jm_basis") or YEAR_END
    if basis not in BASIS_LABELS:
        raise DomainError(_l("Choose how savings are counted."), field="jm_basis")
    override, reason = data.get("override_idr"), ""
    if override is not None:
        if not isinstance(override, int) or override < 0:
            raise DomainError(_l("Enter the SHU as Rp0 or more."), field="override_idr")
        reason = reason_given(data.get("override_reason"), _l("Write why the SHU differs from the income "
                                                              "statement (at least 5 characters)."),
                              "override_reason")
    if plan is None:
        plan = ShuPlan(koperasi_id=koperasi.id, year=year, amounts={})
        db.session.add(plan)
    for part, value in bp.items():
        setattr(plan, f"{part}_bp", value)
    for kind in SAVINGS:
        setattr(plan, f"jm_{kind}", bool(data.get(f"jm_{kind}")))
    for kind in JU_KINDS:
        setattr(plan, f"ju_{kind}", bool(data.get(f"ju_{kind}")))
    plan.jm_basis, plan.override_idr, plan.override_reason = basis, override, reason
    plan.updated_by_id, plan.updated_at = by.id if by else None, utcnow()
    try:
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError:  # the same year's plan created at the same moment: change that one
        return save_plan(koperasi, year, data, by)
    return plan
