"""The member's home: what a person has in Kopz, at a glance, in a few aggregate queries.

Rules kept here:
- Every section is scoped to the one user it is built for (their memberships, loans,
  orders, stores, staff rows): another person's data never reaches their home.
- One query per section, whatever the number of cards, loans, orders or offices:
  sums and counts are computed by the database (no query per card or per office),
  and only the columns shown are read, never whole rows with their relationships.

Each function takes the session, so this module needs nothing from the web layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.accounts import User
from models.duties import may
from models.koperasi import Koperasi, Staff
from models.koperasi import Status as KoperasiStatus
from models.ledger import SavingsBalance
from models.loans import Instalment, Loan, LoanStatus
from models.market import Store, StoreStatus
from models.membership import STATUS_LABELS as MEMBER_STATUS_LABELS
from models.membership import WIB, Membership, MemberStatus, held_by
from models.orders import STATUS_LABELS as ORDER_STATUS_LABELS
from models.orders import Order, OrderStatus

IN_PROGRESS = (OrderStatus.NEW, OrderStatus.ACCEPTED, OrderStatus.READY, OrderStatus.DELIVERING)
SHOWN_ORDERS = 5
ON_HOME = (MemberStatus.APPLIED, MemberStatus.APPROVED, MemberStatus.ACTIVE, MemberStatus.RESIGNING)


@dataclass(frozen=True)
class Card:
    """One membership with its balances: enough to draw the koperasi's line on the home."""

    slug: str
    name: str
    logo_version: str | None
    member_number: str | None
    status: str
    savings_idr: int
    pokok_due_idr: int

    @property
    def status_label(self):
        return MEMBER_STATUS_LABELS.get(self.status, self.status)


@dataclass(frozen=True)
class NextInstalment:
    """The next unpaid instalment of one loan being repaid."""

    slug: str
    koperasi_name: str
    loan_id: int
    due_on: date
    amount_idr: int  # what is left of that instalment
    overdue_idr: int  # all instalments past their due date, unpaid

    @property
    def overdue(self) -> bool:
        return self.overdue_idr > 0


@dataclass(frozen=True)
class OrderLine:
    id: int
    number: str | None
    store_name: str
    status: str
    total_idr: int

    @property
    def status_label(self):
        return ORDER_STATUS_LABELS.get(self.status, self.status)


@dataclass(frozen=True)
class Selling:
    """The person's stores and the orders that wait for them as a seller."""

    stores: int = 0
    new_orders: int = 0


@dataclass(frozen=True)
class OfficeLine:
    """A koperasi where the person is staff, and what waits in its office."""

    slug: str
    name: str
    logo_version: str | None
    status: str
    role: str
    applications: int
    loans_to_review: int
    loans_to_disburse: int
    stores_to_approve: int

    @property
    def waiting(self) -> int:
        return self.applications + self.loans_to_review + self.loans_to_disburse + self.stores_to_approve

    @property
    def is_verified(self) -> bool:
        return self.status == KoperasiStatus.VERIFIED


@dataclass(frozen=True)
class Home:
    cards: list[Card] = field(default_factory=list)
    instalments: list[NextInstalment] = field(default_factory=list)
    orders: list[OrderLine] = field(default_factory=list)
    more_orders: bool = False
    selling: Selling = field(default_factory=Selling)
    offices: list[OfficeLine] = field(default_factory=list)
    koperasi_to_verify: int | None = None  # platform admins only

    @property
    def active_slugs(self) -> list[str]:
        """Koperasi where the person is an active member (where a store can be opened)."""
        return [c.slug for c in self.cards if c.status == MemberStatus.ACTIVE]


def today_wib() -> date:
    return datetime.now(WIB).date()


# ---------------------------------------------------------------- sections

def cards(session: Session, user: User) -> list[Card]:
    """Open memberships and applications, each with its savings total and the pokok still owed."""
    savings = (sa.select(SavingsBalance.membership_id,
                         sa.func.sum(SavingsBalance.balance).label("total"),
                         sa.func.sum(sa.case((SavingsBalance.kind == "pokok", SavingsBalance.balance),
                                             else_=0)).label("pokok"))
               .group_by(SavingsBalance.membership_id).subquery())
    rows = session.execute(
        sa.select(Koperasi.slug, Koperasi.name, Koperasi.logo_version, Membership.member_number, Membership.status,
                  sa.func.coalesce(savings.c.total, 0), Membership.pokok_owed_idr - sa.func.coalesce(savings.c.pokok, 0))
        .join(Koperasi, Koperasi.id == Membership.koperasi_id)
        .outerjoin(savings, savings.c.membership_id == Membership.id)
        .where(held_by(user.id), Membership.status.in_(ON_HOME))
        .order_by(Membership.status == MemberStatus.APPLIED, Koperasi.name, Membership.id)).all()
    return [Card(slug, name, logo, number, status, int(total), max(int(pokok_due), 0) if status == MemberStatus.APPROVED
                 else 0) for slug, name, logo, number, status, total, pokok_due in rows]


def next_instalments(session: Session, user: User, today: date) -> list[NextInstalment]:
    """For each of the person's loans being repaid: the first unpaid instalment and what is overdue."""
    remaining = (Instalment.principal_due - Instalment.principal_paid
                 + Instalment.interest_due - Instalment.interest_paid)
    per_loan = (sa.select(Instalment.loan_id, sa.func.min(Instalment.seq).label("seq"),
                          sa.func.sum(sa.case((Instalment.due_on < today, remaining), else_=0)).label("overdue"))
                .join(Loan, Loan.id == Instalment.loan_id)
                .join(Membership, Membership.id == Loan.membership_id)
                .where(held_by(user.id), Loan.status == LoanStatus.ACTIVE,
                       Instalment.settled_on.is_(None))
                .group_by(Instalment.loan_id).subquery())
    rows = session.execute(
        sa.select(Koperasi.slug, Koperasi.name, Instalment.loan_id, Instalment.due_on, remaining, per_loan.c.overdue)
        .join(per_loan, sa.and_(per_loan.c.loan_id == Instalment.loan_id, per_loan.c.seq == Instalment.seq))
        .join(Loan, Loan.id == Instalment.loan_id)
        .join(Koperasi, Koperasi.id == Loan.koperasi_id)
        .order_by(Instalment.due_on, Instalment.loan_id)).all()
    return [NextInstalment(slug, name, loan_id, due_on, int(left), int(overdue))
            for slug, name, loan_id, due_on, left, overdue in rows]


def orders_in_progress(session: Session, user: User) -> tuple[list[OrderLine], bool]:
    """The person's orders as a buyer that are not finished yet, newest first (and whether there are more)."""
    rows = session.execute(
        sa.select(Order.id, Order.number, Store.name, Order.status, Order.total_idr)
        .join(Store, Store.id == Order.store_id)
        .where(Order.buyer_id == user.id, Order.status.in_(IN_PROGRESS))
        .order_by(Order.created_at.desc(), Order.id.desc()).limit(SHOWN_ORDERS + 1)).all()
    return [OrderLine(*row) for row in rows[:SHOWN_ORDERS]], len(rows) > SHOWN_ORDERS


def selling(session: Session, user: User) -> Selling:
    """How many stores the person owns, and how many of their orders are new."""
    new_orders = (sa.select(sa.func.count()).select_from(Order).join(Store, Store.id == Order.store_id)
                  .where(Store.owner_id == user.id, Order.status == OrderStatus.NEW)
                  .correlate(None).scalar_subquery())
    stores, new = session.execute(
        sa.select(sa.func.count(Store.id), new_orders).where(Store.owner_id == user.id)).one()
    return Selling(int(stores), int(new or 0))


def _waiting(model, *conditions):
    return (sa.select(sa.func.count()).select_from(model)
            .where(model.koperasi_id == Koperasi.id, *conditions).correlate(Koperasi).scalar_subquery())


def _for_role(line: OfficeLine) -> OfficeLine:
    """Only what waits for this person: counts their role may not act on are left out."""
    def mine(duty: str, count: int) -> int:
        return count if may(line.role, duty) else 0

    return replace(line, applications=mine("approve_member", line.applications),
                   loans_to_review=mine("approve_loan", line.loans_to_review),
                   loans_to_disburse=mine("disburse_loan", line.loans_to_disburse),
                   stores_to_approve=mine("approve_store", line.stores_to_approve))


def offices(session: Session, user: User) -> list[OfficeLine]:
    """Every koperasi where the person is staff, with the counts of what waits there for
    them (a teller sees loans to pay out, a pengurus applications to decide)."""
    rows = session.execute(
        sa.select(Koperasi.slug, Koperasi.name, Koperasi.logo_version, Koperasi.status, Staff.role,
                  _waiting(Membership, Membership.status == MemberStatus.APPLIED),
                  _waiting(Loan, Loan.status == LoanStatus.APPLIED),
                  _waiting(Loan, Loan.status == LoanStatus.APPROVED),
                  _waiting(Store, Store.status == StoreStatus.PENDING))
        .join(Staff, Staff.koperasi_id == Koperasi.id)
        .where(Staff.user_id == user.id).order_by(Koperasi.name, Koperasi.id)).all()
    return [_for_role(OfficeLine(*row)) for row in rows]


def koperasi_to_verify(session: Session, user: User) -> int | None:
    """For platform admins: how many registered koperasi wait for verification."""
    if not user.is_platform_admin:
        return None
    return session.scalar(sa.select(sa.func.count()).select_from(Koperasi)
                          .where(Koperasi.status == KoperasiStatus.PENDING))


def home(session: Session, user: User, today: date | None = None) -> Home:
    """Everything the home shows a logged-in person: six queries at most."""
    orders, more = orders_in_progress(session, user)
    return Home(cards=cards(session, user), instalments=next_instalments(session, user, today or today_wib()),
                orders=orders, more_orders=more, selling=selling(session, user), offices=offices(session, user),
                koperasi_to_verify=koperasi_to_verify(session, user))


@dataclass(frozen=True)
class Ways:
    """Where a person can go from their account page."""

    offices: list[OfficeLine]
    selling: Selling
    active_slugs: list[str]


def ways_in(session: Session, user: User) -> Ways:
    """The links of the account page: offices, store, koperasi where a store can be opened."""
    active = session.scalars(
        sa.select(Koperasi.slug).join(Membership, Membership.koperasi_id == Koperasi.id)
        .where(held_by(user.id), Membership.status == MemberStatus.ACTIVE)
        .order_by(Koperasi.name)).all()
    return Ways(offices(session, user), selling(session, user), list(active))
