"""The koperasi's books in the office: trial balance, neraca, hasil usaha, general ledger;
each as a page (phone and A4) and as CSV. Every staff role reads them."""

from __future__ import annotations

import re
from datetime import date

from flask import Blueprint, abort, g, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from models import books, periods
from models.ledger import CHART
from models.statement import ENTRY_LABELS
from models.zones import zone_of
from web.access import office
from web.i18n import local_datetime
from web.render import render
from web.spreadsheet import csv_response

bp = Blueprint("books", __name__, url_prefix="/k/<slug>/office/books")

FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9998, 12, 31)
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
KIND_LABELS = {"asset": _l("Assets"), "liability": _l("Liabilities"), "equity": _l("Equity"),
               "income": _l("Income"), "expense": _l("Expenses")}


@bp.context_processor
def labels() -> dict:
    return {"kind_labels": KIND_LABELS, "entry_labels": ENTRY_LABELS}


@bp.app_template_global()
def period_notes() -> list:
    """What the statement's period says about closing and reopening (``models.periods.notes``)."""
    return g.get("period_notes", [])


def _day(name: str, default: date, errors: dict) -> date:
    """A day from the query string (YYYY-MM-DD); the default when absent; else an error."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    try:
        day = date.fromisoformat(raw) if ISO_DAY.fullmatch(raw) else None
    except ValueError:
        day = None
    if day is None or not FIRST_DAY <= day <= LAST_DAY:
        errors[name] = _("Enter a date as YYYY-MM-DD, for example %(example)s.", example=default.isoformat())
        return default
    return day


def _period(koperasi) -> tuple[date, date, dict]:
    """``from`` and ``to`` (the koperasi's days, both included): by default today, and the
    first of the month that ``to`` falls in."""
    errors: dict = {}
    end = _day("to", zone_of(koperasi).today(), errors)
    start = _day("from", end.replace(day=1), errors)
    if not errors and start > end:
        errors["to"] = _("The end of the period is before its start.")
    return start, end, errors


def _wants_csv() -> bool:
    return request.args.get("format") == "csv"


def _refused(errors: dict):
    """Bad dates asked as CSV: the message, status 422."""
    return "\n".join(errors.values()) + "\n", 422, {"Content-Type": "text/plain; charset=utf-8"}


def _page(template: str, here, errors: dict, **context):
    g.period_notes = periods.notes(here.koperasi, context.get("start"), context.get("end") or context.get("at"))
    return render(template, status=422 if errors else 200, here=here, koperasi=here.koperasi, errors=errors,
                  typed=request.args, **context)


@bp.get("")
def index(slug):
    """The books: links to each statement for this month and today."""
    here = office(slug, "read")
    return render("books/index.html", here=here, koperasi=here.koperasi, chart=CHART)


@bp.get("/trial-balance")
def trial_balance(slug):
    """Debit and credit totals of every account over a period; they are equal."""
    here = office(slug, "read")
    start, end, errors = _period(here.koperasi)
    trial = None if errors else books.trial_balance(here.koperasi, start, end)
    if _wants_csv():
        if errors:
            return _refused(errors)
        rows = [(r.code, str(r.label), r.kind, r.debit, r.credit) for r in trial.rows]
        rows.append(("", _("Total"), "", trial.debit, trial.credit))
        return csv_response(f"trial-balance-{slug}-{start}-{end}.csv", ["code", "name", "kind", "debit", "credit"], rows)
    return _page("books/trial_balance.html", here, errors, trial=trial, start=start, end=end)


@bp.get("/neraca")
def neraca(slug):
    """The balance sheet at the end of a day (today by default)."""
    here = office(slug, "read")
    errors: dict = {}
    at = _day("at", zone_of(here.koperasi).today(), errors)
    sheet = None if errors else books.neraca(here.koperasi, at)
    if _wants_csv():
        if errors:
            return _refused(errors)
        rows = []
        for group, total_label in ((sheet.assets, _("Total assets")), (sheet.liabilities, _("Total liabilities")),
                                   (sheet.equity, _("Total equity"))):
            rows += [(r.code, str(r.label), r.kind, r.amount) for r in group.rows]
            rows.append(("", total_label, group.kind, group.total))
        rows.append(("", _("Total liabilities and equity"), "", sheet.liabilities_and_equity))
        return csv_response(f"neraca-{slug}-{at}.csv", ["code", "name", "kind", "amount"], rows)
    return _page("books/neraca.html", here, errors, sheet=sheet, at=at)


@bp.get("/hasil-usaha")
def hasil_usaha(slug):
    """Income, expenses and the surplus (SHU) over a period."""
    here = office(slug, "read")
    start, end, errors = _period(here.koperasi)
    statement = None if errors else books.hasil_usaha(here.koperasi, start, end)
    if _wants_csv():
        if errors:
            return _refused(errors)
        rows = []
        for group, total_label in ((statement.income, _("Total income")), (statement.expenses, _("Total expenses"))):
            rows += [(r.code, str(r.label), r.kind, r.amount) for r in group.rows]
            rows.append(("", total_label, group.kind, group.total))
        rows.append(("", _("Surplus (SHU)"), "", statement.surplus))
        return csv_response(f"hasil-usaha-{slug}-{start}-{end}.csv", ["code", "name", "kind", "amount"], rows)
    return _page("books/hasil_usaha.html", here, errors, statement=statement, start=start, end=end)


@bp.get("/accounts/<code>")
def account(slug, code):
    """One account's general ledger over a period: every line, its entry, the running balance."""
    here = office(slug, "read")
    if code not in books.BY_CODE:
        abort(404)
    start, end, errors = _period(here.koperasi)
    gl = None if errors else books.general_ledger(here.koperasi, code, start, end)
    if _wants_csv():
        if errors:
            return _refused(errors)
        rows = [("", "", _("Opening balance"), "", "", gl.opening)]
        rows += [(local_datetime(line.posted_at, "yyyy-MM-dd HH:mm", here.koperasi), line.ref,
                  str(ENTRY_LABELS.get(line.entry_kind, line.entry_kind)), line.debit or "", line.credit or "", line.balance)
                 for line in gl.lines]
        rows.append(("", "", _("Closing balance"), "", "", gl.closing))
        return csv_response(f"ledger-{slug}-{code}-{start}-{end}.csv",
                            ["date", "ref", "description", "debit", "credit", "balance"], rows)
    _purpose, _code, kind, label = books.BY_CODE[code]
    return _page("books/account.html", here, errors, gl=gl, code=code, kind=kind, label=label, start=start, end=end)
