"""Reading a bank statement exported as CSV: the lines money came in on (``models.topups`` matches them).

Rules kept here:
- Three columns, in this order or named by a header: the date, the description (the transfer's
  note) and the amount. The separator is a comma, a semicolon or a tab; the file is UTF-8 (a BOM
  is fine) or, failing that, Windows-1252, as spreadsheet apps save it.
- An amount is written with the digits 0–9 and may carry "Rp", spaces, thousands separators (dots or
  commas) and zero decimals ("1.500.123", "1,500,123.00", "Rp 1.500.123,00"), a trailing CR (credit)
  or DB/a minus (debit).
  Only money in (above zero) is kept; a line with cents other than zero cannot be a unique amount.
- Liberal, but never a guess: a line whose amount cannot be read is listed by its line number; a
  file with no line that can be read (a picture renamed .csv, an empty file, another table) is
  refused as a whole with a clear message, so nothing is matched nor posted from it.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from models.errors import DomainError

MAX_BYTES = 1024 * 1024  # a month of a koperasi's account fits many times
MAX_LINES = 5000
HEADERS = {
    "date": ("date", "tanggal", "tgl", "tgl transaksi", "tanggal transaksi", "posting date"),
    "description": ("description", "keterangan", "ket", "deskripsi", "uraian", "remark", "berita", "catatan", "note"),
    "amount": ("amount", "jumlah", "nominal", "mutasi", "kredit", "credit", "nilai"),
}
UNREADABLE = _l("No line of this file could be read. Each line needs a date, a description and an amount, separated "
               "by commas or semicolons, for example: 01/12/2026;TRANSFER TUABC123;150.123")
_DIGITS = re.compile(r"[0-9]+([.,][0-9]+)*")  # the digits 0–9 only
AMOUNT_MAX_CHARS = 30  # "999.999.999.999.999,00" and more: longer is no amount (nor a number Python reads)


@dataclass
class Line:
    number: int  # the line in the file, from 1
    day: str  # as written: banks write dates many ways, and it is only shown
    description: str
    amount: int


@dataclass
class Statement:
    lines: list[Line] = field(default_factory=list)  # money in
    unreadable: list[int] = field(default_factory=list)  # line numbers


def amount_of(text: str) -> int | None:
    """Whole Rupiah from a statement's amount; None when it cannot be read; negative for money out."""
    text = text.strip().upper().replace("RP", "").replace("IDR", "").replace(" ", "").replace("\u00a0", "")
    sign = 1
    if text.endswith("CR"):
        text = text[:-2]
    elif text.endswith(("DB", "DR", "D")):
        text, sign = text[:-2] if text.endswith(("DB", "DR")) else text[:-1], -1
    if text.startswith("(") and text.endswith(")"):
        text, sign = text[1:-1], -1
    if text.startswith(("-", "+")):
        sign, text = (-1 if text[0] == "-" else sign), text[1:]
    if len(text) > AMOUNT_MAX_CHARS or not _DIGITS.fullmatch(text):
        return None
    groups = re.split(r"[.,]", text)
    if len(groups) > 1 and len(groups[-1]) in (1, 2):  # decimals: only zeros make whole Rupiah
        if int(groups[-1]) != 0:
            return None
        groups = groups[:-1]
    if any(len(group) != 3 for group in groups[1:]):  # "1.50.000": not thousands
        return None
    return sign * int("".join(groups))


def _text(data: bytes) -> str:
    if b"\x00" in data[:4096]:
        raise DomainError(_l("This file is not a CSV statement. Export the statement from the bank as CSV and "
                             "choose that file."), field="statement")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _delimiter(first_lines: list[str]) -> str:
    sample = "\n".join(first_lines)
    return ";" if sample.count(";") >= max(sample.count("\t"), 1) else "\t" if "\t" in sample else ","


def _columns(row: list[str]) -> dict[str, int] | None:
    """A header row's columns, or None when the row is not a header."""
    names = [cell.strip().lower() for cell in row]
    found = {}
    for column, words in HEADERS.items():
        index = next((i for i, name in enumerate(names) if name in words), None)
        if index is not None:
            found[column] = index
    return found if len(found) == 3 else None


def read(data: bytes) -> Statement:
    """The statement's money-in lines (module rules); refused as a whole when none can be read."""
    if not data.strip():
        raise DomainError(_l("The file is empty. Export the statement from the bank as CSV and choose that file."),
                          field="statement")
    if len(data) > MAX_BYTES:
        raise DomainError(_l("The file is larger than 1 MB: export a shorter period."), field="statement")
    text = _text(data)
    raw = text.splitlines()
    if len(raw) > MAX_LINES:
        raise DomainError(_l("The file has more than %(n)s lines: export a shorter period.", n=MAX_LINES),
                          field="statement")
    try:  # newline="": a line may end in CR alone (old spreadsheet apps), as the csv module expects
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter([line for line in raw if line.strip()][:5])))
    except csv.Error:  # a field beyond the csv module's limit (128 KB): no statement has one
        raise DomainError(UNREADABLE, field="statement") from None
    statement, columns = Statement(), None
    for number, row in enumerate(rows, start=1):
        if not any(cell.strip() for cell in row):
            continue
        if columns is None and (named := _columns(row)):
            columns = named
            continue
        line = _line(number, row, columns)
        if line is None:
            statement.unreadable.append(number)
        elif line.amount > 0:
            statement.lines.append(line)
    if not statement.lines and (statement.unreadable or not rows):
        raise DomainError(UNREADABLE, field="statement")
    return statement


def _line(number: int, row: list[str], columns: dict[str, int] | None) -> Line | None:
    if columns:
        if len(row) <= max(columns.values()):
            return None
        day, description, amount = (row[columns[name]] for name in ("date", "description", "amount"))
    elif len(row) == 3:
        day, description, amount = row
    elif len(row) > 3:  # an unquoted "1,500,123" split by the commas: the amount is what follows the description
        day, description, amount = row[0], row[1], ",".join(row[2:])
    else:
        return None
    value = amount_of(amount)
    if value is None:
        return None
    return Line(number, day.strip()[:20], " ".join(description.split())[:200], value)
