"""Members: joining a koperasi, the wallet of cards, card verification, resigning."""

from __future__ import annotations

from flask import Blueprint

from web.render import render

bp = Blueprint("membership", __name__)


@bp.get("/cards")
def cards():
    """All of the user's memberships and applications, each a card."""
    return render("public/soon.html", area="cards")
