"""The office's loan book: collectability (kolektibilitas), NPL, the month-end loan-loss
allowance (PPAP) and its rates, and the written-off loans kept off the balance sheet."""

from __future__ import annotations

from flask import Blueprint, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectField
from wtforms.validators import InputRequired

from models import collectability
from models.collectability import CLASS_LABELS, CLASSES
from models.zones import zone_of
from views.fields import Form, page_of
from views.forms import dispatch, failed, run
from views.loan_forms import PercentField
from web.access import office
from web.render import render, see_other

bp = Blueprint("loan_book", __name__, url_prefix="/k/<slug>/office/loans")
PER_PAGE = 20
MONTHS_BACK = 12
REQUIRED = _l("This field is required.")


class ProvisionForm(Form):
    month = SelectField(_l("Month"), validate_choice=False)


class RatesForm(Form):
    lancar = PercentField(CLASS_LABELS["lancar"], [InputRequired(REQUIRED)], render_kw={"inputmode": "decimal"})
    kurang_lancar = PercentField(CLASS_LABELS["kurang_lancar"], [InputRequired(REQUIRED)],
                                 render_kw={"inputmode": "decimal"})
    diragukan = PercentField(CLASS_LABELS["diragukan"], [InputRequired(REQUIRED)], render_kw={"inputmode": "decimal"})
    macet = PercentField(CLASS_LABELS["macet"], [InputRequired(REQUIRED)], render_kw={"inputmode": "decimal"})


def _ended_months(koperasi) -> list[str]:
    """The last months that have ended, newest first ("YYYY-MM")."""
    today = zone_of(koperasi).today()
    year, month = today.year, today.month
    found = []
    for _step in range(MONTHS_BACK):
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        found.append(f"{year:04d}-{month:02d}")
    return found


@bp.route("/collectability", methods=["GET", "POST"])
def index(slug):
    """Loans by collectability class, NPL, the allowance needed and on the books, written-off loans."""
    if request.method == "POST":
        return dispatch(provision=provision, rates=rates)
    return _page(office(slug, "read"))


@bp.post("/provision")
def provision(slug):
    """The board posts a month's loan-loss allowance (once per month; a rerun changes nothing)."""
    o = office(slug, "run_provision")
    form = ProvisionForm()
    form.month.choices = _ended_months(o.koperasi)
    if done := run(form, lambda: collectability.provision(o.koperasi, form.month.data or "", by=current_user)):
        if done.value is None:
            flash(_("The allowance for %(month)s already matches the loans: nothing to post.", month=form.month.data),
                  "success")
        else:
            flash(_("Allowance for %(month)s posted. Receipt %(ref)s.", month=form.month.data, ref=done.value.ref),
                  "success")
        return see_other(url_for("loan_book.index", slug=slug))
    return _page(o, provision_form=form)


@bp.post("/provision-rates")
def rates(slug):
    """The board sets the provisioning rate of each class."""
    o = office(slug, "manage_settings")
    form = RatesForm()
    if run(form, lambda: collectability.set_rates(o.koperasi, {name: form[name].data for name in CLASSES})):
        flash(_("Provisioning rates saved."), "success")
        return see_other(url_for("loan_book.index", slug=slug))
    return _page(o, rates_form=form)


def _page(o, provision_form=None, rates_form=None):
    today = zone_of(o.koperasi).today()
    rows = collectability.classify(o.koperasi.id, today)
    summary = collectability.summarize(o.koperasi, rows)
    page, pages = page_of(len(rows), PER_PAGE)
    if provision_form is None:
        provision_form = ProvisionForm(formdata=None)
    provision_form.month.choices = _ended_months(o.koperasi)
    rates_form = rates_form or RatesForm(formdata=None, data=collectability.rates(o.koperasi))
    shown = rows[(page - 1) * PER_PAGE:page * PER_PAGE]
    return render("loan_book/collectability.html", o=o, rows=shown, loans=collectability.loans_of(shown),
                  summary=summary, page=page, pages=pages, classes=CLASSES, labels=CLASS_LABELS,
                  allowance=collectability.allowance_on_books(o.koperasi), today=today,
                  written_off=collectability.written_off(o.koperasi.id),
                  provision_form=provision_form, rates_form=rates_form,
                  status=422 if failed(provision_form, rates_form) else 200)
