"""Closed periods in the office: the months of this year and the last, closing a month or the
book year (pengurus, admin), reopening with a reason (admin). Every form posts to the page."""

from __future__ import annotations

import re
from datetime import date

from flask import Blueprint, flash, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField, HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from models import periods
from models.zones import zone_of
from views.fields import Form
from views.forms import dispatch, run
from web.access import office
from web.render import render, see_other

bp = Blueprint("periods", __name__, url_prefix="/k/<slug>/office/books/periods")

MONTH_TEXT = re.compile(r"(\d{4})-(\d{2})")
YEAR_TEXT = re.compile(r"\d{4}")


def _month(text: str | None) -> date | None:
    """YYYY-MM as the first day of that month; None for anything else."""
    match = MONTH_TEXT.fullmatch(text or "")
    if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1900:
        return None
    return date(int(match[1]), int(match[2]), 1)


def _year(text: str | None) -> int | None:
    return int(text) if YEAR_TEXT.fullmatch(text or "") and int(text) >= 1900 else None


class PeriodForm(Form):
    """A month (YYYY-MM) or a book year (YYYY), named by the button's row."""

    scope = HiddenField(validators=[Length(max=5)])
    period = HiddenField(validators=[Length(max=7)])

    def validate_period(self, field) -> None:
        if (self.scope.data == periods.YEAR and _year(field.data) is None) or (
                self.scope.data != periods.YEAR and _month(field.data) is None):
            raise ValidationError(_l("This period does not exist."))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.period.errors:  # a hidden field: say it where it shows
            self.form_errors.extend(self.period.errors)
        return valid


class CloseMonthForm(PeriodForm):
    """Close a month: a button."""


class CloseYearForm(PeriodForm):
    confirm = BooleanField(_l("I understand: this posts the closing entry and locks every month of the year."),
                           [DataRequired(_l("Tick the box to confirm."))])


class ReopenForm(PeriodForm):
    reason = TextAreaField(_l("Why is it reopened?"), [DataRequired(_l("This field is required.")),
                                                       Length(max=periods.REASON_MAX)],
                           description=_l("The reports of this period will show it."), render_kw={"rows": 2})


def _fresh(cls, scope: str, period: str) -> PeriodForm:
    form = cls(formdata=None, scope=scope, period=period)
    for field in form:
        if field.type not in ("HiddenField", "CSRFTokenField"):
            field.id = field.label.field_id = f"{field.name}-{period}"  # one page, many forms: unique ids
    return form


@bp.route("", methods=["GET", "POST"])
def page(slug):
    """The months of this year and the last, each open or closed (by whom, when, why)."""
    if request.method == "POST":
        return dispatch(close_month=close_month, close_year=close_year, reopen=reopen)
    return _page(office(slug, "read"))


def _page(here, failed: PeriodForm | None = None):
    today = zone_of(here.koperasi).today()
    years = periods.year_states(here.koperasi, [today.year, today.year - 1])

    def form_for(name: str, scope: str, period: str) -> PeriodForm:
        """The form that failed, with what was typed and its errors, or a fresh one."""
        if failed is not None and request.form.get("form") == name and failed.period.data == period:
            return failed
        cls = {"close_month": CloseMonthForm, "close_year": CloseYearForm, "reopen": ReopenForm}[name]
        return _fresh(cls, scope, period)

    return render("books/periods.html", status=422 if failed else 200, here=here, koperasi=here.koperasi,
                  years=years, this_month=today.replace(day=1), form_for=form_for,
                  stray=failed if failed is not None and failed.period.errors else None)  # no row to show it in


def _done(slug, message: str):
    flash(message, "success")
    return see_other(url_for("periods.page", slug=slug))


def close_month(slug):
    """Close a month that has ended: postings dated in it are refused from now on."""
    here = office(slug, "close_period")
    form = CloseMonthForm()
    if run(form, lambda: periods.close_month(here.koperasi, _month(form.period.data), current_user)):
        return _done(slug, _("%(month)s is closed.", month=format_date(_month(form.period.data), "MMMM y")))
    return _page(here, form)


def close_year(slug):
    """Close a book year that has ended: its months, and the closing entry into SHU of the current year."""
    here = office(slug, "close_period")
    form = CloseYearForm()
    if run(form, lambda: periods.close_year(here.koperasi, _year(form.period.data), current_user)):
        return _done(slug, _("The book year %(year)s is closed.", year=form.period.data))
    return _page(here, form)


def reopen(slug):
    """Reopen a closed month or book year, with a reason (the admin's)."""
    here = office(slug, "reopen_period")
    form = ReopenForm()

    def operation():
        if form.scope.data == periods.YEAR:
            return periods.reopen_year(here.koperasi, _year(form.period.data), current_user, form.reason.data)
        return periods.reopen_month(here.koperasi, _month(form.period.data), current_user, form.reason.data)

    if run(form, operation):
        period = (_("Book year %(year)s", year=form.period.data) if form.scope.data == periods.YEAR
                  else format_date(_month(form.period.data), "MMMM y"))
        return _done(slug, _("%(period)s is open again.", period=period))
    return _page(here, form)
