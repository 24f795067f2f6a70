"""Web Push to the installed app: a notification goes, encrypted for each browser the user
subscribed, through that browser maker's push service (pywebpush, signed with our VAPID key).

Push is on when ``VAPID_PUBLIC_KEY``, ``VAPID_PRIVATE_KEY`` and ``VAPID_SUBJECT`` are set
(``flask --app wsgi vapid-keys`` prints a fresh pair); without them notifications still land
in ``/notifications``, and the settings page says push is off.
"""

from __future__ import annotations

import json
import logging
from urllib.parse import urlsplit

import click
import requests
from cryptography.hazmat.primitives import serialization
from flask import Flask, current_app
from flask_babel import force_locale
from py_vapid import Vapid
from py_vapid.utils import b64urlencode
from pywebpush import WebPushException, webpush

from models import push
from models.accounts import User
from models.notifications import Notification
from web import notification_text
from web.config import ConfigError
from web.extensions import db

log = logging.getLogger(__name__)

TTL = 4 * 60 * 60  # seconds a push service keeps a message for a phone that is off: later, the list has it
TIMEOUT = 10  # seconds per push service request: one slow service must not hold the queue
MAX_BODY = 1000  # characters: a push message carries at most ~4 kB


def enabled(app: Flask | None = None) -> bool:
    """Are the VAPID keys set (so push can be sent)?"""
    config = (app or current_app).config
    return bool(config["VAPID_PUBLIC_KEY"] and config["VAPID_PRIVATE_KEY"] and config["VAPID_SUBJECT"])


def public_key_of(private_key: str) -> str:
    """The public key (base64url of the uncompressed point, the browser's applicationServerKey)."""
    point = Vapid.from_string(private_key).public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return b64urlencode(point)


def new_keys() -> tuple[str, str]:
    """A fresh VAPID pair: (public, private), each base64url (the private key's raw 32 bytes)."""
    vapid = Vapid()
    vapid.generate_keys()
    raw = vapid.private_key.private_numbers().private_value.to_bytes(32, "big")
    private = b64urlencode(raw)
    return public_key_of(private), private


def _check(app: Flask) -> None:
    """Refuse to start with half a push setup: a wrong key would fail only on the first send."""
    config = app.config
    names = ("VAPID_PUBLIC_KEY", "VAPID_PRIVATE_KEY", "VAPID_SUBJECT")
    given = [name for name in names if config.get(name)]
    if not given:
        return
    if len(given) < len(names):
        missing = ", ".join(name for name in names if name not in given)
        raise ConfigError(f"Web Push needs {', '.join(names)} together; missing: {missing}. "
                          "Make a pair with: flask --app wsgi vapid-keys")
    try:
        public = public_key_of(config["VAPID_PRIVATE_KEY"])
    except Exception as error:
        raise ConfigError("VAPID_PRIVATE_KEY is not a base64url P-256 private key "
                          "(make one with: flask --app wsgi vapid-keys)") from error
    if public != config["VAPID_PUBLIC_KEY"].rstrip("="):
        raise ConfigError("VAPID_PUBLIC_KEY is not the public half of VAPID_PRIVATE_KEY")
    if not config["VAPID_SUBJECT"].startswith(("mailto:", "https://")):
        raise ConfigError("VAPID_SUBJECT is how a push service reaches the operator: mailto:you@example.org "
                          "or an https:// address")


def deliver(notification_id: int) -> None:
    """Send one notification to its user's subscribed devices, where they chose to get its kind by push.

    A subscription the push service calls gone (404/410) is removed; any other failure is
    logged and the other devices still get theirs."""
    if not enabled():
        return
    note = db.session.get(Notification, notification_id)
    if note is None:
        return
    subscriptions = push.subscriptions(note.user_id)
    if not subscriptions or not push.wants(note.user_id, note.kind):
        return
    payload = _payload(note)
    vapid = Vapid.from_string(current_app.config["VAPID_PRIVATE_KEY"])
    with requests.Session() as session:
        session.max_redirects = 0  # a push service answers, it does not send us elsewhere
        for sub in subscriptions:
            _send(sub, payload, vapid, session)


def _payload(note: Notification) -> str:
    """The message the service worker shows: title, body and where a tap leads, in the user's language."""
    user = db.session.get(User, note.user_id)
    locale = user.locale if user and user.locale in current_app.config["LANGUAGES"] else \
        current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        text = notification_text.render(note)
        title, body = str(text.title), str(text.body)
    url = note.url if note.url.startswith("/") and not note.url.startswith("//") else "/notifications"
    return json.dumps({"title": title[:200], "body": body[:MAX_BODY], "url": url}, ensure_ascii=False)


def _send(sub: push.PushSubscription, payload: str, vapid: Vapid, session: requests.Session) -> None:
    host = urlsplit(sub.endpoint).hostname  # the endpoint itself is a secret address: log only its host
    try:
        webpush(sub.info(), payload, vapid_private_key=vapid,
                vapid_claims={"sub": current_app.config["VAPID_SUBJECT"]},  # a fresh dict: pywebpush adds "aud"
                ttl=TTL, timeout=TIMEOUT, requests_session=session)
    except WebPushException as error:
        status = error.response.status_code if error.response is not None else None
        if status in (404, 410):
            push.forget(sub.id)
            db.session.commit()
            log.info("push subscription %s gone (%s from %s): removed", sub.id, status, host)
        else:
            log.warning("push to %s failed: %s", host, status or error.message)
    except Exception:  # a network error, a bad key: one dead phone must not stop the rest
        log.exception("push to %s failed", host)


def deliver_many(notification_ids: list[int]) -> None:
    """One task for a bulk notification (an announcement to every member): the push of those whose
    users have a subscribed phone (one query picks them; the rest have nothing to send)."""
    if not enabled() or not notification_ids:
        return
    for notification_id in push.with_subscriptions(notification_ids):
        deliver(notification_id)


@click.command("vapid-keys")
def vapid_keys_command() -> None:
    """Print a fresh VAPID key pair for Web Push, as environment lines."""
    public, private = new_keys()
    click.echo("# Web Push keys: keep the private one secret; changing them makes every phone subscribe again.")
    click.echo(f"VAPID_PUBLIC_KEY={public}")
    click.echo(f"VAPID_PRIVATE_KEY={private}")
    click.echo("# Who push services may write to about this server (mailto: or https://):")
    click.echo("VAPID_SUBJECT=mailto:ops@example.org")


def init_app(app: Flask) -> None:
    _check(app)
    app.cli.add_command(vapid_keys_command)
