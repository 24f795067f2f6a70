"""What the perf runners share: a cache outside the repository, gunicorn servers on free
loopback ports, a Kopz instance with demo data, and logging in over HTTP.

Not collected by pytest (no ``test_`` names); used by ``python -m tests.perf.oscar`` and
``python -m tests.perf.lighthouse``.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("KOPZ_PERF_CACHE", Path.home() / ".cache" / "kopz-perf"))
RESULTS = REPO / "instance" / "perf"
CHROMIUM = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
# Debian's Chromium, as tests/browser launches it (../shared/BROWSER-TESTING.md): no sandbox in a
# container, and no background networking (it would keep trying to reach the internet).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
DEMO_PASSWORD = "kopz-demo-2026"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, seconds: float = 60, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server for {url} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status < 500:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


@contextmanager
def gunicorn(python: str | Path, app: str, cwd: Path, env: dict, ready_path: str = "/",
             log: Path | None = None) -> Iterator[str]:
    """One gunicorn worker (sync) serving ``app`` on a free port; yields its base URL."""
    with gunicorn_process(python, app, cwd, env, ready_path, log) as (base, _process):
        yield base


@contextmanager
def gunicorn_process(python: str | Path, app: str, cwd: Path, env: dict, ready_path: str = "/",
                     log: Path | None = None, options: tuple[str, ...] = ("--workers", "1")
                     ) -> Iterator[tuple[str, subprocess.Popen]]:
    """gunicorn (``options``: one sync worker by default) serving ``app`` on a free port; yields its
    base URL and the master process (tests/test_faults.py kills its workers)."""
    port = free_port()
    if log:
        log.parent.mkdir(parents=True, exist_ok=True)
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    process = subprocess.Popen([str(python), "-m", "gunicorn", *options, "--bind", f"127.0.0.1:{port}",
                                "--access-logfile", "-", "--error-logfile", "-", app],
                               cwd=cwd, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + ready_path, process=process)
        yield base, process
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        if log:
            out.close()


def kopz_env(instance: Path) -> dict:
    """A Kopz served like production from ``instance`` (its own SQLite database), but over plain
    http on loopback: the development profile only differs in not demanding https cookies and
    a secret key from the environment. No map tiles (production's default): no internet here."""
    return {"KOPZ_ENV": "development", "KOPZ_INSTANCE": str(instance), "KOPZ_MAP_TILES_URL": "",
            "DATABASE_URL": f"sqlite:///{instance / 'kopz.sqlite'}", "PYTHONPATH": str(REPO)}


def flask(instance: Path, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=REPO, check=True,
                          env={**os.environ, **kopz_env(instance)}, capture_output=True, text=True)
    return done.stdout


def demo_instance() -> Path:
    """A Kopz instance with the demo data, built once (about a minute) in the cache."""
    instance = CACHE / "kopz-demo"
    if not (instance / "kopz.sqlite").exists() or not (instance / ".demo-loaded").exists():
        instance.mkdir(parents=True, exist_ok=True)
        print(f"Loading the demo data into {instance} …", flush=True)
        flask(instance, "db", "upgrade")
        flask(instance, "demo-data")
        (instance / ".demo-loaded").write_text("ok\n")
    else:
        flask(instance, "db", "upgrade")  # a database made by older code: brought up to this code's schema
    return instance


def login(base: str, who: str, password: str = DEMO_PASSWORD) -> str:
    """Log in through the real form; returns the Cookie header the browser would send."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(base + "/login") as response:
        page = response.read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page)
    data = urllib.parse.urlencode({"csrf_token": token.group(1), "login": who, "password": password}).encode()
    request = urllib.request.Request(base + "/login", data=data, headers={"Referer": base + "/login"})
    with opener.open(request) as response:
        response.read()
    cookies = {cookie.name: cookie.value for cookie in jar}
    if "session" not in cookies:
        raise RuntimeError(f"logging in as {who} failed")
    return "; ".join(f"{name}={value}" for name, value in cookies.items())
