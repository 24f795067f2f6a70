"""The second factor (set up, turn off, the code at login) and "your devices" on /account."""

from __future__ import annotations

import time

import segno
from flask import Blueprint, abort, flash, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from models import second_factor, sessions
from models.accounts import User
from models.errors import DomainError
from views.fields import NEXT_URL, PASSWORD_TYPED, Form
from views.forms import run
from web.extensions import db
from web.ratelimit import exhausted, spend
from web.reauth import require_recent_password
from web.render import render, safe_next, see_other

bp = Blueprint("security", __name__)
REQUIRED = _l("This field is required.")
SECOND_STEP = "second_step"  # the cookie session's note between the password and the code
SECOND_STEP_SECONDS = 300
TOO_MANY_CODES = _l("Too many wrong tries. Wait 15 minutes, then try again.")


class CodeForm(Form):
    code = StringField(_l("Code from the authenticator app"), [DataRequired(REQUIRED), Length(max=20)],
                       description=_l("6 digits. Lost the phone? Type one of your recovery codes instead."),
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


class SetupForm(Form):
    current_password = PasswordField(_l("Current password"), [DataRequired(REQUIRED), Length(max=PASSWORD_TYPED)],
                                     render_kw={"autocomplete": "current-password"})
    code = StringField(_l("Code from the authenticator app"), [DataRequired(REQUIRED), Length(max=20)],
                       description=_l("The 6 digits the app shows now."),
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})
    next = HiddenField(validators=[Length(max=NEXT_URL)])


class TurnOffForm(Form):
    current_password = PasswordField(_l("Current password"), [DataRequired(REQUIRED), Length(max=PASSWORD_TYPED)],
                                     render_kw={"autocomplete": "current-password"})
    code = CodeForm.code


def ask_code(user: User, next_url: str | None):
    """The password was right and the account has a second factor: no session yet, the code first."""
    session[SECOND_STEP] = {"user": user.id, "next": next_url or "", "at": int(time.time())}
    return see_other(url_for("security.login_code"))


def _waiting() -> User | None:
    step = session.get(SECOND_STEP)
    if not isinstance(step, dict) or time.time() - step.get("at", 0) > SECOND_STEP_SECONDS:
        return None
    return db.session.get(User, step.get("user"))


@bp.route("/login/code", methods=["GET", "POST"])
def login_code():
    """The second step of a login: the code from the app (or a recovery code)."""
    from views.accounts import finish_login

    user = _waiting()
    if user is None or not user.is_active:
        session.pop(SECOND_STEP, None)
        flash(_("Log in again: the time to type the code ran out."), "warning")
        if request.htmx:  # the browser goes to log in, not a login page swapped into a fragment
            return "", 401, {"HX-Redirect": url_for("accounts.login")}
        return see_other(url_for("accounts.login"))
    form, status = CodeForm(), 200
    if form.validate_on_submit():
        if exhausted("TOTP_FAILURE_LIMIT", "totp", str(user.id)):
            form.form_errors.append(TOO_MANY_CODES)
            return render("security/login_code.html", form=form, status=429)
        if second_factor.verify(user, form.code.data):
            next_url = session[SECOND_STEP]["next"]
            db.session.commit()
            return finish_login(user, next_url)  # a fresh cookie session: the note is gone with it
        db.session.rollback()
        spend("TOTP_FAILURE_LIMIT", "totp", str(user.id))
        form.code.errors = [second_factor.WRONG_CODE]
    if form.errors:
        status = 422
    return render("security/login_code.html", form=form, status=status)


@bp.route("/account/two-factor", methods=["GET", "POST"])
@login_required
def two_factor():
    """Set up the second factor (a QR code for the app, then a first code), or see it is on."""
    user = current_user._get_current_object()
    if second_factor.is_on(user):
        return render("security/two_factor_on.html", form=TurnOffForm(formdata=None),
                      left=second_factor.recovery_left(user))
    form = SetupForm(next=request.args.get("next", ""))
    factor = second_factor.begin(user)
    db.session.commit()
    if done := _counted(user, form, lambda: second_factor.confirm(user, form.current_password.data, form.code.data)):
        # Shown in this answer and nowhere else, ever: no redirect, so they are not kept anywhere.
        return render("security/recovery_codes.html", codes=done.value, next=safe_next(form.next.data, ""))
    uri = second_factor.setup_uri(factor, user)
    secret = second_factor.setup_secret(factor)
    return render("security/two_factor_setup.html", form=form,
                  qr=Markup(segno.make(uri, error="m").svg_inline(scale=4, border=2, omitsize=True)),
                  secret=" ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
                  status=_status(form))


@bp.post("/account/two-factor/off")
@login_required
def two_factor_off():
    """Turn the second factor off: the password and a code."""
    user = current_user._get_current_object()
    form = TurnOffForm()
    if _counted(user, form, lambda: second_factor.turn_off(user, form.current_password.data, form.code.data)):
        flash(_("The second factor is off."), "success")
        return see_other(url_for("accounts.account"))
    return render("security/two_factor_on.html", form=form, left=second_factor.recovery_left(user),
                  status=_status(form))


def _counted(user: User, form, operation):
    """``run`` with the wrong passwords and codes counted (``TOTP_FAILURE_LIMIT``): once used up,
    nothing is tried for a while (a session left open is no way to guess the password or a code)."""
    if exhausted("TOTP_FAILURE_LIMIT", "totp", str(user.id)):
        if form.is_submitted():
            form.form_errors.append(TOO_MANY_CODES)
        return None
    done = run(form, operation)
    if not done and form.errors:
        spend("TOTP_FAILURE_LIMIT", "totp", str(user.id))
    return done


def _status(form) -> int:
    if TOO_MANY_CODES in form.form_errors:
        return 429
    return 422 if form.errors or form.form_errors else 200


@bp.post("/account/devices/<int:session_id>/end")
@login_required
def end_device(session_id: int):
    """Sign out one other device (one of your own: another person's session is not found)."""
    if session_id == current_user.session_id:
        abort(404)  # this device logs out with the "Log out" button, which also clears its pages
    require_recent_password()  # someone holding a stolen session cannot sign the owner out
    try:
        sessions.end_device(current_user, session_id)
    except DomainError:
        db.session.rollback()
        abort(404)
    db.session.commit()
    flash(_("That device is signed out."), "success")
    return see_other(url_for("accounts.account") + "#devices")


@bp.post("/account/devices/end-others")
@login_required
def end_other_devices():
    """Sign out every other device."""
    require_recent_password()
    ended = sessions.end_others(current_user)
    db.session.commit()
    flash(_("Other devices signed out: %(num)s.", num=ended), "success")
    return see_other(url_for("accounts.account") + "#devices")

