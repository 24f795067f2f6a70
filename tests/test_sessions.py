"""Sign-in sessions end on the server: logout, a password change and a disabled account end them on
every device; idle and absolute lifetimes (shorter for staff); a new CSRF token at login; only the
hash of the cookie's secret is stored. Time is moved by setting the session row's timestamps."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from models.accounts import User
from models.base import utcnow
from models.sessions import DISABLED, LOGOUT, PASSWORD, UserSession
from tests.conftest import PASSWORD as SECRET
from tests.conftest import login

COOKIE = "session"


def _copy(app, source):
    """Another browser holding a copy of ``source``'s session cookie (a stolen or replayed cookie)."""
    thief = app.test_client()
    thief.set_cookie(COOKIE, source.get_cookie(COOKIE).value)
    return thief


def _rows(db, user) -> list[UserSession]:
    db.session.expire_all()
    return db.session.scalars(sa.select(UserSession).where(UserSession.user_id == user.id)
                              .order_by(UserSession.id)).all()


def _age(db, user, idle: timedelta = timedelta(0), age: timedelta = timedelta(0)) -> None:
    """Move time: the user's open sessions were last seen ``idle`` ago and started ``age`` ago."""
    now = utcnow()
    db.session.execute(sa.update(UserSession).where(UserSession.user_id == user.id)
                       .values(last_seen_at=now - idle, created_at=now - max(age, idle)))
    db.session.commit()


def _signed_in(client) -> bool:
    response = client.get("/account")
    assert response.status_code in (200, 303)
    return response.status_code == 200


def test_a_copied_cookie_stops_working_after_logout(app, db, user):
    phone = login(app.test_client(), user)
    copy = _copy(app, phone)
    assert _signed_in(copy)  # a copy works while the session is open: it is the same session
    assert phone.post("/logout").status_code == 303
    response = copy.get("/account")
    assert response.status_code == 303 and response.headers["Location"] == "/login?next=/account"
    assert not _signed_in(phone)
    [row] = _rows(db, user)
    assert row.ended_at is not None and row.ended_reason == LOGOUT


def test_logout_on_one_phone_leaves_the_other_signed_in(app, user):
    first, second = login(app.test_client(), user), login(app.test_client(), user)
    first.post("/logout")
    assert not _signed_in(first) and _signed_in(second)


def test_a_password_change_ends_the_other_devices_and_keeps_this_one(app, db, user):
    here, there = login(app.test_client(), user), login(app.test_client(), user)
    copy_of_here = _copy(app, here)
    response = here.post("/account/password", data={"current_password": SECRET, "new_password": "sandi-baru-99"})
    assert response.status_code == 303
    assert _signed_in(here)  # a fresh session for this device
    assert not _signed_in(there)
    assert not _signed_in(copy_of_here)  # this device's old cookie too
    rows = _rows(db, user)
    assert [r.ended_reason for r in rows] == [PASSWORD, PASSWORD, None]


def test_the_cookie_holds_a_secret_and_the_table_only_its_hash(app, db, user):
    phone = login(app.test_client(), user)
    with phone.session_transaction() as session:
        secret = session["_user_id"]
    [row] = _rows(db, user)
    assert len(secret) >= 40 and secret != row.token_hash and str(user.id) != secret
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSession)
                             .where(UserSession.token_hash == secret)) == 0
    # a cookie naming the row (its id or its hash) opens nothing
    for forged in (str(row.id), row.token_hash, f"{user.id}:1"):
        other = app.test_client()
        with other.session_transaction() as session:
            session["_user_id"] = forged
        assert not _signed_in(other)


def test_a_member_is_signed_out_after_30_idle_days(app, db, user):
    phone = login(app.test_client(), user)
    _age(db, user, idle=timedelta(days=29))
    assert _signed_in(phone)  # and being seen resets the idle clock
    assert _rows(db, user)[0].last_seen_at > utcnow() - timedelta(minutes=1)
    _age(db, user, idle=timedelta(days=31))
    assert not _signed_in(phone)


def test_a_member_is_signed_out_90_days_after_login_however_active(app, db, user):
    phone = login(app.test_client(), user)
    _age(db, user, idle=timedelta(minutes=1), age=timedelta(days=89))
    assert _signed_in(phone)
    _age(db, user, idle=timedelta(minutes=1), age=timedelta(days=91))
    assert not _signed_in(phone)


def test_staff_sessions_are_short(app, db, make_koperasi, make_staff):
    teller = make_staff(make_koperasi(), "teller")
    office = login(app.test_client(), teller)
    _age(db, teller, idle=timedelta(minutes=25))
    assert _signed_in(office)
    _age(db, teller, idle=timedelta(minutes=31))
    assert not _signed_in(office)
    office = login(app.test_client(), teller)
    _age(db, teller, idle=timedelta(minutes=5), age=timedelta(hours=11))
    assert _signed_in(office)
    _age(db, teller, idle=timedelta(minutes=5), age=timedelta(hours=13))
    assert not _signed_in(office)


def test_a_platform_admin_has_the_staff_lifetimes(app, db, make_user):
    admin = make_user(full_name="Admin Platform", is_platform_admin=True)
    browser = login(app.test_client(), admin)
    _age(db, admin, idle=timedelta(minutes=31))
    assert not _signed_in(browser)


def test_last_seen_is_written_once_in_a_while_not_on_every_request(app, db, user):
    phone = login(app.test_client(), user)
    _age(db, user, idle=timedelta(minutes=2))
    before = _rows(db, user)[0].last_seen_at
    assert _signed_in(phone) and _signed_in(phone)
    assert _rows(db, user)[0].last_seen_at == before  # within SESSION_TOUCH: no write
    _age(db, user, idle=timedelta(minutes=6))
    assert _signed_in(phone)
    assert _rows(db, user)[0].last_seen_at > utcnow() - timedelta(minutes=1)


def test_a_members_cookie_lasts_its_lifetime_and_staffs_ends_with_the_browser(app, user, make_koperasi, make_staff):
    def session_cookie(response) -> str:
        [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(f"{COOKIE}=")]
        return cookie

    member = app.test_client().post("/login", data={"login": user.mobile, "password": SECRET})
    assert "Expires=" in session_cookie(member)  # the phone's app stays signed in (90 days, server-checked)
    staff = make_staff(make_koperasi(), "pengurus")
    office = app.test_client().post("/login", data={"login": staff.mobile, "password": SECRET})
    assert "Expires=" not in session_cookie(office)
    assert all("remember_token" not in c for r in (member, office) for c in r.headers.getlist("Set-Cookie"))


def test_an_old_remember_cookie_opens_nothing_and_is_deleted(app, user):
    browser = app.test_client()
    browser.set_cookie("remember_token", f"{user.id}:1|{'0' * 128}")
    response = browser.get("/account")
    assert response.status_code == 303
    assert any(c.startswith("remember_token=;") for c in response.headers.getlist("Set-Cookie"))


def test_disabling_an_account_ends_its_sessions_everywhere(app, db, user, make_user):
    admin = make_user(full_name="Admin Platform", is_platform_admin=True)
    phones = [login(app.test_client(), user), login(app.test_client(), user)]
    office = login(app.test_client(), admin)
    found = office.get("/admin/accounts", query_string={"q": user.mobile})
    assert found.status_code == 200 and "Perangkat yang masuk: 2" in found.text
    assert office.post(f"/admin/accounts/{user.id}/disable").status_code == 303
    assert not any(_signed_in(p) for p in phones)
    assert {r.ended_reason for r in _rows(db, user)} == {DISABLED}
    refused = app.test_client().post("/login", data={"login": user.mobile, "password": SECRET})
    assert refused.status_code == 403 and "Akun ini dinonaktifkan" in refused.text
    assert office.post(f"/admin/accounts/{user.id}/enable").status_code == 303
    assert _signed_in(login(app.test_client(), user))


def test_only_a_platform_admin_disables_and_not_another_admin(app, db, user, make_user):
    admin = make_user(full_name="Admin Platform", is_platform_admin=True)
    member = login(app.test_client(), user)
    assert member.post(f"/admin/accounts/{admin.id}/disable").status_code == 404
    office = login(app.test_client(), admin)
    office.post(f"/admin/accounts/{admin.id}/disable")
    db.session.expire_all()
    assert db.session.get(User, admin.id).disabled_at is None and _signed_in(office)


@pytest.fixture
def csrf_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def test_login_makes_a_new_csrf_token(app, csrf_on, user):
    browser = app.test_client()
    before = _token(browser.get("/login").text)
    with browser.session_transaction() as session:
        raw_before = session["csrf_token"]
    assert browser.post("/login", data={"login": user.mobile, "password": SECRET, "csrf_token": before}).status_code == 303
    after = _token(browser.get("/account").text)
    with browser.session_transaction() as session:
        assert session["csrf_token"] != raw_before
    assert after != before
    refused = browser.post("/account", data={"full_name": "Dewi", "mobile": user.mobile, "csrf_token": before})
    assert refused.status_code == 400  # the token from before login no longer passes
    assert browser.post("/account", data={"full_name": "Dewi L", "mobile": user.mobile,
                                          "csrf_token": after}).status_code == 303
