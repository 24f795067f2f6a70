"""Browser and transport: what a browser is told about every answer, pages and static files alike.

- HSTS over https (production behind TLS, or its proxy): pages and the static files WhiteNoise serves.
- The pages' security headers (CSP, nosniff, frame and referrer rules, Permissions-Policy) on static
  files and public media too (nginx's copies of them: tests/test_nginx.py).
- Permissions-Policy: location and camera (the check-in's QR scan) for our own pages only, nothing else.
- Production's session cookie (it carries the CSRF token) is ``__Host-`` prefixed: Secure, Path=/, no Domain.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD, IsolatedClient
from web import config, create_app
from web.media import public_store
from web.security import every_answer

HTTPS = "https://kopz.example"


@pytest.fixture(scope="module")
def production(app, tmp_path_factory):
    """The app as production configures it (KOPZ_ENV=production), on the tests' database."""
    tmp = tmp_path_factory.mktemp("production")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SECRET_KEY", "transport-test-secret-key-0123456789")
        for name, value in config.development_data_keys().items():  # production refuses to start without them
            env.setenv(name, value)
        made = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                           "STATIC_BUILD_DIR": str(tmp / "static-build"), "MEDIA_DIR": app.config["MEDIA_DIR"],
                           "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "REDIS_URL": None,
                           "RATELIMIT_STORAGE_URI": "memory://"}, env="production")
    made.test_client_class = IsolatedClient
    return made


class Browser:
    """A client whose requests all come over ``base``'s scheme and host."""

    def __init__(self, app, base: str):
        self.client, self.base, self.application = app.test_client(), base, app

    def get(self, url: str, **kwargs):
        return self.client.get(url, base_url=self.base, **kwargs)

    def post(self, url: str, **kwargs):
        return self.client.post(url, base_url=self.base, **kwargs)


def static_urls(client) -> list[str]:
    """A hashed stylesheet and script as pages link them, a plain-named vendored file, a product photo."""
    page = client.get("/").text
    photo = public_store(media_dir=client.application.config["MEDIA_DIR"]).put(b"RIFF-photo", "webp")
    return [re.search(r'href="(/static/[^"]+\.[0-9a-f]{12}\.css)"', page).group(1),
            re.search(r'src="(/static/[^"]+\.[0-9a-f]{12}\.js)"', page).group(1),
            "/static/vendor/htmx-2.0.11.min.js", f"/media/p/{photo}"]


def test_static_files_and_public_media_carry_the_pages_security_headers(client):
    page = client.get("/").headers
    for url in static_urls(client):
        response = client.get(url)
        assert response.status_code == 200, url
        for name in every_answer():
            assert response.headers[name] == page[name], (url, name)


def test_permissions_policy_gives_location_and_camera_to_our_pages_only(client):
    policy = dict(rule.split("=") for rule in client.get("/koperasi").headers["Permissions-Policy"].split(", "))
    assert policy["geolocation"] == "(self)" and policy["camera"] == "(self)"  # "nearest", the check-in's QR scan
    assert policy["microphone"] == "()" and policy["payment"] == "()"


@pytest.mark.parametrize("base", [HTTPS, "http://kopz.example"])
def test_hsts_on_pages_and_static_files_over_https_only(production, base):
    client = Browser(production, base)
    answers = [client.get("/")] + [client.get(url) for url in static_urls(client)]
    assert [a.status_code for a in answers] == [200] * len(answers)
    sent = {a.headers.get("Strict-Transport-Security") for a in answers}
    assert sent == ({"max-age=31536000; includeSubDomains"} if base == HTTPS else {None})  # a year, every subdomain


def test_production_session_cookie_is_host_prefixed_and_works(production, user):
    client = Browser(production, HTTPS)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").text).group(1)
    response = client.post("/login", data={"login": user.mobile, "password": PASSWORD, "csrf_token": token},
                           headers={"Referer": f"{HTTPS}/login"})
    assert response.status_code == 303
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("__Host-session="))
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"secure", "httponly", "path"} <= attributes and "domain" not in attributes
    assert "; Path=/;" in cookie + ";" and "SameSite=Lax" in cookie
    assert all(c.startswith("__Host-") for c in response.headers.getlist("Set-Cookie"))  # the device cookie too
    account = client.get("/account")
    assert account.status_code == 200 and user.full_name in account.text  # the browser's cookie opens the account
    fresh = re.search(r'<meta name="csrf-token" content="([^"]+)"', account.text).group(1)
    assert fresh != token  # a new CSRF token at login, inside the __Host- cookie


def test_production_reads_and_writes_the_language_in_a_host_prefixed_cookie(production):
    client = Browser(production, HTTPS)
    response = client.post("/language", data={"lang": "en", "next": "/koperasi"}, headers={"Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 303
    (cookie,) = response.headers.getlist("Set-Cookie")
    assert cookie.startswith("__Host-lang=en;") and "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie
    assert 'lang="en"' in client.get("/koperasi").text
    unprefixed = Browser(production, HTTPS)
    unprefixed.client.set_cookie("lang", "en", domain="kopz.example")  # as a plain-http page or a subdomain could set
    assert 'lang="id"' in unprefixed.get("/koperasi", headers={"Accept-Language": "id"}).text
