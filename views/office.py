"""Registering a koperasi, and its office: dashboard, profile, staff, history."""

from __future__ import annotations

from flask import Blueprint, abort, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from models import audit, documents, regions
from models import dashboard as dashboard_figures
from models import koperasi as kop
from models.collectability import CLASS_LABELS
from models.duties import AUDITED, DUTIES, DUTY_LABELS, Duty
from models.errors import DomainError
from models.koperasi import INTEREST_METHODS, JENIS_LABELS, ROLE_LABELS, SERVICE_LABELS, KoperasiEvent, Staff
from models.ledger import SAVINGS_LABELS
from models.membership import STATUS_LABELS as MEMBER_STATUS_LABELS
from models.zones import zone_of
from views.fields import Form, query_day, query_int
from views.forms import run
from views.koperasi_forms import LABELS, KoperasiForm, RoleForm, StaffForm, profile_form
from web.access import office
from web.charts import bar_chart
from web.extensions import db
from web.i18n import idr, local_datetime
from web.media import folder
from web.render import render, see_other
from web.spreadsheet import XRow, csv_response, xlsx_response

bp = Blueprint("office", __name__)
HISTORY_PAGE = 30


@bp.context_processor
def labels() -> dict:
    return {"role_labels": ROLE_LABELS, "field_labels": LABELS, "service_labels": SERVICE_LABELS,
            "actions": ACTIONS, "duties": DUTIES, "duty_labels": DUTY_LABELS, "actor_of": _actor}


def _form_page(form: KoperasiForm, **context):
    if form.refreshing:  # the region lists changed: not validated, nothing saved
        return render("office/koperasi_form.html", form=form, **context)
    failed = bool(form.errors or form.form_errors)
    return render("office/koperasi_form.html", form=form, status=422 if failed else 200, **context)


@bp.route("/koperasi/new", methods=["GET", "POST"])
@login_required
def register():
    """Register a koperasi; it waits for a platform admin's verification."""
    form = profile_form()
    logo = form.take_logo()
    chosen = form.take_documents()

    def save():
        koperasi = documents.register_with_documents(current_user, form.profile_data(), chosen,
                                                     folder(documents.DOCUMENTS_FOLDER))
        if logo:
            kop.set_logo(koperasi, current_user, logo)
        return koperasi.slug

    if not form.refreshing and (saved := run(form, save, check=form.check(chosen=chosen))):
        flash(_("Koperasi registered. It is awaiting verification by the Kopz team."), "success")
        return see_other(url_for("office.dashboard", slug=saved.value))
    return _form_page(form, action=url_for("office.register"))


@bp.get("/k/<slug>/office")
def dashboard(slug):
    """The office home: status, what waits for the staff, and where to go."""
    here = office(slug, "read")

    koperasi = here.koperasi
    figures = dashboard_figures.overview(koperasi, zone_of(koperasi).today())
    charts = {key: bar_chart(series, money=key != "joined") for key, series in figures.series.items()}
    return render("office/dashboard.html", here=here, koperasi=koperasi, glance=figures, charts=charts,
                  member_labels=MEMBER_STATUS_LABELS, savings_labels=SAVINGS_LABELS, class_labels=CLASS_LABELS)


@bp.post("/k/<slug>/office/resubmit")
def resubmit(slug):
    """Send a rejected koperasi for verification again."""
    here = office(slug, "manage_settings")
    try:
        kop.resubmit(here.koperasi, current_user)
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        db.session.commit()
        flash(_("Sent for verification again."), "success")
    return see_other(url_for("office.dashboard", slug=slug))


@bp.route("/k/<slug>/office/profile", methods=["GET", "POST"])
def profile(slug):
    """The koperasi's profile and settings: the board edits them, other staff read them."""
    here = office(slug, "manage_settings" if request.method == "POST" else "read")
    if not here.can("manage_settings"):
        return render("office/profile.html", here=here, koperasi=here.koperasi)
    form = profile_form(here.koperasi)
    logo = form.take_logo()
    chosen = form.take_documents() if request.method == "POST" else {}

    def save():
        kop.update_profile(here.koperasi, current_user, form.profile_data())
        if logo:
            kop.set_logo(here.koperasi, current_user, logo)
        documents.attach(here.koperasi, chosen, folder(documents.DOCUMENTS_FOLDER), current_user)

    if not form.refreshing and run(form, save, check=form.check(here.koperasi.id)):
        flash(_("Profile saved."), "success")
        return see_other(url_for("office.dashboard", slug=slug))
    return _form_page(form, here=here, koperasi=here.koperasi, action=url_for("office.profile", slug=slug),
                      documents=documents.current(here.koperasi.id))



def _staff_page(here, add_form=None, error=None, status=200):
    rows = db.session.scalars(here.select(Staff).order_by(Staff.role, Staff.created_at, Staff.id)).all()
    add_form = add_form or StaffForm(formdata=None)
    return render("office/staff.html", here=here, koperasi=here.koperasi, rows=rows, add_form=add_form,
                  role_form=RoleForm(formdata=None), error=error, status=status)


@bp.route("/k/<slug>/office/staff", methods=["GET", "POST"])
def staff(slug):
    """Who works in this koperasi's office, what each role may do; admins add people."""
    here = office(slug, "manage_staff" if request.method == "POST" else "read")
    form = StaffForm()
    if run(form, lambda: kop.add_staff(here.koperasi, current_user, form.mobile.data, form.role.data)):
        flash(_("Staff added."), "success")
        return see_other(url_for("office.staff", slug=slug))
    return _staff_page(here, form, status=422 if form.errors or form.form_errors else 200)


def _change_staff(slug: str, staff_id: int, operation):
    here = office(slug, "manage_staff")
    member = here.get(Staff, staff_id)
    try:
        operation(here, member)
    except DomainError as error:
        db.session.rollback()
        here = office(slug, "read")
        return _staff_page(here, error=error.message, status=422)
    db.session.commit()
    flash(_("Staff updated."), "success")
    return see_other(url_for("office.staff", slug=slug))


@bp.post("/k/<slug>/office/staff/<int:staff_id>/role")
def staff_role(slug, staff_id):
    """Change one person's role."""
    form = RoleForm()
    return _change_staff(slug, staff_id,
                         lambda here, member: kop.change_staff_role(here.koperasi, current_user, member,
                                                                    form.role.data or ""))


@bp.post("/k/<slug>/office/staff/<int:staff_id>/remove")
def staff_remove(slug, staff_id):
    """Take away one person's office access."""
    return _change_staff(slug, staff_id,
                         lambda here, member: kop.remove_staff(here.koperasi, current_user, member))


def _history_filters(koperasi) -> tuple[audit.Filters, dict]:
    """The log's filters from the query string (the page) or the form (the export); bad dates: errors."""
    values, errors = request.values, {}
    today = zone_of(koperasi).today()
    action = values.get("action", "")
    days = {name: query_day(name, today, errors, values) if values.get(name) else None for name in ("from", "to")}
    return audit.Filters(action=action if action in ACTIONS else "", actor_id=values.get("actor", 0, type=query_int),
                         since=days["from"], until=days["to"]), errors


@bp.get("/k/<slug>/office/history")
def history(slug):
    """The audit log: who did what, when and from where, newest first, filtered by kind, staff and days."""
    here = office(slug, "see_audit")
    page = request.args.get("page", 1, type=query_int)
    if page < 1:
        abort(404)
    filters, errors = _history_filters(here.koperasi)
    rows = db.session.scalars(audit.select(here.koperasi, filters)
                              .limit(HISTORY_PAGE + 1).offset((page - 1) * HISTORY_PAGE)).all()
    events = [(event, describe(event)) for event in rows[:HISTORY_PAGE]]
    args = {"action": filters.action or None, "actor": filters.actor_id or None, "from": request.args.get("from") or None,
            "to": request.args.get("to") or None}
    return render("office/history.html", here=here, koperasi=here.koperasi, events=events, page=page,
                  has_next=len(rows) > HISTORY_PAGE, filters=filters, args=args, errors=errors,
                  actors=audit.actors(here.koperasi), kinds=FILTER_KINDS, export_form=Form(),
                  status=422 if errors else 200)


@bp.post("/k/<slug>/office/history/export")
def history_export(slug):
    """The filtered log as CSV or XLSX, with who, what, when and from where; the export is recorded too."""
    here = office(slug, "see_audit")
    filters, errors = _history_filters(here.koperasi)
    if not Form().validate_on_submit() or errors:
        abort(400)
    koperasi, fmt = here.koperasi, "xlsx" if request.form.get("format") == "xlsx" else "csv"
    events = db.session.scalars(audit.select(koperasi, filters).limit(audit.EXPORT_MAX)).all()
    header = [_("When"), _("Who"), _("What"), _("Details"), _("IP address"), _("Browser"), _("Session")]
    rows = [[local_datetime(event.created_at, "yyyy-MM-dd'T'HH:mm:ssxxx", koperasi),  # ISO 8601, its offset
             _actor(event), str(ACTIONS.get(event.action, event.action)), " · ".join(describe(event)),
             event.ip or "", event.user_agent or "", event.session_id or ""] for event in events]
    audit.record_export(koperasi, current_user, fmt, filters, len(rows))
    db.session.commit()
    name = f"riwayat-{koperasi.slug}-{zone_of(koperasi).today().isoformat()}"
    if fmt == "csv":
        return csv_response(f"{name}.csv", header, rows)
    return xlsx_response(f"{name}.xlsx", _("History"), [koperasi.name], header,
                         [XRow([str(cell) for cell in row]) for row in rows])


def _actor(event: KoperasiEvent) -> str:
    return _("Kopz team") if event.action in TEAM_ACTIONS else event.actor.full_name if event.actor else "—"


TEAM_ACTIONS = ("verified", "rejected")  # the platform's admins, not the koperasi's staff
ACTIONS = {
    "registered": _l("Registered the koperasi"),
    "updated": _l("Changed the profile"),
    "verified": _l("Verified by the Kopz team"),
    "rejected": _l("Rejected by the Kopz team"),
    "resubmitted": _l("Sent for verification again"),
    "logo": _l("Changed the logo"),
    "staff_added": _l("Added staff"),
    "staff_role": _l("Changed a staff role"),
    "staff_removed": _l("Removed staff"),
    "nik_revealed": _l("Looked at a member's full NIK"),
    "password_reset": _l("Gave a member a temporary password (KTP checked in person)"),
    "document": _l("Attached a legal document"),
    "members_exported": _l("Exported the members with their NIK"),
    "import_confirmed": _l("Imported members, savings and loans"),
    "claim_confirmed": _l("Confirmed an imported member's account"),
    "claim_refused": _l("Refused an imported member's claim"),
    "claim_number": _l("Corrected an imported member's mobile number"),
    "health_questionnaire": _l("Answered the health questionnaire"),
    "health_published": _l("Published the health category"),
    "health_unpublished": _l("Withdrew the health category"),
    "audit_exported": _l("Exported the history"),
    "topup_account": _l("Changed the bank account for top-ups by transfer"),
    # one event per other office action that changed something (web/audit.py), by its duty
    Duty.POST_MONEY: _l("Money at the counter or in the cash book"),
    Duty.COLLECT_OFFLINE: _l("Cash collected offline, sent from the teller's phone"),
    Duty.DISBURSE_LOAN: _l("Paid out a loan"),
    Duty.APPROVE_MEMBER: _l("Decided on a member or an application"),
    Duty.APPROVE_LOAN: _l("Decided on a loan application"),
    Duty.APPROVE_STORE: _l("Decided on a store"),
    Duty.CORRECT_ENTRY: _l("Corrected an entry"),
    Duty.MANAGE_SETTINGS: _l("Changed a setting"),
    Duty.MANAGE_STAFF: _l("Changed the staff"),
    Duty.REVEAL_NIK: _l("Looked at a member's full NIK"),
    Duty.RUN_MONTH_END: _l("Ran the month end"),
    Duty.MANAGE_ACCOUNTS: _l("Changed the chart of accounts or the opening balances"),
    Duty.POST_JOURNAL: _l("Posted a journal entry"),
    Duty.APPROVE_CASH_COUNT: _l("Decided on a cash count"),
    Duty.CLOSE_PERIOD: _l("Closed a month or the book year"),
    Duty.REOPEN_PERIOD: _l("Reopened a closed period"),
    Duty.WRITE_OFF_LOAN: _l("Wrote a loan off"),
    Duty.RUN_PROVISION: _l("Posted the loan-loss allowance"),
    Duty.MANAGE_MEETING: _l("Worked on the RAT"),
    Duty.RUN_SHU: _l("Worked on the SHU"),
    Duty.ANNOUNCE: _l("Posted an announcement"),
    Duty.RATE_HEALTH: _l("Worked on the health rating"),
    Duty.IMPORT_MEMBERS: _l("Imported or exported members"),
    Duty.RESET_PASSWORD: _l("Gave a member a temporary password (KTP checked in person)"),
    Duty.PAY_WITHDRAWAL: _l("Paid out or rejected a member's withdrawal to a bank or e-wallet"),
    Duty.CONFIRM_TOPUP: _l("Confirmed or rejected a top-up by transfer"),
    "member_erased": _l("A member's personal data was erased at their request (the books keep the entries)"),
}
assert set(AUDITED) <= set(ACTIONS), "an audited duty without a label in the history"
# The history's "what" filter: these two duties' actions are always recorded by the domain itself
# (nik_revealed, password_reset), under the same label.
FILTER_KINDS = [code for code in ACTIONS if code not in (Duty.REVEAL_NIK, Duty.RESET_PASSWORD)]


def _shown(field: str, value) -> str:
    """One recorded value as a person reads it."""
    if value is None or value == "" or value == []:
        return "—"
    if field in ("pokok_idr", "wajib_idr"):
        return idr(value)
    if field == "savings_rate_bp":
        return f"{value / 100:g}".replace(".", ",") + "%"
    if field == "interest_method":
        return str(INTEREST_METHODS.get(value, value))
    if field == "jenis":
        return str(JENIS_LABELS.get(value, value))
    if field in ("province_code", "regency_code", "district_code"):
        return regions.name(value) or str(value)
    if field == "services":
        return ", ".join(str(SERVICE_LABELS.get(code, code)) for code in value)
    if field == "role":
        return str(ROLE_LABELS.get(value, value))
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return str(value)


def describe(event: KoperasiEvent) -> list[str]:
    """The details of one history line: "Field: old → new", or the facts recorded."""
    details = event.detail_map
    if event.action == "updated":
        return [f"{LABELS.get(field, field)}: {_shown(field, old)} → {_shown(field, new)}"
                for field, (old, new) in details.items()]
    if event.action == "rejected":
        return [_("Reason: %(reason)s", reason=details.get("reason", ""))]
    if event.action in ("staff_added", "staff_removed"):
        return [f"{details.get('user', '')} · {_shown('role', details.get('role'))}"]
    if event.action == "member_erased":
        return [details.get("member", "")]
    if event.action in ("nik_revealed", "password_reset"):
        return [" · ".join(part for part in (details.get("name", ""), details.get("member", "")) if part)]
    if event.action == "members_exported":
        what = {"members": _("Members"), "loans": _("Loans"), "all": _("Members and loans")}
        return [f"{details.get('format', '').upper()} · {what.get(details.get('sheet'), '')}"]
    if event.action == "document":
        return [str(documents.KINDS.get(details.get("kind"), details.get("kind", "")))]
    if event.action == "staff_role":
        old, new = details.get("role") or [None, None]
        return [f"{details.get('user', '')}: {_shown('role', old)} → {_shown('role', new)}"]
    if event.action in AUDITED:
        return _office_action(details)
    return [f"{key}: {value}" for key, value in details.items() if isinstance(value, str | int) and value != ""]


def _office_action(details: dict) -> list[str]:
    """An office action recorded by web/audit.py: where, on whom, what was sent and what was posted."""
    lines = [details.get("path", "")]
    if details.get("member"):
        lines.append(_("Member %(number)s", number=details["member"]))
    lines += [_("Receipt %(ref)s: %(amount)s", ref=ref, amount=idr(amount)) for ref, _kind, amount in details.get("entries", [])]
    if details.get("entry_count", 0) > len(details.get("entries", [])):
        lines.append(_("%(count)s receipts in all", count=details["entry_count"]))
    if sent := details.get("form"):
        lines.append(" · ".join(f"{name}: {value}" for name, value in sent.items()))
    return [line for line in lines if line]
