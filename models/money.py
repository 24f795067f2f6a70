"""Rupiah as people read it, for the amounts that domain messages name ("This product
lends at most Rp5.000.000"). The models own it, so they need nothing from ``web/``."""

from __future__ import annotations

from functools import lru_cache

from babel.numbers import get_group_symbol
from flask_babel import get_locale


@lru_cache(maxsize=16)
def _group_symbol(locale: str) -> str:
    return get_group_symbol(locale)


def idr(amount: int | None) -> str:
    """Whole Rupiah in the active locale: Rp1.500.000 (id), Rp1,500,000 (en). Grouped by
    thousands with the locale's separator (Babel's, looked up once: formatting each amount
    through Babel was a fifth of the catalogue page's time, 24 prices a page)."""
    if amount is None:
        return ""
    sign = "-" if amount < 0 else ""
    whole = abs(amount) if isinstance(amount, int) else round(abs(amount))
    return f"{sign}Rp{whole:,}".replace(",", _group_symbol(str(get_locale())))
