"""Public pages: home, the offline fallback, health check."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, jsonify
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from models import home as homepage
from web.extensions import db
from web.public_pages import public
from web.render import render

bp = Blueprint("public", __name__)


@bp.get("/")
@public
def home():
    """The welcome page; after login, the person's home: cards, instalments, orders, store, offices."""
    if not current_user.is_authenticated:
        return render("public/home.html", home=None)
    return render("public/home.html", home=homepage.home(db.session, current_user))


@bp.get("/offline")
@public  # the worker fetches it on install, on the visitor's first page: it must not start a session
def offline():
    """Shown by the service worker for pages not seen before while offline."""
    return render("public/offline.html", keep_flashes=True)


@bp.get("/healthz")
def healthz():
    """200 when the database answers, 503 when it does not."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")

