"""A real RQ worker for the tests: ``flask --app wsgi worker`` in its own process, on the tests'
database and Redis database 13 (emptied before and after), with this process queueing onto it.

Redis is at 127.0.0.1:6379 in CI (with CI=true a missing Redis fails instead of skipping)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from redis import Redis
from redis.exceptions import RedisError

from tests.conftest import require
from tests.fake_push import VAPID
from web.config import ROOT

# Its own Redis database, flushed around each use; CI gives each of its two parallel runs another.
REDIS_URL = os.environ.get("TEST_WORKER_REDIS_URL", "redis://127.0.0.1:6379/13")


def _redis() -> Redis | None:
    connection = Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        connection.ping()
    except RedisError:
        return None
    return connection


def wait_for(condition, timeout: float = 30, what: str = "the worker"):
    """Poll until ``condition()`` is true (bounded: fails after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.05)
    pytest.fail(f"{what} did not finish within {timeout} s")


@pytest.fixture(scope="module", name="worker")
def worker_fixture(app, tmp_path_factory):
    """``flask --app wsgi worker`` in its own process, on the tests' database and Redis db 13."""
    redis = _redis()
    require(redis is not None, "Redis is not running at 127.0.0.1:6379 (the push round trip needs a real worker)")
    redis.flushdb()
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    env = {**os.environ, **VAPID, "KOPZ_ENV": "testing", "REDIS_URL": REDIS_URL,
           "TEST_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           # the instance folder whose static-build the tests' app has already made
           "KOPZ_INSTANCE": str(Path(app.config["STATIC_BUILD_DIR"]).parent), "PYTHONUNBUFFERED": "1"}
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"], cwd=ROOT, env=env,
                                   stdout=out, stderr=subprocess.STDOUT)
    saved = {name: app.config.get(name) for name in (*VAPID, "REDIS_URL")}
    app.config.update(VAPID, REDIS_URL=REDIS_URL)  # this process queues; the worker sends
    try:
        yield process
    finally:
        app.config.update(saved)
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        redis.flushdb()
        if process.returncode not in (0, -15):  # 0: RQ's warm shutdown on SIGTERM
            print(log.read_text())
