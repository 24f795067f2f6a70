"""Rupiah as people read it, for the amounts that domain messages name ("This product
lends at most Rp5.000.000"). The models own it, so they need nothing from ``web/``."""

from __future__ import annotations

from babel.numbers import format_decimal
from flask_babel import get_locale


def idr(amount: int | None) -> str:
    """Whole Rupiah in the active locale: Rp1.500.000 (id), Rp1,500,000 (en)."""
    if amount is None:
        return ""
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp{format_decimal(abs(amount), format='#,##0', locale=get_locale())}"
