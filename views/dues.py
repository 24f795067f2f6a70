"""Simpanan wajib in the office: the month's bills, who is in arrears, WhatsApp reminders,
the month's interest, and the board's month-end button."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Blueprint, flash, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectField

from models import dues, months
from models.ledger import Entry, Line
from models.month_end import run_month_end
from views.fields import KeyedForm, choices, page_of
from views.forms import dispatch, failed, run
from web.access import office
from web.extensions import db
from web.i18n import idr
from web.render import render, see_other

bp = Blueprint("dues", __name__, url_prefix="/k/<slug>/office")
PER_PAGE = 50
MONTHS_SHOWN = 12


def month_label(month: date) -> str:
    return format_date(month, "MMMM yyyy")


class MonthEndForm(KeyedForm):
    month = SelectField(_l("Month"),
                        description=_l("Interest on sukarela and its tax, this month's bills, automatic payment "
                                       "from sukarela and the loan-loss allowance. Running it again for the same "
                                       "month adds nothing."))


def _month_end_form(koperasi, formdata=True) -> MonthEndForm:
    form = MonthEndForm() if formdata else MonthEndForm(formdata=None)
    ended = [months.last_ended(koperasi)]
    while len(ended) < MONTHS_SHOWN:
        ended.append(months.previous(ended[-1]))
    form.month.choices = choices((months.label(m), month_label(m)) for m in ended)
    return form


@bp.route("/dues", methods=["GET", "POST"])
def index(slug):
    """The month's wajib bills, arrears and reminders; the board runs the month end here."""
    if request.method == "POST":
        return dispatch(month_end=month_end)
    here = office(slug, "read")
    return _page(here)


def month_end(slug):
    """Run the month end for a month that has ended (pengurus)."""
    here = office(slug, "run_month_end")
    form = _month_end_form(here.koperasi)
    chosen = months.parse(form.month.data)
    done = run(form, lambda: run_month_end(here.koperasi, chosen, by=current_user))
    if done:
        steps = {outcome.name: outcome for outcome in done.value}
        for outcome in done.value:
            if outcome.error:
                flash(f"{STEP_LABELS.get(outcome.name, outcome.name)}: {outcome.error}", "error")
        flash(_("Month end of %(month)s done.", month=month_label(chosen)), "success")
        if (interest := steps["interest"].summary) is not None:
            flash(_("Interest: %(interest)s to %(members)s members, tax withheld %(tax)s (already posted before: "
                    "%(already)s).", interest=idr(interest.interest), members=len(interest.posted),
                    tax=idr(interest.tax), already=interest.already), "info")
        if (autopay := steps["dues_autopay"].summary) is not None:
            flash(_("Automatic payment of wajib: %(paid)s paid, %(short)s not covered by sukarela.",
                    paid=autopay.paid, short=autopay.short), "info")
        if (allowance := steps["provision"].summary) is not None and not steps["provision"].error:
            flash(_("Loan-loss allowance: entry %(ref)s, %(amount)s.", ref=allowance.ref, amount=idr(allowance.total)),
                  "info")
        return see_other(url_for("dues.index", slug=slug, month=months.label(chosen)))
    return _page(here, form)


STEP_LABELS = {"interest": _l("Interest on sukarela"), "dues_bills": _l("Dues bills"),
               "dues_autopay": _l("Automatic payment from sukarela"), "provision": _l("Loan-loss allowance (PPAP)")}


def _interest(koperasi, month: date) -> dict:
    """What the month end posted as interest and tax for the month: one query."""
    start, end = months.bounds(koperasi, month)
    rows = db.session.execute(
        sa.select(Entry.kind, sa.func.count(sa.distinct(Entry.id)),
                  sa.func.coalesce(sa.func.sum(sa.case((Line.amount > 0, Line.amount), else_=0)), 0))
        .join(Line, Line.entry_id == Entry.id)
        .where(Entry.koperasi_id == koperasi.id, Entry.kind.in_(("savings_interest", "interest_tax")),
               Entry.posted_at >= start, Entry.posted_at < end).group_by(Entry.kind)).all()
    found = {kind: (count, int(total)) for kind, count, total in rows}
    members, interest = found.get("savings_interest", (0, 0))
    return {"members": members, "interest": interest, "tax": found.get("interest_tax", (0, 0))[1]}


def _page(here, form=None):
    koperasi = here.koperasi
    current = months.current(koperasi)
    month = months.parse(request.args.get("month")) or current
    month = min(month, current)
    if dues.ensure_bills(koperasi, month):
        db.session.commit()  # the month's bills are made once, by whoever looks first
    rows = dues.month_dues(koperasi, month)
    billed = [d for d in rows if d.current]
    page, pages = page_of(len(rows), PER_PAGE)
    shown = [months.current(koperasi)]
    while len(shown) < MONTHS_SHOWN:
        shown.append(months.previous(shown[-1]))
    form = form or (_month_end_form(koperasi, formdata=False) if here.can("run_month_end") else None)
    if form is not None and not form.month.data:
        form.month.data = months.label(month if months.has_ended(koperasi, month) else months.last_ended(koperasi))
    return render("dues/index.html", here=here, koperasi=koperasi, month=month, month_text=month_label(month),
                  months=[(months.label(m), month_label(m)) for m in shown], rows=rows[(page - 1) * PER_PAGE:][:PER_PAGE],
                  page=page, pages=pages, billed=len(billed), billed_idr=sum(d.current.amount for d in billed),
                  paid_idr=sum(d.current.paid_idr for d in billed),
                  in_arrears=[d for d in rows if d.arrears_months], reminders=dues.reminders(koperasi, rows),
                  interest=_interest(koperasi, month) if months.has_ended(koperasi, month) else None,
                  ended=months.has_ended(koperasi, month), form=form, idr=idr,
                  status=422 if form is not None and failed(form) else 200)
