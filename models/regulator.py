"""The regulator's report: for a koperasi and a book year, the figures the ministry's Online
Data System (ODS, Kemenkop UKM's annual data update) asks of every koperasi; and the few
figures of the public transparency page.

Rules kept here (README "Regulator's report" lists every column and where it comes from):
- Money comes from the books: the balance sheet at the end of 31 December and the income
  statement of 1 January–31 December of the book year, in the koperasi's own days, read in
  ONE aggregate query over the day totals (``books.account_sums``, the same sums the neraca and
  the hasil usaha show; the year's closing entry is left out of the income statement).
  * Own capital (modal sendiri) = total equity: simpanan pokok, simpanan wajib, reserve,
    grants (hibah), and the rest (SHU of the year not yet divided, retained SHU).
  * External capital (modal luar) = total liabilities: simpanan sukarela (the members' savings
    they may withdraw are a debt of the koperasi), external borrowings, and the rest (payables,
    the SHU funds, taxes). Own + external capital = total assets when the books balance.
  * Business volume (volume usaha) = the principal of the loans paid out in the year (less
    disbursements corrected in it) + the year's income other than what the loans earn
    (interest, provisi, late fees: the loans paid out already stand for that business), i.e.
    store sales and other income. Revenue (total income) is reported beside it.
  * SHU of the year = income − expenses of the book year (negative: a loss).
- Members at the year's end: active at the end of 31 December by the RAT's own rule
  (``models.attendance.active_at``), counted by the gender taken from the NIK (L, P; unknown
  apart). Joined: a member number and a join day in the year; resigned: resigned in the year.
- Pengurus: the chair and treasurer named in the profile and the staff with a board role
  (pengurus, admin pengurus), each name once; pengawas: the staff with the pengawas role.
  Employees: the office settings' numbers. These three stand as they are today: Kopz keeps
  no history of roles or headcounts.
- The RAT of the book year: the latest meeting for that book year marked held; SHU
  distributed: the year's SHU plan fully posted (``models.shu_posting``).
- Transparency (public, only when the koperasi turned it on): active members today, total
  assets today as a band (``ASSET_BANDS``), the last RAT held, the published health category.
  Nothing about a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased

from models import books, regions
from models.accounts import User
from models.attendance import active_at
from models.base import db
from models.directory import active_member_count
from models.duties import Role
from models.health import published_category
from models.koperasi import Koperasi, Staff
from models.ledger import Account, Entry, Line, Purpose
from models.meetings import HELD, Meeting
from models.membership import Membership, MemberStatus
from models.months import midnight
from models.periods import CLOSED, YEAR, PeriodEvent
from models.shu import ShuPlan
from models.zones import zone_of

LOAN_INCOME = frozenset({Purpose.INTEREST, Purpose.FEES, Purpose.PENALTIES})
BOARD_ROLES = (Role.PENGURUS, Role.ADMIN)
FIRST_YEAR = 1900

# The report's columns, in order: the CSV's header, the XLSX's first column, the page's rows.
COLUMNS: list[tuple[str, object]] = [
    ("book_year", _l("Book year")),
    ("koperasi_name", _l("Koperasi name")),
    ("legal_number", _l("Legal entity number (nomor badan hukum)")),
    ("nik_koperasi", _l("Nomor Induk Koperasi")),
    ("jenis", _l("Type")),
    ("address", _l("Address")),
    ("province", _l("Province")),
    ("regency", _l("Regency / city")),
    ("district", _l("District (kecamatan)")),
    ("members_total", _l("Members at the end of the year")),
    ("members_men", _l("Members, men")),
    ("members_women", _l("Members, women")),
    ("members_gender_unknown", _l("Members, gender not known")),
    ("members_joined", _l("Members who joined in the year")),
    ("members_resigned", _l("Members who resigned in the year")),
    ("pengurus_count", _l("Board (pengurus), people")),
    ("pengurus_names", _l("Board (pengurus), names")),
    ("pengawas_count", _l("Supervisors (pengawas), people")),
    ("pengawas_names", _l("Supervisors (pengawas), names")),
    ("chair_name", _l("Chair (ketua)")),
    ("treasurer_name", _l("Treasurer (bendahara)")),
    ("employees_total", _l("Employees (karyawan)")),
    ("employees_men", _l("Employees, men")),
    ("employees_women", _l("Employees, women")),
    ("simpanan_pokok", _l("Simpanan pokok")),
    ("simpanan_wajib", _l("Simpanan wajib")),
    ("reserve", _l("Reserve (cadangan)")),
    ("grants", _l("Grants (hibah)")),
    ("other_equity", _l("Other equity (SHU not yet divided, retained SHU)")),
    ("own_capital", _l("Own capital (modal sendiri)")),
    ("simpanan_sukarela", _l("Simpanan sukarela")),
    ("borrowings", _l("External borrowings")),
    ("other_liabilities", _l("Other liabilities (payables, SHU funds, taxes)")),
    ("external_capital", _l("External capital (modal luar)")),
    ("total_assets", _l("Total assets")),
    ("loans_disbursed", _l("Loans paid out in the year")),
    ("other_business", _l("Store sales and other income")),
    ("business_volume", _l("Business volume (volume usaha)")),
    ("revenue", _l("Revenue (total income)")),
    ("expenses", _l("Total expenses")),
    ("shu", _l("SHU of the year")),
    ("book_year_closed", _l("Book year closed")),
    ("rat_date", _l("Date of the RAT for the year")),
    ("shu_distributed", _l("SHU distributed")),
]
COLUMN_NAMES = [name for name, _label in COLUMNS]
COUNTS = frozenset({"book_year", "members_total", "members_men", "members_women", "members_gender_unknown",
                    "members_joined", "members_resigned", "pengurus_count", "pengawas_count", "employees_total",
                    "employees_men", "employees_women"})
FLAGS = frozenset({"book_year_closed", "shu_distributed"})

# The public page's assets bands, in Rupiah: each upper bound is a line the rules draw. Rp1
# miliar is PP 7/2021's ceiling of a micro business's capital; Rp15 miliar and Rp100 miliar
# the ceilings of the assets of a savings-and-loans koperasi of class I and II (Permenkop
# 8/2023, art. 49), Rp500 miliar that of class III. Below Rp100 juta: the very small
# koperasi (many village ones). A band says how big, never the figure.
ASSET_BANDS: list[tuple[int | None, object]] = [
    (100_000_000, _l("Under Rp100 juta")),
    (1_000_000_000, _l("Rp100 juta to Rp1 miliar")),
    (15_000_000_000, _l("Rp1 miliar to Rp15 miliar")),
    (100_000_000_000, _l("Rp15 miliar to Rp100 miliar")),
    (500_000_000_000, _l("Rp100 miliar to Rp500 miliar")),
    (None, _l("Rp500 miliar or more")),
]


@dataclass
class Report:
    """One koperasi's figures for one book year, by column name (``COLUMNS``)."""

    koperasi: Koperasi
    year: int
    values: dict
    balanced: bool  # own + external capital = total assets
    to_date: bool  # the book year has not ended yet: figures up to today

    def row(self) -> list:
        return [self.values[name] for name in COLUMN_NAMES]

    def __getitem__(self, name: str):
        return self.values[name]


def book_years(koperasi: Koperasi) -> list[int]:
    """The years a report can be made for, newest first: this year, last year (the one usually
    reported) and every year back to the first posting."""
    first = db.session.scalar(sa.select(sa.func.min(Entry.posted_at)).where(Entry.koperasi_id == koperasi.id))
    this_year = zone_of(koperasi).today().year
    start = min(first.year, this_year - 1) if first else this_year - 1
    return list(range(this_year, max(start, FIRST_YEAR) - 1, -1))


def report(koperasi: Koperasi, year: int) -> Report:
    """The figures of book ``year`` (see the module's rules)."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    values = {"book_year": year, **_identity(koperasi)}
    values.update(_members(koperasi, start, end))
    values.update(_organs(koperasi))
    money, balanced = _money(koperasi, start, end)
    values.update(money)
    values["loans_disbursed"] = loans_disbursed(koperasi, start, end)
    values["business_volume"] = values["loans_disbursed"] + values["other_business"]
    values.update(_rat_and_shu(koperasi, year))
    return Report(koperasi, year, values, balanced, to_date=end >= zone_of(koperasi).today())


def _identity(koperasi: Koperasi) -> dict:
    return {"koperasi_name": koperasi.name, "legal_number": koperasi.legal_number,
            "nik_koperasi": koperasi.nik_koperasi or "", "jenis": koperasi.jenis, "address": koperasi.address,
            "province": regions.name(koperasi.province_code) or "", "regency": regions.name(koperasi.regency_code) or "",
            "district": regions.name(koperasi.district_code) or ""}


def _members(koperasi: Koperasi, start: date, end: date) -> dict:
    """At the year's end by gender, joined and resigned in the year: one query."""
    cutoff = midnight(koperasi, date(end.year + 1, 1, 1))
    at_end = active_at(koperasi.id, end, cutoff)

    def count(*conditions):
        return sa.func.count(sa.case((sa.and_(*conditions), Membership.id)))

    men, women, unknown, joined, resigned = db.session.execute(sa.select(
        count(at_end, Membership.gender == "L"),
        count(at_end, Membership.gender == "P"),
        count(at_end, sa.or_(Membership.gender.is_(None), Membership.gender.not_in(("L", "P")))),
        count(Membership.member_number.is_not(None), Membership.joined_on >= start, Membership.joined_on <= end),
        count(Membership.status == MemberStatus.RESIGNED, Membership.resigned_at >= midnight(koperasi, start),
              Membership.resigned_at < cutoff),
    ).where(Membership.koperasi_id == koperasi.id)).one()
    return {"members_total": men + women + unknown, "members_men": men, "members_women": women,
            "members_gender_unknown": unknown, "members_joined": joined, "members_resigned": resigned}


def _names(names: list[str]) -> list[str]:
    """Each person once (the same name typed with other spacing or case is the same person)."""
    seen, out = set(), []
    for name in names:
        key = " ".join(name.split()).casefold()
        if key and key not in seen:
            seen.add(key)
            out.append(" ".join(name.split()))
    return out


def _organs(koperasi: Koperasi) -> dict:
    """Pengurus and pengawas from the staff roles and the profile's signers; the employees: one query."""
    rows = db.session.execute(sa.select(Staff.role, User.full_name).join(User, User.id == Staff.user_id)
                              .where(Staff.koperasi_id == koperasi.id).order_by(Staff.created_at, Staff.id)).all()
    pengurus = _names([n for n in (koperasi.chair_name, koperasi.treasurer_name) if n]
                      + [name for role, name in rows if role in BOARD_ROLES])
    pengawas = _names([name for role, name in rows if role == Role.PENGAWAS])
    return {"pengurus_count": len(pengurus), "pengurus_names": "; ".join(pengurus),
            "pengawas_count": len(pengawas), "pengawas_names": "; ".join(pengawas),
            "chair_name": koperasi.chair_name or "", "treasurer_name": koperasi.treasurer_name or "",
            "employees_total": koperasi.employees_men + koperasi.employees_women,
            "employees_men": koperasi.employees_men, "employees_women": koperasi.employees_women}


def _money(koperasi: Koperasi, start: date, end: date) -> tuple[dict, bool]:
    """The balance sheet at the year's end and the year's income statement: one query."""
    sums = books.account_sums(koperasi, [books.window(koperasi, None, end),
                                         books.window(koperasi, start, end, closing=False)])
    held: dict[str, int] = {}
    kinds = {"asset": 0, "liability": 0, "equity": 0}
    year = {"income": 0, "expense": 0, "other_business": 0}
    to_end = 0  # income − expenses up to the year's end not yet closed into equity
    for ref, (balance, in_year) in sums:
        amount = books.normal(ref.kind, *balance)
        if ref.kind in kinds:
            kinds[ref.kind] += amount
            held[ref.purpose] = held.get(ref.purpose, 0) + amount
        else:
            to_end += amount if ref.kind == "income" else -amount
            flow = books.normal(ref.kind, *in_year)
            year[ref.kind] += flow
            if ref.kind == "income" and ref.purpose not in LOAN_INCOME:
                year["other_business"] += flow
    equity = kinds["equity"] + to_end
    named = {"simpanan_pokok": held.get(Purpose.POKOK, 0), "simpanan_wajib": held.get(Purpose.WAJIB, 0),
             "reserve": held.get(Purpose.RESERVE, 0), "grants": held.get(Purpose.GRANTS, 0)}
    sukarela, borrowings = held.get(Purpose.SUKARELA, 0), held.get(Purpose.BORROWINGS, 0)
    values = {**named, "other_equity": equity - sum(named.values()), "own_capital": equity,
              "simpanan_sukarela": sukarela, "borrowings": borrowings,
              "other_liabilities": kinds["liability"] - sukarela - borrowings, "external_capital": kinds["liability"],
              "total_assets": kinds["asset"], "other_business": year["other_business"], "revenue": year["income"],
              "expenses": year["expense"], "shu": year["income"] - year["expense"]}
    return values, kinds["asset"] == kinds["liability"] + equity


def loans_disbursed(koperasi: Koperasi, start: date, end: date) -> int:
    """Principal paid out to borrowers in the koperasi's days ``start``..``end``: the debits of the
    disbursements to the loans account, less the reversals of disbursements posted then: one query."""
    since, until = books.utc_bounds(koperasi, start, end)
    original = aliased(Entry)
    reverses_disbursement = sa.exists().where(original.id == Entry.reverses_id, original.kind == "disbursement")
    total = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Line.amount), 0)).join(Entry, Entry.id == Line.entry_id)
        .join(Account, Account.id == Line.account_id)
        .where(Entry.koperasi_id == koperasi.id, Account.purpose == Purpose.LOANS, Entry.posted_at >= since,
               Entry.posted_at < until, sa.or_(Entry.kind == "disbursement", reverses_disbursement)))
    return int(total)


def _rat_and_shu(koperasi: Koperasi, year: int) -> dict:
    """The year's held RAT, whether the year's close stands and its SHU was posted: one query."""
    rat = (sa.select(Meeting.starts_at).where(Meeting.koperasi_id == koperasi.id, Meeting.book_year == year,
                                              Meeting.status == HELD)
           .order_by(Meeting.starts_at.desc()).limit(1).scalar_subquery())
    close = (sa.select(PeriodEvent.action).where(PeriodEvent.koperasi_id == koperasi.id, PeriodEvent.scope == YEAR,
                                                 PeriodEvent.start == date(year, 1, 1))
             .order_by(PeriodEvent.id.desc()).limit(1).scalar_subquery())  # the latest says (periods.is_closed)
    posted = (sa.select(ShuPlan.posted_at).where(ShuPlan.koperasi_id == koperasi.id, ShuPlan.year == year)
              .scalar_subquery())
    starts_at, action, posted_at = db.session.execute(sa.select(rat, close, posted)).one()
    return {"rat_date": local_day(koperasi, starts_at).isoformat() if starts_at else "",
            "book_year_closed": action == CLOSED, "shu_distributed": posted_at is not None}


def local_day(koperasi: Koperasi, moment: datetime) -> date:
    """A stored UTC moment's day in the koperasi's zone."""
    return (moment + timedelta(hours=zone_of(koperasi).hours)).date()


# ---------------------------------------------------------------- the public page

@dataclass
class Transparency:
    members: int
    assets_band: object
    last_rat: date | None
    last_rat_year: int | None
    health: tuple[int, object] | None  # (book year, category label), when the koperasi publishes it


def assets_band(total: int):
    """The band ``total`` falls in: each band from its lower bound (included) to the next."""
    for ceiling, label in ASSET_BANDS:
        if ceiling is None or total < ceiling:
            return label
    return ASSET_BANDS[-1][1]


def total_assets(koperasi: Koperasi) -> int:
    """Total assets in the books now (the neraca's total: contra accounts deduct): one query."""
    total = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Line.amount), 0))
                              .join(Account, Account.id == Line.account_id)
                              .where(Account.koperasi_id == koperasi.id, Account.kind == "asset"))
    return int(total)


def transparency(koperasi: Koperasi) -> Transparency:
    """What the public page shows: nothing about a person."""
    last = db.session.execute(
        sa.select(Meeting.starts_at, Meeting.book_year).where(Meeting.koperasi_id == koperasi.id, Meeting.status == HELD)
        .order_by(Meeting.starts_at.desc()).limit(1)).first()
    return Transparency(members=active_member_count(koperasi), assets_band=assets_band(total_assets(koperasi)),
                        last_rat=local_day(koperasi, last[0]) if last else None, last_rat_year=last[1] if last else None,
                        health=published_category(koperasi))
