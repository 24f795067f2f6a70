"""Accounts: register, log in and out, profile, password, language."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, make_response, redirect, request, session, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError
from wtforms import EmailField, HiddenField, PasswordField, StringField, TelField
from wtforms.validators import DataRequired, Length, Optional

from models import accounts, claims, password_reset, second_factor, sessions
from models import home as homepage
from models.errors import DomainError
from views import security
from views.fields import NEW_PASSWORD, NEXT_URL, PASSWORD_TYPED, PHONE_TYPED, Form
from views.forms import also_check, attach, run
from web.extensions import csrf, db
from web.i18n import LANG_COOKIE
from web.mail import send_mail
from web.ratelimit import known_device, login_throttle, remember_device, spend
from web.render import render, safe_next, see_other
from web.security import cookie, cross_site
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
                             description=_l("At least 8 characters, any letters, numbers, spaces or signs; not a "
                                            "common password, nor your name or number."),
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
    current_password = PasswordField(_l("Your password"), [Length(max=PASSWORD_TYPED)],
                                     description=_l("Needed only to change the mobile number or e-mail."),
                                     id="profile_password",  # the password form's box is current_password
                                     render_kw={"autocomplete": "current-password"})


class PasswordForm(Form):
    current_password = PasswordField(_l("Current password"), [DataRequired(REQUIRED), Length(max=PASSWORD_TYPED)],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(_l("New password"), [DataRequired(REQUIRED), Length(max=NEW_PASSWORD)],
                                 description=RegisterForm.password.kwargs["description"],
                                 render_kw={"autocomplete": "new-password"})


class ForgotForm(Form):
    login = StringField(_l("Mobile number or email"), [DataRequired(REQUIRED), Length(max=254)],
                        render_kw={"autocomplete": "username"})


class ResetForm(Form):
    login = ForgotForm.login
    code = StringField(_l("Code from the e-mail"), [DataRequired(REQUIRED), Length(max=20)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})
    password = PasswordField(_l("New password"), [DataRequired(REQUIRED), Length(max=NEW_PASSWORD)],
                             description=RegisterForm.password.kwargs["description"],
                             render_kw={"autocomplete": "new-password"})


class NewPasswordForm(Form):
    password = ResetForm.password


REGISTERED = _l("If this number was new, your account is ready: log in below with it and the password you chose. "
                "If the number or e-mail already had an account, nothing was changed: log in with that account's "
                "password, or use \"Forgot your password?\".")


MUST_CHANGE_OPEN = {"accounts.choose_password", "accounts.logout", "accounts.language", "static"}


@bp.before_app_request
def must_change_password():
    """After a temporary password from the koperasi's staff, nothing but choosing one's own."""
    if (current_user.is_authenticated and current_user.must_change_password
            and request.endpoint not in MUST_CHANGE_OPEN and not (request.endpoint or "").startswith("pwa.")):
        return see_other(url_for("accounts.choose_password"))
    return None


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Create an account, then log in. Whether the number (or e-mail) already had an account is not
    said: both answer "log in now" (a new account is made only for a new number; an imported
    member's placeholder is taken over), and the owner of a taken one is told by e-mail."""
    if current_user.is_authenticated:
        return redirect(url_for("public.home"), 303)
    form = RegisterForm()
    status = 200
    if form.validate_on_submit():
        if not spend("REGISTER_IP_LIMIT", "register-ip", request.remote_addr or "-"):
            form.form_errors.append(_l("Too many accounts were made from your network. Try again in an hour."))
            return render("accounts/register.html", form=form, status=429)
        try:
            user = accounts.register_user(form.full_name.data, form.mobile.data, form.password.data, form.email.data)
            user.locale = str(get_locale())
            db.session.commit()
        except accounts.AlreadyRegistered:
            db.session.rollback()
            _tell_owners(form.mobile.data, form.email.data)
        except DomainError as error:
            db.session.rollback()
            attach(form, error)
        if not form.errors and not form.form_errors:
            session["login_typed"] = form.mobile.data
            flash(REGISTERED, "success")
            return see_other(url_for("accounts.login"))
        status = 422
    elif form.is_submitted():
        also_check(form, lambda: accounts.check_registration(form.full_name.data, form.mobile.data,
                                                             form.password.data, form.email.data))
        status = 422
    return render("accounts/register.html", form=form, status=status)


def _tell_owners(mobile: str | None, email: str | None) -> None:
    """Someone registered with a number or e-mail that has an account: its owner hears it by e-mail."""
    owners = {user.id: user for key in (mobile, email) if key and (user := password_reset.find_account(key))}
    for user in owners.values():
        if user.email:
            with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
                send_mail(user.email, _("Kopz: someone tried to create an account with your details"),
                          _("Someone tried to create a Kopz account with your mobile number or e-mail address. "
                            "No new account was made. If it was you, log in at %(login)s or choose a new password "
                            "at %(forgot)s. If it was not you, you need not do anything.",
                            login=url_for("accounts.login", _external=True),
                            forgot=url_for("accounts.forgot_password", _external=True)))


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log in with mobile number or e-mail; throttled after repeated failures."""
    form = LoginForm(next=request.args.get("next", ""))
    if request.method == "GET" and not form.login.data:
        form.login.data = session.pop("login_typed", None)  # just registered or reset
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
            if second_factor.is_on(user):  # no session yet: the code first (views/security.py)
                return security.ask_code(user, form.next.data)
            return finish_login(user, form.next.data)
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


def finish_login(user, next_url: str | None):
    """The password (and code, when on) were right: start the session, then where to go."""
    # A new server-side session (and a new CSRF token); a member's lasts on this phone, staff's
    # ends with the browser (web/sessions.py): what "keep me logged in" did, without a choice.
    log_in(user)
    target = safe_next(next_url)
    if user.must_change_password:  # a temporary password from the koperasi's staff
        target = url_for("accounts.choose_password")
    elif not next_url and claims.awaiting(user):  # imported under this number: what happens next
        target = url_for("membership.cards")
    response = redirect(target, 303)
    remember_device(response, user.id)
    return response


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
                                                 form.email.data, form.current_password.data),
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


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    """Ask for a code by e-mail. The answer is the same whether or not the account exists."""
    form = ForgotForm()
    if form.validate_on_submit():
        if not spend("RESET_REQUEST_IP_LIMIT", "reset-ip", request.remote_addr or "-"):
            form.form_errors.append(_l("Too many requests from your network. Try again in an hour."))
            return render("accounts/forgot.html", form=form, status=429)
        key = accounts.login_key(form.login.data)
        # Past the account's allowance no new code is made, and nothing tells the asker so.
        asked = password_reset.request_code(form.login.data) if spend("RESET_REQUEST_LIMIT", "reset", key) else None
        db.session.commit()
        if asked:
            user, code = asked
            with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
                send_mail(user.email, _("Kopz: your code to choose a new password"),
                          _("Your code: %(code)s\n\nType it at %(url)s within 15 minutes to choose a new password. "
                            "It works once. If you did not ask for it, ignore this e-mail: your password stays as "
                            "it is.", code=code, url=url_for("accounts.reset_password", _external=True)))
        session["reset_login"] = form.login.data
        flash(_("If an account with an e-mail address has this number or e-mail, a code is on its way there. It "
                "works for 15 minutes. No e-mail on your account? Your koperasi's office can reset the password "
                "after checking who you are."), "success")
        return see_other(url_for("accounts.reset_password"))
    return render("accounts/forgot.html", form=form, status=422 if form.errors else 200)


@bp.route("/password/reset", methods=["GET", "POST"])
def reset_password():
    """Choose a new password with the code from the e-mail; every session of the account ends."""
    form = ResetForm()
    if request.method == "GET":
        form.login.data = session.get("reset_login")
    if form.validate_on_submit():
        try:
            password_reset.reset_with_code(form.login.data, form.code.data, form.password.data)
        except password_reset.WrongCode as error:
            db.session.commit()  # the try it used up stays used
            attach(form, error)
        except DomainError as error:
            db.session.rollback()
            attach(form, error)
        else:
            db.session.commit()
            login_throttle.succeeded(accounts.login_key(form.login.data))
            session.pop("reset_login", None)
            session["login_typed"] = form.login.data
            flash(_("Your new password is set, and every device was logged out. Log in with it now."), "success")
            return see_other(url_for("accounts.login"))
    return render("accounts/reset.html", form=form, status=422 if form.errors or form.form_errors else 200)


@bp.route("/account/new-password", methods=["GET", "POST"])
@login_required
def choose_password():
    """After the koperasi's staff gave a temporary password: choose one of your own."""
    user = current_user._get_current_object()
    if not user.must_change_password:
        return redirect(url_for("accounts.account"), 303)
    form = NewPasswordForm()
    if run(form, lambda: password_reset.choose_after_staff_reset(user, form.password.data)):
        log_in(user)  # every session ended: this device gets a new one
        flash(_("Password changed. Other devices were logged out."), "success")
        return see_other(url_for("public.home"))
    return render("accounts/new_password.html", form=form, status=422 if form.errors else 200)


def _account_page(profile: ProfileForm | None = None, password: PasswordForm | None = None):
    profile = profile or ProfileForm(obj=current_user, formdata=None)
    password = password or PasswordForm(formdata=None)
    failed = bool(profile.errors or password.errors)
    return render("accounts/account.html", profile=profile, password=password,
                  ways=homepage.ways_in(db.session, current_user), devices=sessions.devices(current_user),
                  second_factor_on=second_factor.is_on(current_user), status=422 if failed else 200)


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
    response.set_cookie(cookie(LANG_COOKIE), lang, max_age=365 * 24 * 3600, samesite="Lax",
                        httponly=True, secure=request.is_secure)
    return response
