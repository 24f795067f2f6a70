"""Language choice and locale-aware formatting: Rupiah, amounts in words, and times
in WIB or in the koperasi's own zone (WITA, WIT)."""

from __future__ import annotations

from datetime import UTC, datetime

from babel import dates as babel_dates
from flask import Flask, current_app, has_request_context, request
from flask_babel import format_date, format_datetime, get_locale
from flask_login import current_user
from lokal import terbilang
from num2words import num2words

from models.money import idr  # noqa: F401  (templates and views format Rupiah with it)
from models.zones import Zone, zone_of
from web.security import cookie

LANG_COOKIE = "lang"


def select_locale() -> str:
    """User's saved choice → cookie → Accept-Language → Indonesian."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands and background work
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = request.cookies.get(cookie(LANG_COOKIE))
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def in_words(amount: int) -> str:
    """A Rupiah amount in words in the active language, as a receipt writes it:
    "Satu juta lima ratus ribu rupiah" (lokal-id's terbilang), "One million, five
    hundred thousand rupiah" (num2words)."""
    if str(get_locale()).startswith("id"):
        words = terbilang(amount, currency=True)
    else:
        words = f"{num2words(amount, lang='en')} rupiah"
    return words[:1].upper() + words[1:]


def _zone(zone):
    """A Zone as given, a koperasi's zone, or None (the app's default, WIB)."""
    if zone is None or isinstance(zone, Zone):
        return zone
    return zone_of(zone)


def local_datetime(value: datetime | None, fmt: str = "medium", zone=None) -> str:
    """A stored (naive UTC) time in the user's language, in WIB or in ``zone``
    (a Zone, or a koperasi: its province's zone)."""
    if not value:
        return ""
    if (zone := _zone(zone)) is None:
        return format_datetime(value, fmt)
    return babel_dates.format_datetime(value, fmt, tzinfo=zone.tz, locale=get_locale())


def local_date(value, fmt: str = "medium", zone=None) -> str:
    """A date; for a stored time, its date in WIB or in ``zone``."""
    if not value:
        return ""
    if (zone := _zone(zone)) is None or not isinstance(value, datetime):
        return format_date(value, fmt)
    day = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(zone.tz).date()
    return babel_dates.format_date(day, fmt, locale=get_locale())


def init_app(app: Flask) -> None:
    app.jinja_env.filters["idr"] = idr
    app.jinja_env.filters["datetime"] = local_datetime
    app.jinja_env.filters["date"] = local_date
    app.jinja_env.globals["zone_of"] = zone_of
