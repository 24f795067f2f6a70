"""The annual report a RAT reads: made from the books of the meeting's book year.

Rules kept here:
- Every figure comes from the ledger (``models.books``) or the member and loan tables at
  the end of the book year (savings, loans outstanding, statements); the members by
  status are counted as they stand today (Kopz keeps no history of statuses).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from models import books
from models.base import db
from models.ledger import Purpose
from models.loans import Loan, LoanStatus
from models.meetings import Meeting
from models.membership import Membership


@dataclass
class AnnualReport:
    year: int
    start: date
    end: date
    neraca: books.BalanceSheet
    hasil_usaha: books.IncomeStatement
    members: dict[str, int]  # status → how many
    savings: dict[str, int]  # pokok, wajib, sukarela → balance at year end
    loans_outstanding: int  # principal at year end, from the ledger
    loans_active: int  # loans being repaid today


SAVINGS = {Purpose.POKOK: "pokok", Purpose.WAJIB: "wajib", Purpose.SUKARELA: "sukarela"}


def annual_report(meeting: Meeting) -> AnnualReport:
    """Statements, members, savings and loans of the meeting's book year."""
    koperasi = meeting.koperasi
    start, end = date(meeting.book_year, 1, 1), date(meeting.book_year, 12, 31)
    sheet = books.neraca(koperasi, end)
    rows = sheet.assets.rows + sheet.liabilities.rows + sheet.equity.rows
    savings = {kind: sum(r.amount for r in rows if r.purpose == purpose) for purpose, kind in SAVINGS.items()}
    members = dict(db.session.execute(sa.select(Membership.status, sa.func.count()).where(
        Membership.koperasi_id == koperasi.id).group_by(Membership.status)).all())
    active = db.session.scalar(sa.select(sa.func.count()).select_from(Loan).where(
        Loan.koperasi_id == koperasi.id, Loan.status == LoanStatus.ACTIVE))
    return AnnualReport(meeting.book_year, start, end, sheet, books.hasil_usaha(koperasi, start, end), members,
                        savings, sum(r.amount for r in sheet.assets.rows if r.purpose == Purpose.LOANS), active)
