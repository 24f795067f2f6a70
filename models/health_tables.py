"""The scoring tables of the health rating (Perdep 06/Per/Dep.6/IV/2016): for each ratio, the rows
that turn it into a "nilai" from 0 to 100 (``models.health`` applies them; the source of the
figures is named there).

Rules kept here:
- A row holds low < x ≤ high unless it says otherwise (``closed_low``: low ≤ x; ``open_high``:
  x < high), as the regulation's tables write each row; every table covers every number.
- Bounds are exact fractions: a ratio on a row's edge falls in the row the table names.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Band:
    """One row of a table: low < x ≤ high by default (``closed_low``: low ≤ x; ``open_high``: x < high)."""

    low: Fraction | None
    high: Fraction | None
    nilai: int
    closed_low: bool = False
    open_high: bool = False

    def holds(self, x: Fraction) -> bool:
        above = self.low is None or (x >= self.low if self.closed_low else x > self.low)
        below = self.high is None or (x < self.high if self.open_high else x <= self.high)
        return above and below

    @property
    def text(self) -> str:
        def num(value: Fraction) -> str:
            return f"{float(value):g}".replace(".", ",")
        if self.low is not None and self.high is not None and self.low == self.high:
            return f"x = {num(self.low)}"
        if self.low is None:
            return f"x {'<' if self.open_high else '≤'} {num(self.high)}"
        if self.high is None:
            return f"x {'≥' if self.closed_low else '>'} {num(self.low)}"
        return f"{num(self.low)} {'≤' if self.closed_low else '<'} x {'<' if self.open_high else '≤'} {num(self.high)}"


def F(value) -> Fraction:
    return Fraction(str(value))


def _up(*rows: tuple) -> tuple[Band, ...]:
    """Rows given as (upper bound or None, nilai), each from the previous bound (exclusive) to its own (inclusive)."""
    bands, low = [], None
    for high, nilai in rows:
        bands.append(Band(low, None if high is None else F(high), nilai))
        low = None if high is None else F(high)
    return tuple(bands)


def _from(*rows: tuple) -> tuple[Band, ...]:
    """Rows given as (lower bound or None, nilai): from its bound (inclusive) to the next one (exclusive)."""
    bands = []
    for i, (low, nilai) in enumerate(rows):
        high = rows[i + 1][0] if i + 1 < len(rows) else None
        bands.append(Band(None if low is None else F(low), None if high is None else F(high), nilai,
                          closed_low=True, open_high=True))
    return tuple(bands)


TENS = _up(*[(10 * n, 10 * n) for n in range(0, 10)], (None, 100))  # 0 → 0, 0 < x ≤ 10 → 10, …, x > 90 → 100
TABLES: dict[str, tuple[Band, ...]] = {
    "modal_aset": _from((None, 25), (20, 50), (40, 100), (60, 50), (80, 25)),
    "modal_berisiko": _from((None, 0), *[(10 * n, 10 * n) for n in range(1, 10)], (100, 100)),
    "kecukupan_modal": _from((None, 25), (4, 50), (6, 75), (8, 100)),
    "pinjaman_anggota": _from((None, 0), (25, 50), (50, 75), (75, 100)),
    "npl": (Band(F(0), F(0), 100, closed_low=True), *_up((10, 80), (20, 60), (30, 40), (40, 20), (45, 10), (None, 0))),
    "cadangan": TENS,
    "berisiko": (Band(None, F(21), 100, open_high=True), Band(F(21), F(26), 75, closed_low=True, open_high=True),
                 Band(F(26), F(30), 50, closed_low=True), Band(F(30), None, 25)),
    "beban_partisipasi": _from((None, 100), (70, 75), (85, 50), (100, 25)),
    "beban_shu_kotor": _up((40, 100), (60, 75), (80, 50), (None, 25)),
    "efisiensi_pelayanan": _from((None, 100), (5, 75), (10, 50), (15, 25)),
    "kas": _up((10, 25), (15, 100), (20, 50), (None, 25)),
    "pinjaman_dana": _from((None, 25), (50, 50), (75, 75), (100, 100)),
    "rentabilitas_aset": _from((None, 25), (5, 50), (F("7.5"), 75), (10, 100)),
    "rentabilitas_modal": _from((None, 25), (5, 50), (F("7.5"), 75), (10, 100)),
    "kemandirian": _up((100, 25), (125, 50), (150, 75), (None, 100)),
    "partisipasi_bruto": _from((None, 25), (25, 50), (50, 75), (75, 100)),
    "promosi": _from((None, 25), (5, 50), (F("7.5"), 75), (10, 100)),
}


def band_of(table: str, x: Fraction) -> Band:
    for band in TABLES[table]:
        if band.holds(x):
            return band
    raise ValueError(f"{table}: no row for {x}")  # the tables cover every number
