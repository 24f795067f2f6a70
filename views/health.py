"""The health rating in the office: a year's score, each aspect's ratios with their inputs and
rules, the trend, the downloads, the management questionnaire and publishing the category
(pengurus, admin and pengawas see it; the board answers and publishes)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import HiddenField
from wtforms.validators import Length

from models import health as domain
from models.errors import DomainError
from views.fields import Form
from views.forms import dispatch, failed, run
from web.access import office
from web.extensions import db
from web.render import render, see_other
from web.spreadsheet import XRow, csv_response, xlsx_response

bp = Blueprint("health", __name__, url_prefix="/k/<slug>/office/health")


class PublishForm(Form):
    year = HiddenField(validators=[Length(max=4)])


class UnpublishForm(Form):
    """No field: turns the members' view of the category off."""


class QuestionnaireForm(Form):
    """The yes answers come as checkboxes named by their question codes (read in the view)."""


def points(centi: int) -> str:
    """Hundredths of a point as the reader writes them: 71,85 (id), 71.85 (en)."""
    return format_decimal(centi / 100, format="#,##0.00")


def percent(ratio: domain.Ratio) -> str:
    return "—" if ratio.value is None else format_decimal(float(ratio.value), format="#,##0.00") + " %"


def _year(koperasi, given: str | None, closed: list[int] | None = None) -> int:
    """The year asked for (404 when there is no rating for it), else the newest closed one (else this one)."""
    closed = domain.closed_years(koperasi) if closed is None else closed
    years = domain.years_of(koperasi, closed)
    if given is None or not given.strip():
        return closed[0] if closed else years[0]
    if not given.isdigit() or int(given) not in years:
        abort(404)
    return int(given)


@bp.route("", methods=["GET", "POST"])
def page(slug):
    """A year's rating with every ratio, its inputs and the rule that scored it; the trend."""
    if request.method == "POST":
        return dispatch(publish=publish, unpublish=unpublish)
    here = office(slug, "see_health")
    if not domain.applies(here.koperasi):
        return _page(here, None)
    closes = domain.standing_closes(here.koperasi)
    year = _year(here.koperasi, request.args.get("year"), sorted(closes, reverse=True))
    if request.args.get("format") in ("csv", "xlsx"):
        return _download(here, year, request.args["format"])
    return _page(here, year, closes=closes)


def publish(slug):
    """Members see the category of the chosen closed year (pengurus)."""
    here = office(slug, "rate_health")
    form = PublishForm()
    given = (form.year.data or "").strip()
    year = int(given) if given.isdigit() and len(given) == 4 else None

    def go():
        if year is None:
            raise DomainError(_l("Choose a closed book year."), field="year")
        return domain.publish(here.koperasi, year, current_user)

    if run(form, go):
        flash(_("Published: members now see the health category of %(year)s.", year=year), "success")
        return see_other(url_for("health.page", slug=slug, year=year) + "#publish-h")
    return _page(here, year if year in domain.years_of(here.koperasi) else None, publish_form=form)


def unpublish(slug):
    """Members no longer see the category (pengurus)."""
    here = office(slug, "rate_health")
    form = UnpublishForm()
    if run(form, lambda: domain.unpublish(here.koperasi, current_user)):
        flash(_("Members no longer see the health category."), "success")
        return see_other(url_for("health.page", slug=slug) + "#publish-h")
    return _page(here, None, unpublish_form=form)


def _page(here, year, publish_form=None, unpublish_form=None, closes=None):
    koperasi = here.koperasi
    applies = domain.applies(koperasi)
    if closes is None:
        closes = domain.standing_closes(koperasi) if applies else {}
    closed = sorted(closes, reverse=True)
    if applies and year is None:
        year = closed[0] if closed else domain.years_of(koperasi, closed)[0]
    rating = domain.rate(koperasi, year) if applies else None
    trend = domain.trend(koperasi, computed=rating, closes=closes) if applies else []
    session = db.session()  # the closed years rated for the first time are kept (models.health_cache);
    session.expire_on_commit = False  # what this request read stays loaded: no reloading of the koperasi and staff
    try:
        session.commit()
    finally:
        session.expire_on_commit = True
    acts = here.can("rate_health")
    if acts and publish_form is None:
        publish_form = PublishForm(formdata=None, year=str(year) if year in closed else "")
    if acts and unpublish_form is None and koperasi.health_published:
        unpublish_form = UnpublishForm(formdata=None)
    return render("health/page.html", here=here, koperasi=koperasi, applies=applies, year=year, rating=rating,
                  trend=trend, years=domain.years_of(koperasi, closed) if applies else [], closed=closed,
                  published=domain.published_category(koperasi), publish_form=publish_form,
                  unpublish_form=unpublish_form, points=points, percent=percent,
                  category_rules=domain.CATEGORY_RULES, category_labels=domain.CATEGORY_LABELS,
                  status=422 if failed(*[f for f in (publish_form, unpublish_form) if f is not None]) else 200)


@bp.route("/questionnaire", methods=["GET", "POST"])
def questionnaire(slug):
    """The management questionnaire of a book year: the board answers, the supervisors read."""
    here = office(slug, "rate_health" if request.method == "POST" else "see_health")
    if not domain.applies(here.koperasi):
        abort(404)
    year = _year(here.koperasi, request.args.get("year"))
    form = QuestionnaireForm()
    if request.method == "POST":
        yes = [code for code in domain.QUESTION_CODES if request.form.get(code)]
        if run(form, lambda: domain.save_questionnaire(here.koperasi, year, yes, current_user)):
            flash(_("The answers for %(year)s are saved.", year=year), "success")
            return see_other(url_for("health.page", slug=slug, year=year) + "#manajemen")
        answers = set(yes)
    else:
        row = domain.questionnaire_of(here.koperasi, year)
        answers = set(row.answers) if row is not None else set()
    return render("health/questionnaire.html", here=here, koperasi=here.koperasi, year=year, form=form,
                  answers=answers, questions=domain.QUESTIONS, labels=domain.COMPONENT_LABELS,
                  acts=here.can("rate_health"), status=422 if failed(form) else 200)


def _download(here, year: int, fmt: str):
    """The year's rating as CSV or XLSX: one row per ratio and management component, then the total."""
    rating = domain.rate(here.koperasi, year)
    header = [_("Aspect"), _("Ratio"), _("Numerator"), _("Amount"), _("Denominator"), _("Amount"), _("Ratio (%)"),
              _("Rule (table row)"), _("Nilai"), _("Weight"), _("Score")]
    rows = []
    for aspect in rating.aspects:
        for r in aspect.ratios:
            rows.append([str(aspect.label), str(r.label), str(r.numerator[0]), r.numerator[1], str(r.denominator[0]),
                         r.denominator[1], "" if r.value is None else f"{float(r.value):.2f}", r.band.text, r.nilai,
                         r.weight, f"{r.score_centi / 100:.2f}"])
        for c in aspect.components:
            rows.append([str(aspect.label), str(c.label), _("Yes answers"), len(c.yes), _("Questions"),
                         len(c.questions), "", "", "", c.weight, f"{c.score_centi / 100:.2f}"])
    rows.append([_("Total"), str(rating.category_label), "", "", "", "", "", "", "", 100, f"{rating.total_centi / 100:.2f}"])
    filename = f"kesehatan-{here.koperasi.slug}-{year}.{fmt}"
    if fmt == "csv":
        return csv_response(filename, header, rows)
    about = [here.koperasi.name, _("Health rating (Perdep 06/Per/Dep.6/IV/2016) of the book year %(year)s", year=year),
             _("Total %(score)s: %(category)s", score=points(rating.total_centi), category=rating.category_label)]
    # amounts stay numbers (Rupiah); counts and scores go as text so they are not shown as Rupiah
    shaped = [XRow([c if i in (3, 5) else ("" if c == "" else str(c)) for i, c in enumerate(row)]) for row in rows]
    return xlsx_response(filename, _("Health %(year)s", year=year), about, header, shaped)
