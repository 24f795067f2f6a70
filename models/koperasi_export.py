"""The import template, empty (with example rows) or filled with the koperasi's current data: the
export is the same workbook, so it imports into another koperasi unchanged (a round trip).

Rules kept here:
- Columns come from ``models.koperasi_import`` (one definition for template, parser, export).
- The export holds every active or resigning member with a member number, their savings per
  kind as today, and their loans being repaid: principal still owed, instalments left, the next
  due date. A written-off or paid-off loan is not exported (nothing to import).
- Every cell is a value, never a formula: text is written as text (an NIK keeps its digits,
  a name starting with "=" stays a name).
"""

from __future__ import annotations

import csv
import io
from datetime import date

import sqlalchemy as sa
from openpyxl import Workbook
from openpyxl.styles import Font

from models import import_sheets as columns
from models.base import db
from models.koperasi import Koperasi, record
from models.ledger import SavingsBalance
from models.loans import Instalment, Loan, LoanProduct, LoanStatus, add_months
from models.membership import Membership, MemberStatus, from_nik

GUIDE = [
    "Kopz import template. Fill one row per member on the Anggota sheet and one row per loan still being "
    "repaid on the Pinjaman sheet; keep the header rows as they are.",
    "All balances are as of the cut-over date you enter when uploading (e.g. the last day of a month).",
    "Type values, not formulas: a cell starting with = + - @ is refused.",
    "CSV: save each sheet as CSV UTF-8 (members, and loans if any) and upload the files together.",
    "Importing the same file again adds nothing: members already imported are skipped.",
]


def _example_rows(koperasi: Koperasi, today: date) -> tuple[list[dict], list[dict]]:
    members = []
    for i in range(3):
        row = {c.key: c.examples[i] for c in columns.MEMBERS.columns}
        row["member_number"] = f"{koperasi.member_prefix}-{90001 + i}"
        members.append(row)
    product = db.session.scalar(sa.select(LoanProduct.name).where(LoanProduct.koperasi_id == koperasi.id,
                                                                  LoanProduct.active).order_by(LoanProduct.id))
    loans = []
    for i in range(2):
        row = {c.key: c.examples[i] for c in columns.LOANS.columns}
        row.update(member_number=members[i]["member_number"], product=product or row["product"],
                   next_due=add_months(today, 1).isoformat())
        loans.append(row)
    return members, loans


def current_rows(koperasi: Koperasi) -> tuple[list[dict], list[dict]]:
    """The koperasi's members (with savings per kind) and loans being repaid, as template rows."""
    members = list(db.session.scalars(sa.select(Membership).where(
        Membership.koperasi_id == koperasi.id, Membership.member_number.is_not(None),
        Membership.status.in_((MemberStatus.ACTIVE, MemberStatus.RESIGNING))).order_by(Membership.member_number)))
    held: dict[int, dict[str, int]] = {}
    for membership_id, kind, balance in db.session.execute(
            sa.select(SavingsBalance.membership_id, SavingsBalance.kind, SavingsBalance.balance)
            .join(Membership, Membership.id == SavingsBalance.membership_id)
            .where(Membership.koperasi_id == koperasi.id)):
        held.setdefault(membership_id, {})[kind] = balance
    member_rows = []
    for m in members:
        savings = held.get(m.id, {})
        known = from_nik(m.nik)  # members who joined before Kopz kept these: as their NIK says
        born = m.birth_date or known.get("birth_date")
        member_rows.append({
            "member_number": m.member_number, "full_name": m.full_name, "mobile": _national(m.user.mobile),
            "nik": m.nik, "birth_date": born.isoformat() if born else "", "gender": m.gender or known.get("gender", ""),
            "address": m.address, "region_code": m.region_code or known.get("region_code") or "",
            "joined_on": m.joined_on.isoformat() if m.joined_on else "",
            **{kind: savings.get(kind, 0) for kind in columns.SAVINGS_KINDS}})
    numbers = {m.id: m.member_number for m in members}
    loan_rows = []
    for loan in db.session.scalars(sa.select(Loan).where(Loan.koperasi_id == koperasi.id,
                                                         Loan.status == LoanStatus.ACTIVE,
                                                         Loan.membership_id.in_(list(numbers) or [0]))
                                   .order_by(Loan.id)):
        left = [inst for inst in loan.instalments if _open(inst)]
        if not left:
            continue
        loan_rows.append({
            "member_number": numbers[loan.membership_id], "product": loan.product.name,
            "original_idr": loan.principal_idr, "owed_idr": sum(i.principal_due - i.principal_paid for i in left),
            "rate": _percent(loan.monthly_rate_bp or 0), "method": columns.METHOD_NAMES.get(loan.method, loan.method),
            "tenor": loan.tenor, "remaining": len(left), "next_due": left[0].due_on.isoformat()})
    return member_rows, loan_rows


def _open(inst: Instalment) -> bool:
    return inst.principal_due - inst.principal_paid > 0 or inst.interest_due - inst.interest_paid > 0


def _national(mobile: str) -> str:
    return "0" + mobile[3:] if mobile.startswith("+62") else mobile


def _percent(bp: int) -> str:
    whole, part = divmod(bp, 100)
    return f"{whole},{part:02d}".rstrip("0").rstrip(",") if part else str(whole)


def record_export(koperasi: Koperasi, by, fmt: str | None, sheet: str | None) -> None:
    """Every NIK left the app in that file: the koperasi's history says who took it and when."""
    what = ("loans" if sheet == "loans" else "members") if fmt == "csv" else "all"
    record(koperasi, by, "members_exported", {"format": "csv" if fmt == "csv" else "xlsx", "sheet": what})
    db.session.commit()


def rows_for(koperasi: Koperasi, filled: bool, today: date) -> tuple[list[dict], list[dict]]:
    return current_rows(koperasi) if filled else _example_rows(koperasi, today)


def workbook(members: list[dict], loans: list[dict]) -> bytes:
    """The template as .xlsx: the Anggota and Pinjaman sheets, then the English guide."""
    book = Workbook()
    book.remove(book.active)
    for sheet, rows in ((columns.MEMBERS, members), (columns.LOANS, loans)):
        ws = book.create_sheet(sheet.title)
        ws.append(sheet.headers)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for number, row in enumerate(rows, start=2):
            for col, column in enumerate(sheet.columns, start=1):
                _put(ws.cell(number, col), row.get(column.key), column.kind)
        for col, column in enumerate(sheet.columns, start=1):
            ws.column_dimensions[ws.cell(1, col).column_letter].width = max(len(column.header) + 4, 14)
        ws.freeze_panes = "A2"
    guide = book.create_sheet(columns.GUIDE_TITLE)
    for line in GUIDE:
        guide.append([line])
    guide.append([])
    guide.append(["Sheet", "Column", "Required", "What to enter"])
    for cell in guide[guide.max_row]:
        cell.font = Font(bold=True)
    for sheet in columns.SHEETS:
        for column in sheet.columns:
            guide.append([sheet.title, column.header, "yes" if column.required else "no (0)", column.guide])
    guide.column_dimensions["B"].width, guide.column_dimensions["D"].width = 26, 100
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _put(cell, value, kind: str) -> None:
    if value is None or value == "":
        return
    if isinstance(value, int) and not isinstance(value, bool) and kind in ("idr", "int"):
        cell.value = value
        cell.number_format = "#,##0"
        return
    cell.value = str(value)
    cell.data_type = "s"  # never a formula, and an NIK keeps its 16 digits
    cell.number_format = "@"


def csv_text(sheet: columns.Sheet, rows: list[dict]) -> str:
    """One sheet as CSV (UTF-8 with its mark, comma-separated), the template's headers first."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(sheet.headers)
    for row in rows:
        writer.writerow([_csv_cell(row.get(c.key)) for c in sheet.columns])
    return out.getvalue()


def _csv_cell(value):
    """A value for a CSV cell; text a spreadsheet would run gets a leading quote (the import drops it)."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if isinstance(value, str) and text.startswith(columns.FORMULA_START) else value
