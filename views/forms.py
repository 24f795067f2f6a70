"""Helpers shared by every form-handling view."""

from __future__ import annotations

from flask_wtf import FlaskForm

from models.errors import DomainError


def attach(form: FlaskForm, error: DomainError, default_field: str | None = None) -> None:
    """Show a domain error beside the field it concerns (or at the top of the form)."""
    name = error.field if error.field in form else default_field
    if name and name in form:
        form[name].errors = [*form[name].errors, error.message]
    else:
        form.form_errors.append(error.message)
