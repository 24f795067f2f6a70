"""Koperasi office: the applications queue and the member list."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("office_members", __name__, url_prefix="/k/<slug>/office")
