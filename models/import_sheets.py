"""The import template's sheets and columns, and reading an uploaded XLSX or CSV safely.

Rules kept here:
- The columns are defined once (``MEMBERS``, ``LOANS``): the template and the export
  (``models.koperasi_export``) and the checks (``models.koperasi_import``) all read them, so
  they never drift. Headers are Indonesian (the people who fill the sheet); the
  "Petunjuk - Guide" sheet explains each column in English.
- A hostile file is refused before it is opened: an XLSX must be a zip with sane entries, at
  most ``MAX_UNZIPPED`` bytes unpacked and no large entry packed more than ``MAX_RATIO`` times
  (a zip bomb); at most ``MAX_ROWS`` rows and ``MAX_COLUMNS`` columns a sheet; a CSV must be
  UTF-8; at most ``MAX_BYTES`` a file.
- A formula is never read: a formula cell, or text starting with = + - @ (what a spreadsheet
  would run), is a problem of its row and column, named by sheet, row and column.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field

from defusedxml import DefusedXmlException
from flask_babel import lazy_gettext as _l
from openpyxl import load_workbook

from models.errors import DomainError

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
    except DefusedXmlException:  # XML entities in a sheet, found as its rows are read (openpyxl uses defusedxml)
        raise DomainError(_l("This file is not a readable Excel workbook (.xlsx)."), field="files") from None
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
