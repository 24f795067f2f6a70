"""Push notifications on a phone (360 px): the settings page; turning a kind of
notification off and on again, with and without JavaScript; and consent: the browser
asks permission, subscribes through the service worker with the server's key, and the
subscription reaches the server."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from models import push
from tests.browser.conftest import session_cookie
from tests.browser.guard import watch
from tests.browser.steps import arrive, button, finish, t, told
from tests.fake_push import PUBLIC, Browser, set_vapid_keys


@pytest.fixture
def keys(app, monkeypatch):
    set_vapid_keys(app, monkeypatch)


def _endpoints(db, user) -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(push.PushSubscription.endpoint)
                                   .where(push.PushSubscription.user_id == user.id)))


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_member_keeps_order_news_off_the_phone_then_on_again(actor, keys, make_user, db, javascript):
    member = make_user(full_name="Siti Aminah")
    page = actor(member, js=javascript)
    page.goto("/account")
    arrive(page)
    page.get_by_role("link", name=t("Push notifications")).tap()
    arrive(page, t("Push notifications"))
    state = page.locator("#push-device [role=status]")
    if not javascript:
        expect(state).to_have_text(t("Turning push on needs JavaScript in this browser."))
    kinds = page.locator("#kinds_form")
    order_news = kinds.get_by_label(t("My order's progress"))
    expect(order_news).to_be_checked()
    order_news.uncheck()
    with page.expect_response(lambda r: r.request.method == "POST"):
        button(kinds, "Save").tap()
    told(page, t("Saved: these kinds reach your phone."))
    expect(page.locator("#kinds_form").get_by_label(t("My order's progress"))).not_to_be_checked()
    assert push.muted(member.id) == {"order_status"}
    arrive(page)

    page.locator("#kinds_form").get_by_label(t("My order's progress")).check()
    with page.expect_response(lambda r: r.request.method == "POST"):
        button(page.locator("#kinds_form"), "Save").tap()
    told(page, t("Saved: these kinds reach your phone."))
    expect(page.locator("#kinds_form").get_by_label(t("My order's progress"))).to_be_checked()
    assert push.muted(member.id) == set()
    arrive(page)
    finish(page)


def test_without_keys_the_page_says_push_is_off(actor, make_user):
    page = actor(make_user())
    page.goto("/notifications/settings")
    arrive(page, t("Push notifications"))
    expect(page.get_by_text(t("Push notifications are not set up on this server. Your notifications still appear "
                              "in your list."))).to_be_visible()
    expect(button(page, "Turn on push on this phone")).to_have_count(0)
    finish(page)


def test_consent_subscribes_this_phone_and_turning_off_forgets_it(phone, app, keys, make_user, db, live_server):
    """Headless Chromium has no push service to subscribe with (its pushManager.subscribe
    fails with "push service not available"), so the phone's pushManager is replaced by one
    that answers as a phone's does: with an endpoint and the phone's own keys, for the
    server key the page gave it. Everything else is the browser's: permission, the
    service worker, the page's script, the CSRF header, the server."""
    member = make_user(full_name="Siti Aminah")
    phone.context.add_cookies([session_cookie(app, member, live_server)])
    phone.context.grant_permissions(["notifications"], origin=live_server)
    made = Browser().subscription("https://fcm.googleapis.com/fcm/send/phone-of-siti")
    phone.add_init_script(FAKE_PUSH_MANAGER % {"subscription": made})
    watch(phone)
    phone.goto("/notifications/settings")
    arrive(phone, t("Push notifications"))
    state = phone.locator("#push-device [role=status]")
    expect(state).to_have_text(t("Push is off for this phone."))

    button(phone, "Turn on push on this phone").tap()
    expect(state).to_have_text(t("Push is on for this phone."))
    assert _endpoints(db, member) == [made["endpoint"]]
    assert phone.evaluate("window.__serverKey") == PUBLIC  # subscribed for this server's key
    expect(button(phone, "Turn off on this phone")).to_be_visible()
    arrive(phone)

    button(phone, "Turn off on this phone").tap()
    expect(state).to_have_text(t("Push is off for this phone."))
    assert _endpoints(db, member) == []
    arrive(phone)
    finish(phone)


def test_a_browser_without_a_push_service_says_so(phone, app, keys, make_user, db, live_server):
    """Headless Chromium's own pushManager: it cannot reach a push service (its subscribe
    never answers), and after the page's wait it says so instead of spinning forever."""
    member = make_user()
    phone.context.add_cookies([session_cookie(app, member, live_server)])
    phone.context.grant_permissions(["notifications"], origin=live_server)
    watch(phone)
    phone.clock.install()  # the page's 20 s wait passes at once
    phone.goto("/notifications/settings")
    arrive(phone, t("Push notifications"))
    button(phone, "Turn on push on this phone").tap()
    state = phone.locator("#push-device [role=status]")
    failed = t("This browser could not turn on push. Check your connection and try again.")
    for _ in range(20):  # the wait starts once the worker is ready: move the clock until it has passed
        if failed in state.inner_text():
            break
        phone.clock.run_for(5_000)
    expect(state).to_contain_text(failed)
    assert _endpoints(db, member) == []
    finish(phone)


# pushManager as a phone's: subscribe() keeps and returns one subscription for the given key.
FAKE_PUSH_MANAGER = """
(() => {
  const made = %(subscription)s;
  let current = null;
  const b64 = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer)))
    .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  function subscription(key) {
    return {
      endpoint: made.endpoint,
      options: { applicationServerKey: key, userVisibleOnly: true },
      toJSON: () => ({ endpoint: made.endpoint, expirationTime: null, keys: made.keys }),
      unsubscribe: () => { current = null; return Promise.resolve(true); },
    };
  }
  if (!self.PushManager) return;
  PushManager.prototype.getSubscription = function () { return Promise.resolve(current); };
  PushManager.prototype.subscribe = function (options) {
    if (!options.userVisibleOnly) return Promise.reject(new Error("userVisibleOnly"));
    const key = options.applicationServerKey.buffer ? options.applicationServerKey.buffer : options.applicationServerKey;
    window.__serverKey = b64(key);
    current = subscription(key);
    return Promise.resolve(current);
  };
})();
"""


def test_the_service_worker_shows_a_pushed_notification(phone, app, keys, make_user, live_server):
    """The push message as the server sends it ({title, body, url}), delivered to the phone's
    service worker by Chromium's DevTools (headless has no push service): the phone shows it."""
    phone.context.grant_permissions(["notifications"], origin=live_server)
    phone.goto("/notifications/settings")
    assert phone.evaluate("navigator.serviceWorker.ready.then(() => true)")
    cdp = phone.context.new_cdp_session(phone)
    registrations = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"]))
    cdp.send("ServiceWorker.enable")
    deadline = 50
    while not registrations and deadline:
        phone.wait_for_timeout(100)
        deadline -= 1
    registration = next(r for r in registrations if r["scopeURL"] == live_server + "/")
    message = {"title": "Pinjaman dicairkan", "body": "Rp5.000.000 masuk ke rekening Anda.", "url": "/k/ksp-maju/me"}
    shown = None
    for attempt in range(50):
        if attempt % 10 == 0:  # DevTools may drop a message sent while the worker starts: send it again each second
            cdp.send("ServiceWorker.deliverPushMessage", {"origin": live_server, "data": json.dumps(message),
                                                          "registrationId": registration["registrationId"]})
        shown = phone.evaluate("""navigator.serviceWorker.ready.then((reg) => reg.getNotifications())
            .then((list) => list.map((n) => [n.title, n.body, n.data.url, n.icon]))""")
        if shown:
            break
        phone.wait_for_timeout(100)
    [[title, body, url, icon]] = shown
    assert (title, body, url) == (message["title"], message["body"], message["url"])
    assert "/static/icons/icon-192." in icon
