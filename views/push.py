"""Push notifications on the phone: consent per browser, and which kinds a user wants pushed.

The browser's subscription arrives as JSON from static/js/push.js (CSRF in the
X-CSRFToken header, as htmx sends it): POST /notifications/settings/subscribe with
{"endpoint", "keys": {"p256dh", "auth"}}, answered 201 {"ok": true} or 400/422
{"error": "<message>"}. The kinds are a plain form that works without JavaScript.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, jsonify, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import SelectChoice, SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget

from models import push
from models.errors import DomainError
from models.notifications import Kind
from views.fields import Form
from views.forms import run
from web import push as web_push
from web.extensions import db
from web.render import htmx_target, render, see_other

bp = Blueprint("push", __name__)

KIND_LABELS = {
    Kind.APPLICATION_APPROVED: _l("Membership application approved"),
    Kind.APPLICATION_REJECTED: _l("Membership application rejected"),
    Kind.POKOK_DUE: _l("Simpanan pokok to pay"),
    Kind.LOAN_APPROVED: _l("Loan approved"),
    Kind.LOAN_REJECTED: _l("Loan rejected"),
    Kind.LOAN_DISBURSED: _l("Loan paid out"),
    Kind.INSTALMENT_DUE: _l("Instalment due in 3 days"),
    Kind.INSTALMENT_OVERDUE: _l("Instalment overdue"),
    Kind.ORDER_RECEIVED: _l("New order at my store"),
    Kind.ORDER_STATUS: _l("My order's progress"),
    Kind.STORE_APPROVED: _l("Store approved"),
    Kind.RAT_SCHEDULED: _l("Annual meeting (RAT) scheduled"),
    Kind.VOTING_OPEN: _l("Voting open"),
    Kind.MINUTES_PUBLISHED: _l("Meeting minutes published"),
    Kind.SHU_CREDITED: _l("SHU credited"),
    Kind.ANNOUNCEMENT: _l("Announcements from my koperasi"),
    Kind.CLAIM_REQUESTED: _l("A member claims an imported membership (staff)"),
    Kind.CLAIM_CONFIRMED: _l("My imported membership confirmed"),
    Kind.CLAIM_REFUSED: _l("My imported membership not confirmed"),
    Kind.STALL_PAID: _l("My payment at a store"),
    Kind.STALL_RECEIVED: _l("A payment at my store"),
    Kind.STALL_REFUNDED: _l("A store refunded my payment"),
    Kind.WITHDRAWAL_HELD: _l("My withdrawal to a bank or e-wallet asked"),
    Kind.WITHDRAWAL_PAID: _l("My withdrawal paid out"),
    Kind.WITHDRAWAL_REJECTED: _l("My withdrawal rejected"),
    Kind.TOPUP_CONFIRMED: _l("My top-up by transfer confirmed"),
    Kind.TOPUP_REJECTED: _l("My top-up by transfer not confirmed"),
}
# The kinds as the settings page groups them (each kind in one group).
GROUPS = [
    (_l("Membership and savings"), [Kind.APPLICATION_APPROVED, Kind.APPLICATION_REJECTED, Kind.POKOK_DUE,
                                        Kind.CLAIM_CONFIRMED, Kind.CLAIM_REFUSED, Kind.CLAIM_REQUESTED,
                                        Kind.WITHDRAWAL_HELD, Kind.WITHDRAWAL_PAID, Kind.WITHDRAWAL_REJECTED,
                                        Kind.TOPUP_CONFIRMED, Kind.TOPUP_REJECTED]),
    (_l("Loans"), [Kind.LOAN_APPROVED, Kind.LOAN_REJECTED, Kind.LOAN_DISBURSED, Kind.INSTALMENT_DUE,
                   Kind.INSTALMENT_OVERDUE]),
    (_l("Market"), [Kind.ORDER_RECEIVED, Kind.ORDER_STATUS, Kind.STORE_APPROVED, Kind.STALL_PAID, Kind.STALL_RECEIVED,
                    Kind.STALL_REFUNDED]),
    (_l("Meetings, SHU and news"), [Kind.RAT_SCHEDULED, Kind.VOTING_OPEN, Kind.MINUTES_PUBLISHED, Kind.SHU_CREDITED,
                                    Kind.ANNOUNCEMENT]),
]
MAX_JSON = 4096  # a subscription is ~500 bytes


class KindsForm(Form):
    kinds = SelectMultipleField(_l("Send these to my phone"),
                                choices=[SelectChoice(str(k), label) for k, label in KIND_LABELS.items()],
                                widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())


def _settings(kinds: KindsForm | None = None, saved: bool = False, status: int = 200):
    if kinds is None:
        off = push.muted(current_user.id)
        kinds = KindsForm(data={"kinds": [str(k) for k in Kind if str(k) not in off]})
    options = {option.data: option for option in kinds.kinds}
    groups = [(title, [options[str(kind)] for kind in members]) for title, members in GROUPS]
    return render("push/settings.html", status, kinds=kinds, groups=groups, saved=saved, enabled=web_push.enabled(),
                  public_key=current_app.config["VAPID_PUBLIC_KEY"],
                  devices=len(push.subscriptions(current_user.id)))


@bp.route("/notifications/settings", methods=["GET", "POST"])
@login_required
def settings():
    """Push on this phone, and which kinds of notification reach it."""
    if request.method == "GET":
        return _settings()
    form = KindsForm()
    if run(form, lambda: push.choose_kinds(current_user.id, form.kinds.data or [])):
        if htmx_target() == "kinds_form":
            return _settings(saved=True)
        flash(_("Saved: these kinds reach your phone."), "success")
        return see_other(url_for("push.settings"))
    return _settings(form, status=422)


def _refused(message, status: int = 422):
    return jsonify({"error": str(message)}), status


@bp.post("/notifications/settings/subscribe")
@login_required
def subscribe():
    """Keep this browser's push subscription for the logged-in user (JSON)."""
    if not web_push.enabled():
        return _refused(_("Push notifications are not set up on this server."), 409)
    if (request.content_length or 0) > MAX_JSON:
        return _refused(_("The browser sent no usable push subscription."), 400)
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _refused(_("Send the subscription as JSON: {\"endpoint\", \"keys\": {\"p256dh\", \"auth\"}}."), 400)
    try:
        push.subscribe(current_user.id, data, allow_http=current_app.config["PUSH_ALLOW_HTTP"])
    except DomainError as error:
        db.session.rollback()
        return _refused(error.message)
    db.session.commit()
    return jsonify({"ok": True, "message": _("Push is on for this phone.")}), 201


@bp.post("/notifications/settings/unsubscribe")
@login_required
def unsubscribe():
    """Stop push to this browser (JSON {"endpoint"}) or, from the plain form, to all of the user's browsers."""
    data = request.get_json(silent=True) if request.is_json else None
    if data is not None:
        endpoint = data.get("endpoint") if isinstance(data, dict) else None
        if not isinstance(endpoint, str) or not endpoint:
            return _refused(_("Say which push address to remove."), 400)
        removed = push.unsubscribe(current_user.id, endpoint)
        db.session.commit()
        if not removed:  # not this user's (or already gone): nothing to say about anyone else's
            return _refused(_("This browser gets no push for your account."), 404)
        return jsonify({"ok": True, "message": _("Push is off for this phone.")})
    push.unsubscribe(current_user.id)
    db.session.commit()
    flash(_("Push is off on all your devices."), "success")
    return see_other(url_for("push.settings"))
