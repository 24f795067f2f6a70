"""Calendar months of a koperasi: "YYYY-MM" as typed and stored, their bounds in the
koperasi's own days (``models.zones``), and which month has ended.

A month is kept as the ``date`` of its first day; its bounds are naive UTC [start, end)
like every stored time, and the moment month-end postings are dated is the last second
of the month (``closing_stamp``), so they belong to the month they close.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta

from models.zones import zone_of


def parse(text: str | None) -> date | None:
    """"2026-03" → date(2026, 3, 1); None if unreadable (or outside years 2000–2999)."""
    try:
        month = datetime.strptime((text or "").strip(), "%Y-%m").date()
    except ValueError:
        return None
    return month if 2000 <= month.year <= 2999 else None


def label(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def previous(month: date) -> date:
    return date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


def last_day(month: date) -> date:
    """The last day of the month ``month`` is in."""
    return month.replace(day=days_in(month))


def days_in(month: date) -> int:
    return calendar.monthrange(month.year, month.month)[1]


def current(koperasi) -> date:
    """The month it is now in the koperasi's zone."""
    return zone_of(koperasi).today().replace(day=1)


def last_ended(koperasi) -> date:
    """The month that ended last (the month-end run's default)."""
    return previous(current(koperasi))


def has_ended(koperasi, month: date) -> bool:
    return month < current(koperasi)


def midnight(koperasi, day: date) -> datetime:
    """The koperasi's midnight at the start of ``day`` (its zone, no daylight saving), as naive UTC."""
    return datetime.combine(day, time()) - timedelta(hours=zone_of(koperasi).hours)


def bounds(koperasi, month: date) -> tuple[datetime, datetime]:
    """The month's days in the koperasi's zone as naive UTC [start, end)."""
    return midnight(koperasi, month), midnight(koperasi, next_month(month))


def closing_stamp(koperasi, month: date) -> datetime:
    """When month-end postings (interest, its tax, dues autopay) are dated: the month's last second."""
    return bounds(koperasi, month)[1] - timedelta(seconds=1)


def months_between(first: date, last: date) -> list[date]:
    """Every month from ``first`` through ``last`` (first days), oldest first."""
    out, month = [], first.replace(day=1)
    while month <= last:
        out.append(month)
        month = next_month(month)
    return out
