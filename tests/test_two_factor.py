"""The second factor (TOTP, pyotp) for staff: set up with a QR code and a first code, ten recovery
codes shown once, asked at login after the password (no session before the code), a code never
taken twice, wrong codes limited, turning it off needs the password and a code; a koperasi may
require it, and then its staff are sent to set it up before any office page. The tests compute
codes as the phone's app does (pyotp, from the key shown at set-up)."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
import sqlalchemy as sa

from models.second_factor import RecoveryCode, SecondFactor
from models.sessions import UserSession
from tests.conftest import PASSWORD, fund, login
from tests.test_duties import profile_form
from tests.test_idempotency_keys import count, new_key

QR = '<div class="qr-inline" role="img" aria-label="Kode QR untuk aplikasi autentikator"><svg viewBox='
WRONG_CODE = "Kode ini salah, atau sudah pernah dipakai. Ketik kode terbaru dari aplikasi."


def key_on(page: str) -> str:
    return re.search(r'<code class="secret-key" translate="no">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")


def set_up(client) -> tuple[pyotp.TOTP, list[str]]:
    """Turn the factor on as a person does: read the key, type the app's code; the recovery codes."""
    page = client.get("/account/two-factor")
    assert page.status_code == 200 and QR in page.text
    totp = pyotp.TOTP(key_on(page.text))
    done = client.post("/account/two-factor", data={"current_password": PASSWORD,
                                                    "code": totp.at(time.time() - 30)})  # the app's previous code
    assert done.status_code == 200 and "<title>Kode pemulihan · Kopz</title>" in done.text, done.text
    assert 'action="/account/devices/end-others"' in done.text  # the option to sign the other devices out
    return totp, re.findall(r"<li><code>([a-z2-7]{5}-[a-z2-7]{5})</code></li>", done.text)


def password_step(client, user):
    response = client.post("/login", data={"login": user.mobile, "password": PASSWORD})
    assert response.status_code == 303 and response.location == "/login/code"
    return response


def signed_in(client) -> bool:
    return client.get("/account").status_code == 200


def open_sessions(db, user) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(UserSession).where(
        UserSession.user_id == user.id, UserSession.ended_at.is_(None)))


@pytest.fixture
def staff(make_koperasi, make_staff):
    return make_staff(make_koperasi(), "teller")


def test_set_up_shows_a_qr_and_the_key_once_then_never_again(app, db, staff):
    client = login(app.test_client(), staff)
    page = client.get("/account/two-factor").text
    key = key_on(page)
    assert client.get("/account/two-factor").text.count(" ".join(key[i:i + 4] for i in range(0, len(key), 4))) == 1
    stored = db.session.get(SecondFactor, staff.id)
    assert key not in stored.secret_encrypted and stored.confirmed_at is None  # kept encrypted; not on yet
    wrong = client.post("/account/two-factor", data={"current_password": PASSWORD, "code": "000000"})
    assert wrong.status_code == 422 and WRONG_CODE in wrong.text and key_on(wrong.text) == key
    no_password = client.post("/account/two-factor", data={"current_password": "bukan-ini-99",
                                                           "code": pyotp.TOTP(key).now()})
    assert no_password.status_code == 422 and "Kata sandi saat ini salah." in no_password.text
    db.session.expire_all()
    assert db.session.get(SecondFactor, staff.id).confirmed_at is None

    totp, codes = set_up(client)
    assert len(codes) == len(set(codes)) == 10
    on = client.get("/account/two-factor").text
    assert "Sisa kode pemulihan: 10." in on and key not in on.replace(" ", "") and "qr-inline" not in on
    hashes = db.session.scalars(sa.select(RecoveryCode.code_hash).where(RecoveryCode.user_id == staff.id)).all()
    assert len(hashes) == 10 and not any(c.replace("-", "") in h for c in codes for h in hashes)


def test_login_asks_the_code_after_the_password_and_starts_no_session_before(app, db, staff):
    totp, _ = set_up(login(app.test_client(), staff))
    before = open_sessions(db, staff)
    phone = app.test_client()
    password_step(phone, staff)
    assert open_sessions(db, staff) == before and not signed_in(phone)
    wrong = phone.post("/login/code", data={"code": "123456"})
    assert wrong.status_code == 422 and WRONG_CODE in wrong.text and not signed_in(phone)
    assert phone.post("/login/code", data={"code": totp.now()}).status_code == 303
    assert signed_in(phone) and open_sessions(db, staff) == before + 1


def test_a_code_used_once_is_refused_the_second_time(app, staff):
    totp, _ = set_up(login(app.test_client(), staff))
    code = totp.now()
    first = app.test_client()
    password_step(first, staff)
    assert first.post("/login/code", data={"code": code}).status_code == 303
    thief = app.test_client()  # saw the code typed, and tries it within its 30 seconds
    password_step(thief, staff)
    replay = thief.post("/login/code", data={"code": code})
    assert replay.status_code == 422 and WRONG_CODE in replay.text and not signed_in(thief)
    assert thief.post("/login/code", data={"code": totp.at(time.time() + 30)}).status_code == 303  # the next one


def test_a_recovery_code_works_once(app, db, staff):
    _, codes = set_up(login(app.test_client(), staff))
    phone = app.test_client()
    password_step(phone, staff)
    assert phone.post("/login/code", data={"code": codes[3].upper().replace("-", " ")}).status_code == 303
    again = app.test_client()
    password_step(again, staff)
    assert again.post("/login/code", data={"code": codes[3]}).status_code == 422 and not signed_in(again)
    assert "Sisa kode pemulihan: 9." in phone.get("/account/two-factor").text


def test_wrong_codes_are_limited_then_even_the_right_one_waits(app, staff):
    totp, _ = set_up(login(app.test_client(), staff))
    phone = app.test_client()
    password_step(phone, staff)
    for _ in range(5):
        assert phone.post("/login/code", data={"code": "000000"}).status_code == 422
    refused = phone.post("/login/code", data={"code": totp.now()})
    assert refused.status_code == 429 and "Terlalu banyak percobaan yang salah" in refused.text and not signed_in(phone)


def test_the_code_step_without_a_password_first_leads_to_login(app):
    response = app.test_client().post("/login/code", data={"code": "123456"})
    assert response.status_code == 303 and response.location == "/login"


def test_turning_it_off_needs_the_password_and_a_code(app, db, staff):
    client = login(app.test_client(), staff)
    totp, codes = set_up(client)
    no_password = client.post("/account/two-factor/off", data={"current_password": "bukan-ini-99", "code": totp.now()})
    assert no_password.status_code == 422 and "Kata sandi saat ini salah." in no_password.text
    no_code = client.post("/account/two-factor/off", data={"current_password": PASSWORD, "code": "000000"})
    assert no_code.status_code == 422 and WRONG_CODE in no_code.text
    assert db.session.get(SecondFactor, staff.id) is not None
    assert client.post("/account/two-factor/off", data={"current_password": PASSWORD, "code": codes[0]}).status_code == 303
    db.session.expire_all()
    assert db.session.get(SecondFactor, staff.id) is None
    assert app.test_client().post("/login", data={"login": staff.mobile, "password": PASSWORD}).location == "/"


def test_a_koperasi_that_requires_it_sends_its_staff_to_set_it_up_first(app, db, make_koperasi, make_staff,
                                                                         make_member):
    kop = fund(make_koperasi())
    teller = make_staff(kop, "teller")
    member = make_member(kop)
    kop.staff_second_factor = True
    db.session.commit()
    client = login(app.test_client(), teller)
    office = client.get(f"/k/{kop.slug}/office/teller")
    assert office.status_code == 303
    assert office.location == f"/account/two-factor?next=/k/{kop.slug}/office/teller"
    refused = client.post(f"/k/{kop.slug}/office/teller/{member.id}/deposit",
                          data={"kind": "sukarela", "amount": "50.000", "means": "cash", "key": new_key()})
    assert refused.status_code == 303 and refused.location.startswith("/account/two-factor")
    assert count("deposit") == 0
    page = client.get(office.location)
    assert "meminta stafnya masuk dengan faktor kedua" in page.text
    totp = pyotp.TOTP(key_on(page.text))
    done = client.post("/account/two-factor", data={"current_password": PASSWORD, "code": totp.now(),
                                                    "next": f"/k/{kop.slug}/office/teller"})
    assert f'href="/k/{kop.slug}/office/teller"' in done.text  # "I have kept them: continue" goes back there
    assert client.get(f"/k/{kop.slug}/office/teller").status_code == 200


def test_the_board_sets_the_requirement_and_a_teller_cannot(app, db, make_koperasi, make_staff):
    from tests.conftest import board

    kop = make_koperasi()
    teller = login(app.test_client(), make_staff(kop, "teller"))
    form = profile_form(kop) | {"staff_second_factor": "y"}
    assert teller.post(f"/k/{kop.slug}/office/profile", data=form).status_code == 403
    db.session.refresh(kop)
    assert kop.staff_second_factor is False
    admin = login(app.test_client(), board(kop))
    assert admin.post(f"/k/{kop.slug}/office/profile", data=form).status_code == 303
    db.session.refresh(kop)
    assert kop.staff_second_factor is True
    # the admin has no second factor yet either: the next office page sends them to set it up
    assert admin.get(f"/k/{kop.slug}/office").location.startswith("/account/two-factor")


def test_a_password_reset_by_e_mail_code_does_not_skip_the_second_factor(app, db, make_koperasi, make_staff,
                                                                         make_user):
    from models.password_reset import request_code

    staff = make_staff(make_koperasi(), "teller", user=make_user(full_name="Rina Staf", email="rina@contoh.id"))
    totp, _ = set_up(login(app.test_client(), staff))
    _, code = request_code(staff.email)
    db.session.commit()
    reset = app.test_client().post("/password/reset", data={"login": staff.email, "code": code,
                                                            "password": "sandi-baru-2026"})
    assert reset.status_code == 303
    phone = app.test_client()
    response = phone.post("/login", data={"login": staff.email, "password": "sandi-baru-2026"})
    assert response.location == "/login/code" and not signed_in(phone)
    assert phone.post("/login/code", data={"code": totp.now()}).status_code == 303 and signed_in(phone)


def test_wrong_passwords_or_codes_at_set_up_are_limited_too(app, db, staff):
    client = login(app.test_client(), staff)
    key = key_on(client.get("/account/two-factor").text)
    for _ in range(5):
        assert client.post("/account/two-factor", data={"current_password": "tebak-lagi-99",
                                                         "code": pyotp.TOTP(key).now()}).status_code == 422
    refused = client.post("/account/two-factor", data={"current_password": PASSWORD, "code": pyotp.TOTP(key).now()})
    assert refused.status_code == 429 and "Terlalu banyak percobaan yang salah" in refused.text
    db.session.expire_all()
    assert db.session.get(SecondFactor, staff.id).confirmed_at is None
