"""Classes of hostile input end in a plain 4xx before any view runs, never a 500
(on SQLite and on PostgreSQL alike). See web/hostile.py."""

from __future__ import annotations

import json

import pytest

from tests.conftest import login


@pytest.mark.parametrize("url", ["/koperasi?q=%00", "/koperasi?q=a%00b&jenis=x", "/k/%00", "/toko/%00",
                                 "/market?q=%00", "/k/a%00b/office"])
def test_a_nul_byte_anywhere_in_the_address_is_a_bad_request(client, url):
    assert client.get(url).status_code == 400


@pytest.mark.parametrize("url", ["/market/2147483648", "/market/99999999999999999999999999"])
def test_an_id_beyond_any_column_is_simply_not_found(client, url):
    assert client.get(url).status_code == 404


def test_the_largest_id_is_still_an_ordinary_not_found(client):
    assert client.get("/market/2147483647").status_code == 404


def test_a_nul_byte_in_a_form_value_is_refused(client, user):
    response = client.post("/login", data={"login": user.mobile + "\x00", "password": "x"})
    assert response.status_code == 400
    assert client.post("/login", data={"login\x00": "a", "password": "x"}).status_code == 400


@pytest.mark.parametrize("body", [{"login": 5, "password": [1, 2]}, [1, 2, 3], {"a": {"b": {"c": [None]}}}])
def test_json_sent_to_a_form_is_refused(client, body):
    response = client.post("/login", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 415


def test_json_to_an_unknown_address_is_still_not_found(client):
    assert client.post("/no-such-page", json={"a": 1}).status_code == 404


def test_deeply_nested_json_to_the_stock_sync_is_a_clear_400(app, user):
    client = login(app.test_client(), user)
    body = "[" * 100_000 + "]" * 100_000
    response = client.post("/seller/stock-sync", data=body, content_type="application/json")
    assert response.status_code == 400
    assert "changes" in response.get_json()["error"]


@pytest.mark.parametrize("next_url", ["/%0d%0aSet-Cookie:%20x=1", "/\r\nLocation: https://evil.example", "/\tk", "/\x7f"])
def test_a_control_character_in_next_never_reaches_the_location_header(client, next_url):
    response = client.post("/language", data={"lang": "en", "next": next_url.replace("%0d%0a", "\r\n")})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
