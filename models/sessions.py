"""Sign-in sessions kept on the server, so that logging out really ends one.

The browser's (signed) cookie holds a random secret; the table keeps only its sha256, so a
copy of the database opens no session. A session is accepted while its row exists, has not
ended, and is inside both its idle timeout and its absolute lifetime: long for members (a
phone stays signed in), short for anyone who is staff of a koperasi or a platform admin.
Logout ends the row; a password change and an administrator disabling the account end all
of the user's rows. ``last_seen_at`` is written at most once per ``SESSION_TOUCH``, not on
every request. ``authenticated_at`` is when the password (and the second factor's code) was last
typed in the session: at login, and again when staff confirm it before posting money
(web/reauth.py). The user sees their open sessions ("your devices") and may end any of them;
ended and expired rows are deleted by ``cleanup`` (``flask --app wsgi sessions-cleanup``).

Validity is always read from the primary database, never from a replica that lags (a
session ended a moment ago must not pass there)."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from models.accounts import User
from models.base import db, utcnow
from models.errors import DomainError
from models.koperasi import Staff

# Why a session ended (``ended_reason``).
LOGOUT, PASSWORD, DISABLED = "logout", "password", "disabled"
BY_ADMIN = "admin"  # a platform admin logged out every device (a lost phone), the account still open


class UserSession(db.Model):
    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)  # sha256 of the cookie's secret
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    authenticated_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(index=True)
    ended_reason: Mapped[str | None] = mapped_column(sa.String(12))
    # "This device": what the user would recognise, nothing more.
    user_agent: Mapped[str] = mapped_column(sa.String(120), default="")
    created_from: Mapped[str] = mapped_column(sa.String(45), default="")


_BROWSERS = (("SamsungBrowser", "Samsung Internet"), ("OPR/", "Opera"), ("Edg/", "Edge"), ("Firefox", "Firefox"),
             ("Chrome", "Chrome"), ("Safari", "Safari"))
_SYSTEMS = (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Windows", "Windows"),
            ("Mac OS", "Mac"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))


def device_label(user_agent: str | None) -> str:
    """"Chrome · Android": what a person recognises of a browser's user agent (or the text itself); the
    devices list and the audit log's "from where" both show it."""
    if not user_agent:
        return ""
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), "")
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), "")
    return " · ".join(p for p in (browser, system) if p) or re.sub(r"\s+", " ", user_agent)[:40]


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _primary() -> dict:
    """Bind arguments that read from the primary even where the request reads from a replica."""
    return {"bind": db.engine}


def _staff(user_id):
    """SQL: is this user staff of any koperasi?"""
    return sa.exists().where(Staff.user_id == user_id)


def lifetimes(short: bool) -> tuple[timedelta, timedelta]:
    """(idle timeout, absolute lifetime) for staff (``short``) or for members."""
    config = current_app.config
    if short:
        return config["SESSION_IDLE_STAFF"], config["SESSION_LIFETIME_STAFF"]
    return config["SESSION_IDLE_MEMBER"], config["SESSION_LIFETIME_MEMBER"]


def is_short_lived(user: User) -> bool:
    """Staff of any koperasi and platform admins get the short lifetimes."""
    return user.is_platform_admin or bool(db.session.execute(sa.select(_staff(user.id)), bind_arguments=_primary()).scalar())


def start(user: User, user_agent: str = "", address: str = "") -> str:
    """A new session for ``user``: its row, and the secret for the cookie (returned, never stored)."""
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    row = UserSession(token_hash=token_hash(secret), user_id=user.id, created_at=now, last_seen_at=now,
                      authenticated_at=now, user_agent=(user_agent or "")[:120], created_from=(address or "")[:45])
    db.session.add(row)
    db.session.flush()
    user.session_secret, user.session_id, user.authenticated_at = secret, row.id, now
    return secret


def load_user(secret: str) -> User | None:
    """The user of the session whose secret this is, if the session is still open; else None.
    Read from the primary. Updates ``last_seen_at`` when it is older than ``SESSION_TOUCH`` and
    says so in ``user.session_touched`` (the caller commits: web/sessions.py, first thing in a request)."""
    if not isinstance(secret, str) or not secret or len(secret) > 100:
        return None
    row = db.session.execute(
        sa.select(User, UserSession.id, UserSession.created_at, UserSession.last_seen_at,
                  UserSession.authenticated_at, sa.or_(User.is_platform_admin, _staff(UserSession.user_id)).label("short"))
        .select_from(UserSession).join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == token_hash(secret), UserSession.ended_at.is_(None)),
        bind_arguments=_primary()).first()
    if row is None or row.User.disabled_at is not None:
        return None
    user, now = row.User, utcnow()
    idle, lifetime = lifetimes(bool(row.short))
    if now - row.last_seen_at > idle or now - row.created_at > lifetime:
        return None
    if now - row.last_seen_at > current_app.config["SESSION_TOUCH"]:
        db.session.execute(sa.update(UserSession).where(UserSession.id == row.id).values(last_seen_at=now),
                           bind_arguments=_primary())
        user.session_touched = True
    user.session_secret, user.session_id, user.authenticated_at = secret, row.id, row.authenticated_at
    return user


def end(session_id: int | None, reason: str = LOGOUT) -> None:
    """End one session (logout)."""
    if session_id is not None:
        db.session.execute(sa.update(UserSession).where(UserSession.id == session_id, UserSession.ended_at.is_(None))
                           .values(ended_at=utcnow(), ended_reason=reason))


def reauthenticated(user: User) -> str:
    """The password was typed again in this session (before posting money): stamped, and the session
    gets a new secret (returned for the cookie), so a copy of the old cookie opens nothing."""
    now, secret = utcnow(), secrets.token_urlsafe(32)
    db.session.execute(sa.update(UserSession).where(UserSession.id == user.session_id)
                       .values(authenticated_at=now, token_hash=token_hash(secret)))
    user.authenticated_at, user.session_secret = now, secret
    return secret


def _open(user_id: int):
    """SQL: the user's sessions not ended (some may have expired: ``is_open`` says)."""
    return sa.select(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))


def devices(user: User) -> list[UserSession]:
    """The user's open sessions, the most recently seen first ("your devices")."""
    idle, lifetime = lifetimes(is_short_lived(user))
    now = utcnow()
    rows = db.session.scalars(_open(user.id).order_by(UserSession.last_seen_at.desc(), UserSession.id.desc()))
    return [r for r in rows if now - r.last_seen_at <= idle and now - r.created_at <= lifetime]


def end_device(user: User, session_id: int) -> None:
    """Sign out one of the user's own devices; another user's session is not found (404 in the view)."""
    ended = db.session.execute(sa.update(UserSession).where(
        UserSession.id == session_id, UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow(), ended_reason=LOGOUT).execution_options(synchronize_session=False)).rowcount
    if not ended:
        raise DomainError(_l("That device is already signed out."))


def end_others(user: User) -> int:
    """Sign out every device but this one; how many."""
    result = db.session.execute(
        sa.update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None),
                                     UserSession.id != user.session_id)
        .values(ended_at=utcnow(), ended_reason=LOGOUT).execution_options(synchronize_session=False))
    return result.rowcount or 0


def cleanup(keep: timedelta = timedelta(days=30)) -> int:
    """Delete the rows of sessions that ended, or expired (past the longest idle timeout or
    lifetime), more than ``keep`` ago; how many. Nothing they held opens anything any more."""
    config, now = current_app.config, utcnow()
    idle = max(config["SESSION_IDLE_MEMBER"], config["SESSION_IDLE_STAFF"])
    lifetime = max(config["SESSION_LIFETIME_MEMBER"], config["SESSION_LIFETIME_STAFF"])
    result = db.session.execute(sa.delete(UserSession).where(sa.or_(
        UserSession.ended_at < now - keep, UserSession.last_seen_at < now - idle - keep,
        UserSession.created_at < now - lifetime - keep)).execution_options(synchronize_session=False))
    return result.rowcount or 0


def end_all(user_id: int, reason: str) -> int:
    """End every open session of a user (password changed, account disabled); how many ended."""
    result = db.session.execute(
        sa.update(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow(), ended_reason=reason).execution_options(synchronize_session=False))
    return result.rowcount or 0


def change_password(user: User, current: str, new: str) -> None:
    """Needs the current password; ends every session of the account (the device that changed
    it starts a fresh one: web/sessions.py)."""
    if not user.check_password(current or ""):
        raise DomainError(_l("The current password is not correct."), field="current_password")
    new_password(user, new, field="new_password")


def new_password(user: User, new: str | None, field: str = "new_password") -> None:
    """Set a new password (its rules checked) and end every session of the account: the one path of a
    change, a reset by e-mail code and the password chosen after a reset by the koperasi's staff."""
    user.set_password(new or "", field=field)
    user.must_change_password = False
    end_all(user.id, PASSWORD)


def disable(user: User) -> None:
    """A platform admin shuts an account: it cannot log in, and every session of it ends now."""
    if user.is_platform_admin:
        raise DomainError(_l("A platform administrator's account cannot be disabled here."))
    if user.disabled_at is None:
        user.disabled_at = utcnow()
    end_all(user.id, DISABLED)


def enable(user: User) -> None:
    user.disabled_at = None
