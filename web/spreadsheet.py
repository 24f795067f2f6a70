"""CSV and XLSX answers: UTF-8 that spreadsheet apps read, numbers as numbers, and no cell a
spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from flask import make_response
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value) -> str | int:
    """Numbers stay numbers; text that starts like a formula is made text with a leading quote."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_response(filename: str, header: list[str], rows: Iterable[Iterable], status: int = 200):
    """A CSV download; private (the koperasi's own figures), never kept in a shared cache."""
    out = io.StringIO()
    out.write("\ufeff")  # so spreadsheet apps read the names as UTF-8
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([cell(value) for value in row] for row in rows)
    response = make_response(out.getvalue(), status)
    response.mimetype = "text/csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


# ---------------------------------------------------------------- xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RUPIAH = '"Rp"#,##0;-"Rp"#,##0'  # the spreadsheet app puts its own thousands separator
SHEET_TITLE_BAD = str.maketrans(dict.fromkeys("[]:*?/\\", " "))


class Count(int):
    """A whole number that is not money (people, a year): a plain number in the XLSX, not Rupiah."""


@dataclass
class XRow:
    """A row of a spreadsheet: its cells (ints are Rupiah), bold for headings and totals."""

    cells: Sequence
    bold: bool = False


def _put(target, value, bold: bool) -> None:
    """One cell: an int as a number in Rupiah, anything else as text (never a formula)."""
    if isinstance(value, Count):
        target.value, target.number_format = int(value), "0"
    elif isinstance(value, int) and not isinstance(value, bool):
        target.value, target.number_format = value, RUPIAH
    elif value not in (None, ""):
        target.value = str(value)
        target.data_type = "s"  # openpyxl takes text starting with "=" for a formula
    if bold:
        target.font = Font(bold=True)


def xlsx_response(filename: str, title: str, about: Sequence[str], header: Sequence[str], rows: Iterable[XRow]):
    """An .xlsx download: the title and the lines ``about`` it (koperasi, period) at the top,
    then the header and the rows; numbers as numbers with a Rupiah format, text as text
    (never a formula); private like the CSVs."""
    book = Workbook()
    sheet = book.active
    sheet.title = title.translate(SHEET_TITLE_BAD)[:31] or "Sheet"
    lines = [XRow([title], True), *(XRow([line]) for line in about), XRow([]), XRow(list(header), True)]
    widths = [len(str(name)) for name in header]
    for number, row in enumerate([*lines, *rows], start=1):
        for column, value in enumerate(row.cells, start=1):
            _put(sheet.cell(number, column), value, row.bold)
            if column <= len(widths) and number > len(lines):
                widths[column - 1] = max(widths[column - 1], len(f"{value:,}" if isinstance(value, int) else str(value)))
    sheet.cell(1, 1).font = Font(bold=True, size=14)
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = min(max(width + 4, 10), 60)
    out = io.BytesIO()
    book.save(out)
    response = make_response(out.getvalue())
    response.mimetype = XLSX
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
