"""Throttle for failed logins, shared by every app process through Redis.

Without ``REDIS_URL`` (the embedded single-process default) the counts live in memory.

Two counts, with different jobs:
- per account (``LOGIN_FAILURE_LIMIT``): once used up, the account takes no password
  from a device it has never logged in on, so guessing stops; a phone that logged in to
  that account before ("known device", a signed cookie) still gets in with the right
  password, so failures by someone else cannot lock a teller out;
- per client address (``LOGIN_FAILURE_IP_LIMIT``): once used up, wrong passwords from
  that address are answered "too many attempts" (429) to slow a sweep across accounts,
  but a correct password is never refused because of other people's failures (one
  carrier NAT or office proxy is thousands of users).
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request
from itsdangerous import BadSignature
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from models import signing
from web.security import cookie

DEVICE_COOKIE = "kopz_device"
DEVICE_ACCOUNTS = 5  # accounts one phone remembers (a family sharing a phone)


class LoginThrottle:
    def init_app(self, app: Flask) -> None:
        storage = storage_from_string(app.config["RATELIMIT_STORAGE_URI"])
        app.extensions["kopz_login_throttle"] = MovingWindowRateLimiter(storage)

    @staticmethod
    def _limits():
        cfg = current_app.config
        return parse(cfg["LOGIN_FAILURE_LIMIT"]), parse(cfg["LOGIN_FAILURE_IP_LIMIT"])

    @property
    def _limiter(self) -> MovingWindowRateLimiter:
        return current_app.extensions["kopz_login_throttle"]

    def account_locked(self, login: str) -> bool:
        """True while this account has used up its failed attempts (from anywhere)."""
        return not self._limiter.test(self._limits()[0], "login", login)

    def address_slowed(self, address: str) -> bool:
        """True while this client address has used up its failed attempts."""
        return not self._limiter.test(self._limits()[1], "login-ip", address)

    def blocked(self, login: str, address: str) -> bool:
        return self.account_locked(login) or self.address_slowed(address)

    def failed(self, login: str, address: str) -> None:
        per_login, per_address = self._limits()
        self._limiter.hit(per_login, "login", login)
        self._limiter.hit(per_address, "login-ip", address)

    def succeeded(self, login: str) -> None:
        per_login, _ = self._limits()
        self._limiter.clear(per_login, "login", login)


login_throttle = LoginThrottle()


def _device_serializer():
    return signing.serializer(current_app.secret_key, "kopz-known-device")


def _device_accounts() -> list[int]:
    try:
        value = _device_serializer().loads(request.cookies.get(cookie(DEVICE_COOKIE), ""))
    except BadSignature:
        return []
    return [n for n in value if isinstance(n, int)] if isinstance(value, list) else []


def known_device(user_id: int) -> bool:
    """This browser logged in to this account before (a cookie only we can sign)."""
    return user_id in _device_accounts()


def remember_device(response: Response, user_id: int) -> None:
    accounts = [user_id, *(n for n in _device_accounts() if n != user_id)][:DEVICE_ACCOUNTS]
    response.set_cookie(cookie(DEVICE_COOKIE), _device_serializer().dumps(accounts), max_age=400 * 24 * 3600,
                        httponly=True, samesite="Lax", secure=request.is_secure)


def spend(limit_key: str, kind: str, *identifiers: str) -> bool:
    """Use one of the allowance ``current_app.config[limit_key]`` for ``kind`` and ``identifiers``
    (registrations or reset requests from an address, reset codes for an account): False once
    it is used up, and then nothing is spent."""
    limiter: MovingWindowRateLimiter = current_app.extensions["kopz_login_throttle"]
    return limiter.hit(parse(current_app.config[limit_key]), kind, *identifiers)


def exhausted(limit_key: str, kind: str, *identifiers: str) -> bool:
    """Is the allowance ``current_app.config[limit_key]`` for ``kind`` and ``identifiers`` used up
    (wrong passwords before posting money, wrong second-factor codes)? Spends nothing."""
    limiter: MovingWindowRateLimiter = current_app.extensions["kopz_login_throttle"]
    return not limiter.test(parse(current_app.config[limit_key]), kind, *identifiers)
