"""People on the platform: accounts, passwords, contact numbers."""

from __future__ import annotations

import gzip
import re
import unicodedata
from datetime import datetime
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from lokal import parse_phone
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from models.base import db, utcnow
from models.errors import Checks, DomainError

MIN_PASSWORD = 8
MAX_PASSWORD = 128  # characters (code points after NFKC), not bytes: any script, spaces, emoji
COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt.gz")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Checked against on a failed lookup, so an unknown login costs as much as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class User(UserMixin, db.Model):
    __tablename__ = "user_account"  # "user" is reserved in PostgreSQL

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(sa.String(120))
    mobile: Mapped[str] = mapped_column(sa.String(16), unique=True)  # +62… (E.164)
    email: Mapped[str | None] = mapped_column(sa.String(254), unique=True)  # lower case
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    locale: Mapped[str | None] = mapped_column(sa.String(5))
    is_platform_admin: Mapped[bool] = mapped_column(default=False)
    # Set by a platform admin: the account cannot log in and its sessions have ended.
    disabled_at: Mapped[datetime | None]
    # Made by a koperasi's import for a member without an account: no usable password; whoever
    # registers with this number takes it over (models.claims), and each imported membership
    # still waits for the koperasi to confirm that person (Membership.claimed_at).
    placeholder: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # A koperasi's staff gave a temporary password (models.password_reset.staff_reset): the next login
    # must choose a new one before anything else.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    # The sign-in session this request runs in (models.sessions): its secret is what Flask-Login
    # keeps in the cookie as the "user id", so the loader finds the session, not just the user.
    session_secret = None  # str, when signed in
    session_id = None  # the UserSession row's id
    session_touched = False  # its last_seen_at was just moved on (to commit)
    authenticated_at = None  # when the password was last typed in it (web/reauth.py)

    def get_id(self) -> str | None:
        return self.session_secret

    def __eq__(self, other):  # the same account (UserMixin's would compare session secrets)
        if isinstance(other, User):
            return self is other or (self.id is not None and self.id == other.id)
        return NotImplemented

    __hash__ = object.__hash__

    @property
    def is_active(self) -> bool:
        return self.disabled_at is None

    def check_password(self, password: str) -> bool:
        """Hashes are of the NFKC form (one password however a keyboard composes its letters); a
        hash made before that was of the password as typed, so the typed form is tried too."""
        password = password or ""
        normal = normalize_password(password)
        if check_password_hash(self.password_hash, normal):
            return True
        return normal != password and check_password_hash(self.password_hash, password)

    def set_password(self, password: str, field: str = "password") -> None:
        """A new password: every rule of ``check_new_password``, then its NFKC form hashed."""
        check_new_password(password, self.full_name, self.mobile, field)
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        self.password_hash = generate_password_hash(normalize_password(password), method=method)

    @property
    def mobile_display(self) -> str:
        return parse_phone(self.mobile).national or self.mobile


def normalize_password(password: str) -> str:
    """NFKC: the same password typed on two keyboards (composed or decomposed é, full-width digits)."""
    return unicodedata.normalize("NFKC", password or "")


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list (models/common_passwords.txt.gz: its header says where it comes from)."""
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def _derived(password: str, full_name: str | None, mobile: str | None) -> bool:
    """Built from the person's own name or number: holds the number's digits or the name without
    spaces (either reversed), or is one of them (or a part of the name) plus a few digits/signs."""
    low = password.casefold()
    digits = re.sub(r"\D", "", low)
    if mobile:
        national = re.sub(r"\D", "", mobile).removeprefix("62")  # 812…: in 0812…, 62812…, +62812…
        if len(national) >= 6 and (national in digits or national[::-1] in digits):
            return True
    words = [w for w in re.split(r"[\W_]+", (full_name or "").casefold()) if w]
    whole = "".join(words)
    bare = re.sub(r"[\W\d_]+", "", low)  # the letters left when digits and signs are taken off
    if len(whole) >= 6:  # a short single name ("Budi") may well sit inside a good password: only "budi123" is refused
        squeezed = re.sub(r"[\W_]+", "", low)
        if whole in squeezed or whole[::-1] in squeezed:
            return True
    return any(len(w) >= 3 and bare in (w, w[::-1]) for w in [*words, whole])


# Words of this service a guesser tries first (ASVS 6.1.2): a password that is one of them (or one reversed)
# with a few digits or signs around it is refused, like one built from the person's own name.
CONTEXT_WORDS = ("kopz", "koperasi", "kooperasi", "simpanan", "pinjaman", "anggota", "pengurus", "pengawas",
                 "teller", "tabungan", "sukarela", "wajib", "pokok")


def _service_word(password: str) -> bool:
    bare = re.sub(r"[\W\d_]+", "", password.casefold())
    return any(bare in (word, word[::-1]) or bare in (word * 2, word + "ku") for word in CONTEXT_WORDS)


def password_problem(password: str | None, full_name: str | None = None, mobile: str | None = None):
    """The first rule a new password breaks (a message to show), or None when it is fine."""
    normal = normalize_password(password or "")
    if len(normal) < MIN_PASSWORD:
        return _l("Use at least %(n)s characters.", n=MIN_PASSWORD)
    if len(normal) > MAX_PASSWORD:
        return _l("Use at most %(n)s characters.", n=MAX_PASSWORD)
    if normal.casefold() in common_passwords():
        return _l("This password is one of the most common ones: choose one that is harder to guess.")
    if _derived(normal, full_name, mobile):
        return _l("Do not build the password from your name or mobile number.")
    if _service_word(normal):
        return _l("Do not build the password from a word of Kopz or of the koperasi: it is the first guess.")
    return None


def check_new_password(password: str | None, full_name: str | None = None, mobile: str | None = None,
                       field: str = "password") -> None:
    """The one place a new password's rules live (registration, change, reset): DomainError if broken."""
    problem = password_problem(password, full_name, mobile)
    if problem is not None:
        raise DomainError(problem, field=field)


def normalize_mobile(raw: str, field: str = "mobile") -> str:
    """08…, 62… and +62… are the same number: store it as +62…; refuse anything else."""
    info = parse_phone(raw or "")
    if not info.valid or info.type != "mobile" or not info.e164:
        raise DomainError(
            _l("Enter an Indonesian mobile number, e.g. 0812 3456 7890."), field=field
        )
    return info.e164


def normalize_email(raw: str | None) -> str | None:
    email = (raw or "").strip().lower()
    if not email:
        return None
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise DomainError(_l("Enter a valid email address."), field="email")
    return email


def _login_key(identifier: str) -> str | None:
    """The canonical form of a login: an e-mail address or a +62 number."""
    identifier = (identifier or "").strip()
    if "@" in identifier:
        return identifier.lower()
    try:
        return normalize_mobile(identifier)
    except DomainError:
        return None


def login_key(identifier: str) -> str:
    """Canonical login identifier for throttling, so 08… and +62… count together."""
    return _login_key(identifier) or (identifier or "").strip().lower()


class AlreadyRegistered(DomainError):
    """The number or e-mail belongs to an account. Registration does not say so to whoever is
    registering (``views.accounts.register`` answers as for a new account); a profile change does."""


def _check_unique(mobile: str | None, email: str | None, exclude_id: int | None = None,
                  registering: bool = False) -> None:
    """A mobile number and an e-mail belong to one account; raise for each that is taken.
    ``registering``: an imported member's placeholder account does not take the number (its
    owner registering takes the placeholder over)."""
    checks = Checks()
    clash = sa.or_(User.mobile == mobile, User.email == email) if email else User.mobile == mobile
    query = sa.select(User.mobile, User.email, User.placeholder).where(clash)
    if exclude_id is not None:
        query = query.where(User.id != exclude_id)
    for other_mobile, other_email, placeholder in db.session.execute(query):
        if mobile and other_mobile == mobile and not (registering and placeholder):
            checks.fail(_l("This mobile number is already registered."), "mobile")
        if email and other_email == email:
            checks.fail(_l("This email address is already registered."), "email")
    if checks.errors:
        field, message = checks.errors[0]
        raise AlreadyRegistered(message, field=field, errors=list(checks.errors))


def _contacts(checks: Checks, full_name: str | None, mobile: str | None, email: str | None,
              exclude_id: int | None = None, registering: bool = False) -> tuple[str, str | None, str | None]:
    """Name, mobile number and e-mail of an account, cleaned; each refusal goes to ``checks``."""
    full_name = " ".join((full_name or "").split())
    if len(full_name) < 2:
        checks.fail(_l("Enter your full name."), "full_name")
    number = None
    with checks.catching():
        number = normalize_mobile(mobile or "")
    with checks.catching():
        email = normalize_email(email)
    if not registering and (number or (email and not checks.failed("email"))):
        with checks.catching():
            _check_unique(number, None if checks.failed("email") else email, exclude_id, registering)
    return full_name, number, email


def check_registration(full_name: str | None, mobile: str | None, password: str | None,
                       email: str | None = None) -> tuple[str, str, str | None]:
    """Every rule of a new account, each bad field reported at once (one DomainError). Whether the
    number or e-mail is taken is not one of them: ``register_user`` says that (``AlreadyRegistered``)
    to the view, which does not tell whoever is registering."""
    checks = Checks()
    contacts = _contacts(checks, full_name, mobile, email, registering=True)
    with checks.catching():
        check_new_password(password, contacts[0], contacts[1])
    checks.done()
    return contacts


def register_user(full_name: str, mobile: str, password: str, email: str | None = None) -> User:
    """Create an account; the mobile number and e-mail are unique across the platform.

    A number that only an imported member's placeholder holds is taken over: the account
    becomes this person's (name, e-mail, password), while each imported membership on it
    still waits for the koperasi to confirm them (``models.claims``)."""
    full_name, mobile, email = check_registration(full_name, mobile, password, email)
    user = User(full_name=full_name, mobile=mobile, email=email)
    user.set_password(password)  # hashed before the lookup, so a taken number answers as slowly as a new one
    _check_unique(mobile, email, registering=True)  # AlreadyRegistered
    # One conditional UPDATE: of two people registering the number at once, only one takes it over;
    # the other's INSERT then meets the taken number and is refused like any registered one.
    taken = db.session.execute(
        sa.update(User).where(User.mobile == mobile, User.placeholder.is_(True))
        .values(full_name=full_name, email=email, password_hash=user.password_hash, placeholder=False,
                created_at=utcnow())
        .returning(User.id).execution_options(synchronize_session=False)).scalar()
    if taken is not None:
        user = db.session.get(User, taken)
        db.session.refresh(user)
        return user
    try:
        with db.session.begin_nested():  # the new account belongs to the savepoint: gone with it
            db.session.add(user)
            db.session.flush()
    except sa.exc.IntegrityError:  # registered at this very moment by someone else (or taken over)
        _check_unique(mobile, email)  # says which of the two is taken now
        raise
    return user


def placeholder_for(mobile: str, full_name: str) -> User:
    """The account with this (normalized) mobile number, or a new placeholder for an imported
    member who has none yet: it cannot log in until its owner registers with the number."""
    user = db.session.scalar(sa.select(User).where(User.mobile == mobile))
    if user is None:
        user = User(full_name=full_name, mobile=mobile, password_hash="!", placeholder=True)
        db.session.add(user)
        db.session.flush()
    return user


def authenticate(identifier: str, password: str) -> User | None:
    """The user whose mobile number or e-mail and password match, else None."""
    user = find(identifier)
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    return user if user.check_password(password or "") else None


def find(identifier: str) -> User | None:
    """The account with this mobile number or e-mail (in any of its written forms), if any."""
    key = _login_key(identifier)
    if not key:
        return None
    column = User.email if "@" in key else User.mobile
    return db.session.scalar(sa.select(User).where(column == key))


def check_contacts(user: User, full_name: str | None, mobile: str | None, email: str | None) -> tuple:
    """New name and contacts for ``user``, every bad field reported at once; cleaned."""
    checks = Checks()
    contacts = _contacts(checks, full_name, mobile, email, exclude_id=user.id)
    checks.done()
    return contacts


def update_profile(user: User, full_name: str, mobile: str, email: str | None, password: str | None = None) -> None:
    """Change name and contacts; the new number and e-mail must still be unique. A new mobile
    number or e-mail (what logs in and what a reset code goes to) needs the current password."""
    full_name, mobile, email = check_contacts(user, full_name, mobile, email)
    if (mobile, email) != (user.mobile, user.email) and not user.check_password(password or ""):
        raise DomainError(_l("The current password is not correct.") if password else
                          _l("Type your current password to change the mobile number or e-mail."),
                          field="current_password")
    user.full_name, user.mobile, user.email = full_name, mobile, email


def set_locale(user: User, locale: str) -> None:
    if locale not in current_app.config["LANGUAGES"]:
        raise DomainError(_l("Choose a language from the list."), field="locale")
    user.locale = locale


def create_admin(full_name: str, mobile: str, password: str, email: str | None = None) -> User:
    """A platform administrator: a new account, or an existing one promoted."""
    key = normalize_mobile(mobile)
    user = db.session.scalar(sa.select(User).where(User.mobile == key))
    if user is None:
        user = register_user(full_name, mobile, password, email)
    user.is_platform_admin = True
    return user
