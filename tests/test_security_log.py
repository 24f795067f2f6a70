"""Security events reach the application log, one line each (ASVS 16.3): a refused login, an office
action refused to a role, a form without its CSRF token; a value a visitor typed cannot forge a
second line (16.4.1), and no password is ever written."""

from __future__ import annotations

import json
import re

import pytest
from flask import request

from tests.conftest import PASSWORD, login
from tests.test_two_factor import password_step, set_up
from web import security_log


def lines(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "kopz.security"]


def test_a_refused_login_is_logged_with_the_address_and_never_the_password(app, user, caplog):
    with caplog.at_level("WARNING", logger="kopz.security"):
        response = app.test_client().post("/login", data={"login": user.mobile, "password": "salah-sekali-99"},
                                          environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert response.status_code == 422
    [line] = lines(caplog)
    assert line.startswith("security login_refused ") and 'ip="203.0.113.7"' in line and "status=422" in line
    assert "salah-sekali-99" not in caplog.text and PASSWORD not in caplog.text


def test_a_wrong_second_factor_code_is_logged(app, make_koperasi, make_staff, caplog):
    teller = make_staff(make_koperasi(), "teller")
    set_up(login(app.test_client(), teller))
    phone = app.test_client()
    password_step(phone, teller)
    with caplog.at_level("WARNING", logger="kopz.security"):
        assert phone.post("/login/code", data={"code": "000000"}).status_code == 422
    [line] = lines(caplog)
    assert line.startswith("security login_code_refused ") and "status=422" in line and "000000" not in line


def test_an_office_page_refused_to_a_role_is_logged_with_who_asked(app, make_koperasi, make_staff, caplog):
    kop = make_koperasi()
    pengawas = make_staff(kop, "pengawas")
    client = login(app.test_client(), pengawas)
    with caplog.at_level("WARNING", logger="kopz.security"):
        assert client.post(f"/k/{kop.slug}/office/staff", data={}).status_code == 403
    [line] = lines(caplog)
    assert line.startswith("security forbidden ") and f"user={pengawas.id}" in line
    assert f'path="/k/{kop.slug}/office/staff"' in line


def test_a_form_without_its_csrf_token_is_logged(app, user, monkeypatch, caplog):
    client = login(app.test_client(), user)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    with caplog.at_level("WARNING", logger="kopz.security"):
        assert client.post("/logout").status_code == 400
    assert [line for line in lines(caplog) if line.startswith("security csrf_refused ")]


@pytest.mark.parametrize("typed", ["/k/a%0Asecurity%20forbidden%20user=1", "/k/a%0D%0Asecurity", '/k/"%20user=1'])
def test_what_a_visitor_typed_cannot_start_a_forged_line(app, caplog, typed):
    with app.test_request_context(typed), caplog.at_level("WARNING", logger="kopz.security"):
        security_log.event("forbidden", status=403)
        path = request.path
    [line] = lines(caplog)
    assert "\n" not in line and "\r" not in line and line.startswith("security forbidden ")
    quoted = re.search(r' path=("(?:[^"\\]|\\.)*") user=null ', line)  # the value ends where its quote ends
    assert quoted and json.loads(quoted.group(1)) == path
