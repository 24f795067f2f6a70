"""Password reset: a one-time code by e-mail through a real local SMTP server (aiosmtpd), and a
temporary password from a koperasi's board after checking the member in person."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from models.accounts import User, authenticate
from models.base import utcnow
from models.duties import Duty, Role, may
from models.koperasi import KoperasiEvent
from models.password_reset import PasswordReset
from tests.conftest import PASSWORD, fund, login
from tests.mail_server import code_in

NEW = "kebun-kopi-di-lereng"


def _ask(client, login_as):
    return client.post("/password/forgot", data={"login": login_as})


def _reset(client, login_as, code, password=NEW):
    return client.post("/password/reset", data={"login": login_as, "code": code, "password": password})


# ---------------------------------------------------------------- by e-mail

def test_a_code_by_email_sets_a_new_password_and_ends_every_session(app, db, inbox, make_user):
    user = make_user(email="dewi@contoh.id")
    elsewhere = login(app.test_client(), user)  # another phone, logged in
    client = app.test_client()
    asked = _ask(client, "0" + user.mobile[3:])
    assert asked.status_code == 303 and asked.headers["Location"] == "/password/reset"
    mail = inbox.wait()
    assert mail["To"] == "dewi@contoh.id" and "Kopz" in mail["Subject"]
    code = code_in(mail)
    stored = db.session.scalar(sa.select(PasswordReset.code_hash))
    assert code not in stored  # only its keyed hash
    page = client.get("/password/reset")
    assert "kode sedang dikirim" in page.text and f'value="0{user.mobile[3:]}"' in page.text
    done = _reset(client, "dewi@contoh.id", code)
    assert done.status_code == 303 and done.headers["Location"] == "/login"
    assert authenticate(user.mobile, NEW).id == user.id and authenticate(user.mobile, PASSWORD) is None
    assert elsewhere.get("/account").status_code == 303  # the other phone was logged out
    assert _reset(app.test_client(), "dewi@contoh.id", code, "lagi-kebun-kopi-baru").status_code == 422  # once only
    assert authenticate(user.mobile, NEW) is not None


def test_the_request_answers_the_same_whether_or_not_the_account_exists(app, db, inbox, make_user):
    make_user(mobile="081311112222", email="ada@contoh.id")
    make_user(mobile="081311113333")  # an account without e-mail: nothing to send to
    answers = []
    for who in ("081311112222", "081399990000", "tidak-ada@contoh.id", "081311113333"):
        client = app.test_client()
        response = _ask(client, who)
        answers.append((response.status_code, response.headers["Location"], _flash(client)))
    assert len(set(answers)) == 1
    assert inbox.wait()["To"] == "ada@contoh.id"
    time.sleep(0.3)  # any other mail would have arrived by now
    assert len(inbox.messages) == 1


def _flash(client) -> str:
    page = client.get("/password/reset").text
    return re.search(r'<p class="flash[^"]*"[^>]*>(.*?)</p>', page, re.S).group(1)


def test_a_wrong_code_five_times_voids_it(app, db, inbox, make_user):
    user = make_user(email="dewi@contoh.id")
    client = app.test_client()
    _ask(client, user.email)
    code = code_in(inbox.wait())
    wrong = f"{(int(code) + 1) % 10 ** 8:08d}"
    for _ in range(5):
        response = _reset(client, user.email, wrong)
        assert response.status_code == 422 and "Kode ini salah" in response.text
        assert NEW not in response.text
    assert _reset(client, user.email, code).status_code == 422  # the right one, too late
    assert authenticate(user.mobile, PASSWORD) is not None


def test_an_expired_code_is_refused(app, db, inbox, make_user):
    user = make_user(email="dewi@contoh.id")
    client = app.test_client()
    _ask(client, user.email)
    code = code_in(inbox.wait())
    db.session.execute(sa.update(PasswordReset).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert _reset(client, user.email, code).status_code == 422
    assert authenticate(user.mobile, PASSWORD) is not None


def test_a_new_code_voids_the_old_and_a_weak_password_keeps_the_code(app, db, inbox, make_user):
    user = make_user(full_name="Dewi Lestari", email="dewi@contoh.id")
    client = app.test_client()
    _ask(client, user.email)
    first = code_in(inbox.wait())
    _ask(client, user.email)
    second = code_in(inbox.wait(2))
    assert _reset(client, user.email, first).status_code == 422 or first == second
    weak = _reset(client, user.email, second, "dewilestari")
    assert weak.status_code == 422 and "dari nama atau nomor HP" in weak.text
    assert _reset(client, user.email, second).status_code == 303


def test_requests_are_rate_limited(app, db, inbox, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "RESET_REQUEST_IP_LIMIT", "5 per hour")
    user = make_user(email="dewi@contoh.id")
    client = app.test_client()
    for _ in range(3):
        assert _ask(client, user.email).status_code == 303
    assert _ask(client, user.email).status_code == 303  # the same answer, but no fourth code
    inbox.wait(3)
    time.sleep(0.3)
    assert len(inbox.messages) == 3
    assert _ask(client, "081399990000").status_code == 303
    refused = _ask(client, "081399990001")  # the sixth from this address in the hour
    assert refused.status_code == 429 and "Terlalu banyak permintaan" in refused.text


# ---------------------------------------------------------------- by the koperasi's staff

@pytest.fixture
def k(make_koperasi):
    return fund(make_koperasi(name="Koperasi Tani Makmur", member_prefix="KTM"))


def _staff_reset(client, k, membership, checked=True):
    data = {"form": "reset_password", **({"checked": "y"} if checked else {})}
    return client.post(f"/k/{k.slug}/office/members/{membership.id}", data=data)


@pytest.mark.parametrize("role", list(Role))
def test_each_role_on_the_staff_reset(app, db, k, make_staff, make_member, make_user, role):
    member = make_member(k, user=make_user(full_name="Siti Aminah", mobile="081355550000"))
    staff = make_staff(k, role)
    client = login(app.test_client(), staff)
    page = client.get(f"/k/{k.slug}/office/members/{member.id}").text
    assert ("Beri kata sandi sementara" in page) == may(role, Duty.RESET_PASSWORD)
    response = _staff_reset(client, k, member)
    events = db.session.scalars(sa.select(KoperasiEvent).where(KoperasiEvent.action == "password_reset")).all()
    if not may(role, Duty.RESET_PASSWORD):
        assert response.status_code == 403 and events == []
        assert authenticate("081355550000", PASSWORD) is not None
        return
    assert response.status_code == 200 and response.headers["Cache-Control"] == "private, no-store"
    temporary = re.search(r'class="temporary-password">([^<]+)<', response.text).group(1)
    [event] = events
    assert event.actor_id == staff.id and event.detail_map["user_id"] == member.user_id
    assert "Siti Aminah" in client.get(f"/k/{k.slug}/office/history").text
    assert authenticate("081355550000", PASSWORD) is None
    # the member logs in with it and must choose their own before anything else
    person = app.test_client()
    first = person.post("/login", data={"login": "081355550000", "password": temporary})
    assert first.status_code == 303 and first.headers["Location"] == "/account/new-password"
    assert person.get("/cards").headers["Location"] == "/account/new-password"
    assert person.post("/account/new-password", data={"password": temporary}).status_code == 422
    assert person.post("/account/new-password", data={"password": NEW}).status_code == 303
    assert person.get("/cards").status_code == 200
    assert authenticate("081355550000", NEW) is not None and authenticate("081355550000", temporary) is None


def test_the_staff_reset_needs_the_ktp_box_and_never_takes_staff_accounts(app, db, k, make_staff, make_member,
                                                                          make_user):
    board = make_staff(k, "pengurus")
    client = login(app.test_client(), board)
    member = make_member(k, user=make_user(full_name="Siti Aminah"))
    assert _staff_reset(client, k, member, checked=False).status_code == 422
    teller = make_staff(k, "teller", user=make_user(full_name="Teller Juga Anggota", mobile="081344440000"))
    as_member = make_member(k, user=teller)
    refused = _staff_reset(client, k, as_member)
    assert refused.status_code == 422 and "hanya bisa diatur ulang lewat email" in refused.text
    assert authenticate("081344440000", PASSWORD) is not None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(KoperasiEvent)
                             .where(KoperasiEvent.action == "password_reset")) == 0


def test_another_koperasis_staff_cannot_reset(app, db, k, make_koperasi, make_staff, make_member, make_user):
    member = make_member(k, user=make_user(full_name="Siti Aminah", mobile="081355550000"))
    other = make_koperasi(name="Koperasi Tetangga", member_prefix="KTG")
    client = login(app.test_client(), make_staff(other, "admin"))
    assert _staff_reset(client, k, member).status_code == 404
    assert client.post(f"/k/{other.slug}/office/members/{member.id}/reset-password",
                       data={"checked": "y"}).status_code == 404
    assert authenticate("081355550000", PASSWORD) is not None
    assert db.session.get(User, member.user_id).must_change_password is False


# ---------------------------------------------------------------- the owner of a taken number; no SMTP server

def test_the_owner_of_a_taken_number_hears_of_it_by_email(app, db, inbox, make_user):
    make_user(mobile="081311112222", email="dewi@contoh.id")
    response = app.test_client().post("/register", data={"full_name": "Orang Lain", "mobile": "0813 1111 2222",
                                                         "email": "", "password": "sandi-aman-1"})
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    mail = inbox.wait()
    assert mail["To"] == "dewi@contoh.id" and "/password/forgot" in mail.get_content()
    assert authenticate("081311112222", "sandi-aman-1") is None


def test_without_smtp_host_the_mail_goes_to_the_log(app, db, make_user, caplog, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_HOST", "")
    make_user(email="dewi@contoh.id")
    with caplog.at_level("WARNING", logger="web.mail"):
        assert app.test_client().post("/password/forgot", data={"login": "dewi@contoh.id"}).status_code == 303
    assert "To: dewi@contoh.id" in caplog.text and re.search(r"\b\d{8}\b", caplog.text)


def test_in_production_without_smtp_host_the_code_stays_out_of_the_log(app, db, make_user, caplog, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_HOST", "")
    monkeypatch.setitem(app.config, "KOPZ_ENV", "production")
    make_user(email="dewi@contoh.id")
    with caplog.at_level("WARNING", logger="web.mail"):
        assert app.test_client().post("/password/forgot", data={"login": "dewi@contoh.id"}).status_code == 303
    assert "not sent" in caplog.text and "dewi@contoh.id" in caplog.text
    assert not re.search(r"\b\d{8}\b", caplog.text) and "/password/reset" not in caplog.text
