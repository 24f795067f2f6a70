"""The user's notifications: one list across all their koperasi, read and mark-all-read,
and the unread badge every page's header shows.

Opening a notification is a POST (``/notifications/<id>/open``): it marks it read and
sends the browser on (303) to where the notification leads. A GET would be followed by
link prefetchers and previews and mark things read nobody saw; the POST is idempotent
(a second one finds it read and leads to the same place), and needs no JavaScript.
The list is ``private, no-store``: the service worker never keeps it (it is stale at once,
and on a shared phone it must not outlive the session).
"""

from __future__ import annotations

from datetime import timedelta
from typing import NamedTuple

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, request, url_for
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_login import current_user, login_required

from models import notifications
from models.base import utcnow
from models.koperasi import Koperasi
from models.notifications import Notification
from models.orders import CartItem
from views.fields import Form, query_int
from views.forms import run
from web.extensions import db
from web.notification_text import render as words
from web.render import render, safe_next, see_other

bp = Blueprint("notifications", __name__)
PER_PAGE = 20


class HeaderCounts(NamedTuple):
    cart: int
    unread: int


def header_counts() -> HeaderCounts:
    """The header's two numbers in ONE query (the page budgets have no room for two): lines
    in the cart, unread notifications (``ix_notification_user_unread``). Once per request."""
    if "header_counts" not in g:
        user_id = current_user.id
        cart = sa.select(sa.func.count(CartItem.id)).where(CartItem.user_id == user_id).scalar_subquery()
        unread = sa.select(sa.func.count(Notification.id)).where(
            Notification.user_id == user_id, Notification.read_at.is_(None)).scalar_subquery()
        g.header_counts = HeaderCounts(*db.session.execute(sa.select(cart, unread)).one())
    return g.header_counts


@bp.app_context_processor
def _badge() -> dict:
    """``unread_notifications()`` for the header's bell: only when shown."""

    def unread_notifications() -> int:
        return header_counts().unread if current_user.is_authenticated else 0

    return {"unread_notifications": unread_notifications}


def when(created_at) -> str:
    """How long ago, as people say it ("5 menit yang lalu"); a week on, the date."""
    age = utcnow() - created_at
    return format_timedelta(-age, add_direction=True) if age < timedelta(days=7) else ""


@bp.get("/notifications")
@login_required
def index():
    """Every notification of the user, newest first, 20 at a time (``?before=<id>``: older ones)."""
    before = request.args.get("before", type=query_int)
    # the koperasi rows come along, so the words (their names, their zones) need no query each
    query = (sa.select(Notification, Koperasi).outerjoin(Koperasi, Koperasi.id == Notification.koperasi_id)
             .where(Notification.user_id == current_user.id))
    if before:
        query = query.where(Notification.id < before)
    rows = db.session.execute(query.order_by(Notification.id.desc()).limit(PER_PAGE + 1)).all()
    items = [(note, words(note), when(note.created_at)) for note, _koperasi in rows[:PER_PAGE]]
    older = rows[PER_PAGE - 1][0].id if len(rows) > PER_PAGE else None
    response = render("notifications/index.html", items=items, older=older, before=before, form=Form())
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/notifications/<int:note_id>/open")
@login_required
def open_one(note_id: int):
    """Mark one read and go where it leads (someone else's: 404, nothing marked)."""
    note = notifications.mine(current_user.id, note_id)
    if note is None:
        abort(404)
    if not run(Form(), lambda: notifications.mark_read(note)):
        abort(400)  # only a missing CSRF token fails this form
    return see_other(safe_next(note.url, url_for("notifications.index")))


@bp.post("/notifications/read")
@login_required
def read_all():
    """Mark every notification read."""
    done = run(Form(), lambda: notifications.mark_all_read(current_user.id))
    if not done:
        abort(400)
    if done.value:
        flash(_("All notifications marked as read."), "success")
    return see_other(url_for("notifications.index"))
