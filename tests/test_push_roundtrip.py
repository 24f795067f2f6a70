"""Web Push end to end: a real RQ worker process (``flask --app wsgi worker``) takes the job
that ``notify`` queued on Redis, and a local HTTP server playing the push service decrypts
what it receives with the subscription's own keys (http_ece) and checks the VAPID signature.

Redis is at 127.0.0.1:6379 in CI (with CI=true a missing Redis fails instead of skipping);
the tests use database 13 there, emptied before and after."""

from __future__ import annotations

import base64
import json

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from py_vapid import Vapid02

from models import push
from models.notifications import Kind, notify
from tests.fake_push import PUBLIC, VAPID, Browser, FakePushService
from tests.rq_worker import wait_for, worker_fixture  # noqa: F401  (the fixture named worker)
from web import notification_text
from web import push as web_push

SUBJECT = VAPID["VAPID_SUBJECT"]


@pytest.fixture
def service(worker):
    with FakePushService() as fake:
        yield fake
    assert worker.poll() is None, "the worker died"


def _subscribe(db, user, browser: Browser, url: str) -> push.PushSubscription:
    sub = push.subscribe(user.id, browser.subscription(url), allow_http=True)
    db.session.commit()
    return sub


def _claims(authorization: str) -> tuple[dict, str]:
    """The VAPID JWT's claims and the key it names (RFC 8292: "vapid t=<jwt>,k=<key>")."""
    assert Vapid02.verify(authorization)  # signed by the key it names
    parts = dict(token.split("=", 1) for token in authorization.split(" ", 1)[1].split(","))
    payload = parts["t"].split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))), parts["k"]


def test_the_worker_sends_the_notification_encrypted_for_the_phone(service, make_user, db):
    browser = Browser()
    reader = make_user(full_name="Siti Aminah", locale="en")
    _subscribe(db, reader, browser, service.url + "/push/siti-phone")
    note = notify(reader.id, Kind.LOAN_DISBURSED, params={"amount": 5_000_000, "koperasi": "KSP Maju"},
                  url="/k/ksp-maju/me")
    assert service.received.empty()  # nothing before the commit
    db.session.commit()

    got = service.next(timeout=30)
    assert got.path == "/push/siti-phone"
    assert got.headers["content-encoding"] == "aes128gcm" and int(got.headers["ttl"]) == web_push.TTL
    claims, key = _claims(got.headers["authorization"])
    assert key == PUBLIC and claims["sub"] == SUBJECT and claims["aud"] == service.url
    with force_locale("en"):  # the reader's language, not the server's default
        text = notification_text.render(note)
    assert browser.decrypt(got.body) == {"title": str(text.title), "body": str(text.body), "url": "/k/ksp-maju/me"}
    assert text.title and text.body
    assert service.drain() == []  # one notification, one message


def test_a_gone_phone_is_forgotten_and_a_broken_one_stops_no_other(service, make_user, db):
    reader = make_user()
    gone, broken, good = Browser(), Browser(), Browser()
    service.answers.update({"/gone": 410, "/broken": 500})
    gone_id = _subscribe(db, reader, gone, service.url + "/gone").id
    broken_id = _subscribe(db, reader, broken, service.url + "/broken").id
    _subscribe(db, reader, good, service.url + "/good")
    notify(reader.id, Kind.ANNOUNCEMENT, params={"title": "Rapat"}, url="/notifications")
    db.session.commit()

    paths = {service.next(timeout=30).path for _ in range(3)}
    assert paths == {"/gone", "/broken", "/good"}

    def forgotten():
        db.session.rollback()  # a fresh read of what the worker committed
        return db.session.get(push.PushSubscription, gone_id) is None

    wait_for(forgotten, what="removing the gone subscription")
    kept = set(db.session.scalars(sa.select(push.PushSubscription.id).where(push.PushSubscription.user_id == reader.id)))
    assert broken_id in kept and len(kept) == 2  # a 500 is a bad moment, not a gone phone


def test_a_kind_turned_off_is_not_pushed(service, make_user, db):
    browser = Browser()
    reader = make_user()
    _subscribe(db, reader, browser, service.url + "/phone")
    push.choose_kinds(reader.id, [str(k) for k in Kind if k != Kind.ORDER_STATUS])
    db.session.commit()
    notify(reader.id, Kind.ORDER_STATUS, params={"status": "shipped"}, url="/orders")
    db.session.commit()
    notify(reader.id, Kind.SHU_CREDITED, params={"amount": 125_000}, url="/k/x/me")  # queued after it: a marker
    db.session.commit()

    got = service.next(timeout=30)  # one worker takes jobs in order: the muted one was done first
    assert browser.decrypt(got.body)["url"] == "/k/x/me"
    assert service.drain() == []
