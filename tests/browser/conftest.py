"""Playwright fixtures: Debian's Chromium driven as a 360 px touch phone.

One Playwright driver and one Chromium process serve the whole session (``browser``);
``mobile`` is a fresh incognito-like phone tab in it, enough for most tests. ``phone``
is a fresh persistent profile (its own user-data dir, hence its own Chromium process,
about half a second to start): only such a profile is installable and behaves like a
phone's browser towards the service worker. ``actor(user=None, js=True)`` gives one
more phone per person in a journey (member, office, seller), JavaScript on or off,
watched by the layout guard (guard.py) and logged in without the form when the
journey is not about logging in.

A failing test leaves a full-page screenshot of every page it had open in
test-artifacts/screenshots/ (git-ignored); the report and the run's summary print
the paths, and .ci/run lists them at the end.

Every test here is marked ``browser`` (``pytest -m "not browser"`` skips them). The
CSRF protection that the request tests switch off is on again here: the browser
sends the real tokens, from the forms and from the htmx header.
"""

from __future__ import annotations

import os
import re
import struct
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, Route, expect, sync_playwright

from tests.browser.guard import watch
from tests.conftest import PASSWORD, require
from web.extensions import db as _db

HERE = Path(__file__).resolve().parent
SCREENSHOTS = HERE.parents[1] / "test-artifacts" / "screenshots"  # git-ignored; .ci/run lists them
PAGES = pytest.StashKey[list]()  # every page a test opened, for the screenshots of a failure
SAVED = pytest.StashKey[list]()  # the screenshots saved in this session
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WIDTH, HEIGHT = 360, 740
TIMEOUT_MS = 10_000  # generous for a loaded CI machine; waits end as soon as the page is ready

expect.set_options(timeout=TIMEOUT_MS)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing browser test leaves a screenshot of each page it had open, and says where."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    pages = [value for value in item.funcargs.values() if isinstance(value, Page)]
    pages += [page for page in item.stash.get(PAGES, []) if page not in pages]
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid.split("/")[-1]).strip("_")
    saved = []
    for old in SCREENSHOTS.glob(f"{name}*.png"):  # an earlier run's pictures of this test would mislead
        old.unlink()
    for number, page in enumerate(pages, start=1):
        if page.is_closed():
            continue
        path = SCREENSHOTS / (f"{name}.png" if len(pages) == 1 else f"{name}-{number}.png")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(path), full_page=True, timeout=5_000)
        except Exception as error:  # the test's own failure is what matters; say why there is no picture
            report.sections.append(("screenshot", f"no screenshot of {page.url}: {error}"))
            continue
        saved.append(f"{path}  ({page.url})")
    if saved:
        report.sections.append(("screenshots", "\n".join(saved)))
        item.config.stash.setdefault(SAVED, []).extend(saved)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    saved = config.stash.get(SAVED, [])
    if saved:
        terminalreporter.section("screenshots of failed browser tests")
        for line in saved:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    require(os.path.exists(CHROMIUM), f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def device(playwright) -> dict:
    """A cheap Android phone held by an Indonesian user: 360×740, touch, mobile UA."""
    phone = dict(playwright.devices["Pixel 5"])
    phone.pop("default_browser_type", None)
    phone.update(
        viewport={"width": WIDTH, "height": HEIGHT},
        screen={"width": WIDTH, "height": HEIGHT},
        device_scale_factor=2,
        locale="id-ID",
        timezone_id="Asia/Jakarta",
    )
    return phone


@pytest.fixture(scope="session")
def browser(playwright) -> Iterator[Browser]:
    """The session's one Chromium process."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
    yield browser
    browser.close()


@pytest.fixture(autouse=True)
def _csrf_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


@pytest.fixture
def mobile(browser, device, live_server) -> Iterator[Page]:
    """A phone tab in a fresh incognito-like context of the shared browser."""
    context = browser.new_context(base_url=live_server, **device)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def phone(playwright, device, live_server, tmp_path) -> Iterator[Page]:
    """A phone with a fresh persistent profile; ``phone.context`` is that profile."""
    # The flag, not just the context option: the worker's own update check (GET /sw.js)
    # must carry the same phone user agent as the pages.
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True,
        args=[*ARGS, f"--user-agent={device['user_agent']}"], base_url=live_server, **device,
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.pages[0] if context.pages else context.new_page()
    yield page
    context.close()


# Anything not served by the app (today: the map's tile server) answers as the real
# service would, with a blank tile: the suite runs offline, a user's phone does not.
OUTSIDE = re.compile(r"^https?://(?!127\.0\.0\.1[:/]|localhost[:/])")


def png(width: int, height: int, rgba: tuple[int, int, int, int] = (0, 0, 0, 0)) -> bytes:
    """A plain PNG of one colour, made here (no image library needed)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + bytes(rgba) * width
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b""))


BLANK_PNG = png(1, 1)


def _outside(route: Route) -> None:
    if route.request.resource_type == "image":
        route.fulfill(status=200, content_type="image/png", body=BLANK_PNG)
    else:
        route.abort()


def session_cookie(app, user, base_url: str) -> dict:
    """The cookie a log-in through the form would leave, for journeys that are not about logging in:
    a real session on the server (models/sessions.py), its secret in the signed cookie."""
    from models import sessions

    secret = sessions.start(user, "browser test")
    _db.session.commit()
    value = app.session_interface.get_signing_serializer(app).dumps({"_user_id": secret, "_fresh": True})
    return {"name": app.config["SESSION_COOKIE_NAME"], "value": value, "url": base_url, "httpOnly": True,
            "sameSite": "Lax"}


@pytest.fixture
def actor(browser, device, live_server, app, request) -> Iterator[Callable[..., Page]]:
    """``actor(user=None, js=True)``: a phone of its own (a fresh context of the shared
    browser), watched by the layout guard from its first page, logged in as ``user``
    when given. Journeys need several people at once: a member, the office, a seller."""
    contexts = []

    def make(user=None, js: bool = True) -> Page:
        context = browser.new_context(base_url=live_server, java_script_enabled=js, **device)
        contexts.append(context)
        context.set_default_timeout(TIMEOUT_MS)
        context.route(OUTSIDE, _outside)
        if user is not None:
            context.add_cookies([session_cookie(app, user, live_server)])
        page = context.new_page()
        watch(page)
        request.node.stash.setdefault(PAGES, []).append(page)
        return page

    yield make
    for context in contexts:
        context.close()


def log_in(page: Page, login: str, password: str = PASSWORD) -> None:
    """Log in through the real form, as a person would."""
    page.goto("/login")
    page.fill('input[name="login"]', login)
    page.fill('input[name="password"]', password)
    page.get_by_role("button", name="Masuk", exact=True).tap()
    page.wait_for_url(lambda url: "/login" not in url)


def worker_ready(page: Page) -> None:
    """Wait until the service worker is active, then reload so it controls the page."""
    assert page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.wait_for_function("navigator.serviceWorker.controller !== null")
