"""Public pages a shared cache may keep: for a visitor with no session, no cookie is set
and the answer says ``public`` for a minute; anything personal (a flash, a login, a
token) makes it private again. The language switch works before login without a token;
CSRF is still checked on everything else."""

from __future__ import annotations

import re

import pytest

from models.accounts import User
from tests.conftest import PASSWORD, login
from web.public_pages import MARK
from web.security import PRIVATE_CACHE, SHARED_CACHE

# What the answer depends on besides the URL: fragment or page (web/render.py), and the
# language (web/i18n.py: the cookie, else the browser's).
SHARED_VARY = {"HX-Request", "HX-Target", "HX-History-Restore-Request", "Cookie", "Accept-Language"}


@pytest.fixture
def pages(make_koperasi, make_store, make_product) -> dict[str, str]:
    """One URL of every public page, by endpoint. The offline page too: the service worker
    fetches it on the visitor's first page, so it must not start a session either."""
    kop = make_koperasi(name="Koperasi Warga Dago")
    store = make_store(kop, name="Warung Bu Siti")
    product = make_product(store, name="Gula Aren 1 kg", stock=5)
    return {"public.home": "/", "directory.index": "/koperasi", "directory.profile": f"/k/{kop.slug}",
            "market.index": "/market", "market.product": f"/market/{product.id}",
            "market.store": f"/toko/{store.slug}", "public.offline": "/offline"}


@pytest.fixture
def csrf_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


def vary(response) -> set[str]:
    return {v.strip() for v in response.headers.get("Vary", "").split(",") if v.strip()} - {"Accept-Encoding"}


def shared(response) -> bool:
    return (response.status_code == 200 and response.headers["Cache-Control"] == SHARED_CACHE
            and "Set-Cookie" not in response.headers and vary(response) == SHARED_VARY)


def test_the_pages_here_are_every_page_marked_public(app, pages):
    marked = {name for name, view in app.view_functions.items() if getattr(view, MARK, False)}
    assert marked == set(pages)


def test_the_shared_answer_is_public_for_a_short_time():
    assert re.fullmatch(r"public, max-age=60, stale-while-revalidate=30", SHARED_CACHE)


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_every_public_page_is_shared_with_a_visitor_without_session(csrf_on, app, pages, method):
    for url in pages.values():
        client = app.test_client()
        response = client.open(url, method=method)
        assert shared(response), (url, response.status_code, dict(response.headers))
        assert client.get_cookie(app.config["SESSION_COOKIE_NAME"]) is None
        if method == "GET":
            assert "csrf" not in response.text, url  # no token in the page, not even the meta tag


def test_a_fragment_is_shared_too_and_kept_apart_from_the_page(app, pages):
    response = app.test_client().get("/market?q=gula", headers={"HX-Request": "true", "HX-Target": "results"})
    assert shared(response) and response.headers["Kopz-Fragment"] == "results" and "<html" not in response.text


def test_a_history_restore_is_kept_apart_from_the_fragment(app, pages):
    headers = {"HX-Request": "true", "HX-Target": "results", "HX-History-Restore-Request": "true"}
    response = app.test_client().get("/market?q=gula", headers=headers)
    assert shared(response) and response.text.startswith("<!doctype html>")


def test_a_pending_flash_makes_the_page_private(app, pages):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "Silakan masuk dulu.")]
    response = client.get("/market")
    assert "Silakan masuk dulu." in response.text
    assert response.headers["Cache-Control"] == PRIVATE_CACHE and "Cookie" in vary(response)
    assert "Set-Cookie" in response.headers  # the flash is gone from the session
    again = client.get("/market")
    assert "Silakan masuk dulu." not in again.text and again.headers["Cache-Control"] == PRIVATE_CACHE
    fresh = app.test_client().get("/market")  # the next visitor never sees it, from any cache
    assert "Silakan masuk dulu." not in fresh.text and shared(fresh)


def test_a_visitor_with_a_session_gets_private_pages(app, pages):
    client = app.test_client()
    client.get("/login")  # the login form's token starts a session
    assert client.get_cookie(app.config["SESSION_COOKIE_NAME"]) is not None
    for url in pages.values():
        assert client.get(url).headers["Cache-Control"] == PRIVATE_CACHE, url


def test_logged_in_pages_stay_private(user_client, pages):
    for url in pages.values():
        response = user_client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == PRIVATE_CACHE and "Cookie" in vary(response), url
        assert '<meta name="csrf-token"' in response.text, url


def test_error_and_other_pages_keep_their_headers(csrf_on, client, pages):
    for url in ("/market/999999", "/k/no-such-koperasi", "/login", "/register", "/account", "/cards"):
        response = client.get(url)
        assert response.headers["Cache-Control"] == PRIVATE_CACHE, url
        assert {"HX-Request", "HX-Target", "Cookie"} <= vary(response), url
    assert 'name="csrf_token"' in client.get("/login").text  # the login form keeps its token


def test_the_product_page_offers_login_before_the_cart(app, pages, make_user):
    url = pages["market.product"]
    html = app.test_client().get(url).text
    assert "/cart/add" not in html
    assert f'href="/login?next={url}">Masuk untuk membeli</a>' in html.replace("%2F", "/")
    buyer = make_user("Dewi Pembeli")
    client = app.test_client()
    response = client.post("/login", data={"login": buyer.mobile, "password": PASSWORD, "next": url})
    assert response.status_code == 303 and response.location == url
    assert 'action="/cart/add"' in client.get(url).text


# ---------------------------------------------------------------- the language switch before login

def test_language_switch_before_login_needs_no_token(csrf_on, app, pages):
    client = app.test_client()
    page = client.get("/market").text
    assert 'action="/language"' in page and 'name="next" value="/market"' in page
    response = client.post("/language", data={"lang": "en", "next": "/market"},
                           headers={"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 303 and response.location == "/market"
    assert client.get_cookie("lang").value == "en"
    assert client.get_cookie(app.config["SESSION_COOKIE_NAME"]) is None  # a preference, not a session
    english = client.get("/market")
    assert '<html lang="en">' in english.text and ">Market</h1>" in english.text
    assert shared(english)  # the page in English is shared too (Vary: Cookie keeps the languages apart)


@pytest.mark.parametrize("headers", [
    {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
    {"Sec-Fetch-Site": "same-site"},
    {"Origin": "https://evil.example"},  # a browser without Fetch Metadata
    {"Sec-Fetch-Site": "cross-site", "Origin": "null"},  # another site with a no-referrer policy
])
def test_another_site_cannot_force_a_language(csrf_on, app, headers):
    client = app.test_client()
    response = client.post("/language", data={"lang": "en"}, headers=headers)
    assert response.status_code == 400 and client.get_cookie("lang") is None


def test_language_switch_after_login_still_needs_the_token(csrf_on, app, db, make_user):
    user = make_user(locale="id")
    client = app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").text)[1]
    client.post("/login", data={"login": user.mobile, "password": PASSWORD, "csrf_token": token})
    refused = client.post("/language", data={"lang": "en"})
    assert refused.status_code == 400 and "Sesi berakhir" in refused.text
    db.session.expire_all()
    assert db.session.get(User, user.id).locale == "id"
    page = client.get("/market").text
    form_token = re.search(r'<form class="lang".*?name="csrf_token" value="([^"]+)"', page, re.DOTALL)[1]
    assert client.post("/language", data={"lang": "en", "csrf_token": form_token}).status_code == 303
    db.session.expire_all()
    assert db.session.get(User, user.id).locale == "en"


def test_a_state_changing_post_without_token_is_still_refused(csrf_on, app, pages, make_user):
    url = pages["market.product"]
    anonymous = app.test_client()
    response = anonymous.post("/cart/add", data={"product_id": url.rsplit("/", 1)[1], "quantity": 1})
    assert response.status_code == 400 and "Sesi berakhir" in response.text
    client = app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").text)[1]
    login_data = {"login": make_user().mobile, "password": PASSWORD, "csrf_token": token}
    assert client.post("/login", data=login_data).status_code == 303
    assert client.post("/cart/add", data={"product_id": url.rsplit("/", 1)[1], "quantity": 1}).status_code == 400


def test_logging_in_leaves_the_shared_pages_for_private_ones(app, pages, make_user):
    client = app.test_client()
    assert shared(client.get("/market"))
    login(client, make_user())
    assert client.get("/market").headers["Cache-Control"] == PRIVATE_CACHE
