"""Logging in and out on top of the server-side sessions (models/sessions.py).

- ``log_in``: a fresh cookie session (nothing of the one before login kept, so no new CSRF
  token is the old one), a new session row, and Flask-Login's "user id" set to its secret.
  A member's cookie is permanent for the absolute lifetime (a phone's app stays signed in);
  staff's ends with the browser.
- ``log_out``: the row ends on the server, so a copy of the cookie opens nothing anywhere.
- A request that brings a session cookie loads its user first thing (``_load``), so the
  once-in-a-while ``last_seen_at`` write commits before the view has written anything.
- The one-year "remember me" cookie of before is no longer made, and one still in a
  browser is deleted (it no longer opens anything: its value is no session's secret).
"""

from __future__ import annotations

from flask import Flask, current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user, login_user, logout_user
from itsdangerous import URLSafeTimedSerializer

from models import sessions, signing
from models.accounts import User
from web.extensions import db, login_manager

LEGACY_REMEMBER_COOKIE = "remember_token"  # Flask-Login's default name, set until sessions were kept


class CookieSession(SecureCookieSessionInterface):
    """Flask's signed cookie session, signed with SHA-256 (``models.signing``); a cookie signed with
    SHA-1 before still reads, so nobody is logged out by the change."""

    def get_signing_serializer(self, app: Flask):
        if not app.secret_key:
            return None
        return URLSafeTimedSerializer(app.secret_key, salt=self.salt, serializer=self.serializer,
                                      signer_kwargs={"key_derivation": self.key_derivation, **signing.SIGNER},
                                      fallback_signers=[{"key_derivation": self.key_derivation, **old}
                                                        for old in signing.OLD_SIGNERS])


def init_app(app: Flask) -> None:
    app.session_interface = CookieSession()
    login_manager.user_loader(load_user)
    app.before_request(_load)
    app.after_request(_drop_legacy_remember_cookie)
    app.jinja_env.filters["device_label"] = sessions.device_label


def load_user(secret: str) -> User | None:
    """Flask-Login's loader: the user of the open session (models/sessions.py), its
    once-in-a-while ``last_seen_at`` committed at once (nothing else is written yet)."""
    user = sessions.load_user(secret)
    if user is None:  # ended or expired: the cookie forgets it, so later requests do not ask again
        for key in ("_user_id", "_fresh", "_id"):
            session.pop(key, None)
    elif user.session_touched:
        user_id, session_id, authenticated_at = user.id, user.session_id, user.authenticated_at
        db.session.commit()
        user = db.session.get(User, user_id, populate_existing=True, bind_arguments={"bind": db.engine})
        user.session_secret, user.session_id, user.session_touched = secret, session_id, False
        user.authenticated_at = authenticated_at
    return user


def _load() -> None:
    if request.cookies.get(current_app.config["SESSION_COOKIE_NAME"]):
        current_user._get_current_object()


def _drop_legacy_remember_cookie(response):
    if LEGACY_REMEMBER_COOKIE in request.cookies:
        response.delete_cookie(LEGACY_REMEMBER_COOKIE, httponly=True, samesite="Lax", secure=request.is_secure)
    return response


def _fresh_cookie_session() -> None:
    """Forget everything the cookie session held, the CSRF token included (a new one is made)."""
    session.clear()
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)


def log_in(user: User) -> bool:
    """Start a session for ``user`` on this browser and commit it; False for a disabled account."""
    if not user.is_active:
        return False
    _fresh_cookie_session()
    sessions.start(user, request.user_agent.string, request.remote_addr or "")
    short = sessions.is_short_lived(user)
    db.session.commit()
    login_user(user)
    session.permanent = not short
    return True


def log_out() -> None:
    """End this browser's session on the server and forget it here."""
    if current_user.is_authenticated:
        sessions.end(current_user.session_id, sessions.LOGOUT)
        db.session.commit()
    logout_user()
    _fresh_cookie_session()
