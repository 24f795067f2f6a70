"""Re-authentication: staff posting money a while after last typing the password confirm it first
(one place: web/access.py ``office`` → web/reauth.py), on a page that re-posts the form as it was
sent, so it posts exactly once; a new mobile number or e-mail on /account needs the password.
Time is moved by setting the session row's ``authenticated_at``."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import sqlalchemy as sa

from models.accounts import User
from models.base import utcnow
from models.ledger import balances
from models.sessions import UserSession
from tests.conftest import PASSWORD, login
from tests.test_idempotency_keys import count, kop, new_key, teller, teller_user  # noqa: F401  (the same koperasi and teller)

CONFIRM = "Konfirmasi bahwa ini Anda"
WRONG = "Kata sandi salah. Belum ada yang dilakukan."


def idle(db, user: User, minutes: int) -> None:
    """The password was last typed ``minutes`` ago in each of the user's sessions."""
    db.session.execute(sa.update(UserSession).where(UserSession.user_id == user.id)
                       .values(authenticated_at=utcnow() - timedelta(minutes=minutes)))
    db.session.commit()


def hidden_fields(page: str) -> dict:
    """The confirm page's re-posted fields, as the browser would send them back."""
    form = page[page.index('<form method="post"'):]
    form = form[:form.index("</form>")]
    return {html.unescape(n): html.unescape(v)
            for n, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form)}


def test_an_idle_teller_confirms_the_password_and_the_deposit_posts_once(app, kop, make_member, teller, teller_user, db):  # noqa: F811
    member = make_member(kop)
    url, key = f"/k/{kop.slug}/office/teller/{member.id}/deposit", new_key()
    idle(db, teller_user, 16)

    asked = teller.post(url, data={"kind": "sukarela", "amount": "250.000", "means": "cash", "key": key})
    assert asked.status_code == 200 and CONFIRM in asked.text
    assert count("deposit") == 0  # nothing posted before the password
    fields = hidden_fields(asked.text)
    assert fields == {"csrf_token": fields["csrf_token"], "kind": "sukarela", "amount": "250.000", "means": "cash",
                      "key": key}
    assert f'action="{url}"' in asked.text

    wrong = teller.post(url, data=fields | {"confirm_password": "bukan-sandinya"})
    assert wrong.status_code == 422 and WRONG in wrong.text and hidden_fields(wrong.text)["key"] == key
    assert count("deposit") == 0

    copy = app.test_client()  # someone copied the cookie before the password was typed again
    copy.set_cookie("session", teller.get_cookie("session").value)
    posted = teller.post(url, data=fields | {"confirm_password": PASSWORD})
    assert posted.status_code == 303 and "/office/receipts/" in posted.location
    again = teller.post(url, data=fields | {"confirm_password": PASSWORD})  # the confirm page sent twice
    assert again.status_code == 303 and again.location == posted.location
    assert count("deposit") == 1 and balances(member.id)["sukarela"] == 250_000
    assert copy.get("/account").status_code == 303  # the session's secret was renewed with the password

    # the password was just typed: the next deposit posts at once
    assert teller.post(url, data={"kind": "sukarela", "amount": "10.000", "means": "cash",
                                  "key": new_key()}).status_code == 303
    assert count("deposit") == 2


def test_within_15_minutes_money_posts_without_asking(kop, make_member, teller, teller_user, db):  # noqa: F811
    member = make_member(kop)
    idle(db, teller_user, 14)
    response = teller.post(f"/k/{kop.slug}/office/teller/{member.id}/deposit",
                           data={"kind": "sukarela", "amount": "50.000", "means": "cash", "key": new_key()})
    assert response.status_code == 303 and count("deposit") == 1


def test_reading_and_work_that_moves_no_money_are_not_asked(app, kop, make_member, teller, teller_user, db):  # noqa: F811
    member = make_member(kop)
    idle(db, teller_user, 60 * 5)
    db.session.execute(sa.update(UserSession).where(UserSession.user_id == teller_user.id)
                       .values(last_seen_at=utcnow()))
    db.session.commit()
    page = teller.get(f"/k/{kop.slug}/office/teller/{member.id}")
    assert page.status_code == 200 and CONFIRM not in page.text


def test_a_withdrawal_is_confirmed_too_with_its_prefixed_fields(kop, make_member, teller, teller_user, db):  # noqa: F811
    from models import savings

    member = make_member(kop)
    savings.deposit(member, "sukarela", 300_000, "cash", teller_user)
    db.session.commit()
    idle(db, teller_user, 20)
    url = f"/k/{kop.slug}/office/teller/{member.id}"
    data = {"form": "withdraw", "withdraw-amount": "100.000", "withdraw-means": "cash", "withdraw-key": new_key()}
    asked = teller.post(url, data=data)
    assert asked.status_code == 200 and CONFIRM in asked.text and balances(member.id)["sukarela"] == 300_000
    assert teller.post(url, data=hidden_fields(asked.text) | {"confirm_password": PASSWORD}).status_code == 303
    assert balances(member.id)["sukarela"] == 200_000


def test_wrong_passwords_are_limited_and_then_even_the_right_one_waits(kop, make_member, teller, teller_user, db):  # noqa: F811
    member = make_member(kop)
    idle(db, teller_user, 16)
    url = f"/k/{kop.slug}/office/teller/{member.id}/deposit"
    data = {"kind": "sukarela", "amount": "50.000", "means": "cash", "key": new_key()}
    for _ in range(5):
        assert teller.post(url, data=data | {"confirm_password": "salah-lagi-99"}).status_code == 422
    refused = teller.post(url, data=data | {"confirm_password": PASSWORD})
    assert refused.status_code == 429 and "Terlalu banyak kata sandi salah" in refused.text
    assert count("deposit") == 0


def test_an_htmx_post_gets_the_confirm_page_as_a_whole_page(kop, make_member, teller, teller_user, db):  # noqa: F811
    member = make_member(kop)
    idle(db, teller_user, 16)
    asked = teller.post(f"/k/{kop.slug}/office/teller/{member.id}/deposit",
                        data={"kind": "sukarela", "amount": "50.000", "means": "cash", "key": new_key()},
                        headers={"HX-Request": "true", "HX-Target": "deposit_form"})
    assert asked.status_code == 200 and CONFIRM in asked.text and "<html" in asked.text
    assert asked.headers["HX-Retarget"] == "body" and count("deposit") == 0


def test_other_staff_get_404_or_403_before_any_password_is_asked(app, kop, make_koperasi, make_member, make_staff, db):  # noqa: F811
    member = make_member(kop)
    stranger = make_staff(make_koperasi(), "teller")
    pengawas = make_staff(kop, "pengawas")
    url = f"/k/{kop.slug}/office/teller/{member.id}/deposit"
    data = {"kind": "sukarela", "amount": "50.000", "means": "cash", "key": new_key(), "confirm_password": PASSWORD}
    for user, status in ((stranger, 404), (pengawas, 403)):
        client = login(app.test_client(), user)
        idle(db, user, 16)
        assert client.post(url, data=data).status_code == status
    assert count("deposit") == 0


# ---------------------------------------------------------------- contacts on /account

def _profile(user, **changes) -> dict:
    return {"full_name": user.full_name, "mobile": user.mobile_display, "email": user.email or ""} | changes


def test_a_new_mobile_number_or_email_needs_the_current_password(app, db, user):
    client = login(app.test_client(), user)
    old = user.mobile
    missing = client.post("/account", data=_profile(user, mobile="081299998888"))
    assert missing.status_code == 422
    assert "Ketik kata sandi Anda saat ini untuk mengganti nomor HP atau email." in missing.text
    assert 'value="081299998888"' in missing.text  # what was typed comes back
    wrong = client.post("/account", data=_profile(user, email="dewi@contoh.id", current_password="salah-sekali"))
    assert wrong.status_code == 422 and "Kata sandi saat ini salah." in wrong.text
    db.session.expire_all()
    assert (db.session.get(User, user.id).mobile, db.session.get(User, user.id).email) == (old, None)
    done = client.post("/account", data=_profile(user, mobile="081299998888", email="dewi@contoh.id",
                                                 current_password=PASSWORD))
    assert done.status_code == 303
    db.session.expire_all()
    changed = db.session.get(User, user.id)
    assert (changed.mobile, changed.email) == ("+6281299998888", "dewi@contoh.id")


def test_the_name_alone_changes_without_the_password(app, db, user):
    client = login(app.test_client(), user)
    assert client.post("/account", data=_profile(user, full_name="Dewi Lestari Putri")).status_code == 303
    db.session.expire_all()
    assert db.session.get(User, user.id).full_name == "Dewi Lestari Putri"
