"""Form fields shared across areas."""

from __future__ import annotations

import re
import uuid

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, StringField
from wtforms.validators import Length


def parse_rupiah(text: str) -> int:
    """Whole Rupiah as Indonesians type it: "Rp 1.500.000", "1500000", "-5.000".

    Dots and spaces are thousands separators; a comma (decimals) is refused.
    """
    cleaned = re.sub(r"(?i)rp|[\s.]", "", text or "")
    if not re.fullmatch(r"-?\d{1,15}", cleaned):
        raise ValueError(text)
    return int(cleaned)


def format_rupiah(amount: int | None) -> str:
    """1500000 → "1.500.000", the way the form shows it back."""
    return "" if amount is None else f"{amount:,}".replace(",", ".")


class RupiahField(StringField):
    """A whole-Rupiah amount typed with or without thousands dots."""

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0].strip():
            try:
                self.data = parse_rupiah(valuelist[0])
            except ValueError:
                self.data = None
                raise ValueError(_l("Enter whole Rupiah using digits only, e.g. 1.500.000.")) from None
        else:
            self.data = None

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return format_rupiah(self.data) if isinstance(self.data, int) else ""


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as select options."""
    return [SelectChoice(str(value), label) for value, label in pairs]


MEANS_CHOICES = [("cash", _l("Cash")), ("bank", _l("Bank transfer"))]


class KeyedForm(FlaskForm):
    """A form that moves money or stock: it carries a one-time key, made when the form
    is first shown and sent back with it on errors, so a retried submission (double
    tap, flaky network, offline replay) is recognised and posts nothing more."""

    key = HiddenField(default=lambda: uuid.uuid4().hex, validators=[Length(min=16, max=64)])
