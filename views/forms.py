"""Helpers shared by every form-handling view."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import abort, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm

from models.accounts import login_key
from models.errors import DomainError
from models.keys import KeyReused
from views.fields import KeyedForm
from web.extensions import db
from web.ratelimit import login_throttle


def attach(form: FlaskForm, error: DomainError, default_field: str | None = None, besides: bool = False) -> None:
    """Show each of a domain error's messages beside the field it concerns (or at the top).

    ``besides``: the form refused some fields itself; a field that already shows its
    own message keeps just that one (no second message about the same empty box).
    """
    for field, message in error.errors:
        name = field if field in form else default_field
        if name and name in form:
            if besides and form[name].errors:
                continue
            if message not in form[name].errors:
                form[name].errors = [*form[name].errors, message]
        elif message not in form.form_errors:
            form.form_errors.append(message)


@dataclass
class Done:
    """A successful ``run``: always true, carrying what the operation returned."""

    value: object = None

    def __bool__(self) -> bool:
        return True


def run(form: FlaskForm, operation: Callable[[], object], validate: bool = True,
        check: Callable[[], object] | None = None) -> Done | None:
    """Validate the form, run ONE domain operation, commit once.

    ``Done(result)`` when it all went through. When a rule refuses, the session is
    rolled back (nothing half-saved) and every message goes beside its field; the view
    then shows the form again with what was typed (status 422, see ``failed``).

    ``check`` runs the domain's own checks (no writes) when the form itself refused
    some fields, so one submit shows every problem, not one kind per submit.
    """
    if validate and not form.validate_on_submit():
        if check is not None and form.is_submitted():
            also_check(form, check)
        return None
    try:
        result = operation()
    except DomainError as error:
        db.session.rollback()
        attach(form, error)
        if isinstance(error, KeyReused) and isinstance(form, KeyedForm):
            form.fresh_key()  # the old key stays bound to what it did: the next submit is a new one
        return None
    db.session.commit()
    return Done(result)


def also_check(form: FlaskForm, check: Callable[[], object]) -> None:
    """Add the domain's messages for the fields the form itself let through."""
    try:
        check()
    except DomainError as error:
        attach(form, error, besides=True)


def failed(*forms: FlaskForm) -> bool:
    """Did any of these forms come back with errors?"""
    return any(f.errors or f.form_errors for f in forms)


FORM_FIELD = "form"  # the hidden field naming which of a page's forms was sent


def dispatch(**handlers: Callable[..., object]):
    """A page whose forms post to the page's own address: the hidden ``form`` field names
    the form sent, and its handler answers (with the page's URL arguments).

    So a form shown again with its errors keeps the page's address, with or without
    JavaScript: reloading it or coming back to it shows the page, never a 405.
    """
    handler = handlers.get(request.form.get(FORM_FIELD, ""))
    if handler is None:
        abort(400)
    return handler(**request.view_args)


def password_confirmed(form, wrong) -> bool:
    """The password typed in the form (its ``password`` field) is the user's; failures count like
    failed logins; ``wrong`` says what was not done. Money the member moves from the phone asks it
    (views/stall.py, views/withdrawals.py)."""
    key, address = login_key(current_user.mobile or current_user.email or str(current_user.id)), request.remote_addr or "-"
    if login_throttle.account_locked(key):
        form.password.errors = [_l("Too many wrong passwords. Please wait 15 minutes and try again.")]
        return False
    if current_user.check_password(form.password.data or ""):
        login_throttle.succeeded(key)
        return True
    login_throttle.failed(key, address)
    form.password.errors = [wrong]
    return False
