"""A second factor for staff: TOTP codes from a phone authenticator app (RFC 6238, pyotp), and
ten single-use recovery codes.

Rules kept here:
- The secret is kept encrypted (Fernet, a key derived from ``TOTP_KEY`` or the app's secret key)
  and shown only while setting up: once a code confirmed it, nothing shows it again.
- A factor is on only after a code from the app confirmed it (``confirmed_at``).
- A code is accepted within one 30-second step either side of now, and never twice: the step it
  matched is stored, and one conditional UPDATE takes only a later step (two requests racing
  with the same code: one wins).
- Recovery codes are shown once when made, kept only salted and hashed, each works once.
- Turning the factor on or off needs the password and a code.
- A koperasi may require it of its staff (``Koperasi.staff_second_factor``): ``web.reauth``
  sends staff without it to set it up before any office page.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from datetime import datetime

import pyotp
import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from models.accounts import User
from models.base import db, utcnow
from models.errors import DomainError

ISSUER = "Kopz"
RECOVERY_CODES = 10
WRONG_CODE = _l("This code is not right, or it was already used. Type the newest code from the app.")


class SecondFactor(db.Model):
    __tablename__ = "second_factor"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    secret_encrypted: Mapped[str] = mapped_column(sa.String(200))
    last_step: Mapped[int] = mapped_column(sa.BigInteger, default=0)  # the time step of the last code taken
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]  # None: being set up, not on yet


class RecoveryCode(db.Model):
    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(256))  # salted, as passwords are
    used_at: Mapped[datetime | None]


def _box() -> Fernet:
    key = current_app.config.get("TOTP_KEY") or current_app.secret_key
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"kopz-totp:" + str(key).encode()).digest()))


def _totp(factor: SecondFactor) -> pyotp.TOTP:
    try:
        return pyotp.TOTP(_box().decrypt(factor.secret_encrypted.encode()).decode())
    except InvalidToken as error:  # the key changed: the factor has to be set up again
        raise DomainError(WRONG_CODE, field="code") from error


def factor_of(user: User) -> SecondFactor | None:
    return db.session.get(SecondFactor, user.id)


def is_on(user: User) -> bool:
    return bool(db.session.scalar(sa.select(sa.exists().where(SecondFactor.user_id == user.id,
                                                              SecondFactor.confirmed_at.is_not(None)))))


def begin(user: User) -> SecondFactor:
    """The factor being set up (a new secret, or the one shown before while not yet confirmed)."""
    factor = factor_of(user)
    if factor is not None and factor.confirmed_at is not None:
        raise DomainError(_l("The second factor is already on."))
    if factor is None:
        factor = SecondFactor(user_id=user.id, last_step=0,
                              secret_encrypted=_box().encrypt(pyotp.random_base32().encode()).decode())
        db.session.add(factor)
        db.session.flush()
    return factor


def setup_secret(factor: SecondFactor) -> str:
    """The secret, to type into the app by hand: only while setting up."""
    if factor.confirmed_at is not None:
        raise DomainError(_l("The second factor is already on."))
    return _totp(factor).secret


def setup_uri(factor: SecondFactor, user: User) -> str:
    """The otpauth:// address the app reads from the QR code."""
    return pyotp.TOTP(setup_secret(factor)).provisioning_uri(name=user.mobile_display, issuer_name=ISSUER)


def _digits(code: str | None) -> str:
    return re.sub(r"\s+", "", code or "")


def _take(factor: SecondFactor, code: str | None) -> bool:
    """Accept a TOTP code once: the step it matches must be later than the last one taken."""
    code = _digits(code)
    if not re.fullmatch(r"\d{6}", code):
        return False
    try:
        totp = _totp(factor)
    except DomainError:
        return False
    now = totp.timecode(datetime.now())
    for step in (now, now - 1, now + 1):
        if step > factor.last_step and hmac.compare_digest(totp.generate_otp(step), code):
            taken = db.session.execute(
                sa.update(SecondFactor).where(SecondFactor.user_id == factor.user_id, SecondFactor.last_step < step)
                .values(last_step=step).execution_options(synchronize_session=False)).rowcount
            if taken:
                factor.last_step = step
            return bool(taken)
    return False


def confirm(user: User, password: str | None, code: str | None) -> list[str]:
    """Turn the factor on with the password and a first code from the app; the ten recovery codes
    (shown once)."""
    factor = factor_of(user)
    if factor is None or factor.confirmed_at is not None:
        raise DomainError(_l("Start the set-up again."))
    _check_password(user, password)
    if not _take(factor, code):
        raise DomainError(WRONG_CODE, field="code")
    factor.confirmed_at = utcnow()
    return new_recovery_codes(user)


def new_recovery_codes(user: User) -> list[str]:
    """Ten new recovery codes (the old ones stop working): returned to show once, kept hashed."""
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    codes = [_recovery_code() for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=generate_password_hash(_plain(c), method=method))
                       for c in codes)
    return codes


def _recovery_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(7)).decode().lower()[:10]  # 50 bits
    return f"{raw[:5]}-{raw[5:]}"


def _plain(code: str | None) -> str:
    return re.sub(r"[\s-]+", "", code or "").lower()


def _use_recovery(user: User, code: str | None) -> bool:
    plain = _plain(code)
    if len(plain) != 10:
        return False
    for row in db.session.scalars(sa.select(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                                                RecoveryCode.used_at.is_(None))):
        if check_password_hash(row.code_hash, plain):
            used = db.session.execute(sa.update(RecoveryCode).where(RecoveryCode.id == row.id,
                                                                    RecoveryCode.used_at.is_(None))
                                      .values(used_at=utcnow()).execution_options(synchronize_session=False))
            return bool(used.rowcount)
    return False


def verify(user: User, code: str | None) -> bool:
    """The second step of a login (or of turning the factor off): a code from the app, or one of
    the recovery codes (used up by it). True when it was right."""
    factor = factor_of(user)
    if factor is None or factor.confirmed_at is None:
        return False
    return _take(factor, code) or _use_recovery(user, code)


def recovery_left(user: User) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode)
                             .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0


def _check_password(user: User, password: str | None) -> None:
    if not user.check_password(password or ""):
        raise DomainError(_l("The current password is not correct."), field="current_password")


def turn_off(user: User, password: str | None, code: str | None) -> None:
    """Needs the password and a code (from the app or a recovery code)."""
    _check_password(user, password)
    if not verify(user, code):
        raise DomainError(WRONG_CODE, field="code")
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(sa.delete(SecondFactor).where(SecondFactor.user_id == user.id))
