"""The board's books pages: the chart with its sub-accounts, the opening balances and the
general journal. Every staff role reads them; the board changes them."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import DateField, FieldList, FormField, HiddenField, SelectField, StringField, TextAreaField
from wtforms import Form as SubForm
from wtforms.validators import DataRequired, InputRequired, Length

from models import chart
from models.ledger import Entry
from models.statement import ENTRY_LABELS
from models.zones import zone_of
from views.cashbook import account_choices, chart_ready
from views.fields import Form, KeyedForm, RupiahField, choices, coerce_id, query_int
from views.forms import dispatch, failed, run
from web.access import office
from web.extensions import db
from web.render import render, see_other

bp = Blueprint("chart", __name__, url_prefix="/k/<slug>/office/books")
KIND_LABELS = {"asset": _l("Assets"), "liability": _l("Liabilities"), "equity": _l("Equity"),
               "income": _l("Income"), "expense": _l("Expenses")}


@bp.context_processor
def labels() -> dict:
    return {"kind_labels": KIND_LABELS, "entry_labels": ENTRY_LABELS}
REQUIRED = _l("This field is required.")
JOURNAL_ROWS = 6


# ---------------------------------------------------------------- the chart and its sub-accounts

class SubAccountForm(Form):
    parent = SelectField(_l("Under"), coerce=coerce_id, validate_choice=False)
    code = StringField(_l("Code"), [DataRequired(REQUIRED), Length(max=8)],
                       description=_l("The account's code, a dot and two digits, e.g. 1102.01"))
    name = StringField(_l("Name"), [DataRequired(REQUIRED), Length(max=80)], description=_l("For example Bank BRI"))


class AccountActionForm(Form):
    account = HiddenField(validators=[Length(max=12)])


@bp.route("/chart", methods=["GET", "POST"])
def accounts(slug):
    """The chart: every account with its code, name and balance; the board adds sub-accounts."""
    if request.method == "POST":
        return dispatch(add=add, close=lambda slug: _act(slug, chart.close_account),
                        reopen=lambda slug: _act(slug, chart.reopen_account),
                        delete=lambda slug: _act(slug, chart.delete_account))
    here = office(slug, "read")
    return _chart_page(here)


def add(slug):
    """Add a sub-account (a code that exists is refused)."""
    here = office(slug, "manage_accounts")
    chart_ready(here.koperasi)
    form = SubAccountForm()
    _parents(form, here.koperasi)
    if run(form, lambda: chart.add_sub_account(here.koperasi, form.parent.data, form.code.data, form.name.data)):
        return see_other(url_for("chart.accounts", slug=slug))
    return _chart_page(here, form)


def _act(slug, operation):
    """Close, reopen or delete one sub-account."""
    here = office(slug, "manage_accounts")
    form = AccountActionForm()
    try:
        account = here.get(chart.Account, query_int(form.account.data or ""))
    except ValueError:
        abort(404)
    if run(form, lambda: operation(account)):
        return see_other(url_for("chart.accounts", slug=slug))
    return _chart_page(here, refused=(account.id, form.form_errors))


def _parents(form: SubAccountForm, koperasi) -> None:
    form.parent.choices = account_choices(a for a in chart.chart(koperasi) if a.parent_id is None)


def _chart_page(here, form: SubAccountForm | None = None, refused: tuple | None = None):
    if form is None:
        form = SubAccountForm(formdata=None)
        _parents(form, here.koperasi)
    accounts = chart.chart(here.koperasi)
    used = set(db.session.scalars(sa.select(chart.Line.account_id).where(
        chart.Line.account_id.in_([a.id for a in accounts if a.parent_id])).distinct()))
    return render("chart/accounts.html", here=here, koperasi=here.koperasi, accounts=accounts, form=form, used=used,
                  refused=refused or (None, []), status=422 if failed(form) or refused else 200)


# ---------------------------------------------------------------- opening balances

def _opening_form(accounts, formdata=...):
    fields = {f"a{a.id}": RupiahField(f"{a.code} · {a.label}", render_kw={"inputmode": "numeric", "autocomplete": "off"})
              for a in accounts}
    fields["day"] = DateField(_l("Cut-over date"), [InputRequired(REQUIRED)],
                              description=_l("The day the koperasi starts keeping its books in Kopz"))
    form_class = type("OpeningForm", (KeyedForm,), fields)
    return form_class() if formdata is ... else form_class(formdata=formdata)


@bp.route("/opening", methods=["GET", "POST"])
def opening(slug):
    """Opening balances: the balance sheet at the cut-over date, one balanced entry."""
    here = office(slug, "read" if request.method == "GET" else "manage_accounts")
    chart_ready(here.koperasi)
    accounts = chart.opening_accounts(here.koperasi)
    form = _opening_form(accounts, None if request.method == "GET" else ...)
    if request.method == "GET":
        form.day.data = zone_of(here.koperasi).today()
    elif posted := run(form, lambda: chart.post_opening(
            here.koperasi, form.day.data, {a.id: form[f"a{a.id}"].data or 0 for a in accounts}, current_user,
            key=form.key.data)):
        return see_other(url_for("teller.receipt", slug=slug, ref=posted.value.ref))
    groups = [(kind, [(a, form[f"a{a.id}"]) for a in accounts if a.kind == kind]) for kind in chart.BALANCE_SHEET]
    return render("chart/opening.html", here=here, koperasi=here.koperasi, form=form, groups=groups,
                  existing=chart.opening_entry(here.koperasi), status=422 if failed(form) else 200)


# ---------------------------------------------------------------- the general journal

class JournalLine(SubForm):
    account = SelectField(_l("Account"), coerce=coerce_id, validate_choice=False)
    debit = RupiahField(_l("Debit (Rp)"), render_kw={"inputmode": "numeric", "autocomplete": "off"})
    credit = RupiahField(_l("Credit (Rp)"), render_kw={"inputmode": "numeric", "autocomplete": "off"})


class JournalForm(KeyedForm):
    day = DateField(_l("Date"), [InputRequired(REQUIRED)])
    reason = TextAreaField(_l("Reason"), [DataRequired(REQUIRED), Length(max=200)], render_kw={"rows": 2},
                           description=_l("For example: depreciation of the office motorbike, March"))
    lines = FieldList(FormField(JournalLine), min_entries=JOURNAL_ROWS, max_entries=JOURNAL_ROWS)

    # A refusal names a line's field ("lines-2-account"): it is shown beside that field.
    def _line_field(self, name: str):
        parts = name.split("-") if isinstance(name, str) else []
        if len(parts) == 3 and parts[0] == "lines" and parts[1].isdigit() and int(parts[1]) < len(self.lines.entries):
            return self.lines.entries[int(parts[1])].form._fields.get(parts[2])
        return None

    def __contains__(self, name) -> bool:
        return super().__contains__(name) or self._line_field(name) is not None

    def __getitem__(self, name):
        return self._line_field(name) or super().__getitem__(name)


@bp.route("/journal", methods=["GET", "POST"])
def journal(slug):
    """The general journal: balanced adjustments with a reason, and the entries posted so far."""
    here = office(slug, "read" if request.method == "GET" else "post_journal")
    chart_ready(here.koperasi)
    form = JournalForm(formdata=None) if request.method == "GET" else JournalForm()
    options = choices([(0, "—")]) + account_choices(chart.journal_accounts(here.koperasi))
    for row in form.lines:
        row.account.choices = options
    if request.method == "GET":
        form.day.data = zone_of(here.koperasi).today()
    elif posted := run(form, lambda: chart.post_journal(
            here.koperasi, form.day.data, [chart.JournalRow(r.account.data, r.debit.data, r.credit.data)
                                           for r in form.lines], form.reason.data, current_user, key=form.key.data)):
        return see_other(url_for("teller.receipt", slug=slug, ref=posted.value.ref))
    reversed_ = dict(db.session.execute(sa.select(Entry.reverses_id, Entry.ref).where(
        Entry.koperasi_id == here.koperasi.id, Entry.reverses_id.is_not(None))).all())
    entries = db.session.scalars(here.select(Entry).where(Entry.kind.in_(["journal", "opening"]))
                                 .order_by(Entry.posted_at.desc(), Entry.id.desc()).limit(100)).all()
    refused = failed(form) or any(f.errors for row in form.lines for f in row.form)  # a line's own refusal
    return render("chart/journal.html", here=here, koperasi=here.koperasi, form=form, entries=entries,
                  reversed=reversed_, status=422 if refused else 200)
