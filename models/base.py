"""Shared column helpers for the typed models."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now in UTC, naive: every timestamp is stored in UTC (shown in WIB)."""
    return datetime.now(UTC).replace(tzinfo=None)
