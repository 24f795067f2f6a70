"""Helpers shared by every form-handling view."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask_wtf import FlaskForm

from models.errors import DomainError
from web.extensions import db


def attach(form: FlaskForm, error: DomainError, default_field: str | None = None) -> None:
    """Show a domain error beside the field it concerns (or at the top of the form)."""
    name = error.field if error.field in form else default_field
    if name and name in form:
        form[name].errors = [*form[name].errors, error.message]
    else:
        form.form_errors.append(error.message)


@dataclass
class Done:
    """A successful ``run``: always true, carrying what the operation returned."""

    value: object = None

    def __bool__(self) -> bool:
        return True


def run(form: FlaskForm, operation: Callable[[], object], validate: bool = True) -> Done | None:
    """Validate the form, run ONE domain operation, commit once.

    ``Done(result)`` when it all went through. When a rule refuses, the session is
    rolled back (nothing half-saved) and the message goes beside its field; the view
    then shows the form again with what was typed (status 422, see ``failed``).
    """
    if validate and not form.validate_on_submit():
        return None
    try:
        result = operation()
    except DomainError as error:
        db.session.rollback()
        attach(form, error)
        return None
    db.session.commit()
    return Done(result)


def failed(*forms: FlaskForm) -> bool:
    """Did any of these forms come back with errors?"""
    return any(f.errors or f.form_errors for f in forms)
