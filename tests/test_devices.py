"""Your devices on /account: the open sessions (browser, when, from where, "this device"); sign out
one other device or all others; nobody ends another person's session; ``sessions-cleanup`` deletes
the rows of sessions that ended or expired long ago, and keeps the open ones."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from models.base import utcnow
from models.sessions import LOGOUT, UserSession
from tests.conftest import PASSWORD, login

ANDROID = "Mozilla/5.0 (Linux; Android 13; SM-A145F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"
WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"


def browser(app, user, agent: str, address: str):
    client = app.test_client()
    client.environ_base.update({"HTTP_USER_AGENT": agent, "REMOTE_ADDR": address})
    return login(client, user)


def devices_section(page: str) -> str:
    return page[page.index('id="devices"'):page.index("</section>", page.index('id="devices"'))]


def rows(db, user) -> list[UserSession]:
    db.session.expire_all()
    return db.session.scalars(sa.select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id)).all()


def test_the_account_lists_open_devices_and_marks_this_one(app, db, user):
    phone = browser(app, user, ANDROID, "10.1.2.3")
    laptop = browser(app, user, WINDOWS, "10.9.8.7")
    ended = login(app.test_client(), user)
    ended.post("/logout")
    section = devices_section(phone.get("/account").text)
    assert section.count("<li>") == 2  # the logged-out one is not listed
    assert "Chrome · Android" in section and "Firefox · Windows" in section
    assert "dari 10.1.2.3" in section and "dari 10.9.8.7" in section
    [mine] = [item for item in section.split("<li>") if "Chrome · Android" in item]
    [theirs] = [item for item in section.split("<li>") if "Firefox · Windows" in item]
    assert "(perangkat ini)" in mine and "Keluarkan perangkat itu" not in mine  # this one logs out with "Keluar"
    assert "(perangkat ini)" not in theirs and "Keluarkan perangkat itu" in theirs
    assert laptop.get("/account").status_code == 200


def test_sign_out_another_device(app, db, user):
    phone = browser(app, user, ANDROID, "10.1.2.3")
    laptop = browser(app, user, WINDOWS, "10.9.8.7")
    laptop_row = rows(db, user)[1]
    response = phone.post(f"/account/devices/{laptop_row.id}/end")
    assert response.status_code == 303 and response.location == "/account#devices"
    assert laptop.get("/account").status_code == 303  # signed out, on the server
    assert phone.get("/account").status_code == 200
    assert rows(db, user)[1].ended_reason == LOGOUT


def test_another_user_cannot_end_my_session(app, db, user, make_user):
    mine = login(app.test_client(), user)
    [my_row] = rows(db, user)
    other = login(app.test_client(), make_user(full_name="Orang Lain"))
    assert other.post(f"/account/devices/{my_row.id}/end").status_code == 404
    assert other.post("/account/devices/end-others").status_code == 303  # ends only their own others
    assert mine.get("/account").status_code == 200 and rows(db, user)[0].ended_at is None
    assert app.test_client().post(f"/account/devices/{my_row.id}/end").status_code in (302, 303)  # not logged in


def test_after_a_while_signing_out_other_devices_asks_the_password_first(app, db, user):
    """Someone holding a stolen session cannot sign the owner's phone out without the password."""
    owner, holder = login(app.test_client(), user), login(app.test_client(), user)
    db.session.execute(sa.update(UserSession).where(UserSession.user_id == user.id)
                       .values(authenticated_at=utcnow() - timedelta(minutes=16)))
    db.session.commit()
    asked = holder.post("/account/devices/end-others")
    assert asked.status_code == 200 and "Konfirmasi bahwa ini Anda" in asked.text
    wrong = holder.post("/account/devices/end-others", data={"confirm_password": "tebak-tebakan-1"})
    assert wrong.status_code == 422 and owner.get("/account").status_code == 200
    assert holder.post("/account/devices/end-others", data={"confirm_password": PASSWORD}).status_code == 303
    assert owner.get("/account").status_code == 303


def test_sign_out_all_other_devices(app, db, user):
    here = login(app.test_client(), user)
    others = [login(app.test_client(), user) for _ in range(3)]
    assert here.post("/account/devices/end-others").status_code == 303
    assert "Perangkat lain yang dikeluarkan: 3." in here.get("/account").text
    assert all(o.get("/account").status_code == 303 for o in others)
    assert here.get("/account").status_code == 200


def test_sessions_cleanup_deletes_long_ended_and_expired_rows_and_keeps_open_ones(app, db, user, make_user):
    open_one = login(app.test_client(), user)
    for _ in range(3):
        login(app.test_client(), user)
    old_ended, recent_ended, expired = rows(db, user)[1:]
    now = utcnow()
    db.session.execute(sa.update(UserSession).where(UserSession.id == old_ended.id)
                       .values(ended_at=now - timedelta(days=31), ended_reason=LOGOUT))
    db.session.execute(sa.update(UserSession).where(UserSession.id == recent_ended.id)
                       .values(ended_at=now - timedelta(days=2), ended_reason=LOGOUT))
    db.session.execute(sa.update(UserSession).where(UserSession.id == expired.id)
                       .values(last_seen_at=now - timedelta(days=61), created_at=now - timedelta(days=61)))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["sessions-cleanup"])
    assert result.exit_code == 0 and re.search(r"Sessions deleted: 2\b", result.output)
    assert [r.id for r in rows(db, user)] == [rows(db, user)[0].id, recent_ended.id]
    assert open_one.get("/account").status_code == 200
