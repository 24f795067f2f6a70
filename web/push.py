"""Web Push to the installed app (filled in by the push work: subscriptions, VAPID, pywebpush)."""

from __future__ import annotations


def deliver(notification_id: int) -> None:
    """Send one notification to its user's subscribed devices, where they chose to get its kind by push."""
    return None


def deliver_many(notification_ids: list[int]) -> None:
    """One task for a bulk notification (an announcement to every member): each one's push."""
    for notification_id in notification_ids:
        deliver(notification_id)
