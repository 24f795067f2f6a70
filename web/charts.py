"""Small bar charts drawn on the server as SVG: no script, a few hundred bytes each.

A chart is readable without colour: every bar carries its month and value as a tooltip,
the newest value is written out above the chart, the highest value marks the scale, and
the figures are in a table under the chart for screen readers and exact reading."""

from __future__ import annotations

from dataclasses import dataclass

from babel.dates import format_date
from babel.numbers import format_compact_decimal
from flask_babel import get_locale

from models.dashboard import Series
from models.money import idr

WIDTH, HEIGHT, GAP = 300, 90, 4


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    letter: str  # the month's initial, under the bar
    month: str  # "Jan 2026"
    value: str


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    baseline: float
    top: str  # the scale: the highest value
    last: str  # the newest value
    width: int = WIDTH
    height: int = HEIGHT


def compact(value: int, money: bool) -> str:
    text = format_compact_decimal(value, locale=get_locale(), fraction_digits=1)
    return f"Rp{text}" if money else text


def bar_chart(series: Series, money: bool = True) -> Chart:
    """Bars for each month of ``series``, scaled to the highest (or lowest, below zero) value."""
    locale = get_locale()
    high, low = max(max(series.values, default=0), 0), min(min(series.values, default=0), 0)
    span = (high - low) or 1
    baseline = HEIGHT * high / span
    step = WIDTH / max(len(series.values), 1)
    bars = []
    for i, (month, value) in enumerate(zip(series.months, series.values, strict=True)):
        size = HEIGHT * abs(value) / span
        bars.append(Bar(x=round(i * step + GAP / 2, 1), y=round(baseline - size if value >= 0 else baseline, 1),
                        width=round(step - GAP, 1), height=round(max(size, 1 if value else 0), 1),
                        letter=format_date(month, "MMMMM", locale=locale),
                        month=format_date(month, "MMM yyyy", locale=locale),
                        value=idr(value) if money else str(value)))
    return Chart(bars=bars, baseline=round(baseline, 1), top=compact(high, money),
                 last=idr(series.last) if money else str(series.last))
