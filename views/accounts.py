"""Accounts: register, log in and out, profile, password, language."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, make_response, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError
from wtforms import EmailField, HiddenField, PasswordField, StringField, TelField
from wtforms.validators import DataRequired, Length, Optional

from models import accounts, claims, sessions
from models import home as homepage
from views.fields import NEW_PASSWORD, NEXT_URL, PASSWORD_TYPED, PHONE_TYPED, Form
from views.forms import run
from web.extensions import csrf, db
from web.i18n import LANG_COOKIE
from web.ratelimit import known_device, login_throttle, remember_device
from web.render import render, safe_next, see_other
from web.security import cross_site
from web.sessions import log_in, log_out

bp = Blueprint("accounts", __name__)
REQUIRED = _l("This field is required.")


class RegisterForm(Form):
    full_name = StringField(_l("Full name"), [DataRequired(REQUIRED), Length(max=120)],
                            render_kw={"autocomplete": "name"})
    mobile = TelField(_l("Mobile number"), [DataRequired(REQUIRED), Length(max=PHONE_TYPED)],
                      description=_l("For example 0812 3456 7890."),
                      render_kw={"autocomplete": "tel", "inputmode": "tel"})
    email = EmailField(_l("Email (optional)"), [Optional(), Length(max=254)],
                       render_kw={"autocomplete": "email"})
    password = PasswordField(_l("Password"), [DataRequired(REQUIRED), Length(max=NEW_PASSWORD)],
                             description=_l("At least 8 characters."),
                             render_kw={"autocomplete": "new-password"})


class LoginForm(Form):
    login = StringField(_l("Mobile number or email"), [DataRequired(REQUIRED), Length(max=254)],
                        render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Password"), [DataRequired(REQUIRED), Length(max=PASSWORD_TYPED)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField(validators=[Length(max=NEXT_URL)])


class ProfileForm(Form):
    full_name = RegisterForm.full_name
    mobile = RegisterForm.mobile
    email = RegisterForm.email


class PasswordForm(Form):
    current_password = PasswordField(_l("Current password"), [DataRequired(REQUIRED), Length(max=PASSWORD_TYPED)],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(_l("New password"), [DataRequired(REQUIRED), Length(max=NEW_PASSWORD)],
                                 description=_l("At least 8 characters."),
                                 render_kw={"autocomplete": "new-password"})


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Create an account and log in."""
    if current_user.is_authenticated:
        return redirect(url_for("public.home"), 303)
    form = RegisterForm()

    def register_user():
        user = accounts.register_user(form.full_name.data, form.mobile.data, form.password.data, form.email.data)
        user.locale = str(get_locale())
        return user

    def check():
        accounts.check_registration(form.full_name.data, form.mobile.data, form.password.data, form.email.data)

    if done := run(form, register_user, check=check):
        log_in(done.value)
        flash(_("Welcome to Kopz, %(name)s!", name=done.value.full_name), "success")
        # A koperasi imported them under this number: their cards say what happens next.
        return see_other(url_for("membership.cards") if claims.awaiting(done.value) else url_for("public.home"))
    return render("accounts/register.html", form=form, status=422 if form.errors else 200)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log in with mobile number or e-mail; throttled after repeated failures."""
    form = LoginForm(next=request.args.get("next", ""))
    if current_user.is_authenticated:
        return redirect(safe_next(form.next.data), 303)
    status = 200
    if form.validate_on_submit():
        key = accounts.login_key(form.login.data)
        address = request.remote_addr or "-"
        user = accounts.authenticate(form.login.data, form.password.data)
        if login_throttle.account_locked(key) and not (user and known_device(user.id)):
            form.form_errors.append(_l("Too many failed attempts. Please wait 15 minutes, or log in on a phone "
                                       "you have used with Kopz before."))
            status = 429
        elif user and not user.is_active:
            form.form_errors.append(_l("This account has been disabled. Ask Kopz for help."))
            status = 403
        elif user:
            login_throttle.succeeded(key)
            # A new server-side session (and a new CSRF token); a member's lasts on this phone, staff's
            # ends with the browser (web/sessions.py): what "keep me logged in" did, without a choice.
            log_in(user)
            response = redirect(safe_next(form.next.data), 303)
            remember_device(response, user.id)
            return response
        else:
            login_throttle.failed(key, address)
            if login_throttle.address_slowed(address):
                form.form_errors.append(_l("Too many failed attempts from your network. Check the password and "
                                           "try again in a few minutes."))
                status = 429
            else:
                form.form_errors.append(_l("The mobile number/email or password is not correct."))
    if form.errors or form.form_errors:
        status = status if status != 200 else 422
    return render("accounts/login.html", form=form, status=status)


@bp.post("/logout")
def logout():
    """Log out: the session ends on the server (a copy of the cookie opens nothing), and this
    browser's copies of private pages are cleared."""
    log_out()
    response = redirect(url_for("public.home"), 303)
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    """Profile: name and contacts (the password form posts here too, so a form shown
    again with its errors stays at this address)."""
    if request.method == "POST" and request.form.get("form") == "password":
        return password()
    form = ProfileForm(obj=current_user)
    if run(form, lambda: accounts.update_profile(current_user, form.full_name.data, form.mobile.data,
                                                 form.email.data),
           check=lambda: accounts.check_contacts(current_user, form.full_name.data, form.mobile.data,
                                                 form.email.data)):
        flash(_("Profile saved."), "success")
        return see_other(url_for("accounts.account"))
    return _account_page(profile=form)


@bp.post("/account/password")
@login_required
def password():
    """Change the password (signs out other devices)."""
    form = PasswordForm()
    if run(form, lambda: sessions.change_password(current_user, form.current_password.data,
                                                  form.new_password.data)):
        log_in(current_user._get_current_object())  # every session ended: this device gets a new one
        flash(_("Password changed. Other devices were logged out."), "success")
        return see_other(url_for("accounts.account"))
    return _account_page(password=form)


def _account_page(profile: ProfileForm | None = None, password: PasswordForm | None = None):
    profile = profile or ProfileForm(obj=current_user, formdata=None)
    password = password or PasswordForm(formdata=None)
    failed = bool(profile.errors or password.errors)
    return render("accounts/account.html", profile=profile, password=password,
                  ways=homepage.ways_in(db.session, current_user), status=422 if failed else 200)


@bp.post("/language")
@csrf.exempt  # checked below for logged-in users only
def language():
    """Switch language: remembered in the profile, or in a cookie before login."""
    # Before login this form carries no CSRF token: it is on every page a shared cache
    # keeps, and a token would need a session. What a forged post could do then is set
    # the preference cookie of a visitor who is not logged in: no login ("login CSRF"
    # needs the login form, which keeps its token), no session, no account touched, and
    # undone by one tap on the switch shown on every page. Even that is refused when the
    # browser says another site sent it. Logged in, the choice is saved on the account,
    # so the token is checked as on every other form.
    if current_user.is_authenticated:
        if current_app.config.get("WTF_CSRF_ENABLED", True):
            csrf.protect()
    elif cross_site():
        raise CSRFError("language switch sent from another site")
    lang = request.form.get("lang", "")
    if lang not in current_app.config["LANGUAGES"]:
        lang = current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user.is_authenticated:
        accounts.set_locale(current_user, lang)
        db.session.commit()
    response = make_response(redirect(safe_next(request.form.get("next")), 303))
    response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax",
                        httponly=True, secure=request.is_secure)
    return response
