"""Web Push subscriptions (one per browser a user allowed) and the kinds a user keeps off the phone.

Rules kept here:
- A subscription is what the browser's ``pushManager.subscribe`` returned: an endpoint
  on the browser maker's push service and the two keys that encrypt for it. Its endpoint
  is https (the push service is a stranger's server that we POST to: never a plain-http
  or local address, except where the test configuration lets a local fake play it),
  every part has a size limit, and the keys are base64url of the sizes RFC 8291 gives.
- One endpoint belongs to one user: subscribing again from the same browser (after
  logging in as someone else, say) moves it to the new user, so a phone never receives
  the previous user's notifications.
- A user removes only their own subscriptions; a push service answer of 404/410 removes
  one (the browser dropped it).
- Every kind reaches the phone by push once the user has subscribed; a ``PushMute`` row
  keeps one kind off (so a new kind is on by default too).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from datetime import datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db, utcnow
from models.errors import DomainError
from models.notifications import Kind, Notification

MAX_ENDPOINT = 1000  # FCM's and Mozilla's are ~200-400 characters
MAX_KEY = 200
MAX_PER_USER = 20  # phones, tablets, browsers: the oldest goes when a user has more
P256DH_BYTES = 65  # an uncompressed P-256 point
AUTH_BYTES = 16


class PushSubscription(db.Model):
    """One browser's permission to receive a user's notifications."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    endpoint: Mapped[str] = mapped_column(sa.String(MAX_ENDPOINT), unique=True)
    p256dh: Mapped[str] = mapped_column(sa.String(MAX_KEY))
    auth: Mapped[str] = mapped_column(sa.String(MAX_KEY))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def info(self) -> dict:
        """The subscription as pywebpush takes it (as the browser gave it)."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


class PushMute(db.Model):
    """A kind of notification this user does not want pushed (it still lands in the list)."""

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40), primary_key=True)


def _key(value, size: int, name: str) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= MAX_KEY:
        raise DomainError(_l("The browser sent no usable push key."), field=name)
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != size or (name == "p256dh" and raw[0] != 4):
        raise DomainError(_l("The browser sent no usable push key."), field=name)
    return value


# The browser makers' push services (Chrome and Android, Firefox, Safari, Edge): the only hosts the server
# will POST to, so a made-up "subscription" cannot point it at an address inside the network (SSRF).
PUSH_SERVICES = ("fcm.googleapis.com", "push.services.mozilla.com", "push.apple.com", "notify.windows.com")


def _push_service(host: str) -> bool:
    return any(host == known or host.endswith("." + known) for known in PUSH_SERVICES)


def check_endpoint(endpoint, allow_http: bool = False) -> str:
    """The endpoint as stored, or a refusal: https to a known push service (any host, http too, when
    ``allow_http``: the tests' own push service)."""
    if not isinstance(endpoint, str) or not 0 < len(endpoint) <= MAX_ENDPOINT:
        raise DomainError(_l("The browser sent no usable push address."), field="endpoint")
    parts = urlsplit(endpoint)
    if allow_http and parts.scheme == "http" and parts.hostname:
        return endpoint
    if parts.scheme != "https" or not parts.hostname:
        raise DomainError(_l("A push address must start with https://."), field="endpoint")
    try:
        ipaddress.ip_address(parts.hostname)
        literal = True
    except ValueError:
        literal = parts.hostname == "localhost" or parts.hostname.endswith(".localhost")
    if literal or parts.username or parts.password or not (allow_http or _push_service(parts.hostname.lower())):
        raise DomainError(_l("A push address must name a push service, not a bare address."), field="endpoint")
    return endpoint


def subscribe(user_id: int, data, allow_http: bool = False) -> PushSubscription:
    """Keep the subscription a browser gave (``{"endpoint", "keys": {"p256dh", "auth"}}``) for ``user_id``."""
    if not isinstance(data, dict) or not isinstance(data.get("keys"), dict):
        raise DomainError(_l("The browser sent no usable push subscription."))
    endpoint = check_endpoint(data.get("endpoint"), allow_http)
    p256dh = _key(data["keys"].get("p256dh"), P256DH_BYTES, "p256dh")
    auth = _key(data["keys"].get("auth"), AUTH_BYTES, "auth")
    sub = db.session.scalar(sa.select(PushSubscription).where(PushSubscription.endpoint == endpoint))
    if sub is None:
        sub = PushSubscription(user_id=user_id, endpoint=endpoint, p256dh=p256dh, auth=auth)
        db.session.add(sub)
    else:
        sub.user_id, sub.p256dh, sub.auth, sub.created_at = user_id, p256dh, auth, utcnow()
    db.session.flush()
    extra = subscriptions(user_id)[MAX_PER_USER:]
    for old in extra:
        db.session.delete(old)
    db.session.flush()
    return sub


def subscriptions(user_id: int) -> list[PushSubscription]:
    """The user's subscribed browsers, newest first."""
    return list(db.session.scalars(sa.select(PushSubscription).where(PushSubscription.user_id == user_id)
                                   .order_by(PushSubscription.created_at.desc(), PushSubscription.id.desc())))


def with_subscriptions(notification_ids: list[int]) -> list[int]:
    """Of these notifications, the ones whose user has a subscribed browser (in id order)."""
    from_users = sa.select(PushSubscription.user_id)
    return list(db.session.scalars(sa.select(Notification.id).where(
        Notification.id.in_(notification_ids), Notification.user_id.in_(from_users)).order_by(Notification.id)))


def unsubscribe(user_id: int, endpoint: str | None = None) -> int:
    """Remove one of the user's subscriptions (by endpoint), or all of them; never another user's.
    Returns how many went."""
    query = sa.delete(PushSubscription).where(PushSubscription.user_id == user_id)
    if endpoint is not None:
        query = query.where(PushSubscription.endpoint == endpoint)
    return db.session.execute(query).rowcount


def forget(subscription_id: int) -> None:
    """The push service said this subscription is gone (404/410)."""
    db.session.execute(sa.delete(PushSubscription).where(PushSubscription.id == subscription_id))


def muted(user_id: int) -> set[str]:
    """The kinds this user keeps off the phone."""
    return set(db.session.scalars(sa.select(PushMute.kind).where(PushMute.user_id == user_id)))


def choose_kinds(user_id: int, wanted) -> None:
    """Push exactly the ``wanted`` kinds to this user (the others stay in the list only)."""
    known = {str(k) for k in Kind}
    unknown = set(wanted) - known
    if unknown:
        raise DomainError(_l("Choose kinds from the list."), field="kinds")
    off = known - set(wanted)
    db.session.execute(sa.delete(PushMute).where(PushMute.user_id == user_id, PushMute.kind.not_in(off)))
    for kind in sorted(off - muted(user_id)):
        db.session.add(PushMute(user_id=user_id, kind=kind))
    db.session.flush()


def wants(user_id: int, kind: str) -> bool:
    """Does this user want ``kind`` pushed?"""
    return db.session.scalar(sa.select(PushMute.kind).where(PushMute.user_id == user_id, PushMute.kind == kind)) is None
