"""Demo of the regulator's report: the first Bandung koperasi's employees (3 men, 2 women: the
manager, a teller, a store keeper, a field officer and an administrative clerk) and its public
transparency page switched on."""

from __future__ import annotations

from collections import Counter

from models.koperasi import Koperasi


def regulator_settings(added: Counter, koperasi: Koperasi) -> None:
    """Set the employees and switch transparency on, once (a koperasi that set them keeps its own)."""
    if koperasi.employees_men or koperasi.employees_women:
        return
    koperasi.employees_men, koperasi.employees_women = 3, 2
    koperasi.transparency_public = True
    added["regulator settings"] += 1
