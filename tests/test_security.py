"""Security basics: CSRF everywhere, headers, no inline script."""

from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD

UNSAFE = [
    ("/login", {"login": "081200000001", "password": PASSWORD}),
    ("/register", {"full_name": "A B", "mobile": "081299990000", "password": "sandi-aman-1"}),
    ("/logout", {}),
    ("/language", {"lang": "en"}),
    ("/account", {"full_name": "A B", "mobile": "081299990000"}),
    ("/account/password", {"current_password": PASSWORD, "new_password": "x" * 10}),
]


@pytest.fixture
def csrf_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


@pytest.mark.parametrize("url,data", UNSAFE)
def test_every_unsafe_request_needs_the_csrf_token(csrf_on, client, url, data):
    response = client.post(url, data=data)
    assert response.status_code == 400
    assert "Sesi berakhir" in response.text and "Muat ulang halaman" in response.text


def test_token_in_header_is_accepted_for_htmx(csrf_on, client):
    html = client.get("/register").text
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)
    response = client.post("/language", data={"lang": "en"}, headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert response.status_code == 303


def test_form_token_is_accepted(csrf_on, client):
    html = client.get("/register").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post("/register", data={"csrf_token": token, "full_name": "Rina", "mobile": "081299990001",
                                              "password": "sandi-aman-1"})
    assert response.status_code == 303


def test_security_headers(client):
    h = client.get("/").headers
    csp = h["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("url", ["/", "/login", "/register", "/offline", "/account"])
def test_no_inline_script_or_handlers(user_client, url):
    html = user_client.get(url).text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"
    assert not re.search(r"\sstyle=", html), "inline style (blocked by the CSP)"


def test_session_cookie_is_httponly_and_lax(client, user):
    response = client.post("/login", data={"login": user.mobile, "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
