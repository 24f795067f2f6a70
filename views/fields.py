"""Form fields shared across areas, the base of every form (WTForms messages translated),
and pictures kept across a failed submit."""

from __future__ import annotations

import base64
import os
import re
import secrets

from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, URLSafeTimedSerializer
from wtforms import HiddenField, SelectChoice, StringField
from wtforms.validators import ValidationError

from models import images
from models.errors import DomainError

# WTForms' own messages, for its built-in validators and fields. WTForms ships no
# Indonesian, so they are listed here for `flask translate` to extract into our
# catalogs, and ``Form`` hands them to WTForms in the user's language.
WTFORMS_MESSAGES = (
    _l("This field is required."),
    _l("Field must be at least %(min)d character long."),
    _l("Field must be at least %(min)d characters long."),
    _l("Field cannot be longer than %(max)d character."),
    _l("Field cannot be longer than %(max)d characters."),
    _l("Field must be exactly %(max)d character long."),
    _l("Field must be exactly %(max)d characters long."),
    _l("Field must be between %(min)d and %(max)d characters long."),
    _l("Number must be at least %(min)s."),
    _l("Number must be at most %(max)s."),
    _l("Number must be between %(min)s and %(max)s."),
    _l("Invalid email address."),
    _l("Invalid input."),
    _l("Not a valid integer value."),
    _l("Not a valid decimal value."),
    _l("Not a valid float value."),
    _l("Not a valid date value."),
    _l("Not a valid choice."),
    _l("Invalid Choice: could not coerce."),
    _l("'%(value)s' is not a valid choice for this field."),
    _l("'%(value)s' are not valid choices for this field."),
    _l("Invalid choice(s): one or more data inputs could not be coerced."),
)


class _Translations:
    """WTForms' messages through our catalogs (Indonesian has one plural form)."""

    def gettext(self, string: str) -> str:
        return gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return gettext(singular if n == 1 else plural)


class Form(FlaskForm):
    """Every Kopz form: WTForms' built-in messages come in the user's language."""

    class Meta:
        def get_translations(self, form):
            return _Translations()


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


KEY_SHAPE = re.compile(r"[A-Za-z0-9_-]{32,64}")  # ours: 43 now, 32 hex before (forms still open in a tab)
FORM_EXPIRED = _l("This form has expired. Check the details and send it again.")


def new_key() -> str:
    """A one-time key made by the server: 256 random bits, URL-safe, never guessable."""
    return secrets.token_urlsafe(32)


class KeyedForm(Form):
    """A form that moves money or stock: it carries a one-time key, made when the form
    is first shown and sent back with it on errors, so a retried submission (double
    tap, flaky network, offline replay) is recognised and posts nothing more.

    The domain binds the key to the operation it was first sent with (models.keys):
    the same key with other content is refused, and the form then gets a fresh key.
    A key not of the server's shape is refused here, before anything runs."""

    key = HiddenField(default=new_key)

    def validate_key(self, field) -> None:
        if not KEY_SHAPE.fullmatch(field.data or ""):
            self.fresh_key()
            self.form_errors.append(FORM_EXPIRED)  # a hidden field: its message shows at the top
            raise ValidationError(FORM_EXPIRED)

    def fresh_key(self) -> None:
        """A new key, for a form shown again after its key was refused."""
        self.key.data, self.key.raw_data = new_key(), None


# ---------------------------------------------------------------- pictures kept across a failed submit

def _kept_folder() -> str:
    return current_app.config.get("KEPT_UPLOADS_DIR") or os.path.join(current_app.instance_path, "kept-uploads")


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="kopz-kept-picture")


def take_pictures(files, kept: HiddenField, *, size: tuple[int, int], max_bytes: int, limit: int = 1) -> list[bytes]:
    """The pictures of a file field, re-encoded at most ``size``.

    Newly chosen files are checked and put aside, and the hidden ``kept`` field carries
    their signed names, so a submit that fails on other fields does not lose them; with
    no new file, the ones kept from the failed submit are used. A bad file is refused on
    its field (before validation, so the rest of the form is checked with it).
    """
    data = files.data if isinstance(files.data, list) else [files.data]
    chosen = [f for f in data if getattr(f, "filename", None)]
    pictures = _new_pictures(files, kept, chosen, size, max_bytes, limit) if chosen else None
    if pictures is None:  # nothing new (or a bad new file): the ones kept before, still shown
        pictures = _kept_pictures(kept, limit)
    kept.previews = ["data:image/webp;base64," + base64.b64encode(images.preview(p)).decode() for p in pictures]
    return pictures


def _new_pictures(files, kept, chosen, size, max_bytes, limit) -> list[bytes] | None:
    if len(chosen) > limit:
        files.process_errors.append(_l("Choose up to %(n)s photos.", n=limit))
        return None
    try:
        pictures = [images.reencode(f.stream, max_bytes, size, files.name) for f in chosen]
    except DomainError as error:
        files.process_errors.append(error.message)
        return None
    kept.data = " ".join(_signer().dumps(images.keep(p, _kept_folder())) for p in pictures)
    return pictures


def _kept_pictures(kept, limit) -> list[bytes]:
    pictures, tokens = [], []
    for token in (kept.data or "").split()[:limit]:
        try:
            name = _signer().loads(token, max_age=images.KEEP_SECONDS)
        except BadSignature:
            continue
        if picture := images.kept(name, _kept_folder()):
            pictures.append(picture)
            tokens.append(token)
    kept.data = " ".join(tokens)
    return pictures
