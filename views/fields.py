"""Form fields shared across areas, the base of every form (WTForms messages translated),
and pictures and PDFs kept across a failed submit."""

from __future__ import annotations

import base64
import math
import os
import re
import secrets
from datetime import date

from flask import current_app, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from itsdangerous import BadSignature
from werkzeug.datastructures import FileStorage, MultiDict
from wtforms import FileField, HiddenField, IntegerField, SelectChoice, StringField
from wtforms.validators import Length, ValidationError

from models import images, signing
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
    """Every Kopz form: WTForms' built-in messages come in the user's language, and only
    file fields receive uploaded files."""

    class Meta:
        def get_translations(self, form):
            return _Translations()

        def wrap_formdata(self, form, formdata):
            # Flask-WTF merges request.files into the form data, so a file part named like
            # a text field would reach that field's validators as a FileStorage: keep each
            # file for a file field of this form only.
            data = super().wrap_formdata(form, formdata)
            if data is None or not any(isinstance(v, FileStorage) for _k, v in data.items(multi=True)):
                return data
            file_fields = {field.name for field in form if isinstance(field, FileField)}
            return MultiDict([(k, v) for k, v in data.items(multi=True)
                              if not isinstance(v, FileStorage) or k in file_fields])


# Longest text for fields whose value is not stored as typed (every other text field's
# limit is its column's length; tests/test_hostile_input.py checks that each has one).
PHONE_TYPED = 20  # "0812-3456-7890" as typed; stored as +62… (16)
PASSWORD_TYPED = 1000  # a password to check: never refuse an old long one for its length
NEW_PASSWORD = 200
SEARCH_TYPED = 100  # what the searches read
NEXT_URL = 2000
KEPT_TOKENS = 1000  # the signed names of pictures kept across a failed submit


# The largest whole number an integer column holds (PostgreSQL's INTEGER): ids,
# quantities, months, page numbers beyond it are refused, not sent to the database.
MAX_INT = 2**31 - 1
# Whole Rupiah: plain digits, or digits grouped by three with dots (or spaces), as
# Indonesians write them; "Rp" before and ",-" after are allowed (a comma with decimals is not).
_RUPIAH = re.compile(r"(?i)(?:rp\.?)?\s*(-?)\s*([0-9]{1,15}|[0-9]{1,3}(?:\.[0-9]{3}){1,4}|[0-9]{1,3}(?: [0-9]{3}){1,4})"
                     r"(?:,-)?")


def parse_rupiah(text: str) -> int:
    """Whole Rupiah as Indonesians type it: "Rp 1.500.000", "1500000", "1.500.000,-", "-5.000".

    Dots (or spaces) group thousands, by three: "1.5" or "15.00" is refused, not read as
    Rp15 or Rp1.500; decimals ("1.500,00") are refused; only the digits 0–9 count.
    """
    match = _RUPIAH.fullmatch((text or "").strip())
    if not match:
        raise ValueError(text)
    return int(match[1] + re.sub(r"[. ]", "", match[2]))


def parse_whole(text: str, low: int = -MAX_INT, high: int = MAX_INT) -> int:
    """A whole number typed with the digits 0–9 only (no other script's digits, no "1_000",
    no "+"), within [low, high]; ValueError otherwise. For every whole number a user types
    or puts in a query string."""
    cleaned = (text or "").strip()
    if not re.fullmatch(r"-?[0-9]{1,12}", cleaned) or not low <= int(cleaned) <= high:
        raise ValueError(text)
    return int(cleaned)


def query_int(text: str) -> int:
    """``request.args.get(name, default, type=query_int)``: a page number or an id from the
    query string; anything else (other digits, beyond a column) falls back to the default."""
    return parse_whole(text, 0, MAX_INT)


def page_of(total: int, per_page: int, arg: str = "page") -> tuple[int, int]:
    """``(page, pages)`` for a list of ``total`` rows: the page asked for in the query string,
    kept between the first and the last (a list never has fewer than one page)."""
    pages = max(1, math.ceil(total / per_page))
    return min(max(request.args.get(arg, 1, type=query_int), 1), pages), pages


FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9998, 12, 31)
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def query_day(name: str, default: date, errors: dict, source=None) -> date:
    """A day from the query string (or ``source``: a form) as YYYY-MM-DD; the default when absent; else an error."""
    raw = (request.args if source is None else source).get(name, "").strip()
    if not raw:
        return default
    try:
        day = date.fromisoformat(raw) if ISO_DAY.fullmatch(raw) else None
    except ValueError:
        day = None
    if day is None or not FIRST_DAY <= day <= LAST_DAY:
        errors[name] = gettext("Enter a date as YYYY-MM-DD, for example %(example)s.", example=default.isoformat())
        return default
    return day


class WholeNumberField(IntegerField):
    """An integer field that reads only the digits 0–9 and refuses what no column holds."""

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and str(valuelist[0]).strip():
            try:
                self.data = parse_whole(str(valuelist[0]))
            except ValueError:
                raise ValueError(_l("Enter a whole number using the digits 0–9.")) from None


def coerce_id(value) -> int:
    """``SelectField(coerce=coerce_id)``: a chosen id, digits 0–9 only, within an id column."""
    return value if isinstance(value, int) else parse_whole(str(value), 0, MAX_INT)


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

    key = HiddenField(default=new_key, validators=[Length(max=64)])  # KEY_SHAPE then checks its form

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


def _signer():
    return signing.serializer(current_app.secret_key, "kopz-kept-picture", timed=True)


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


def _pdf_signer():
    return signing.serializer(current_app.secret_key, "kopz-kept-pdf", timed=True)


def take_pdf(file, kept: HiddenField, read) -> bytes | None:
    """The PDF of a file field, checked by ``read(upload)`` (a domain check raising DomainError).

    As with pictures, a newly chosen PDF is put aside and the hidden ``kept`` field carries its
    signed name (and the name it had on the phone), so a submit that fails on other fields does
    not lose it; with no new file, the one kept is used. ``kept.shown`` is what the form says.
    """
    kept.shown = None
    upload = file.data if getattr(file.data, "filename", None) else None
    if upload is not None:
        try:
            data = read(upload)
        except DomainError as error:
            file.process_errors.append(error.message)
        else:
            label = re.sub(r"[^\w.\- ]+", "", os.path.basename(upload.filename))[:60] or "dokumen.pdf"
            kept.data = _pdf_signer().dumps([images.keep(data, _kept_folder(), "pdf"), label])
            kept.shown = (label, len(data))
            return data
    try:
        name, label = _pdf_signer().loads(kept.data or "", max_age=images.KEEP_SECONDS)
    except (BadSignature, ValueError, TypeError):
        kept.data = ""
        return None
    data = images.kept(str(name), _kept_folder(), "pdf")
    if data is None:
        kept.data = ""
        return None
    kept.shown = (str(label)[:60], len(data))
    return data
