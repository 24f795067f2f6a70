"""A platform admin logs out every device of an account (a lost phone) without disabling it: the
copied cookies open nothing, the owner logs in again; nobody else can do it (ASVS 7.4.5)."""

from __future__ import annotations

import sqlalchemy as sa

from models.sessions import BY_ADMIN, UserSession
from tests.conftest import PASSWORD, login


def _signed_in(client) -> bool:
    return client.get("/account").status_code == 200


def test_the_platform_admin_logs_out_every_device_and_the_owner_logs_in_again(app, db, user, make_user):
    admin = login(app.test_client(), make_user(full_name="Admin Platform", is_platform_admin=True))
    phones = [login(app.test_client(), user), login(app.test_client(), user)]
    assert "Perangkat yang masuk: 2" in admin.get("/admin/accounts", query_string={"q": user.mobile}).text
    assert admin.post(f"/admin/accounts/{user.id}/log-out").status_code == 303
    answer = admin.get("/admin/accounts", query_string={"q": user.mobile})
    assert f"{user.full_name} dikeluarkan dari 2 perangkat." in answer.text
    assert "Perangkat yang masuk: 0" in answer.text and "Keluarkan semua perangkat" not in answer.text
    assert not any(_signed_in(phone) for phone in phones) and _signed_in(admin)
    assert set(db.session.scalars(sa.select(UserSession.ended_reason).where(UserSession.user_id == user.id))) == {BY_ADMIN}
    assert _signed_in(login(app.test_client(), user, PASSWORD))  # not disabled: the password still opens it


def test_nobody_but_a_platform_admin_logs_out_another_account(app, db, user, make_user):
    phone = login(app.test_client(), user)
    other = login(app.test_client(), make_user(full_name="Anggota Lain"))
    assert other.post(f"/admin/accounts/{user.id}/log-out").status_code == 404
    assert app.test_client().post(f"/admin/accounts/{user.id}/log-out").status_code in (302, 303)
    assert _signed_in(phone)
