"""Accounts: registration, login, throttle, profile, password, logout."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from models.accounts import User, normalize_mobile
from models.errors import DomainError
from tests.conftest import PASSWORD, login


def _register(client, **overrides):
    data = {"full_name": "Rina Wulandari", "mobile": "0813 1111 2222", "email": "", "password": "sandi-aman-1"}
    data.update(overrides)
    return client.post("/register", data=data)


def _users(db):
    return db.session.scalars(sa.select(User)).all()


@pytest.mark.parametrize("raw", ["081311112222", "6281311112222", "+62 813-1111-2222", "0813 1111 2222"])
def test_mobile_forms_are_one_number(raw):
    assert normalize_mobile(raw) == "+6281311112222"


@pytest.mark.parametrize("raw", ["12345", "+6581234567", "0212345678", "0813", "", "abc"])
def test_other_numbers_are_refused(raw):
    with pytest.raises(DomainError):
        normalize_mobile(raw)


def test_register_then_log_in_and_the_mobile_is_stored_normalised(client, db):
    response = _register(client, email="Rina@Example.COM")
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    page = client.get("/login")
    assert 'value="0813 1111 2222"' in page.text  # the number typed, ready to log in
    assert client.post("/login", data={"login": "0813 1111 2222", "password": "sandi-aman-1"}).status_code == 303
    [user] = _users(db)
    assert (user.mobile, user.email) == ("+6281311112222", "rina@example.com")
    assert user.password_hash != "sandi-aman-1"
    page = client.get("/account")
    assert page.status_code == 200 and "Rina Wulandari" in page.text


@pytest.mark.parametrize("same", ["6281311112222", "+6281311112222"])
def test_same_number_in_another_form_makes_no_second_account_and_says_nothing(client, db, make_user, same):
    make_user(mobile="081311112222")
    response = _register(client, mobile=same)
    assert response.status_code == 303  # as for a new number (tests/test_passwords.py)
    assert "sudah terdaftar" not in client.get("/login").text
    assert len(_users(db)) == 1


def test_bad_input_keeps_what_was_typed_and_saves_nothing(client, db):
    response = _register(client, mobile="12345", full_name="Agus Salim", email="agus@contoh.id")
    assert response.status_code == 422
    assert "Masukkan nomor HP Indonesia" in response.text
    assert 'value="Agus Salim"' in response.text and 'value="agus@contoh.id"' in response.text
    assert 'aria-invalid="true"' in response.text
    assert _users(db) == []


def test_short_password_and_missing_name(client, db):
    response = _register(client, password="pendek", full_name="")
    assert response.status_code == 422
    assert "Kolom ini wajib diisi." in response.text
    response = _register(client, password="pendek")
    assert "Gunakan minimal 8 karakter." in response.text
    assert _users(db) == []


def test_duplicate_email_makes_no_account_and_says_nothing(client, db, make_user):
    make_user(email="sama@contoh.id")
    response = _register(client, email="SAMA@contoh.id")
    assert response.status_code == 303 and "sudah terdaftar" not in client.get("/login").text
    assert len(_users(db)) == 1


def test_htmx_register_gets_only_the_form_back(client, db):
    headers = {"HX-Request": "true", "HX-Target": "register_form"}
    response = client.post("/register", headers=headers, data={"full_name": "X", "mobile": "1", "password": ""})
    assert response.status_code == 422
    assert response.text.lstrip().startswith('<form id="register_form"')
    assert "<html" not in response.text and response.headers["Kopz-Fragment"] == "register_form"
    ok = _register(client, mobile="081399998888") if False else client.post(
        "/register", headers=headers,
        data={"full_name": "Rina", "mobile": "081399998888", "password": "sandi-aman-1"})
    assert ok.status_code == 204 and ok.headers["HX-Redirect"] == "/login"


@pytest.mark.parametrize("login_as", ["0812 0000 0042", "62812000000420"[:-1], "+6281200000042", "DEWI@contoh.id"])
def test_login_by_mobile_in_any_form_or_email(client, make_user, login_as):
    make_user(mobile="081200000042", email="dewi@contoh.id")
    response = client.post("/login", data={"login": login_as, "password": PASSWORD})
    assert response.status_code == 303
    assert client.get("/account").status_code == 200


def test_wrong_password_is_a_clear_message(client, user):
    response = client.post("/login", data={"login": user.mobile, "password": "salah-sekali"})
    assert response.status_code == 422
    assert "Nomor HP/email atau kata sandi salah." in response.text
    assert f'value="{user.mobile}"' in response.text
    assert client.get("/account").status_code == 303


def test_login_is_throttled_after_repeated_failures(client, user):
    for _ in range(5):
        assert client.post("/login", data={"login": user.mobile, "password": "salah"}).status_code == 422
    # Even the right password is refused now, under any spelling of the number.
    local = "0" + user.mobile[3:]
    response = client.post("/login", data={"login": local, "password": PASSWORD})
    assert response.status_code == 429
    assert "Terlalu banyak percobaan gagal" in response.text
    assert client.get("/account").status_code == 303


def test_success_resets_the_failure_count(client, user):
    for _ in range(4):
        client.post("/login", data={"login": user.mobile, "password": "salah"})
    login(client, user)
    client.post("/logout")
    for _ in range(4):
        assert client.post("/login", data={"login": user.mobile, "password": "salah"}).status_code == 422
    assert client.post("/login", data={"login": user.mobile, "password": PASSWORD}).status_code == 303


def test_next_is_followed_only_within_the_site(client, user):
    data = {"login": user.mobile, "password": PASSWORD}
    assert client.post("/login", data={**data, "next": "/account"}).headers["Location"] == "/account"
    client.post("/logout")
    for evil in ("https://evil.example/", "//evil.example", "/\\evil.example"):
        response = client.post("/login", data={**data, "next": evil})
        assert response.headers["Location"] == "/"
        client.post("/logout")


def test_a_member_stays_logged_in_on_the_phone_without_a_remember_cookie(client, user):
    client.post("/login", data={"login": user.mobile, "password": PASSWORD})
    assert client.get_cookie("remember_token") is None
    cookie = client.get_cookie("session")
    assert cookie.expires is not None  # lasts (the server still ends it: tests/test_sessions.py)


def test_logout_ends_the_session_and_clears_site_data(user_client):
    response = user_client.post("/logout")
    assert response.status_code == 303
    assert '"storage"' in response.headers["Clear-Site-Data"] and '"cache"' in response.headers["Clear-Site-Data"]
    assert user_client.get("/account").status_code == 303


def test_logout_needs_post(user_client):
    assert user_client.get("/logout").status_code == 405
    assert user_client.get("/account").status_code == 200


def test_account_needs_login_and_comes_back_after(client, user):
    response = client.get("/account")
    assert response.status_code == 303 and response.headers["Location"] == "/login?next=/account"
    page = client.get(response.headers["Location"])
    assert "Silakan masuk untuk membuka halaman ini." in page.text


def test_expired_session_under_htmx_redirects_the_browser(client):
    response = client.get("/account", headers={"HX-Request": "true", "HX-Target": "profile_form"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login?next=/account"


def test_edit_profile(user_client, db, user):
    response = user_client.post("/account", data={"full_name": "Dewi L.", "mobile": "+62 812 7777 6666",
                                                  "email": "dewi@baru.id", "current_password": PASSWORD})
    assert response.status_code == 303
    db.session.refresh(user)
    assert (user.full_name, user.mobile, user.email) == ("Dewi L.", "+6281277776666", "dewi@baru.id")


def test_profile_cannot_take_someone_elses_number(user_client, db, user, make_user):
    other = make_user(mobile="081255554444")
    response = user_client.post("/account", data={"full_name": "Dewi", "mobile": "6281255554444"})
    assert response.status_code == 422 and "Nomor HP ini sudah terdaftar." in response.text
    db.session.refresh(user)
    assert user.mobile != other.mobile


def test_change_password_needs_the_current_one(user_client, db, user):
    response = user_client.post("/account/password", data={"current_password": "salah", "new_password": "baru-12345"})
    assert response.status_code == 422 and "Kata sandi saat ini salah." in response.text
    db.session.refresh(user)
    assert user.check_password(PASSWORD)


def test_change_password_signs_out_other_devices(app, user_client, user, db):
    other_phone = login(app.test_client(), user)
    response = user_client.post("/account/password", data={"current_password": PASSWORD, "new_password": "baru-12345"})
    assert response.status_code == 303
    assert user_client.get("/account").status_code == 200  # this device stays in
    assert other_phone.get("/account").status_code == 303  # the other one is out
    db.session.refresh(user)
    assert user.check_password("baru-12345")


def test_a_phone_changing_network_stays_logged_in(client, user):
    client.post("/login", data={"login": user.mobile, "password": PASSWORD},
                environ_base={"REMOTE_ADDR": "10.1.1.1"})
    assert client.get("/account", environ_base={"REMOTE_ADDR": "100.64.9.9"}).status_code == 200
    assert client.get("/account", environ_base={"REMOTE_ADDR": "10.1.1.1"}).status_code == 200


def test_a_member_stays_logged_in_across_visits(client, user):
    client.post("/login", data={"login": user.mobile, "password": PASSWORD})
    assert client.get("/account").status_code == 200
    assert client.get("/account").status_code == 200  # and it stays that way


def test_someone_elses_failures_do_not_lock_out_a_phone_that_logged_in_before(app, user):
    teller_phone = login(app.test_client(), user)
    teller_phone.post("/logout")
    attacker = app.test_client()
    for _ in range(6):
        attacker.post("/login", data={"login": user.mobile, "password": "tebak-tebak"})
    # The attacker's own correct guess would not get in now (an unknown device)...
    assert attacker.post("/login", data={"login": user.mobile, "password": PASSWORD}).status_code == 429
    # ...but the teller's phone, which logged in before, still does.
    assert teller_phone.post("/login", data={"login": user.mobile, "password": PASSWORD}).status_code == 303
    assert teller_phone.get("/account").status_code == 200


def test_a_forged_device_cookie_does_not_unlock_an_account(app, user):
    client = app.test_client()
    for _ in range(5):
        client.post("/login", data={"login": user.mobile, "password": "salah"})
    client.set_cookie("kopz_device", f"[{user.id}]")
    assert client.post("/login", data={"login": user.mobile, "password": PASSWORD}).status_code == 429


def test_many_failures_from_one_network_never_refuse_a_correct_password(app, make_user):
    app.config["LOGIN_FAILURE_IP_LIMIT"] = "30 per 15 minutes"
    victims = [make_user(full_name=f"Korban {n}") for n in range(8)]
    nat = app.test_client()  # one carrier NAT address for everyone
    for n in range(32):
        nat.post("/login", data={"login": victims[n % 8].mobile, "password": f"salah-{n}"})
    wrong = nat.post("/login", data={"login": victims[0].mobile, "password": "salah-lagi"})
    assert wrong.status_code == 429 and "Terlalu banyak percobaan gagal dari jaringan Anda" in wrong.text
    fresh = make_user(full_name="Pengguna Lain")
    assert nat.post("/login", data={"login": fresh.mobile, "password": PASSWORD}).status_code == 303
