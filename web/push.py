"""Web Push to the installed app (filled in by the push work: subscriptions, VAPID, pywebpush)."""

from __future__ import annotations


def deliver(notification_id: int) -> None:
    """Send one notification to its user's subscribed devices, where they chose to get its kind by push."""
    return None
