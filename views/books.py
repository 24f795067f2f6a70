"""The koperasi's books in the office: trial balance, neraca, hasil usaha, cash flow, changes in
equity and the general ledger; each as a page (phone and A4), as CSV and as XLSX. Every staff
role reads them."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, abort, g, request
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from models import books, books_flows, periods, regions
from models.statement import ENTRY_LABELS
from models.zones import zone_of
from views import books_sheets as sheets
from views.fields import query_day, query_int
from web.access import office
from web.render import render

bp = Blueprint("books", __name__, url_prefix="/k/<slug>/office/books")

KIND_LABELS = {"asset": _l("Assets"), "liability": _l("Liabilities"), "equity": _l("Equity"),
               "income": _l("Income"), "expense": _l("Expenses")}
ACTIVITY_LABELS = {"operating": _l("Operating activities"), "investing": _l("Investing activities"),
                   "financing": _l("Financing activities")}
REGENCY_PREFIXES = ("Kota Administrasi ", "Kabupaten Administrasi ", "Kota ", "Kabupaten ")


def period_heading(start: date, end: date) -> str:
    """A short column heading for a period: the year, the month, or the days."""
    months = books.whole_months(start, end)
    if months == 12 and start.month == 1:
        return str(start.year)
    if months == 1:
        return format_date(start, "MMM yyyy")
    if start.year == end.year:
        return f"{format_date(start, 'd/M')}–{format_date(end, 'd/M/yy')}"
    return f"{format_date(start, 'd/M/yy')}–{format_date(end, 'd/M/yy')}"


def day_heading(at: date) -> str:
    """A short column heading for a balance-sheet day: the year at its end, else the day."""
    return str(at.year) if (at.month, at.day) == (12, 31) else format_date(at, "d MMM yy")


def period_text(start: date, end: date) -> str:
    return _("%(start)s to %(end)s", start=format_date(start, "long"), end=format_date(end, "long"))


def place_of(koperasi) -> str:
    """Where the statement is signed: the koperasi's regency or city, without "Kota"/"Kabupaten"."""
    place = regions.name(koperasi.regency_code)
    for prefix in REGENCY_PREFIXES:
        if place.startswith(prefix):
            return place[len(prefix):]
    return place


@bp.context_processor
def labels() -> dict:
    return {"kind_labels": KIND_LABELS, "entry_labels": ENTRY_LABELS, "activity_labels": ACTIVITY_LABELS,
            "flow_label": sheets.flow_label}


@bp.app_template_global()
def period_notes() -> list:
    """What the statement's period says about closing and reopening (``models.periods.notes``)."""
    return g.get("period_notes", [])


def _period(koperasi) -> tuple[date, date, dict]:
    """``from`` and ``to`` (the koperasi's days, both included): by default today, and the
    first of the month that ``to`` falls in."""
    errors: dict = {}
    end = query_day("to", zone_of(koperasi).today(), errors)
    start = query_day("from", end.replace(day=1), errors)
    if not errors and start > end:
        errors["to"] = _("The end of the period is before its start.")
    return start, end, errors


def _export():
    """The format asked for: "csv", "xlsx", or None for the page."""
    wanted = request.args.get("format")
    return wanted if wanted in ("csv", "xlsx") else None


def _refused(errors: dict):
    """Bad dates asked as a download: the message, status 422."""
    return "\n".join(errors.values()) + "\n", 422, {"Content-Type": "text/plain; charset=utf-8"}


def _page(template: str, here, errors: dict, **context):
    koperasi = here.koperasi
    g.period_notes = periods.notes(koperasi, context.get("start"), context.get("end") or context.get("at"))
    return render(template, status=422 if errors else 200, here=here, koperasi=koperasi, errors=errors,
                  typed=request.args, place=place_of(koperasi), today=zone_of(koperasi).today(), **context)


def _about(here, title, period: str) -> sheets.About:
    return sheets.About(here.koperasi, str(title), period)


@bp.get("")
def index(slug):
    """The books: links to each statement for this month and today, and the accounts."""
    here = office(slug, "read")
    return render("books/index.html", here=here, koperasi=here.koperasi, accounts=books.chart_of(here.koperasi))


@bp.get("/trial-balance")
def trial_balance(slug):
    """Debit and credit totals of every account over a period and the one before; they are equal."""
    here = office(slug, "read")
    start, end, errors = _period(here.koperasi)
    if (wanted := _export()) and errors:
        return _refused(errors)
    trial = None if errors else books.trial_balance(here.koperasi, start, end)
    headings = None if errors else (period_heading(start, end), period_heading(trial.previous_start, trial.previous_end))
    if wanted:
        about = _about(here, _("Trial balance"), period_text(start, end))
        return sheets.trial_balance(wanted, about, trial, headings, f"trial-balance-{slug}-{start}-{end}")
    return _page("books/trial_balance.html", here, errors, trial=trial, start=start, end=end, headings=headings)


@bp.get("/neraca")
def neraca(slug):
    """The balance sheet at the end of a day (today by default) and at the end of the year before."""
    here = office(slug, "read")
    errors: dict = {}
    at = query_day("at", zone_of(here.koperasi).today(), errors)
    if (wanted := _export()) and errors:
        return _refused(errors)
    sheet = None if errors else books.neraca(here.koperasi, at)
    headings = None if errors else (day_heading(at), day_heading(sheet.previous_at))
    if wanted:
        about = _about(here, _("Balance sheet (neraca)"), _("At %(date)s", date=format_date(at, "long")))
        return sheets.neraca(wanted, about, sheet, headings, f"neraca-{slug}-{at}")
    return _page("books/neraca.html", here, errors, sheet=sheet, at=at, headings=headings)


@bp.get("/hasil-usaha")
def hasil_usaha(slug):
    """Income, expenses and the surplus (SHU) over a period and the one before."""
    here = office(slug, "read")
    start, end, errors = _period(here.koperasi)
    if (wanted := _export()) and errors:
        return _refused(errors)
    statement = None if errors else books.hasil_usaha(here.koperasi, start, end)
    headings = None if errors else (period_heading(start, end),
                                    period_heading(statement.previous_start, statement.previous_end))
    if wanted:
        about = _about(here, _("Income statement (hasil usaha)"), period_text(start, end))
        return sheets.hasil_usaha(wanted, about, statement, headings, f"hasil-usaha-{slug}-{start}-{end}")
    return _page("books/hasil_usaha.html", here, errors, statement=statement, start=start, end=end, headings=headings)


@bp.get("/arus-kas")
def cash_flow(slug):
    """Cash and bank over a period and the one before: opening, receipts, payments, closing."""
    here = office(slug, "read")
    start, end, errors = _period(here.koperasi)
    if (wanted := _export()) and errors:
        return _refused(errors)
    flow = None if errors else books_flows.cash_flow(here.koperasi, start, end)
    headings = None if errors else (period_heading(start, end), period_heading(flow.previous_start, flow.previous_end))
    if wanted:
        about = _about(here, _("Cash flow (arus kas)"), period_text(start, end))
        return sheets.cash_flow(wanted, about, flow, headings, f"arus-kas-{slug}-{start}-{end}")
    return _page("books/cash_flow.html", here, errors, flow=flow, start=start, end=end, headings=headings)


@bp.get("/perubahan-ekuitas")
def equity_changes(slug):
    """Each equity account's opening, increases, decreases and closing over a period and the one before."""
    here = office(slug, "read")
    start, end, errors = _period(here.koperasi)
    if (wanted := _export()) and errors:
        return _refused(errors)
    changes = None if errors else books_flows.equity_changes(here.koperasi, start, end)
    headings = None if errors else (period_heading(start, end),
                                    period_heading(changes.previous_start, changes.previous_end))
    if wanted:
        about = _about(here, _("Changes in equity (perubahan ekuitas)"), period_text(start, end))
        return sheets.equity_changes(wanted, about, changes, headings, f"perubahan-ekuitas-{slug}-{start}-{end}")
    return _page("books/equity_changes.html", here, errors, changes=changes, start=start, end=end, headings=headings)


@bp.get("/accounts/<code>")
def account(slug, code):
    """One account's general ledger over a period: every line, its entry, the running balance."""
    here = office(slug, "read")
    ref = books.find_account(here.koperasi, code)
    if ref is None:
        abort(404)
    start, end, errors = _period(here.koperasi)
    if (wanted := _export()) and errors:
        return _refused(errors)
    page = None if wanted else request.args.get("page", 1, type=query_int) or 1
    gl = None if errors else books.general_ledger(here.koperasi, code, start, end, page=page)
    title = f"{ref.code} {ref.label}"
    if wanted:
        about = _about(here, _("General ledger: %(account)s", account=title), period_text(start, end))
        return sheets.general_ledger(wanted, about, gl, here.koperasi, f"ledger-{slug}-{code}-{start}-{end}")
    return _page("books/account.html", here, errors, gl=gl, ref=ref, title=title, start=start, end=end,
                 previous_end=start - timedelta(days=1))
