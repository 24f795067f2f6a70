"""Search, sort and nearest give what a plain Python computation over the same rows
gives, on SQLite and on PostgreSQL, for ordinary and hostile text alike."""

from __future__ import annotations

import random
import re

import pytest

from models import catalogue, directory
from models.directory import haversine_km

NAMES = ["Koperasi Maju Jaya", "Koperasi Tani Makmur", "Koperasi Nelayan Maju", "KSP Amanah", "Koperasi 100% Halal",
         "Koperasi Tani_Jaya", "Koperasi O'Brien", "Koperasi A\\B Sentosa", "Koperasi Ñusantara Ölmez",
         "Kopwan Mawar", "Koperasi Xavier", "Koperasi Sumber Rezeki 12"]
HOSTILE = ["", "tani", "TANI  makmur", "maju", "ma", "m", "k", "x", "zz", "jaya", "%", "_", "100%", "0%", "i_j",
           "o'b", "'", '"', "\\", "a\\b", "\\b", "ñu", "ölm", "ü", "kop%", "%maj", "[a-z]", "*", "12", "2"]


def naive_names(rows: list[tuple[int, str]], raw: str) -> list[str]:
    """Today's rule, by hand: 3+ characters anywhere in the name, fewer at a word's start; by name."""
    q = " ".join(raw.split()).lower()

    def hit(name: str) -> bool:
        name = name.lower()
        if len(q) >= directory.SHORT_QUERY:
            return q in name
        return name.startswith(q) or (" " + q) in name

    return [name for _id, name in sorted(rows, key=lambda r: (r[1].lower(), r[0])) if not q or hit(name)]


def test_directory_name_search_matches_a_plain_computation(make_koperasi, make_user):
    admin = make_user()
    made = [make_koperasi(admin=admin, name=name) for name in NAMES]
    make_koperasi(admin=admin, name="Koperasi Maju Tertunda", status="pending")
    rows = [(k.id, k.name) for k in made]
    for raw in HOSTILE:
        got = [hit.koperasi.name for hit in directory.search(directory.criteria(q=raw)).hits]
        assert got == naive_names(rows, raw), raw


def test_a_short_query_matches_word_starts_and_a_longer_one_anywhere(make_koperasi, make_user):
    admin = make_user()
    for name in ("Koperasi Maju Jaya", "Koperasi Tani Makmur", "Koperasi Sumber Rezeki"):
        make_koperasi(admin=admin, name=name)

    def found(q):
        return [hit.koperasi.name for hit in directory.search(directory.criteria(q=q)).hits]

    assert found("ma") == ["Koperasi Maju Jaya", "Koperasi Tani Makmur"]  # not "Sumber" (no word starts "ma")
    assert found("umb") == ["Koperasi Sumber Rezeki"]  # inside a word
    assert found("r") == ["Koperasi Sumber Rezeki"]


PRODUCTS = [("Beras Pandan Wangi", "Beras lokal."), ("Beras Merah Organik", "Tanpa pengawet."),
            ("Kopi Gayo Arabika", "Biji kopi sangrai."), ("Kopi Robusta Lampung", "Bubuk kopi."),
            ("Gula Aren Cetak", "Gula merah."), ("Kopi Ñandú Spesial", "Kopi dari Ñandú."),
            ("Sabun 100% Alami", "Tanpa deterjen."), ("Ukiran Kayu Jepara", "Kayu jati."),
            ("Tas O'Neil", "Kulit asli."), ("Kain Tenun_Ikat", "Sumba.")]
SEARCHES = ["beras", "ber", "kopi gayo", "KOPI   sangrai", "gula mer", "ñan", "100", "100%", "o'neil", "tenun_ikat",
            "ikat", "kopi & !beras", '"kopi', "kopi*", "kopi:* | gula", "'; drop table product; --", "\\", "%_",
            "kayu jati jepara ukiran", "tidak ada", "k", "a b c d e f g h i j"]
# (Not "ü" alone: SQLite's FTS5 folds diacritics, so there it finds "Ukiran"; PostgreSQL does not.)


def naive_products(products, q: str) -> list:
    """Every word of ``q`` (letters and digits) begins a word of the name or description; newest first."""
    tokens = catalogue.words(q)

    def hit(p) -> bool:
        text = re.findall(r"[^\W_]+", f"{p.name} {p.description}".lower())
        return all(any(word.startswith(token) for word in text) for token in tokens)

    return [p.name for p in sorted(products, key=lambda p: -p.id) if hit(p)]


def test_product_search_matches_a_plain_computation(make_koperasi, make_store, make_product):
    store = make_store(make_koperasi())
    products = [make_product(store, name=name, description=description) for name, description in PRODUCTS]
    for q in SEARCHES:
        got = [hit.product.name for hit in catalogue.search(catalogue.criteria(q=q)).hits]
        assert got == naive_products(products, q), q


def test_price_orders_match_a_plain_computation(make_koperasi, make_store, make_product):
    store = make_store(make_koperasi())
    prices = [5_000, 12_000, 5_000, 90_000, 12_000, 1_000, 90_000, 5_000]
    made = [make_product(store, name=f"Barang {i}", price_idr=price, category="food" if i % 2 else "crafts")
            for i, price in enumerate(prices)]

    def got(**kwargs):
        return [hit.product.id for hit in catalogue.search(catalogue.criteria(**kwargs)).hits]

    assert got(sort="cheap") == [p.id for p in sorted(made, key=lambda p: (p.price_idr, p.id))]
    assert got(sort="dear") == [p.id for p in sorted(made, key=lambda p: (-p.price_idr, -p.id))]
    assert got(sort="newest") == [p.id for p in sorted(made, key=lambda p: -p.id)]
    food = [p for p in made if p.category == "food"]
    assert got(sort="dear", category="food") == [p.id for p in sorted(food, key=lambda p: (-p.price_idr, -p.id))]


# Places spread over Indonesia: a dense cluster near Bandung, a few towns, one far island.
def _places(n: int, seed: int = 7) -> list[tuple[float, float]]:
    rng = random.Random(seed)
    towns = [(-6.91, 107.61), (-6.18, 106.83), (3.59, 98.67), (-8.65, 115.22), (-2.53, 140.72)]
    out = []
    for i in range(n):
        lat, lng = towns[0] if i % 2 else rng.choice(towns)
        out.append((round(lat + rng.uniform(-0.4, 0.4), 5), round(lng + rng.uniform(-0.4, 0.4), 5)))
    return out


POSITIONS = [(-6.9147, 107.6098), (5.56, 126.58), (-10.7, 123.1), (-2.54, 140.71)]  # Bandung, Miangas, Rote, Jayapura


def test_nearest_koperasi_pages_match_a_plain_computation(make_koperasi, make_user):
    admin = make_user()
    made = [make_koperasi(admin=admin, name=f"Koperasi Titik {i:02d}", lat=lat, lng=lng)
            for i, (lat, lng) in enumerate(_places(36))]
    for position in POSITIONS:
        expected = [k.id for k in sorted(made, key=lambda k: (haversine_km(position, (k.lat, k.lng)), k.id))]
        got = []
        for page in (1, 2, 3):
            result = directory.search(directory.criteria(position=position, page=page), per_page=10)
            got += [hit.koperasi.id for hit in result.hits]
            assert [hit.distance_km for hit in result.hits] == sorted(hit.distance_km for hit in result.hits)
        assert got == expected[:30], position


def test_nearest_products_match_a_plain_computation(make_koperasi, make_store, make_product, make_user):
    kop = make_koperasi()
    stores = [make_store(kop, name=f"Toko Titik {i:02d}", lat=lat, lng=lng) for i, (lat, lng) in enumerate(_places(12))]
    made = [make_product(store, name=f"Barang {store.id} {j}") for store in stores for j in range(3)]
    for position in POSITIONS:
        expected = [p.id for p in sorted(made, key=lambda p: (
            haversine_km(position, (p.store.lat, p.store.lng)), p.id))]
        got = []
        for page in (1, 2):
            got += [hit.product.id for hit in
                    catalogue.search(catalogue.criteria(position=position, page=page), per_page=12).hits]
        distances = [haversine_km(position, (p.store.lat, p.store.lng)) for p in made]
        assert sorted(got) == sorted(expected[:24]) or len(set(distances)) < len(stores), position
        by_id = {p.id: haversine_km(position, (p.store.lat, p.store.lng)) for p in made}
        assert [by_id[i] for i in got] == sorted(by_id[i] for i in got)


@pytest.mark.parametrize("q", ["kopi", "ker", "kopi gayo"])
def test_pages_of_a_search_neither_repeat_nor_skip(make_koperasi, make_store, make_product, q):
    store = make_store(make_koperasi())
    made = [make_product(store, name=f"{word} Nomor {i}") for i, word in enumerate(
        ["Kopi Gayo", "Keripik", "Kopi", "Kerupuk", "Gula"] * 6)]
    got = []
    for page in (1, 2, 3, 4):
        got += [hit.product.id for hit in catalogue.search(catalogue.criteria(q=q, page=page), per_page=4).hits]
    assert got == naive_ids(made, q)[:16]


def naive_ids(products, q):
    names = naive_products(products, q)
    ids = {p.name: p.id for p in products}
    return [ids[name] for name in names]
