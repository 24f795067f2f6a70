"""Platform admin: verify or reject new koperasi; log out every device of an account, or disable it."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, make_response, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import TextAreaField
from wtforms.validators import InputRequired, Length

from models import accounts, documents, regions, sessions
from models import koperasi as kop
from models.accounts import User
from models.errors import DomainError
from models.koperasi import SERVICE_LABELS, Koperasi, KoperasiLogo, Status
from views.fields import Form
from views.forms import attach, dispatch
from views.koperasi_forms import LABELS, REQUIRED
from web.access import platform_admin_required
from web.extensions import db
from web.media import folder, private_file
from web.render import render, see_other

bp = Blueprint("admin", __name__, url_prefix="/admin")
QUEUE_PAGE = 50
TABS = {
    Status.PENDING: _l("Awaiting verification"),
    Status.REJECTED: _l("Rejected"),
    Status.VERIFIED: _l("Verified"),
}


class RejectForm(Form):
    reason = TextAreaField(_l("Reason for rejection"), [InputRequired(REQUIRED), Length(max=2000)],
                           description=_l("The registrant sees this and can fix the profile."))


@bp.context_processor
def labels() -> dict:
    return {"field_labels": LABELS, "service_labels": SERVICE_LABELS, "tabs": TABS, "region_name": regions.name}


@bp.get("/koperasi")
@platform_admin_required
def koperasi_queue():
    """Koperasi waiting for verification, oldest first; also the rejected and verified ones."""
    tab = request.args.get("status", Status.PENDING)
    if tab not in TABS:
        abort(404)
    counts = dict(db.session.execute(
        sa.select(Koperasi.status, sa.func.count()).group_by(Koperasi.status)).all())
    order = Koperasi.created_at.asc() if tab == Status.PENDING else Koperasi.created_at.desc()
    rows = db.session.execute(
        sa.select(Koperasi.id, Koperasi.name, Koperasi.legal_number, Koperasi.regency_code,
                  Koperasi.created_at, User.full_name.label("registrant"))
        .join(User, User.id == Koperasi.created_by_id)
        .where(Koperasi.status == tab).order_by(order, Koperasi.id).limit(QUEUE_PAGE)).all()
    return render("admin/queue.html", tab=tab, counts=counts, rows=rows)


def _detail(koperasi: Koperasi, form: RejectForm | None = None, status: int = 200):
    registrant = db.session.get(User, koperasi.created_by_id)
    current, earlier = documents.current_and_earlier(koperasi.id)
    return render("admin/detail.html", koperasi=koperasi, registrant=registrant,
                  form=form or RejectForm(formdata=None), status=status, documents=current, earlier=earlier,
                  kinds=documents.KINDS,
                  lookup_url=current_app.config["NIK_LOOKUP_URL"])


def _koperasi(koperasi_id: int) -> Koperasi:
    koperasi = db.session.get(Koperasi, koperasi_id)
    if koperasi is None:
        abort(404)
    return koperasi


@bp.route("/koperasi/<int:koperasi_id>", methods=["GET", "POST"])
@platform_admin_required
def koperasi_detail(koperasi_id):
    """Everything the registrant entered, and the decision buttons."""
    if request.method == "POST":
        return dispatch(verify=koperasi_verify, reject=koperasi_reject)
    return _detail(_koperasi(koperasi_id))


@bp.get("/koperasi/<int:koperasi_id>/logo")
@platform_admin_required
def koperasi_logo(koperasi_id):
    """The uploaded logo, for review (it is public only once verified)."""
    logo = db.session.get(KoperasiLogo, koperasi_id) or abort(404)
    response = make_response(logo.data)
    response.headers["Content-Type"] = logo.mimetype
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.get("/koperasi/<int:koperasi_id>/documents/<int:document_id>")
@platform_admin_required
def koperasi_document(koperasi_id, document_id):
    """A legal document the koperasi attached (a PDF), to check it before verifying."""
    found = documents.document_file(koperasi_id, document_id, folder(documents.DOCUMENTS_FOLDER))
    if found is None:
        abort(404)
    row, path = found
    return private_file(path, "application/pdf", row.filename)


@bp.post("/koperasi/<int:koperasi_id>/verify")
@platform_admin_required
def koperasi_verify(koperasi_id):
    """Verify: the koperasi appears in the directory."""
    koperasi = _koperasi(koperasi_id)
    try:
        kop.verify(koperasi, current_user)
    except DomainError as error:
        db.session.rollback()
        form = RejectForm(formdata=None)
        form.form_errors.append(error.message)
        return _detail(_koperasi(koperasi_id), form, 422)
    db.session.commit()
    flash(_("%(name)s is verified.", name=koperasi.name), "success")
    return see_other(url_for("admin.koperasi_queue"))


@bp.post("/koperasi/<int:koperasi_id>/reject")
@platform_admin_required
def koperasi_reject(koperasi_id):
    """Reject, with a reason the registrant sees."""
    koperasi = _koperasi(koperasi_id)
    form = RejectForm()
    if form.validate_on_submit():
        try:
            kop.reject(koperasi, current_user, form.reason.data)
        except DomainError as error:
            db.session.rollback()
            attach(form, error)
            koperasi = _koperasi(koperasi_id)
        else:
            db.session.commit()
            flash(_("%(name)s is rejected; the registrant sees the reason.", name=koperasi.name), "success")
            return see_other(url_for("admin.koperasi_queue"))
    return _detail(koperasi, form, 422)


@bp.get("/accounts")
@platform_admin_required
def accounts_find():
    """Find an account by mobile number or e-mail, to disable it (or enable it again)."""
    query = (request.args.get("q") or "").strip()[:254]
    found = accounts.find(query) if query else None
    open_sessions = 0
    if found is not None:
        open_sessions = db.session.scalar(sa.select(sa.func.count()).select_from(sessions.UserSession).where(
            sessions.UserSession.user_id == found.id, sessions.UserSession.ended_at.is_(None)))
    return render("admin/accounts.html", q=query, found=found, open_sessions=open_sessions)


@bp.post("/accounts/<int:user_id>/disable")
@platform_admin_required
def account_disable(user_id):
    """Disable an account: it cannot log in, and every session of it ends now, on every device."""
    user = db.get_or_404(User, user_id)
    try:
        sessions.disable(user)
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        db.session.commit()
        flash(_("%(name)s's account is disabled; every device of theirs is logged out.", name=user.full_name),
              "success")
    return see_other(url_for("admin.accounts_find", q=user.mobile))


@bp.post("/accounts/<int:user_id>/log-out")
@platform_admin_required
def account_log_out(user_id):
    """Log out every device of an account (a lost or stolen phone) without disabling it: the owner
    logs in again with the password."""
    user = db.get_or_404(User, user_id)
    ended = sessions.end_all(user.id, sessions.BY_ADMIN)
    db.session.commit()
    flash(_("%(name)s is logged out on %(num)s devices.", name=user.full_name, num=ended), "success")
    return see_other(url_for("admin.accounts_find", q=user.mobile))


@bp.post("/accounts/<int:user_id>/enable")
@platform_admin_required
def account_enable(user_id):
    """Let a disabled account log in again."""
    user = db.get_or_404(User, user_id)
    sessions.enable(user)
    db.session.commit()
    flash(_("%(name)s can log in again.", name=user.full_name), "success")
    return see_other(url_for("admin.accounts_find", q=user.mobile))
