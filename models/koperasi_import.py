"""Bringing an existing koperasi in: the template's columns, reading an uploaded XLSX or CSV
safely, and checking every row before anything is saved (the dry run).

Rules kept here:
- The columns are defined once (``MEMBERS``, ``LOANS``): the template, the parser and the
  export all read them, so the three never drift. Headers are Indonesian (the people who
  fill the sheet); the "Petunjuk - Guide" sheet explains each column in English.
- A hostile file is refused before it is opened: an XLSX must be a zip with sane entries, at
  most ``MAX_UNZIPPED`` bytes unpacked and no entry packed more than ``MAX_RATIO`` times (a zip
  bomb); at most ``MAX_ROWS`` rows and ``MAX_COLUMNS`` columns a sheet; a CSV must be UTF-8.
- A formula is never read: a formula cell, or text starting with = + - @ (what a spreadsheet
  would run), is a problem of its row and column. So are wrong types and too-long text.
- Every problem names its sheet, row and column, in the user's language; the preview lists
  them all, and nothing is imported while any remain.
- A member row: name, mobile, a valid NIK that agrees with the birth date and gender given,
  address, a known district code, a join date on or before the cut-over, a member number
  unique in the file and not another member's here (the same member imported before is
  skipped, not a clash), savings per kind whole Rupiah ≥ 0.
- A loan row: the member in the file, one of the koperasi's loan products by name, original
  principal ≥ principal still owed > 0, a monthly rate within the regulation's cap over the
  instalments left (``models.loans.above_cap``), flat or menurun, 1 ≤ instalments left ≤
  tenor, the next due date after the cut-over; figures that do not add up are a problem.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from lokal import parse_nik, wilayah
from openpyxl import load_workbook

from models.accounts import User, normalize_mobile
from models.base import db
from models.errors import DomainError
from models.koperasi import Koperasi
from models.loan_rate import shape_annual_bp
from models.loans import MAX_MONTHLY_RATE_BP, LoanProduct, above_cap
from models.membership import Membership, from_nik
from models.money import idr

MAX_BYTES = 10 * 1024 * 1024  # an upload: 20,000 members fit in a few MB
MAX_UNZIPPED = 100 * 1024 * 1024
MAX_RATIO = 100  # an honest sheet packs 5–20 times; a bomb thousands
MAX_ENTRIES = 200
MAX_ROWS = 20_000
MAX_COLUMNS = 40
MAX_PROBLEMS = 5_000  # a file that bad is reported up to here (and refused)
FORMULA_START = ("=", "+", "-", "@")
SAVINGS_KINDS = ("pokok", "wajib", "sukarela")
METHODS = {"flat": "flat", "menurun": "annuity", "anuitas": "annuity", "efektif": "annuity", "annuity": "annuity"}
METHOD_NAMES = {"flat": "flat", "annuity": "menurun"}


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # Indonesian, as in the template
    kind: str  # text, mobile, nik, date, gender, region, idr, int, rate, method
    guide: str  # English, for the guide sheet
    required: bool = True
    max_len: int = 120
    examples: tuple = ()


@dataclass(frozen=True)
class Sheet:
    key: str
    title: str
    columns: tuple[Column, ...]

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]


MEMBERS = Sheet("members", "Anggota", (
    Column("member_number", "Nomor anggota", "text", "The member number in your books, unique (e.g. KSR-00001). "
           "Numbers with your member prefix move Kopz's own numbering past them.", max_len=20,
           examples=("SRJ-00001", "SRJ-00002", "SRJ-00003")),
    Column("full_name", "Nama lengkap", "text", "Full name as on the KTP.",
           examples=("Siti Aminah", "Budi Santoso", "Dewi Lestari")),
    Column("mobile", "Nomor HP", "mobile", "Indonesian mobile number (08…, 62… or +62…). The member claims the "
           "membership later by registering with this number.", max_len=20,
           examples=("081234560001", "081234560002", "081234560003")),
    Column("nik", "NIK", "nik", "The 16-digit NIK from the KTP (type it as text so no digit is lost).", max_len=20,
           examples=("3273014101900001", "3273011502850002", "3273015708920003")),
    Column("birth_date", "Tanggal lahir", "date", "Birth date, YYYY-MM-DD or DD/MM/YYYY; must agree with the NIK.",
           max_len=20, examples=("1990-01-01", "1985-02-15", "1992-08-17")),
    Column("gender", "Jenis kelamin", "gender", "L (laki-laki, male) or P (perempuan, female); must agree with the NIK.",
           max_len=10, examples=("P", "L", "P")),
    Column("address", "Alamat", "text", "Home address.", max_len=300,
           examples=("Jl. Dago No. 10, Bandung", "Jl. Merdeka No. 5, Bandung", "Jl. Braga No. 7, Bandung")),
    Column("region_code", "Kode wilayah", "region", "Kemendagri district (kecamatan) code, e.g. 32.73.01.",
           max_len=13, examples=("32.73.01", "32.73.01", "32.73.02")),
    Column("joined_on", "Tanggal masuk", "date", "The day the person became a member; on or before the cut-over.",
           max_len=20, examples=("2015-03-01", "2018-07-12", "2021-01-04")),
    Column("pokok", "Simpanan pokok", "idr", "Simpanan pokok held at the cut-over, whole Rupiah (0 if none).",
           required=False, max_len=20, examples=(100_000, 100_000, 100_000)),
    Column("wajib", "Simpanan wajib", "idr", "Simpanan wajib held at the cut-over, whole Rupiah.",
           required=False, max_len=20, examples=(1_200_000, 800_000, 240_000)),
    Column("sukarela", "Simpanan sukarela", "idr", "Simpanan sukarela held at the cut-over, whole Rupiah.",
           required=False, max_len=20, examples=(2_500_000, 0, 150_000)),
))
LOANS = Sheet("loans", "Pinjaman", (
    Column("member_number", "Nomor anggota", "text", "The borrower's member number, as on the Anggota sheet.",
           max_len=20, examples=("SRJ-00001", "SRJ-00002")),
    Column("product", "Produk pinjaman", "text", "The name of one of your loan products in Kopz (Office → "
           "Loan products), exactly.", examples=("Modal Usaha", "Modal Usaha")),
    Column("original_idr", "Pokok awal", "idr", "The principal lent, whole Rupiah.", max_len=20,
           examples=(6_000_000, 3_000_000)),
    Column("owed_idr", "Sisa pokok", "idr", "Principal still owed at the cut-over (above 0, at most the principal "
           "lent).", max_len=20, examples=(3_000_000, 2_500_000)),
    Column("rate", "Bunga per bulan (%)", "rate", "Interest per month in percent, e.g. 1,25 (within the cap "
           "of 24 % a year effective).", max_len=10, examples=("1", "1,25")),
    Column("method", "Metode", "method", "flat (interest on the principal lent) or menurun (declining balance).",
           max_len=10, examples=("flat", "menurun")),
    Column("tenor", "Tenor (bulan)", "int", "The loan's whole term in months.", max_len=10, examples=(12, 6)),
    Column("remaining", "Sisa angsuran", "int", "Instalments still to pay (1 up to the tenor).", max_len=10,
           examples=(6, 5)),
    Column("next_due", "Jatuh tempo berikutnya", "date", "The next instalment's due date, after the cut-over.",
           max_len=20, examples=("", "")),
))
SHEETS = (MEMBERS, LOANS)
GUIDE_TITLE = "Petunjuk - Guide"


@dataclass
class Problem:
    sheet: str  # the sheet's title (Anggota, Pinjaman) or the file's name
    row: int | None  # the spreadsheet's row number (the header is row 1)
    column: str | None  # the column's header
    message: object  # lazily translated

    def __str__(self) -> str:
        return str(self.message)


@dataclass
class Raw:
    """The rows read from the upload, by sheet: (row number, {column key: cell value})."""

    rows: dict[str, list[tuple[int, dict]]] = field(default_factory=lambda: {s.key: [] for s in SHEETS})
    problems: list[Problem] = field(default_factory=list)


# ---------------------------------------------------------------- reading the file

def check_size(data: bytes) -> None:
    if not data:
        raise DomainError(_l("Choose the filled template (.xlsx) or CSV files."), field="files")
    if len(data) > MAX_BYTES:
        raise DomainError(_l("The file is larger than %(mb)s MB.", mb=MAX_BYTES // (1024 * 1024)), field="files")


def uploaded(uploads) -> list[tuple[str, bytes]]:
    """(name, bytes) of each uploaded file, reading no more than one byte past the limit."""
    out = []
    for upload in uploads or []:
        if upload is None or not getattr(upload, "filename", None):
            continue
        data = upload.read(MAX_BYTES + 1)
        check_size(data)
        out.append((upload.filename, data))
    return out


def read(files: Iterable[tuple[str, bytes]]) -> Raw:
    """Read the uploaded files (one XLSX, or CSV files: members, and loans if any); a file that
    is not one of those, or is hostile, is refused whole (DomainError)."""
    raw = Raw()
    files = [(name or "", data) for name, data in files if data]
    if not files:
        raise DomainError(_l("Choose the filled template (.xlsx) or CSV files."), field="files")
    for name, data in files:
        check_size(data)
        if data[:4] == b"PK\x03\x04":
            _read_xlsx(data, raw)
        elif name.lower().endswith(".csv") or name.lower().endswith(".txt"):
            _read_csv(name, data, raw)
        else:
            raise DomainError(_l("%(name)s is not an Excel (.xlsx) or CSV file. Use the template from this page.",
                                 name=name[:80] or "?"), field="files")
    if not raw.rows["members"] and not raw.problems:
        raise DomainError(_l("No members found: fill the Anggota sheet (or the members CSV) below its header row."),
                          field="files")
    return raw


def _check_zip(data: bytes) -> None:
    """Refuse a zip bomb or a file that is no workbook before openpyxl unpacks anything."""
    bad = DomainError(_l("This file is not a readable Excel workbook (.xlsx)."), field="files")
    try:
        entries = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise bad from None
    names = {e.filename for e in entries}
    if len(entries) > MAX_ENTRIES or "xl/workbook.xml" not in names:
        raise bad
    if any(e.filename.startswith("/") or ".." in e.filename.split("/") for e in entries):
        raise bad
    unpacked = sum(e.file_size for e in entries)
    if unpacked > MAX_UNZIPPED or any(e.file_size > MAX_RATIO * max(e.compress_size, 1) and e.file_size > 1_000_000
                                      for e in entries):
        raise DomainError(_l("This workbook unpacks to far more than it holds (a damaged or hostile file): it was "
                             "not opened. Save it again from your spreadsheet app, or use CSV."), field="files")


def _read_xlsx(data: bytes, raw: Raw) -> None:
    _check_zip(data)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds for a damaged file: each is the same answer
        raise DomainError(_l("This file is not a readable Excel workbook (.xlsx)."), field="files") from None
    try:
        by_title = {ws.title.strip().lower(): ws for ws in book.worksheets}
        for sheet in SHEETS:
            ws = by_title.get(sheet.title.lower())
            if ws is None:
                if sheet is MEMBERS:
                    raise DomainError(_l("The workbook has no sheet named %(sheet)s: use the template from this page.",
                                         sheet=sheet.title), field="files")
                continue
            _take_rows(sheet, sheet.title, _xlsx_rows(ws), raw)
    finally:
        book.close()


def _xlsx_rows(ws):
    """Each row's cells as (value, is_formula), trailing empty cells dropped."""
    for row in ws.iter_rows(max_col=MAX_COLUMNS + 1):
        yield [(cell.value, getattr(cell, "data_type", None) == "f") for cell in row]


def _read_csv(name: str, data: bytes, raw: Raw) -> None:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DomainError(_l("%(name)s is not UTF-8 text: in your spreadsheet app choose Save as → CSV UTF-8.",
                             name=name[:80]), field="files") from None
    if "\x00" in text:
        raise DomainError(_l("%(name)s is not a CSV file.", name=name[:80]), field="files")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        rows = list(_limited(([(value, False) for value in row] for row in reader), MAX_ROWS + 2))
    except csv.Error:
        raise DomainError(_l("%(name)s is not a CSV file.", name=name[:80]), field="files") from None
    header = {_norm(value) for value, _f in rows[0]} if rows else set()
    sheet = LOANS if _norm(LOANS.columns[1].header) in header else MEMBERS
    _take_rows(sheet, name[:80], iter(rows), raw)


def _limited(rows, most: int):
    for n, row in enumerate(rows):
        if n >= most:
            break
        yield row


def _norm(header) -> str:
    return " ".join(str(header or "").split()).lower()


def _take_rows(sheet: Sheet, label: str, rows, raw: Raw) -> None:
    """Map the header row to the sheet's columns, then keep each non-empty row's cells by key."""
    header = next(rows, None)
    wanted = {_norm(c.header): c for c in sheet.columns}
    places: dict[int, Column] = {}
    for index, (value, _formula) in enumerate(header or []):
        if (column := wanted.get(_norm(value))) is not None:
            places[index] = column
    missing = [c.header for c in sheet.columns if c not in places.values()]
    if missing:
        raise DomainError(_l("%(sheet)s: these columns are missing from the header row: %(columns)s. Use the "
                             "template from this page.", sheet=label, columns=", ".join(missing)), field="files")
    count = 0
    for number, row in enumerate(rows, start=2):
        if len(row) > MAX_COLUMNS and any(v not in (None, "") for v, _f in row[MAX_COLUMNS:]):
            raise DomainError(_l("%(sheet)s has more than %(n)s columns: use the template from this page.",
                                 sheet=label, n=MAX_COLUMNS), field="files")
        cells = {}
        for index, column in places.items():
            value, formula = row[index] if index < len(row) else (None, False)
            if formula or (isinstance(value, str) and value.strip().startswith(FORMULA_START)):
                raw.problems.append(Problem(sheet.title, number, column.header, _l(
                    "A formula or text starting with = + - @ is not read: type the value itself.")))
                value = None
                cells["_formula"] = True
            cells[column.key] = value
        if all(v in (None, "") for k, v in cells.items() if k != "_formula") and "_formula" not in cells:
            continue
        count += 1
        if count > MAX_ROWS:
            raise DomainError(_l("%(sheet)s has more than %(n)s rows: import it in parts.", sheet=label,
                                 n=f"{MAX_ROWS:,}".replace(",", ".")), field="files")
        raw.rows[sheet.key].append((number, cells))


# ---------------------------------------------------------------- cell values

class Bad(ValueError):
    """A cell that is not what its column takes; carries the message."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


_RUPIAH = re.compile(r"(?i)(?:rp\.?)?\s*([0-9]{1,15}|[0-9]{1,3}(?:[. ][0-9]{3}){1,4})(?:,-|,00)?")
_RATE = re.compile(r"([0-9]{1,2})(?:[.,]([0-9]{1,2}))?\s*%?")


def _text(value, column: Column) -> str:
    text = " ".join(str(value).split()) if value is not None else ""
    text = text[1:] if text.startswith("'") else text  # a spreadsheet's mark for "this is text"
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    if len(text) > column.max_len:
        raise Bad(_l("Too long: at most %(n)s characters.", n=column.max_len))
    return text


def _idr(value) -> int:
    if isinstance(value, bool):
        raise Bad(_l("Enter a whole Rupiah amount, e.g. 1500000."))
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise Bad(_l("Enter a whole Rupiah amount, e.g. 1500000."))
        number = int(value)
    else:
        match = _RUPIAH.fullmatch(str(value).strip())
        if not match:
            raise Bad(_l("Enter a whole Rupiah amount, e.g. 1500000."))
        number = int(re.sub(r"[. ]", "", match[1]))
    if number < 0:
        raise Bad(_l("The amount may not be below Rp0."))
    if number > 10_000_000_000:
        raise Bad(_l("The amount is too large."))
    return number


def _whole(value) -> int:
    if isinstance(value, bool):
        raise Bad(_l("Enter a whole number."))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if not re.fullmatch(r"[0-9]{1,4}", text):
        raise Bad(_l("Enter a whole number."))
    return int(text)


def _day(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            day = datetime.strptime(text, pattern).date()
        except ValueError:
            continue
        if day.year >= 1900:
            return day
    raise Bad(_l("Enter a date as YYYY-MM-DD (or DD/MM/YYYY)."))


def _rate_bp(value) -> int:
    """1,5 or 1.5 or 1.5 % → 150 (hundredths of a percent a month)."""
    if isinstance(value, bool):
        raise Bad(_l("Enter the rate per month in percent, e.g. 1,5."))
    if isinstance(value, int | float):
        bp = round(value * 100)
        if abs(value * 100 - bp) > 1e-6 or bp < 0:
            raise Bad(_l("Enter the rate per month in percent, e.g. 1,5."))
        return bp
    match = _RATE.fullmatch(str(value).strip())
    if not match:
        raise Bad(_l("Enter the rate per month in percent, e.g. 1,5."))
    return int(match[1]) * 100 + int((match[2] or "0").ljust(2, "0"))


def _region(value) -> str:
    text = str(value).strip()
    if re.fullmatch(r"[0-9]{6}", text):
        text = f"{text[:2]}.{text[2:4]}.{text[4:]}"
    if not re.fullmatch(r"[0-9]{2}\.[0-9]{2}\.[0-9]{2}", text) or not wilayah.wilayah_name(text):
        raise Bad(_l("Unknown district code: use the Kemendagri kecamatan code, e.g. 32.73.01."))
    return text


def _cell(column: Column, value):
    """The typed value of one cell (None for an empty optional one); Bad when it is not one."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if column.required:
            raise Bad(_l("Required: fill this cell."))
        return 0 if column.kind == "idr" else None
    if column.kind in ("date",):
        return _day(value)
    if column.kind == "idr":
        return _idr(value)
    if column.kind == "int":
        return _whole(value)
    if column.kind == "rate":
        return _rate_bp(value)
    text = _text(value, column)
    if column.kind == "text":
        if len(text) < 2:
            raise Bad(_l("Too short: fill this cell."))
        return text
    if column.kind == "mobile":
        try:
            return normalize_mobile(text)
        except DomainError as error:
            raise Bad(error.message) from None
    if column.kind == "nik":
        nik = re.sub(r"\D", "", text) if re.fullmatch(r"[0-9 .]+", text) else text
        if not parse_nik(nik).valid:
            raise Bad(_l("Not a valid NIK: 16 digits as on the KTP."))
        return nik
    if column.kind == "gender":
        gender = text.upper()[:1] if text.upper() in ("L", "P", "LAKI-LAKI", "PEREMPUAN") else None
        if gender is None:
            raise Bad(_l("Enter L (laki-laki) or P (perempuan)."))
        return gender
    if column.kind == "region":
        return _region(text)
    if column.kind == "method":
        if text.lower() not in METHODS:
            raise Bad(_l("Enter flat or menurun."))
        return METHODS[text.lower()]
    raise AssertionError(column.kind)


# ---------------------------------------------------------------- checking the rows

@dataclass
class MemberRow:
    row: int
    member_number: str
    full_name: str
    mobile: str
    nik: str
    birth_date: date
    gender: str
    address: str
    region_code: str
    joined_on: date
    savings: dict[str, int]
    already: bool = False  # imported before: skipped


@dataclass
class LoanRow:
    row: int
    member_number: str
    product_id: int
    original_idr: int
    owed_idr: int
    rate_bp: int
    method: str
    tenor: int
    remaining: int
    next_due: date


@dataclass
class Preview:
    """The dry run: the rows that will be imported, every problem, and the totals to be posted."""

    members: list[MemberRow]
    loans: list[LoanRow]
    problems: list[Problem]

    @property
    def new_members(self) -> list[MemberRow]:
        return [m for m in self.members if not m.already]

    @property
    def skipped(self) -> int:
        return sum(1 for m in self.members if m.already)

    def totals(self) -> dict[str, int]:
        new = {m.member_number for m in self.new_members}
        out = {"members": len(new), "loans": sum(1 for loan in self.loans if loan.member_number in new),
               "loan_principal": sum(loan.owed_idr for loan in self.loans if loan.member_number in new)}
        for kind in SAVINGS_KINDS:
            out[kind] = sum(m.savings[kind] for m in self.new_members)
        return out


def _typed(sheet: Sheet, label: str, number: int, cells: dict, problems: list[Problem]) -> dict | None:
    values, ok = {}, "_formula" not in cells
    for column in sheet.columns:
        if cells.get("_formula") and cells.get(column.key) is None and not column.required:
            continue
        try:
            values[column.key] = _cell(column, cells.get(column.key))
        except Bad as bad:
            if not (cells.get("_formula") and cells.get(column.key) is None):
                problems.append(Problem(label, number, column.header, bad.message))
            ok = False
    return values if ok else None


def _failer(sheet: Sheet, number: int, found: list[Problem]):
    """``fail(column key, message)`` for one row: the problem named by its sheet, row and column."""
    headers = {c.key: c.header for c in sheet.columns}

    def fail(key: str, message) -> None:
        found.append(Problem(sheet.title, number, headers[key], message))

    return fail


def check(koperasi: Koperasi, raw: Raw, cutover: date) -> Preview:
    """Every row checked against the rules (module docstring) and this koperasi's members and
    loan products; nothing is written."""
    problems = list(raw.problems)
    members = _check_members(koperasi, raw.rows["members"], cutover, problems)
    loans = _check_loans(koperasi, raw.rows["loans"], cutover, {m.member_number: m for m in members}, problems)
    problems.sort(key=lambda p: (0 if p.sheet == MEMBERS.title else 1, p.sheet, p.row or 0))
    return Preview(members, loans, problems[:MAX_PROBLEMS])


def _check_members(koperasi: Koperasi, rows, cutover: date, problems: list[Problem]) -> list[MemberRow]:
    label = MEMBERS.title
    seen_number: dict[str, int] = {}
    seen_mobile: dict[str, int] = {}
    seen_nik: dict[str, int] = {}
    out = []
    for number, cells in rows:
        values = _typed(MEMBERS, label, number, cells, problems)
        if values is None:
            continue
        found: list[Problem] = []
        fail = _failer(MEMBERS, number, found)

        derived = from_nik(values["nik"])
        if derived.get("birth_date") and derived["birth_date"] != values["birth_date"]:
            fail("birth_date", _l("The NIK says born on %(day)s.", day=derived["birth_date"].isoformat()))
        if derived.get("gender") and derived["gender"] != values["gender"]:
            fail("gender", _l("The NIK says %(gender)s.", gender=derived["gender"]))
        if len(values["address"]) < 10:
            fail("address", _l("Enter the full address."))
        if values["joined_on"] > cutover:
            fail("joined_on", _l("The join date is after the cut-over date (%(day)s).", day=cutover.isoformat()))
        for key, seen in (("member_number", seen_number), ("mobile", seen_mobile), ("nik", seen_nik)):
            if values[key] in seen:
                fail(key, _twice(key, seen[values[key]]))
            else:
                seen[values[key]] = number
        problems.extend(found)
        if not found:
            out.append(MemberRow(row=number, savings={k: values[k] for k in SAVINGS_KINDS},
                                 **{k: values[k] for k in ("member_number", "full_name", "mobile", "nik", "birth_date",
                                                           "gender", "address", "region_code", "joined_on")}))
    return _against_koperasi(koperasi, out, problems)


def _twice(key: str, row: int):
    if key == "member_number":
        return _l("Member number used twice in the file (also row %(row)s).", row=row)
    if key == "mobile":
        return _l("Mobile number used twice in the file (also row %(row)s).", row=row)
    return _l("NIK used twice in the file (also row %(row)s).", row=row)


def _against_koperasi(koperasi: Koperasi, rows: list[MemberRow], problems: list[Problem]) -> list[MemberRow]:
    """Numbers and people already here: the same member imported before is skipped; any other clash is a problem."""

    numbers = [r.member_number for r in rows]
    existing = {}
    for chunk in range(0, len(numbers), 900):
        existing.update({m.member_number: m for m in db.session.execute(
            sa.select(Membership.member_number, Membership.nik, Membership.imported, Membership.user_id)
            .where(Membership.koperasi_id == koperasi.id,
                   Membership.member_number.in_(numbers[chunk:chunk + 900])))})
    mobiles = [r.mobile for r in rows]
    open_by_mobile = {}
    for chunk in range(0, len(mobiles), 900):
        open_by_mobile.update(dict(db.session.execute(
            sa.select(User.mobile, Membership.member_number).join(Membership, Membership.user_id == User.id)
            .where(Membership.koperasi_id == koperasi.id, User.mobile.in_(mobiles[chunk:chunk + 900]),
                   Membership.status.in_(("applied", "approved", "active", "resigning")))).all()))
    kept = []
    for r in rows:
        found = existing.get(r.member_number)
        if found is not None:
            if found.imported and found.nik == r.nik:
                r.already = True
                kept.append(r)
            else:
                problems.append(Problem(MEMBERS.title, r.row, "Nomor anggota", _l(
                    "Member number %(number)s belongs to another member of this koperasi.", number=r.member_number)))
            continue
        if r.mobile in open_by_mobile:
            problems.append(Problem(MEMBERS.title, r.row, "Nomor HP", _l(
                "This mobile number's owner is already a member here (%(number)s).",
                number=open_by_mobile[r.mobile] or "-")))
            continue
        kept.append(r)
    return kept


def _check_loans(koperasi: Koperasi, rows, cutover: date, members: dict[str, MemberRow],
                 problems: list[Problem]) -> list[LoanRow]:
    label = LOANS.title
    products = {" ".join(p.name.split()).lower(): p for p in db.session.scalars(
        sa.select(LoanProduct).where(LoanProduct.koperasi_id == koperasi.id))}
    out = []
    for number, cells in rows:
        values = _typed(LOANS, label, number, cells, problems)
        if values is None:
            continue
        found: list[Problem] = []
        fail = _failer(LOANS, number, found)

        if values["member_number"] not in members:
            fail("member_number", _l("No member with this number on the Anggota sheet (or that row has problems)."))
        product = products.get(values["product"].lower())
        if product is None:
            fail("product", _l("Not one of this koperasi's loan products: %(names)s.",
                               names=", ".join(p.name for p in products.values()) or "-"))
        original, owed, tenor, remaining = (values[k] for k in ("original_idr", "owed_idr", "tenor", "remaining"))
        if owed <= 0:
            fail("owed_idr", _l("The principal still owed must be above Rp0 (a paid loan is not imported)."))
        elif owed > original:
            fail("owed_idr", _l("The principal still owed is more than the principal lent."))
        if not 1 <= tenor <= 120:
            fail("tenor", _l("Tenor: from 1 to 120 months."))
        elif not 1 <= remaining <= tenor:
            fail("remaining", _l("Instalments left: from 1 up to the tenor (%(n)s).", n=tenor))
        elif 0 < owed <= original and owed < remaining:
            fail("owed_idr", _l("Too little left to spread over %(n)s instalments.", n=remaining))
        elif values["method"] == "flat" and remaining < tenor and 0 < owed == original:
            fail("owed_idr", _l("The figures do not add up: instalments were paid, yet all the principal is owed "
                                "(a flat loan repays principal every month)."))
        elif values["method"] == "flat" and original >= owed > (most := original - original * (tenor - remaining) // tenor) \
                + max(1_000, original // 100):
            fail("owed_idr", _l("The figures do not add up: with %(paid)s of %(tenor)s instalments paid, about "
                                "%(most)s of the principal can still be owed.", paid=tenor - remaining, tenor=tenor,
                                most=idr(most)))
        rate = values["rate"]
        if rate > MAX_MONTHLY_RATE_BP:
            fail("rate", _l("The rate may be at most 2% a month (24% a year)."))
        elif 1 <= remaining <= 120 and above_cap(shape_annual_bp(values["method"], rate, 0, remaining)):
            fail("rate", _l("Over the instalments left this rate is above the cap of 24% a year."))
        if values["next_due"] <= cutover:
            fail("next_due", _l("The next due date must be after the cut-over date (%(day)s).",
                                day=cutover.isoformat()))
        problems.extend(found)
        if not found:
            out.append(LoanRow(row=number, member_number=values["member_number"], product_id=product.id,
                               original_idr=original, owed_idr=owed, rate_bp=rate, method=values["method"],
                               tenor=tenor, remaining=remaining, next_due=values["next_due"]))
    return out
