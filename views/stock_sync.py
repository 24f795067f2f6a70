"""Stock changes made offline on the seller page, sent later as one JSON batch.

POST /seller/stock-sync takes {"changes": [{"product_id", "delta" | "set_to", "key"}]}
and answers {"results": [{"key", "ok": true, "stock": n} | {"key", "ok": false,
"error": "<message>", "stock": n?}], "seen": [{"product_id", "stock", "at"}]}, one result
per change, in order; "seen" is each product's stock as the batch leaves it, with the time of
its last change ("at", microseconds, as the seller page's data-stock-at), so the phone keeps
the newest number it has seen even when it later shows an older kept copy of the page. Each change is
its own transaction (one refused change never undoes another), and its key makes a
resent batch change nothing more (models.market.change_stock remembers applied keys).
CSRF: the X-CSRFToken header, as for htmx requests.
"""

from __future__ import annotations

import calendar
from datetime import datetime

import sqlalchemy as sa
from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from models.errors import DomainError
from models.market import Product, Store, change_stock
from views.fields import MAX_INT
from web.extensions import db

bp = Blueprint("stock_sync", __name__)

MAX_CHANGES = 500
MAX_KEY = 64


@bp.app_template_filter("microstamp")
def microstamp(moment: datetime) -> int:
    """A stored (naive UTC) time as whole microseconds since 1970: exact, and ordered like the times."""
    return calendar.timegm(moment.timetuple()) * 1_000_000 + moment.microsecond


def _whole(value) -> int | None:
    """A JSON whole number (not a boolean, not a float) that an integer column holds, else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) and abs(value) <= MAX_INT else None


def _bad(message: str):
    return jsonify({"error": message}), 400


def _parse(body) -> list[dict] | None:
    """The list of changes, or None when the body is not the agreed shape."""
    if not isinstance(body, dict) or not isinstance(body.get("changes"), list):
        return None
    changes = body["changes"]
    if len(changes) > MAX_CHANGES:
        return None
    for change in changes:
        if not isinstance(change, dict) or _whole(change.get("product_id")) is None:
            return None
        key = change.get("key")
        if not isinstance(key, str) or not 1 <= len(key) <= MAX_KEY:
            return None
    return changes


@bp.post("/seller/stock-sync")
@login_required
def sync():
    body = request.get_json(silent=True)
    changes = _parse(body)
    if changes is None:
        return _bad(_("Send the stock changes as JSON: {\"changes\": [{\"product_id\", \"delta\" or "
                      "\"set_to\", \"key\"}]}, at most %(n)s at a time.", n=MAX_CHANGES))
    ids = {c["product_id"] for c in changes}
    mine = set(db.session.scalars(sa.select(Product.id).join(Store, Product.store_id == Store.id).where(
        Product.id.in_(ids), Store.owner_id == current_user.id))) if ids else set()
    results = []
    for change in changes:
        key, product_id = change["key"], change["product_id"]
        product = db.session.get(Product, product_id) if product_id in mine else None
        if product is None:
            results.append({"key": key, "ok": False, "error": _("This product is not yours or no longer exists.")})
            continue
        set_to = _whole(change.get("set_to"))
        delta = _whole(change.get("delta")) if set_to is None else None
        if "set_to" in change and set_to is None:
            set_to, delta = -1, None  # a set_to that is not a whole number: refused by the rule below
        try:
            stock = change_stock(product, delta=delta, set_to=set_to, key=key, by=current_user)
        except DomainError as error:
            db.session.rollback()
            now = db.session.scalar(sa.select(Product.stock).where(Product.id == product_id))
            result = {"key": key, "ok": False, "error": str(error.message)}
            if now is not None:
                result["stock"] = now
            results.append(result)
            continue
        db.session.commit()
        results.append({"key": key, "ok": True, "stock": stock})
    seen = db.session.execute(sa.select(Product.id, Product.stock, Product.updated_at).where(Product.id.in_(sorted(mine))))
    return jsonify({"results": results, "seen": [{"product_id": product_id, "stock": stock, "at": microstamp(at)}
                                                 for product_id, stock, at in seen]})
