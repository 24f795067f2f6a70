"""The key pages the benchmark drives and measures: name -> (who asks, a function giving the URL).

Kinds: ``anon`` (no login), ``member`` (a member with a card, ``{slug}`` their koperasi), ``seller``,
``office`` (an admin pengurus, ``{slug}`` their koperasi), ``big`` (the admin of the largest koperasi).
Shared by the load (locustfile.py) and the runner's per-page measures (run.py); no dependency.
"""

from __future__ import annotations

import random
from collections.abc import Callable


def pages(m: dict) -> dict[str, tuple[str, Callable[[], str]]]:
    """Page name -> (session kind, a function giving a URL). The same table the runner measures."""
    s, pos = m["search"], m["positions"]
    city, remote = pos["city"], pos["remote"]

    def pick(key):
        return lambda: random.choice(m[key])

    return {
        "home": ("anon", lambda: "/"),
        "directory": ("anon", lambda: "/koperasi"),
        "directory search 1 word": ("anon", lambda: f"/koperasi?q={s['directory_one']}"),
        "directory search 2 words": ("anon", lambda: "/koperasi?q=" + s["directory_several"].replace(" ", "+")),
        "directory filters": ("anon", lambda: f"/koperasi?province={m['province']}&jenis={m['jenis']}"),
        "directory nearest (city)": ("anon", lambda: f"/koperasi?lat={city['lat']}&lng={city['lng']}"),
        "directory nearest (remote island)": ("anon", lambda: f"/koperasi?lat={remote['lat']}&lng={remote['lng']}"),
        "koperasi profile": ("anon", lambda: f"/k/{pick('koperasi')()}"),
        "catalogue newest": ("anon", lambda: "/market?sort=newest"),
        "catalogue cheapest": ("anon", lambda: "/market?sort=cheap"),
        "catalogue dearest": ("anon", lambda: "/market?sort=dear"),
        "catalogue category": ("anon", lambda: f"/market?category={m['category']}"),
        "catalogue search 1 word": ("anon", lambda: f"/market?q={s['market_one']}"),
        "catalogue search 3 words": ("anon", lambda: "/market?q=" + s["market_several"].replace(" ", "+")),
        "catalogue nearest": ("anon", lambda: f"/market?sort=near&lat={city['lat']}&lng={city['lng']}"),
        "product": ("anon", lambda: f"/market/{pick('products')()}"),
        "store": ("anon", lambda: f"/toko/{pick('stores')()}"),
        "cards": ("member", lambda: "/cards"),
        "member page": ("member", lambda: "/k/{slug}/me"),
        "statement (csv)": ("member", lambda: "/k/{slug}/me/statement.csv"),
        "cart": ("member", lambda: "/cart"),
        "seller": ("seller", lambda: "/seller"),
        "office dashboard": ("office", lambda: "/k/{slug}/office"),
        "books": ("office", lambda: "/k/{slug}/office/books"),
        "books trial balance": ("office", lambda: "/k/{slug}/office/books/trial-balance"),
        "books neraca": ("office", lambda: "/k/{slug}/office/books/neraca"),
        "office dashboard (largest koperasi)": ("big", lambda: "/k/{slug}/office"),
        "books neraca (largest koperasi)": ("big", lambda: "/k/{slug}/office/books/neraca"),
    }


