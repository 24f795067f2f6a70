"""Registering a koperasi, and its office: dashboard, profile, staff, history."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("office", __name__)
