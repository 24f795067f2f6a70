"""The regulator's report in the office (every staff role reads it; no member's personal data is
in it) as a page, CSV and XLSX; and the public transparency page a koperasi may switch on."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, make_response, render_template, request
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from models import regulator as domain
from models.koperasi import JENIS_LABELS
from models.zones import zone_of
from views.fields import query_int
from web.access import office, visible_koperasi
from web.render import render
from web.spreadsheet import Count, XRow, csv_response, xlsx_response

bp = Blueprint("regulator", __name__)
TEXTS = frozenset({"koperasi_name", "legal_number", "nik_koperasi", "jenis", "address", "province", "regency",
                   "district", "pengurus_names", "pengawas_names", "chair_name", "treasurer_name", "book_year_closed",
                   "rat_date", "shu_distributed"})  # the rest are counts or Rupiah
# The page's sections: the columns in the order of the ministry's form.
SECTIONS = [
    (_l("Identity"), ["koperasi_name", "legal_number", "nik_koperasi", "jenis", "address", "province", "regency",
                      "district"]),
    (_l("Members"), ["members_total", "members_men", "members_women", "members_gender_unknown", "members_joined",
                     "members_resigned"]),
    (_l("Pengurus, pengawas and employees"), ["pengurus_count", "pengurus_names", "chair_name", "treasurer_name",
                                              "pengawas_count", "pengawas_names", "employees_total", "employees_men",
                                              "employees_women"]),
    (_l("Capital at the end of the year"), ["simpanan_pokok", "simpanan_wajib", "reserve", "grants", "other_equity",
                                            "own_capital", "simpanan_sukarela", "borrowings", "other_liabilities",
                                            "external_capital", "total_assets"]),
    (_l("Business of the year"), ["loans_disbursed", "other_business", "business_volume", "revenue", "expenses",
                                  "shu"]),
    (_l("RAT and SHU"), ["book_year_closed", "rat_date", "shu_distributed"]),
]
PUBLIC_MAX_AGE = 300  # seconds a shared cache may keep the public page: switching it off shows within 5 minutes


def _year(koperasi, years: list[int]) -> int:
    """The book year asked for (?year=), last year by default; a year the books do not span: 404."""
    default = zone_of(koperasi).today().year - 1
    year = request.args.get("year", default if default in years else years[0], type=query_int)
    if year not in years:
        abort(404)
    return year


def shown(report: domain.Report, name: str):
    """One figure as a person reads it (the page, the XLSX): labels for codes and yes/no."""
    value = report[name]
    if name == "jenis":
        return str(JENIS_LABELS.get(value, value))
    if name in domain.FLAGS:
        return _("Yes") if value else _("No")
    if name == "rat_date" and value:
        return format_date(date.fromisoformat(value), "long")
    return value


def _csv(report: domain.Report):
    """The documented columns, one row: codes as they are, yes/no in English (for tools)."""
    row = ["yes" if v is True else "no" if v is False else v for v in report.row()]
    return csv_response(f"laporan-ods-{report.koperasi.slug}-{report.year}.csv", domain.COLUMN_NAMES, [row])


def _xlsx(report: domain.Report):
    """One figure a row (column name, what it is, the value): to copy into the ministry's form."""
    rows = []
    for name, label in domain.COLUMNS:
        value = shown(report, name)
        rows.append(XRow([name, str(label), Count(value) if name in domain.COUNTS else value]))
    about = [report.koperasi.name, _("Legal entity number: %(number)s", number=report.koperasi.legal_number),
             _("Book year %(year)s", year=report.year)]
    return xlsx_response(f"laporan-ods-{report.koperasi.slug}-{report.year}.xlsx", _("Regulator's report (ODS)"),
                         about, [_("Column"), _("Figure"), _("Value")], rows)


@bp.get("/k/<slug>/office/report")
def report(slug):
    """The figures the ministry's data system asks for a book year; also ?format=csv|xlsx."""
    here = office(slug, "read")
    years = domain.book_years(here.koperasi)
    figures = domain.report(here.koperasi, _year(here.koperasi, years))
    wanted = request.args.get("format")
    if wanted == "csv":
        return _csv(figures)
    if wanted == "xlsx":
        return _xlsx(figures)
    return render("regulator/report.html", here=here, koperasi=here.koperasi, report=figures, years=years,
                  sections=SECTIONS, labels=dict(domain.COLUMNS), counts=domain.COUNTS, texts=TEXTS, shown=shown)


@bp.get("/k/<slug>/transparansi")
def transparency(slug):
    """The koperasi's public figures, when it switched them on (else there is no such page)."""
    koperasi = visible_koperasi(slug)
    if not koperasi.transparency_public or not koperasi.is_verified:
        abort(404)
    response = make_response(render_template("regulator/transparency.html", koperasi=koperasi,
                                              facts=domain.transparency(koperasi)))
    # Nothing personal and no session on this page: any cache may keep it a few minutes.
    response.headers["Cache-Control"] = f"public, max-age={PUBLIC_MAX_AGE}"
    response.vary.add("Accept-Language")  # and Cookie (the language chosen), as every page
    response.add_etag()
    return response.make_conditional(request)
