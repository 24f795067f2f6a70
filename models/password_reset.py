"""Password reset: a one-time code sent by e-mail, or a temporary password a koperasi's staff gives a
member they checked in person.

Rules kept here:
- A code is 8 digits, good for 15 minutes, once, and for at most 5 tries; only its keyed hash is
  stored (HMAC with the app's secret key: 10^8 codes are too few for a bare hash). Asking again
  voids the codes asked before.
- Whoever asks learns nothing of whether the account exists (``request_code`` returns None then,
  and the view answers the same).
- A successful reset sets the password through ``sessions.new_password``, as a change does: every
  session of the account ends.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import generate_password_hash

from models import accounts, sessions
from models.accounts import User
from models.base import db, utcnow
from models.errors import DomainError
from models.koperasi import Staff, record

CODE_DIGITS = 8
CODE_LIFETIME = timedelta(minutes=15)
CODE_TRIES = 5


class PasswordReset(db.Model):
    """One code sent by e-mail; ``used_at`` is set when it reset the password or was voided."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    tries: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[datetime | None] = mapped_column()


class WrongCode(DomainError):
    """The code did not match (a try was used up: the caller commits it)."""


def _hash(user_id: int, code: str) -> str:
    key = current_app.secret_key.encode() if isinstance(current_app.secret_key, str) else current_app.secret_key
    return hmac.new(key, f"password-reset:{user_id}:{code}".encode(), hashlib.sha256).hexdigest()


def find_account(identifier: str | None) -> User | None:
    """The real (not placeholder) account of a mobile number or e-mail, or None."""
    user = accounts.find(identifier or "")
    return None if user is None or user.placeholder else user


def request_code(identifier: str | None) -> tuple[User, str] | None:
    """A new code for the account of ``identifier`` when it has an e-mail address to send it to:
    (user, code), the code in the clear for the e-mail only. None otherwise (told to nobody)."""
    user = find_account(identifier)
    if user is None or not user.email:
        return None
    now = utcnow()
    db.session.execute(sa.update(PasswordReset).where(PasswordReset.user_id == user.id,
                                                      PasswordReset.used_at.is_(None)).values(used_at=now))
    code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    db.session.add(PasswordReset(user_id=user.id, code_hash=_hash(user.id, code), created_at=now,
                                 expires_at=now + CODE_LIFETIME))
    db.session.flush()
    return user, code


WRONG = _l("This code is not right, has expired or was already used. Check the e-mail, or ask for a new code.")


def reset_with_code(identifier: str | None, code: str | None, new: str | None) -> User:
    """Set a new password with the code from the e-mail. A wrong code uses up one of the code's tries
    (``WrongCode``: commit it); a right one with a password that breaks a rule keeps the code."""
    user = find_account(identifier)
    code = "".join((code or "").split())
    reset = None
    if user is not None:
        reset = db.session.scalar(
            sa.select(PasswordReset).where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None),
                                           PasswordReset.expires_at > utcnow(), PasswordReset.tries < CODE_TRIES)
            .order_by(PasswordReset.id.desc()).limit(1).with_for_update())
    if reset is None:
        raise WrongCode(WRONG, field="code")
    if not hmac.compare_digest(reset.code_hash, _hash(user.id, code)):
        reset.tries += 1
        raise WrongCode(WRONG, field="code")
    sessions.new_password(user, new, field="password")
    reset.used_at = utcnow()
    return user


# ---------------------------------------------------------------- by the koperasi's staff, in person

TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud and typed on a phone


def staff_reset(membership, by: User) -> str:
    """A temporary password for a member the staff checked in person (their KTP): shown to the staff
    this once, never stored in the clear; every session of the account ends, pending e-mail codes are
    voided, and the next login must choose a new password. Recorded in the koperasi's history (who,
    when, which member). Staff and platform administrators are refused: a board member must not take
    over another office's (or the platform's) account this way."""
    user = membership.user
    if user is None or user.placeholder:
        raise DomainError(_l("This member has no Kopz account yet: they create one with their mobile number."))
    if user.id == by.id:
        raise DomainError(_l("Change your own password on your account page."))
    if user.is_platform_admin or db.session.scalar(sa.select(Staff.id).where(Staff.user_id == user.id).limit(1)):
        raise DomainError(_l("This member is staff of a koperasi: their password can only be reset by e-mail."))
    temporary = "-".join("".join(secrets.choice(TEMPORARY_ALPHABET) for _ in range(4)) for _ in range(3))
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    user.password_hash = generate_password_hash(temporary, method=method)
    user.must_change_password = True
    sessions.end_all(user.id, sessions.PASSWORD)
    db.session.execute(sa.update(PasswordReset).where(PasswordReset.user_id == user.id,
                                                      PasswordReset.used_at.is_(None)).values(used_at=utcnow()))
    record(membership.koperasi, by, "password_reset",
           {"member": membership.member_number or "", "name": membership.full_name, "user_id": user.id})
    db.session.flush()
    return temporary


def choose_after_staff_reset(user: User, new: str | None) -> None:
    """The member's own password in place of the staff's temporary one (the same path as a change)."""
    if not user.must_change_password:
        raise DomainError(_l("Change your password on your account page."), field="password")
    if user.check_password(new or ""):
        raise DomainError(_l("Choose a password of your own, not the temporary one."), field="password")
    sessions.new_password(user, new, field="password")
    user.must_change_password = False
