"""The cash book (kas masuk / kas keluar) and the cash count (kas opname) in the office.

Tellers and up record both; a pengurus approves or rejects a count's difference."""

from __future__ import annotations

from flask import Blueprint, abort, make_response, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import DateField, FileField, HiddenField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from models import cashbook, chart
from models.ledger import Entry, ensure_chart
from models.zones import zone_of
from views.fields import KEPT_TOKENS, Form, KeyedForm, RupiahField, choices, coerce_id, query_day, query_int, take_pictures
from views.forms import dispatch, failed, run
from web.access import office
from web.extensions import db
from web.render import render, see_other

bp = Blueprint("cashbook", __name__, url_prefix="/k/<slug>/office/cash")
REQUIRED = _l("This field is required.")
PHOTO_MAX_BYTES = 8 * 1024 * 1024
DIRECTIONS = [("out", _l("Money out (kas keluar)")), ("in", _l("Money in (kas masuk)"))]


def account_choices(accounts) -> list:
    return choices((a.id, f"{a.code} · {a.label}") for a in accounts)


class CashForm(KeyedForm):
    direction = SelectField(_l("Money in or out"), choices=choices(DIRECTIONS), default="out")
    day = DateField(_l("Date"), [InputRequired(REQUIRED)], description=_l("Today, or the day it happened"))
    account = SelectField(_l("For (account)"), coerce=coerce_id, validate_choice=False,
                          description=_l("An income or expense, or another account"))
    money = SelectField(_l("Cash or bank"), coerce=coerce_id, validate_choice=False)
    amount = RupiahField(_l("Amount (Rp)"), [InputRequired(REQUIRED)], description=_l("For example 150.000"),
                         render_kw={"inputmode": "numeric", "autocomplete": "off"})
    counterparty = StringField(_l("Paid to / received from"), [Optional(), Length(max=80)])
    note = StringField(_l("Note"), [Optional(), Length(max=200)])
    photo = FileField(_l("Photo of the receipt (optional)"), render_kw={"accept": "image/*", "capture": "environment"})
    photo_kept = HiddenField(validators=[Length(max=KEPT_TOKENS)])


def _fill(form: CashForm, koperasi) -> None:
    form.account.choices = choices([(0, _("— Choose the account —"))]) + account_choices(cashbook.other_accounts(koperasi))
    form.money.choices = account_choices(cashbook.money_accounts(koperasi))
    if form.day.data is None and not form.day.raw_data:
        form.day.data = zone_of(koperasi).today()


@bp.route("", methods=["GET", "POST"])
def index(slug):
    """The cash book of a period (today by default) with its totals, and the form to record one."""
    if request.method == "POST":
        return record(slug)
    here = office(slug, "read")
    form = CashForm(formdata=None)
    _fill(form, here.koperasi)
    return _page(here, form)


def chart_ready(koperasi) -> None:
    """The koperasi's standard accounts exist and are committed before a form is built on them:
    a refused posting rolls back its own work, not the accounts the form comes back with."""
    if chart.standard_missing(koperasi):
        ensure_chart(koperasi)
        db.session.commit()


def record(slug):
    """Record kas masuk or kas keluar, then show its receipt (a retried form shows the same one)."""
    here = office(slug, "post_money")
    chart_ready(here.koperasi)
    form = CashForm()
    _fill(form, here.koperasi)
    photos = take_pictures(form.photo, form.photo_kept, size=(1080, 1080), max_bytes=PHOTO_MAX_BYTES)
    if posted := run(form, lambda: cashbook.record(
            here.koperasi, form.direction.data, form.account.data, form.money.data, form.amount.data, form.day.data,
            form.counterparty.data, form.note.data, current_user, key=form.key.data,
            photo=photos[0] if photos else None)):
        return see_other(url_for("teller.receipt", slug=slug, ref=posted.value.ref))
    return _page(here, form)


def _page(here, form: CashForm):
    today = zone_of(here.koperasi).today()
    errors: dict = {}
    end = query_day("to", today, errors)
    start = query_day("from", end, errors)
    book = cashbook.book(here.koperasi, min(start, end), end)
    return render("cashbook/index.html", here=here, koperasi=here.koperasi, form=form, book=book, start=start,
                  end=end, errors=errors, status=422 if failed(form) else 200)


@bp.get("/photo/<ref>")
def photo(slug, ref):
    """The photo of a cash-book entry's receipt."""
    here = office(slug, "read")
    entry = db.session.scalar(here.select(Entry).where(Entry.ref == ref[:24]))
    data = cashbook.photo_of(entry.id) if entry else None
    if not data:
        abort(404)
    response = make_response(data)
    response.headers.update({"Content-Type": "image/webp", "Cache-Control": "private, max-age=86400"})
    return response


# ---------------------------------------------------------------- the cash count

class CountForm(Form):
    account = SelectField(_l("Cash drawer"), coerce=coerce_id, validate_choice=False)
    counted = RupiahField(_l("Cash counted (Rp)"), [InputRequired(REQUIRED)],
                          description=_l("All the notes and coins in the drawer, added up"),
                          render_kw={"inputmode": "numeric", "autocomplete": "off"})
    note = StringField(_l("Note"), [Optional(), Length(max=200)])


class DecideForm(KeyedForm):
    """One per pending count, prefixed by its id (several on one page); ``count`` comes unprefixed."""

    decision = StringField(validators=[Length(max=10)])  # the button pressed: approve or reject
    reason = StringField(_l("Reason (needed to reject)"), [Optional(), Length(max=200)])


@bp.route("/count", methods=["GET", "POST"])
def count(slug):
    """Count the cash at the end of the day: expected, counted, the difference; pending ones wait
    for a pengurus."""
    if request.method == "POST":
        return dispatch(count=count_cash, decide=decide)
    here = office(slug, "read")
    return _count_page(here)


def count_cash(slug):
    """Record a teller's count (nothing is posted: a difference waits for a pengurus)."""
    here = office(slug, "post_money")
    chart_ready(here.koperasi)
    form = CountForm()
    form.account.choices = account_choices(cashbook.cash_accounts(here.koperasi))
    if run(form, lambda: cashbook.count_cash(here.koperasi, form.account.data, form.counted.data, form.note.data,
                                               current_user)):
        return see_other(url_for("cashbook.count", slug=slug))
    return _count_page(here, form)


def decide(slug):
    """Approve (post the difference to cash differences) or reject a pending count."""
    here = office(slug, "approve_cash_count")
    try:
        target = here.get(cashbook.CashCount, query_int(request.form.get("count", "")))
    except ValueError:
        abort(404)
    form = DecideForm(prefix=f"c{target.id}")
    approve = form.decision.data == "approve"
    if run(form, lambda: cashbook.decide(target, approve, current_user, form.reason.data, key=form.key.data)):
        return see_other(url_for("cashbook.count", slug=slug))
    return _count_page(here, decided=(target.id, form))


def _count_page(here, form: CountForm | None = None, decided: tuple | None = None):
    if form is None:
        form = CountForm(formdata=None)
        form.account.choices = account_choices(cashbook.cash_accounts(here.koperasi))
    counts = cashbook.counts(here.koperasi)
    forms = {c.id: DecideForm(formdata=None, prefix=f"c{c.id}") for c in counts if c.status == "pending"}
    if decided and decided[0] in forms:
        forms[decided[0]] = decided[1]
    return render("cashbook/count.html", here=here, koperasi=here.koperasi, form=form, counts=counts,
                  drawers=cashbook.cash_accounts(here.koperasi), decide_forms=forms,
                  status=422 if failed(form, *forms.values()) else 200)
