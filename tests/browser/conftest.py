"""Playwright fixtures: Debian's Chromium driven as a 360 px touch phone.

One Playwright driver and one Chromium process serve the whole session (``browser``);
``mobile`` is a fresh incognito-like phone tab in it, enough for most tests. ``phone``
is a fresh persistent profile (its own user-data dir, hence its own Chromium process,
about half a second to start): only such a profile is installable and behaves like a
phone's browser towards the service worker.

Every test here is marked ``browser`` (``pytest -m "not browser"`` skips them). The
CSRF protection that the request tests switch off is on again here: the browser
sends the real tokens, from the forms and from the htmx header.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from tests.conftest import PASSWORD, require

HERE = Path(__file__).resolve().parent
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
