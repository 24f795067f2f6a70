"""The failed-login throttle on its production store (Redis) as well as in memory."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import require
from web import create_app
from web.ratelimit import login_throttle


def _redis_up() -> bool:
    try:
        import redis

        return redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_timeout=1).ping()
    except Exception:
        return False


@pytest.mark.parametrize("store", ["memory://", "redis://127.0.0.1:6379/0"])
def test_throttle_blocks_after_the_limit_and_clears_on_success(tmp_path, store):
    if store.startswith("redis"):
        require(_redis_up(), "Redis is not running on 127.0.0.1:6379")
    app = create_app({"STATIC_BUILD_DIR": str(tmp_path), "RATELIMIT_STORAGE_URI": store,
                      "LOGIN_FAILURE_LIMIT": "3 per 15 minutes"}, env="testing")
    # Unique login and addresses, so runs never collide in Redis (it keeps counts 15 minutes).
    run = uuid.uuid4().hex
    login, here, there = f"+62812{uuid.uuid4().int % 10**8:08d}", f"{run}-a", f"{run}-b"
    with app.app_context():
        for _ in range(3):
            assert not login_throttle.blocked(login, here)
            login_throttle.failed(login, here)
        assert login_throttle.blocked(login, there)  # the account, from anywhere
        login_throttle.succeeded(login)
        assert not login_throttle.blocked(login, here)


def test_many_logins_from_one_address_are_throttled(tmp_path):
    app = create_app({"STATIC_BUILD_DIR": str(tmp_path), "LOGIN_FAILURE_IP_LIMIT": "4 per 15 minutes"},
                     env="testing")
    with app.app_context():
        for n in range(4):
            login_throttle.failed(f"+6281200000{n:03d}", "10.9.9.9")
        assert login_throttle.blocked("+6281299999999", "10.9.9.9")
        assert not login_throttle.blocked("+6281299999999", "10.9.9.8")
