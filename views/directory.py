"""Finding a koperasi: the directory, nearest first, and each koperasi's profile."""

from __future__ import annotations

from flask import Blueprint

from web.render import render

bp = Blueprint("directory", __name__)


@bp.get("/koperasi")
def index():
    """Search and filter koperasi; nearest first when a position is given."""
    return render("public/soon.html", area="koperasi")
