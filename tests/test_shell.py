"""The shell: pages, fragments, errors, health check, production config."""

from __future__ import annotations

import re

import pytest

from web import create_app
from web.config import ConfigError, development_data_keys

PAGES = ["/", "/login", "/register", "/offline", "/market", "/koperasi", "/cards"]


@pytest.mark.parametrize("url", PAGES)
def test_pages_render_in_indonesian_with_the_shell(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert '<html lang="id">' in response.text
    assert 'aria-label="Menu utama"' in response.text and "Beranda" in response.text


def test_nav_marks_the_current_page(client):
    html = client.get("/market").text
    assert re.search(r'<a href="/market" aria-current="page">', html)
    assert '<a href="/" aria-current' not in html


def test_nav_account_link_depends_on_login(client, user_client):
    assert '<a href="/login"' in client.get("/").text
    assert '<a href="/account"' in user_client.get("/").text


def test_boosted_navigation_gets_the_whole_page(client):
    response = client.get("/login", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert response.text.startswith("<!doctype html>") and "Kopz-Fragment" not in response.headers


def test_unknown_block_target_gets_the_whole_page(client):
    response = client.get("/register", headers={"HX-Request": "true", "HX-Target": "no_such_block"})
    assert response.text.startswith("<!doctype html>")


def test_history_restore_gets_the_whole_page(client):
    headers = {"HX-Request": "true", "HX-Target": "register_form", "HX-History-Restore-Request": "true"}
    assert client.get("/register", headers=headers).text.startswith("<!doctype html>")


def test_html_varies_on_htmx_and_is_revalidated(client):
    response = client.get("/login")  # a page any cache may keep: tests/test_shared_cache.py
    vary = {v.strip() for v in response.headers["Vary"].split(",")}
    assert {"HX-Request", "HX-Target"} <= vary
    assert "no-cache" in response.headers["Cache-Control"]


@pytest.mark.parametrize("lang,title,message", [
    ("id", "Halaman tidak ditemukan", "tidak ada atau sudah dipindahkan"),
    ("en", "Page not found", "does not exist or was moved"),
])
def test_404_in_both_languages(client, lang, title, message):
    client.set_cookie("lang", lang)
    response = client.get("/tidak-ada")
    assert response.status_code == 404
    assert title in response.text and message in response.text and f'<html lang="{lang}">' in response.text


def test_404_under_htmx_is_a_small_fragment(client):
    response = client.get("/tidak-ada", headers={"HX-Request": "true", "HX-Target": "results"})
    assert response.status_code == 404
    assert "<html" not in response.text and 'role="alert"' in response.text


def test_405_page(client):
    response = client.post("/offline")
    assert response.status_code in (400, 405)
    assert "<html" in response.text


def test_500_page_rolls_back_and_apologises(tmp_path):
    app = create_app({"STATIC_BUILD_DIR": str(tmp_path), "PROPAGATE_EXCEPTIONS": False}, env="testing")

    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert "Terjadi kesalahan" in response.text and "Tidak ada yang tersimpan" in response.text


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok", "database": "ok"}


def test_healthz_503_without_database(tmp_path):
    app = create_app({"STATIC_BUILD_DIR": str(tmp_path),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/db.sqlite"}, env="testing")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503 and response.json["database"] == "unreachable"


@pytest.mark.parametrize("key", [None, "", "x" * 31])
def test_production_refuses_to_start_without_a_secret_key_of_128_bits(monkeypatch, key):
    """At least 32 characters (32 hex digits are 128 bits: ASVS 11.2.3)."""
    if key is None:
        monkeypatch.delenv("SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SECRET_KEY", key)
    with pytest.raises(ConfigError, match="SECRET_KEY must be set \\(at least 32 characters\\)"):
        create_app(env="production")


def test_production_cookies_are_secure(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    for name, value in development_data_keys().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/p.sqlite")
    app = create_app({"STATIC_BUILD_DIR": str(tmp_path / "s")}, env="production")
    assert app.config["SESSION_COOKIE_SECURE"]
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_postgres_urls_get_the_psycopg_driver(monkeypatch):
    from web.config import load

    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db:5432/kopz")
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    for name, value in development_data_keys().items():
        monkeypatch.setenv(name, value)
    assert load("production")["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db:5432/kopz"


def test_offline_page_leaves_flash_messages_for_the_next_page(client):
    # The service worker fetches /offline in the background; it must not swallow a message.
    redirect = client.get("/account")
    client.get("/offline")
    assert "Silakan masuk untuk membuka halaman ini." in client.get(redirect.headers["Location"]).text
