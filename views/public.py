"""Public pages: home, the offline fallback, health check."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, jsonify
from sqlalchemy.exc import SQLAlchemyError

from web.extensions import db
from web.render import render

bp = Blueprint("public", __name__)


@bp.get("/")
def home():
    """The gateway's front page."""
    return render("public/home.html")


@bp.get("/offline")
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

