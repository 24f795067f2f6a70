"""Throttle for failed logins, shared by every app process through Redis.

Without ``REDIS_URL`` (the embedded single-process default) the counts live in memory.
"""

from __future__ import annotations

from flask import Flask, current_app
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter


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

    def blocked(self, login: str, address: str) -> bool:
        """True while this login or this address has used up its failed attempts."""
        per_login, per_address = self._limits()
        return not (
            self._limiter.test(per_login, "login", login)
            and self._limiter.test(per_address, "login-ip", address)
        )

    def failed(self, login: str, address: str) -> None:
        per_login, per_address = self._limits()
        self._limiter.hit(per_login, "login", login)
        self._limiter.hit(per_address, "login-ip", address)

    def succeeded(self, login: str) -> None:
        per_login, _ = self._limits()
        self._limiter.clear(per_login, "login", login)


login_throttle = LoginThrottle()
