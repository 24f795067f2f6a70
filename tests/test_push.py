"""Push settings: consent per browser, which kinds reach the phone, who may remove what,
bad subscriptions refused, and delivery in the inline mode (no Redis)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from models import push
from models.notifications import Kind, notify
from tests.conftest import login
from tests.fake_push import PRIVATE, PUBLIC, Browser, FakePushService, set_vapid_keys
from web import push as web_push
from web.config import ConfigError


@pytest.fixture
def keys(app, monkeypatch):
    """Push set up, as a server with VAPID keys in its environment."""
    set_vapid_keys(app, monkeypatch)
    monkeypatch.setitem(app.config, "REDIS_URL", None)


def _subs(db, user=None) -> list:
    query = sa.select(push.PushSubscription.endpoint)
    if user is not None:
        query = query.where(push.PushSubscription.user_id == user.id)
    return list(db.session.scalars(query.order_by(push.PushSubscription.id)))


def test_without_keys_the_page_says_push_is_off_and_refuses_a_subscription(app, user_client, db):
    page = user_client.get("/notifications/settings")
    assert page.status_code == 200
    assert "Push belum disiapkan di server ini" in page.text and "data-push-key" not in page.text
    answer = user_client.post("/notifications/settings/subscribe", json=Browser().subscription("https://fcm.example/x"))
    assert answer.status_code == 409 and answer.json["error"]
    assert _subs(db) == []


def test_the_page_offers_consent_with_the_server_key_in_both_languages(keys, user_client):
    page = user_client.get("/notifications/settings")
    assert f'data-push-key="{PUBLIC}"' in page.text
    assert "Nyalakan push di ponsel ini" in page.text and "Pinjaman dicairkan" in page.text
    assert re.search(r'<script defer src="/static/js/push\.[0-9a-f]{12}\.js">', page.text)
    user_client.set_cookie("lang", "en")
    user_client.post("/language", data={"lang": "en"})
    page = user_client.get("/notifications/settings")
    assert "Turn on push on this phone" in page.text and "Loan paid out" in page.text


def test_a_subscription_is_kept_for_the_user_and_a_second_time_changes_nothing(keys, user_client, user, db):
    sub = Browser().subscription("https://fcm.googleapis.com/fcm/send/abc123")
    first = user_client.post("/notifications/settings/subscribe", json=sub)
    again = user_client.post("/notifications/settings/subscribe", json=sub)
    assert first.status_code == again.status_code == 201 and first.json["ok"]
    assert _subs(db, user) == ["https://fcm.googleapis.com/fcm/send/abc123"]
    assert "Perangkat yang menerima push untuk akun Anda: 1" in user_client.get("/notifications/settings").text


def test_a_browser_subscribed_again_by_another_account_moves_to_it(keys, app, user_client, user, make_user, db):
    sub = Browser().subscription("https://fcm.googleapis.com/fcm/send/shared-phone")
    user_client.post("/notifications/settings/subscribe", json=sub)
    other = make_user(full_name="Rudi")
    assert login(app.test_client(), other).post("/notifications/settings/subscribe", json=sub).status_code == 201
    assert _subs(db, user) == [] and _subs(db, other) == [sub["endpoint"]]


GOOD = Browser().subscription("https://updates.push.services.mozilla.com/wpush/v2/abc")


@pytest.mark.parametrize("body,status,message", [
    ("not json", 400, "JSON"),
    ([1, 2], 400, "JSON"),
    ({"endpoint": "https://fcm.example/x"}, 422, "langganan push"),
    ({**GOOD, "endpoint": "http://push.example/x"}, 422, "https://"),
    ({**GOOD, "endpoint": "javascript:alert(1)"}, 422, "https://"),
    ({**GOOD, "endpoint": "https://10.0.0.5/x"}, 422, "layanan push"),
    ({**GOOD, "endpoint": "https://localhost:8443/x"}, 422, "layanan push"),
    ({**GOOD, "endpoint": "https://intranet.koperasi.local/x"}, 422, "layanan push"),  # not a push service
    ({**GOOD, "endpoint": "https://fcm.googleapis.com.evil.example/x"}, 422, "layanan push"),
    ({**GOOD, "endpoint": "https://fcm.example/" + "a" * 1000}, 422, "alamat push"),
    ({**GOOD, "keys": {"p256dh": "AAAA", "auth": GOOD["keys"]["auth"]}}, 422, "kunci push"),
    ({**GOOD, "keys": {"p256dh": GOOD["keys"]["p256dh"], "auth": "!!!"}}, 422, "kunci push"),
    ({**GOOD, "keys": {"p256dh": GOOD["keys"]["p256dh"], "auth": 12}}, 422, "kunci push"),
])
def test_a_bad_subscription_is_refused_with_a_message_and_nothing_kept(keys, app, monkeypatch, user_client, db,
                                                                       body, status, message):
    monkeypatch.setitem(app.config, "PUSH_ALLOW_HTTP", False)  # as in production
    if isinstance(body, str):
        answer = user_client.post("/notifications/settings/subscribe", data=body, content_type="application/json")
    else:
        answer = user_client.post("/notifications/settings/subscribe", json=body)
    assert answer.status_code == status
    assert message in answer.json["error"]
    assert _subs(db) == []


def test_a_huge_body_is_refused(keys, user_client, db):
    answer = user_client.post("/notifications/settings/subscribe", json={**GOOD, "pad": "x" * 10_000})
    assert answer.status_code == 400 and _subs(db) == []


def test_only_a_logged_in_user_subscribes(keys, client, db):
    answer = client.post("/notifications/settings/subscribe", json=GOOD)
    assert answer.status_code in (302, 303) and "/login" in answer.headers["Location"]
    assert _subs(db) == []


def test_another_users_subscription_cannot_be_removed(keys, app, user_client, user, make_user, db):
    user_client.post("/notifications/settings/subscribe", json=GOOD)
    thief = login(app.test_client(), make_user(full_name="Orang Lain"))
    answer = thief.post("/notifications/settings/unsubscribe", json={"endpoint": GOOD["endpoint"]})
    assert answer.status_code == 404
    thief.post("/notifications/settings/unsubscribe", data={})  # "all my devices": the thief has none
    assert _subs(db, user) == [GOOD["endpoint"]]


def test_the_owner_removes_this_browser_or_all_of_them(keys, user_client, user, db):
    second = Browser().subscription("https://fcm.googleapis.com/fcm/send/tablet")
    user_client.post("/notifications/settings/subscribe", json=GOOD)
    user_client.post("/notifications/settings/subscribe", json=second)
    answer = user_client.post("/notifications/settings/unsubscribe", json={"endpoint": GOOD["endpoint"]})
    assert answer.status_code == 200 and _subs(db, user) == [second["endpoint"]]
    answer = user_client.post("/notifications/settings/unsubscribe", data={})
    assert answer.status_code == 303 and _subs(db, user) == []
    assert "Push dimatikan di semua perangkat Anda" in user_client.get(answer.headers["Location"]).text


def test_subscribe_needs_the_csrf_token_in_the_header(keys, app, monkeypatch, user_client, db):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    refused = user_client.post("/notifications/settings/subscribe", json=GOOD)
    assert refused.status_code == 400 and _subs(db) == []
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', user_client.get("/notifications/settings").text)[1]
    assert user_client.post("/notifications/settings/subscribe", json=GOOD,
                            headers={"X-CSRFToken": token}).status_code == 201
    assert user_client.post("/notifications/settings/unsubscribe", json={"endpoint": GOOD["endpoint"]}).status_code == 400
    assert _subs(db) == [GOOD["endpoint"]]


# ---------------------------------------------------------------- kinds

def test_every_kind_is_on_until_the_user_turns_one_off_without_javascript(user_client, user, db):
    page = user_client.get("/notifications/settings").text
    assert page.count('name="kinds"') == len(Kind) and page.count("checked") == len(Kind)
    wanted = [str(k) for k in Kind if k not in (Kind.ORDER_STATUS, Kind.ANNOUNCEMENT)]
    answer = user_client.post("/notifications/settings", data={"kinds": wanted})
    assert answer.status_code == 303
    page = user_client.get(answer.headers["Location"]).text
    assert "Tersimpan" in page and page.count("checked") == len(Kind) - 2
    assert push.muted(user.id) == {"order_status", "announcement"}
    assert not push.wants(user.id, "announcement") and push.wants(user.id, "loan_approved")
    user_client.post("/notifications/settings", data={"kinds": [str(k) for k in Kind]})
    assert push.muted(user.id) == set()


def test_kinds_saved_with_htmx_answer_the_form_alone(user_client, user):
    answer = user_client.post("/notifications/settings", data={"kinds": ["loan_approved"]},
                              headers={"HX-Request": "true", "HX-Target": "kinds_form"})
    assert answer.status_code == 200 and "<html" not in answer.text and "Tersimpan" in answer.text
    assert len(push.muted(user.id)) == len(Kind) - 1


def test_an_unknown_kind_is_refused_and_nothing_changes(user_client, user):
    answer = user_client.post("/notifications/settings", data={"kinds": ["loan_approved", "free_money"]})
    assert answer.status_code == 422 and "bukan pilihan yang ada" in answer.text
    assert push.muted(user.id) == set()


# ---------------------------------------------------------------- configuration

def test_half_a_push_setup_stops_the_start(app):
    from web import create_app

    with pytest.raises(ConfigError, match="VAPID_SUBJECT"):
        create_app({"VAPID_PUBLIC_KEY": PUBLIC, "VAPID_PRIVATE_KEY": PRIVATE, "STATIC_BUILD_DIR": app.config["STATIC_BUILD_DIR"]},
                   env="testing")
    other, _ = web_push.new_keys()
    with pytest.raises(ConfigError, match="public half"):
        create_app({"VAPID_PUBLIC_KEY": other, "VAPID_PRIVATE_KEY": PRIVATE, "VAPID_SUBJECT": "mailto:a@b.example",
                    "STATIC_BUILD_DIR": app.config["STATIC_BUILD_DIR"]}, env="testing")


def test_vapid_keys_prints_a_pair_that_belongs_together(app):
    out = app.test_cli_runner().invoke(args=["vapid-keys"]).output
    pairs = dict(line.split("=", 1) for line in out.splitlines() if not line.startswith("#"))
    assert web_push.public_key_of(pairs["VAPID_PRIVATE_KEY"]) == pairs["VAPID_PUBLIC_KEY"]
    assert pairs["VAPID_SUBJECT"].startswith("mailto:")


def test_the_worker_refuses_to_start_without_redis(app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code != 0 and "REDIS_URL is not set" in result.output


# ---------------------------------------------------------------- inline delivery (no Redis)

def test_inline_delivery_runs_after_the_request_in_the_users_language(keys, app, make_user, db, monkeypatch):
    """The embedded default: no REDIS_URL, the push goes once the request has answered."""
    from flask_babel import get_locale

    from web import notification_text

    monkeypatch.setattr(notification_text, "render", lambda note: notification_text.Text(
        title=f"title-{get_locale()}", body=f"body {note.params['n']}"))
    browser = Browser()
    reader = make_user(full_name="Reader", locale="en")
    with FakePushService() as service:
        push.subscribe(reader.id, browser.subscription(service.url + "/phone"), allow_http=True)
        db.session.commit()
        with app.test_request_context("/k/x/office/loans/1/approve", method="POST"):  # someone else's request
            notify(reader.id, Kind.LOAN_APPROVED, params={"n": 7}, url="/k/x/me")
            db.session.commit()
            assert service.received.empty()  # not before the request has answered
            app.do_teardown_request()
        message = browser.decrypt(service.next(timeout=10).body)
    assert message == {"title": "title-en", "body": "body 7", "url": "/k/x/me"}


def test_a_notification_rolled_back_is_never_pushed(keys, app, make_user, db):
    reader = make_user()
    with FakePushService() as service:
        push.subscribe(reader.id, Browser().subscription(service.url + "/phone"), allow_http=True)
        db.session.commit()
        with app.test_request_context("/"):
            notify(reader.id, Kind.ANNOUNCEMENT, params={})
            db.session.rollback()
            app.do_teardown_request()
        assert service.drain() == []


def test_the_page_has_no_inline_script_or_style(keys, user_client):
    """The CSP allows only our own script files: the page's script is one of them."""
    html = user_client.get("/notifications/settings").text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"\son[a-z]+=", html) and not re.search(r"\sstyle=", html)
