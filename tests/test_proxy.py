"""Behind nginx/the load balancer (KOPZ_TRUSTED_PROXIES=1): the client's own address
and https come from the proxy's headers, so throttles, HSTS, the strict Referer check
and the card's QR address all see what the user's phone sees."""

from __future__ import annotations

import pytest
import segno
from flask import url_for

from models import membership as members
from tests.conftest import PASSWORD
from web import create_app

HTTPS = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "kopz.example", "X-Forwarded-Port": "443"}


@pytest.fixture
def proxied(app, tmp_path):
    behind = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                         "STATIC_BUILD_DIR": str(tmp_path), "TRUSTED_PROXIES": 1,
                         "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "WTF_CSRF_ENABLED": False,
                         "LOGIN_FAILURE_IP_LIMIT": "3 per 15 minutes"}, env="testing")
    return behind


def test_https_at_the_proxy_sends_hsts(proxied):
    response = proxied.test_client().get("/", headers=HTTPS)
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_plain_http_without_a_proxy_header_sends_no_hsts(proxied):
    assert "Strict-Transport-Security" not in proxied.test_client().get("/").headers


def test_each_client_address_counts_for_itself(proxied, user):
    client = proxied.test_client()
    for n in range(3):
        client.post("/login", data={"login": user.mobile, "password": f"salah-{n}"},
                    headers={"X-Forwarded-For": "36.80.1.1"})
    slowed = client.post("/login", data={"login": "081299990000", "password": "salah"},
                         headers={"X-Forwarded-For": "36.80.1.1"})
    assert slowed.status_code == 429
    elsewhere = client.post("/login", data={"login": "081299990000", "password": "salah"},
                            headers={"X-Forwarded-For": "114.124.2.2"})
    assert elsewhere.status_code == 422


def test_the_strict_referer_check_passes_for_a_same_site_https_form(proxied, user):
    proxied.config["WTF_CSRF_ENABLED"] = True
    client = proxied.test_client()
    page = client.get("/login", headers=HTTPS).get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/login", data={"login": user.mobile, "password": PASSWORD, "csrf_token": token},
                           headers={**HTTPS, "Referer": "https://kopz.example/login"})
    assert response.status_code == 303


def test_the_member_card_qr_encodes_an_https_address(proxied, make_koperasi, make_member, user):
    membership = make_member(make_koperasi(), user=user)
    client = proxied.test_client()
    assert client.post("/login", data={"login": user.mobile, "password": PASSWORD}, headers=HTTPS).status_code == 303
    html = client.get("/cards", headers=HTTPS).get_data(as_text=True)
    with proxied.test_request_context("/cards", base_url="https://kopz.example"):
        url = url_for("membership.verify", token=members.card_token(membership), _external=True)
    assert url.startswith("https://kopz.example/v/")
    assert segno.make(url, error="m").svg_data_uri(scale=1, border=2, light="#fff") in html
