"""The office's view of its loans: figures, arrears and the list filters.

Rules kept here:
- A loan is in arrears when one of its instalments is past its due date and unpaid.
- Non-performing (NPL): a loan being repaid with an instalment unpaid more than
  ``NPL_DAYS`` after its due date, i.e. classed kurang lancar, diragukan or macet
  (``models.collectability``); the NPL ratio is its remaining principal over all
  remaining principal.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import lazyload

from models.base import db
from models.collectability import CLASSES, LIMITS, class_of
from models.loans import Instalment, Loan, LoanStatus

NPL_DAYS = LIMITS[0]  # non-performing: an instalment overdue more than this (worse than lancar)


def late(today: date):
    """The loan has an instalment past its due date, unpaid."""
    return sa.exists().where(Instalment.loan_id == Loan.id, Instalment.settled_on.is_(None),
                             Instalment.due_on < today)


def filtered(query, chosen: str, today: date):
    """The loan list's filters: a status, or a loan being repaid on time ("current") or late ("overdue")."""
    if chosen == "current":
        return query.where(Loan.status == LoanStatus.ACTIVE, ~late(today))
    if chosen == "overdue":
        return query.where(Loan.status == LoanStatus.ACTIVE, late(today))
    return query.where(Loan.status == chosen) if chosen else query


def figures(koperasi_id: int, today: date) -> dict:
    """Counts by status, outstanding principal, overdue amount, NPL and collectability: two queries
    (the second one row per loan being repaid: its principal left, overdue and oldest late due date)."""
    counts = dict(db.session.execute(sa.select(Loan.status, sa.func.count()).where(
        Loan.koperasi_id == koperasi_id).group_by(Loan.status)).all())
    left = Instalment.principal_due - Instalment.principal_paid
    unpaid = left + Instalment.interest_due - Instalment.interest_paid
    is_late = sa.and_(Instalment.settled_on.is_(None), Instalment.due_on < today)
    rows = db.session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(left), 0), sa.func.coalesce(sa.func.sum(sa.case((is_late, unpaid),
                                                                                              else_=0)), 0),
                  sa.func.min(sa.case((is_late, Instalment.due_on))))
        .join(Loan, Loan.id == Instalment.loan_id)
        .where(Loan.koperasi_id == koperasi_id, Loan.status == LoanStatus.ACTIVE).group_by(Instalment.loan_id)).all()
    classes = {name: [0, 0] for name in CLASSES}  # PostgreSQL sums are Decimal: ints on both
    outstanding = overdue = npl = in_arrears = 0
    for principal, late_amount, since in rows:
        days = (today - (date.fromisoformat(since) if isinstance(since, str) else since)).days if since else 0
        classes[class_of(days)][0] += 1
        classes[class_of(days)][1] += int(principal)
        outstanding, overdue = outstanding + int(principal), overdue + int(late_amount)
        npl += int(principal) if days > NPL_DAYS else 0
        in_arrears += 1 if since else 0
    return {"counts": {status: counts.get(status, 0) for status in LoanStatus}, "outstanding": outstanding,
            "overdue": overdue, "npl": npl, "in_arrears": in_arrears, "classes": classes,
            "npl_ratio": npl / outstanding * 100 if outstanding else 0.0}


def in_arrears(koperasi_id: int, today: date, limit: int, offset: int = 0) -> list:
    """Loans being repaid with instalments past due, longest late first: (loan, overdue, since)."""
    late_by_loan = (sa.select(Instalment.loan_id, sa.func.sum(Instalment.principal_due - Instalment.principal_paid
                                                              + Instalment.interest_due - Instalment.interest_paid)
                              .label("overdue"), sa.func.min(Instalment.due_on).label("since"))
                    .where(Instalment.settled_on.is_(None), Instalment.due_on < today).group_by(Instalment.loan_id)
                    .subquery())
    return db.session.execute(
        sa.select(Loan, late_by_loan.c.overdue, late_by_loan.c.since).join(late_by_loan, late_by_loan.c.loan_id == Loan.id)
        .where(Loan.koperasi_id == koperasi_id, Loan.status == LoanStatus.ACTIVE)
        .options(lazyload(Loan.instalments)).order_by(late_by_loan.c.since, Loan.id)
        .limit(limit).offset(offset)).all()


def due_by_loan(loan_ids: list[int], today: date) -> dict[int, tuple[date, int]]:
    """For loans being repaid: the next due date and the amount overdue, in one query."""
    if not loan_ids:
        return {}
    left = (Instalment.principal_due - Instalment.principal_paid + Instalment.interest_due
            - Instalment.interest_paid)
    rows = db.session.execute(
        sa.select(Instalment.loan_id, sa.func.min(Instalment.due_on),
                  sa.func.coalesce(sa.func.sum(sa.case((Instalment.due_on < today, left), else_=0)), 0))
        .where(Instalment.loan_id.in_(loan_ids), Instalment.settled_on.is_(None)).group_by(Instalment.loan_id))
    return {loan_id: (next_due, int(overdue)) for loan_id, next_due, overdue in rows}
