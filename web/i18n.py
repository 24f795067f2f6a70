"""Language choice and locale-aware formatting (Rupiah, dates in WIB)."""

from __future__ import annotations

from babel.numbers import format_decimal
from flask import Flask, current_app, has_request_context, request
from flask_babel import format_date, format_datetime, get_locale
from flask_login import current_user

LANG_COOKIE = "lang"


def select_locale() -> str:
    """User's saved choice → cookie → Accept-Language → Indonesian."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands and background work
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in languages:
        return cookie
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def idr(amount: int | None) -> str:
    """Whole Rupiah in the active locale: Rp1.500.000 (id), Rp1,500,000 (en)."""
    if amount is None:
        return ""
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp{format_decimal(abs(amount), format='#,##0', locale=get_locale())}"


def init_app(app: Flask) -> None:
    app.jinja_env.filters["idr"] = idr
    app.jinja_env.filters["datetime"] = lambda value, fmt="medium": format_datetime(value, fmt) if value else ""
    app.jinja_env.filters["date"] = lambda value, fmt="medium": format_date(value, fmt) if value else ""
