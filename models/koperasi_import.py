"""Checking an import row by row before anything is saved (the dry run), in the user's language.

Rules kept here:
- Every problem names its sheet, row and column; the preview lists them all, and nothing is
  imported while any remain. Wrong types and too-long text are problems of their cell.
- A member row: name, mobile, a valid NIK that agrees with the birth date and gender given,
  address, a known district code, a join date on or before the cut-over, a member number
  unique in the file and not another member's here (the same member imported before is
  skipped, not a clash), a mobile number not used twice nor already a member's here,
  savings per kind whole Rupiah ≥ 0.
- A loan row: the member in the file, one of the koperasi's loan products by name, original
  principal ≥ principal still owed > 0, a monthly rate within the regulation's cap over the
  instalments left (``models.loans.above_cap``), flat or menurun, 1 ≤ instalments left ≤
  tenor, the next due date after the cut-over; figures that do not add up are a problem
  (a flat loan repays principal every month: with k of n instalments paid, about
  principal × (n − k) / n is left).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from lokal import parse_nik, wilayah

from models.accounts import User, normalize_mobile
from models.base import db
from models.errors import DomainError
from models.import_sheets import LOANS, MAX_PROBLEMS, MEMBERS, METHODS, SAVINGS_KINDS, Column, Problem, Raw, Sheet
from models.koperasi import Koperasi
from models.loan_rate import shape_annual_bp
from models.loans import MAX_MONTHLY_RATE_BP, LoanProduct, above_cap
from models.membership import Membership, from_nik, nik_key
from models.money import idr

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
            sa.select(Membership.member_number, Membership.nik_hash, Membership.imported, Membership.user_id)
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
            if found.imported and found.nik_hash == nik_key(r.nik):
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
