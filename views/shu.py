"""SHU in the office: the closed years, each year's split and preview, the RAT's approval, the
posting and its progress (pengurus and admin act; every staff role reads)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import Length, Optional

from models import jobs
from models import shu as domain
from models import shu_posting as posting
from models.ledger import SAVINGS_LABELS
from models.meetings import Meeting
from views.fields import Form, RupiahField, choices, coerce_id, page_of
from views.forms import dispatch, failed, run
from views.loan_forms import PercentField
from web.access import office
from web.extensions import db
from web.i18n import idr
from web.render import render, see_other
from web.spreadsheet import XRow, csv_response, xlsx_response

bp = Blueprint("shu", __name__, url_prefix="/k/<slug>/office/shu")
PER_PAGE = 50
FIRST_YEAR, LAST_YEAR = 1900, 9000


class PlanForm(Form):
    """The split (percent), what counts for jasa modal and jasa usaha, an override of the SHU."""

    reserve_bp = PercentField(domain.PART_LABELS["reserve"], render_kw={"inputmode": "decimal"})
    jm_bp = PercentField(domain.PART_LABELS["jm"], render_kw={"inputmode": "decimal"})
    ju_bp = PercentField(domain.PART_LABELS["ju"], render_kw={"inputmode": "decimal"})
    board_bp = PercentField(domain.PART_LABELS["board"], render_kw={"inputmode": "decimal"})
    staff_bp = PercentField(domain.PART_LABELS["staff"], render_kw={"inputmode": "decimal"})
    education_bp = PercentField(domain.PART_LABELS["education"], render_kw={"inputmode": "decimal"})
    social_bp = PercentField(domain.PART_LABELS["social"], render_kw={"inputmode": "decimal"})
    others_bp = PercentField(domain.PART_LABELS["others"], render_kw={"inputmode": "decimal"})
    jm_pokok = BooleanField(SAVINGS_LABELS["pokok"])
    jm_wajib = BooleanField(SAVINGS_LABELS["wajib"])
    jm_sukarela = BooleanField(SAVINGS_LABELS["sukarela"])
    jm_basis = SelectField(_l("Savings counted as"), choices=choices(domain.BASIS_LABELS.items()),
                           default=domain.YEAR_END, validate_choice=False)
    ju_own_store = BooleanField(domain.JU_LABELS["own_store"])
    ju_member_stores = BooleanField(domain.JU_LABELS["member_stores"])
    ju_interest = BooleanField(domain.JU_LABELS["interest"])
    override_idr = RupiahField(_l("Another SHU amount (optional)"), [Optional()],
                               description=_l("Leave empty to use the income statement's SHU."),
                               render_kw={"inputmode": "numeric"})
    override_reason = StringField(_l("Why the amount differs"), [Length(max=200)])


class ApproveForm(Form):
    meeting = SelectField(_l("The RAT that approved the split"), coerce=coerce_id, validate_choice=False)


class PostForm(Form):
    """No key: the plan itself is the once-only guard (a posted plan is refused, a running one returned)."""


def _plan_form(plan, formdata=True) -> PlanForm:
    if formdata:
        return PlanForm()
    if plan is None:
        data = {f"{part}_bp": bp for part, bp in domain.DEFAULT_SPLIT.items()}
        data.update(jm_pokok=True, jm_wajib=True, ju_own_store=True, ju_member_stores=True, ju_interest=True)
        return PlanForm(formdata=None, data=data)
    data = {f"{part}_bp": value for part, value in plan.bp().items()}
    data.update({f"jm_{k}": getattr(plan, f"jm_{k}") for k in ("pokok", "wajib", "sukarela")},
                **{f"ju_{k}": getattr(plan, f"ju_{k}") for k in domain.JU_KINDS},
                jm_basis=plan.jm_basis, override_idr=plan.override_idr, override_reason=plan.override_reason)
    return PlanForm(formdata=None, data=data)


def _approve_form(koperasi, year, formdata=True) -> ApproveForm:
    form = ApproveForm() if formdata else ApproveForm(formdata=None)
    meetings = db.session.scalars(sa.select(Meeting).where(Meeting.koperasi_id == koperasi.id,
                                                          Meeting.book_year == year).order_by(Meeting.starts_at))
    form.meeting.choices = choices((m.id, f"{m.title} · {m.starts_at:%Y-%m-%d}") for m in meetings)
    return form


@bp.get("")
def index(slug):
    """The closed book years and where each one's SHU stands."""
    here = office(slug, "read")
    years = domain.closed_years(here.koperasi)
    return render("shu/index.html", here=here, koperasi=here.koperasi, plans=domain.plans(here.koperasi),
                  years=[(year, domain.income_statement_shu(here.koperasi, year)) for year in years])


def _year_or_404(here, year: int) -> None:
    if domain.income_statement_shu(here.koperasi, year) is None and domain.plan_of(here.koperasi, year) is None:
        abort(404)


@bp.route("/<int:year>", methods=["GET", "POST"])
def year_page(slug, year):
    """One year's split, the preview of every member's share, the approval and the posting."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        abort(404)  # no book year there (and no date for it)
    if request.method == "POST":
        return dispatch(plan=save, approve=approve, post=post)
    here = office(slug, "read")
    _year_or_404(here, year)
    if request.args.get("format") in ("csv", "xlsx"):
        return _download(here, year, request.args["format"])
    return _page(here, year)


def save(slug, year):
    """Save the year's split (pengurus)."""
    here = office(slug, "run_shu")
    form = _plan_form(None)
    if run(form, lambda: domain.save_plan(here.koperasi, year, form.data, current_user)):
        flash(_("The split is saved. Check the preview below."), "success")
        return see_other(url_for("shu.year_page", slug=slug, year=year) + "#preview-h")
    return _page(here, year, plan_form=form)


def approve(slug, year):
    """Record that the RAT approved the split (pengurus)."""
    here = office(slug, "run_shu")
    form = _approve_form(here.koperasi, year)
    plan = domain.plan_of(here.koperasi, year)
    if plan is None:
        abort(404)
    meeting = db.session.get(Meeting, form.meeting.data) if isinstance(form.meeting.data, int) else None
    if run(form, lambda: posting.approve(plan, current_user, meeting)):
        flash(_("The RAT's approval is recorded. The shares are now fixed."), "success")
        return see_other(url_for("shu.year_page", slug=slug, year=year) + "#post-h")
    return _page(here, year, approve_form=form)


def post(slug, year):
    """Post the whole split, in the background (pengurus)."""
    here = office(slug, "run_shu")
    form = PostForm()
    plan = domain.plan_of(here.koperasi, year)
    if plan is None:
        abort(404)
    done = run(form, lambda: posting.start_posting(plan, current_user))
    if done:
        jobs.enqueue("models.shu_posting.post_job", done.value.id)  # committed: a worker may take it
        return see_other(url_for("shu.year_page", slug=slug, year=year) + "#progress")
    return _page(here, year, post_form=form)


@bp.get("/<int:year>/progress")
def progress(slug, year):
    """The posting's progress (polled by htmx every 2 s; the page refreshes itself without JS)."""
    here = office(slug, "read")
    plan = domain.plan_of(here.koperasi, year) if FIRST_YEAR <= year <= LAST_YEAR else None
    if plan is None:
        abort(404)
    return render("shu/progress.html", here=here, koperasi=here.koperasi, plan=plan, job=posting.job_of(plan))


def _page(here, year, plan_form=None, approve_form=None, post_form=None):
    koperasi = here.koperasi
    plan = domain.plan_of(koperasi, year)
    statement_shu = domain.income_statement_shu(koperasi, year)
    division = domain.preview(plan) if plan is not None and not plan.approved else None
    rows, total = _member_rows(plan, division)
    page, pages = page_of(total, PER_PAGE)
    shown = rows[(page - 1) * PER_PAGE:][:PER_PAGE]
    names = domain.names([r["membership_id"] for r in shown])
    acts = here.can("run_shu")
    if acts and plan_form is None and (plan is None or not plan.approved):
        plan_form = _plan_form(plan, formdata=False)
    if acts and approve_form is None and plan is not None and not plan.approved:
        approve_form = _approve_form(koperasi, year, formdata=False)
    if acts and post_form is None and plan is not None and plan.approved and plan.posted_at is None:
        post_form = PostForm(formdata=None)
    job = posting.job_of(plan) if plan is not None else None
    parts = division.parts if division else (plan.amounts.get("parts") if plan is not None and plan.approved else None)
    return render("shu/year.html", here=here, koperasi=koperasi, year=year, plan=plan, statement_shu=statement_shu,
                  division=division, parts=parts, part_labels=domain.PART_LABELS, rows=shown, names=names,
                  page=page, pages=pages, members=total, plan_form=plan_form, approve_form=approve_form,
                  post_form=post_form, job=job, to_labels=posting.TO_LABELS,
                  status=422 if failed(*[f for f in (plan_form, approve_form, post_form) if f is not None]) else 200)


def _member_rows(plan, division) -> tuple[list[dict], int]:
    """Every member's inputs and shares: the preview's, or the approved (frozen) ones."""
    if division is not None:
        rows = [{"membership_id": s.membership_id, "savings": s.savings, "transactions": s.transactions,
                 "jm": s.jm, "ju": s.ju, "total": s.total, "paid_to": None} for s in division.members]
        return rows, len(rows)
    if plan is None:
        return [], 0
    shares = db.session.scalars(sa.select(posting.ShuShare).where(posting.ShuShare.plan_id == plan.id)
                                .order_by(posting.ShuShare.membership_id))
    rows = [{"membership_id": s.membership_id, "savings": s.savings_idr, "transactions": s.transactions_idr,
             "jm": s.jm_idr, "ju": s.ju_idr, "total": s.total, "paid_to": s.paid_to} for s in shares]
    return rows, len(rows)


def _download(here, year, fmt: str):
    """The preview (or the approved shares) as CSV or XLSX, every member, with the parts at the top of the XLSX."""
    plan = domain.plan_of(here.koperasi, year)
    division = domain.preview(plan) if plan is not None and not plan.approved else None
    rows, _total = _member_rows(plan, division)
    names = domain.names([r["membership_id"] for r in rows])
    header = [_("Member number"), _("Name"), _("Savings counted"), _("Jasa modal"), _("Transactions counted"),
              _("Jasa usaha"), _("Total")]
    cells = [[*names.get(r["membership_id"], ("", "")), r["savings"], r["jm"], r["transactions"], r["ju"], r["total"]]
             for r in rows]
    filename = f"shu-{here.koperasi.slug}-{year}.{fmt}"
    if fmt == "csv":
        return csv_response(filename, header, cells)
    parts = division.parts if division else (plan.amounts.get("parts", {}) if plan is not None else {})
    about = [here.koperasi.name, *(f"{domain.PART_LABELS[part]}: {idr(amount)}" for part, amount in parts.items())]
    if plan is not None and plan.override_idr is not None:
        about.append(_("The RAT divided %(amount)s instead of the income statement's SHU: %(reason)s",
                       amount=idr(plan.override_idr), reason=plan.override_reason))
    return xlsx_response(filename, _("SHU %(year)s", year=year), about, header, [XRow(row) for row in cells])
