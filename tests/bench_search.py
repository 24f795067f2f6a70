"""Benchmark: catalogue search and listing over many products (not collected by pytest).

    python -m tests.bench_search [--n 200000] [--runs 5]
    TEST_DATABASE_URL=postgresql+psycopg://… python -m tests.bench_search --national \
        [--koperasi 130000] [--stores 50000] [--n 500000] [--runs 5]

``--national`` (PostgreSQL): rows of Indonesia's shape made by PostgreSQL itself
(tests/search_data.py, generate_series), then every main catalogue and directory query
of tests/search_data.py timed (median, p95, worst) with the rows it read, one line each.

Uses the database in TEST_DATABASE_URL (default: a temporary SQLite file), which it
empties and migrates first, bulk-inserts koperasi, stores (one per 50 products, a
few pending or suspended) and N products named from everyday Indonesian goods,
times ``catalogue.search`` for a set of searches and listings, and prints median /
p95 and the query plans that show the full-text index in use.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from tests.bench_nearest import TOWNS, _app, _explain, _reset
from tests.search_data import CATALOGUE, DIRECTORY, fill, vacuum

GOODS = {  # category: (product, unit, price range)
    "food": [("Beras Pandan Wangi", "karung", 60_000, 90_000), ("Beras Merah Organik", "kg", 18_000, 30_000),
             ("Kopi Gayo Arabika", "bungkus", 45_000, 120_000), ("Kopi Robusta Lampung", "bungkus", 25_000, 60_000),
             ("Gula Aren Cetak", "kg", 20_000, 35_000), ("Keripik Singkong Balado", "bungkus", 8_000, 20_000),
             ("Sambal Roa Manado", "botol", 25_000, 45_000), ("Madu Hutan Sumbawa", "botol", 80_000, 150_000),
             ("Teh Melati Tubruk", "kotak", 5_000, 15_000), ("Rendang Daging Sapi", "kotak", 60_000, 110_000),
             ("Kerupuk Udang Sidoarjo", "bungkus", 15_000, 35_000), ("Tempe Murni", "papan", 5_000, 10_000)],
    "agriculture": [("Bibit Cabai Rawit", "polybag", 3_000, 8_000), ("Pupuk Kompos Organik", "karung", 20_000, 45_000),
                    ("Telur Ayam Kampung", "rak", 45_000, 70_000), ("Jagung Pipil Kering", "kg", 6_000, 9_000)],
    "fashion": [("Batik Tulis Pekalongan", "lembar", 250_000, 900_000), ("Kain Tenun Ikat Sumba", "lembar",
                                                                          400_000, 2_000_000),
                ("Kaos Sablon Lokal", "pcs", 60_000, 120_000), ("Sandal Kulit Garut", "pasang", 90_000, 200_000)],
    "crafts": [("Anyaman Rotan Keranjang", "pcs", 40_000, 150_000), ("Gerabah Kasongan", "pcs", 30_000, 250_000),
               ("Ukiran Kayu Jepara", "pcs", 150_000, 1_500_000)],
    "household": [("Sabun Sereh Alami", "batang", 10_000, 25_000), ("Minyak Goreng Kelapa", "botol", 30_000, 45_000),
                  ("Sapu Ijuk", "pcs", 20_000, 35_000)],
    "health": [("Jamu Kunyit Asam", "botol", 8_000, 20_000), ("Minyak Kayu Putih", "botol", 20_000, 45_000)],
    "electronics": [("Pulsa dan Paket Data", "paket", 10_000, 100_000), ("Servis HP", "kali", 50_000, 300_000)],
    "services": [("Jasa Jahit Baju", "pcs", 50_000, 250_000), ("Cuci Setrika Kiloan", "kg", 6_000, 10_000)],
}
ADJECTIVES = ["Asli", "Premium", "Super", "Murah", "Segar", "Pilihan", "Spesial", "Khas Desa", "Kemasan Baru", ""]
DESCRIPTIONS = ["Produksi anggota koperasi, dikirim hari ini.", "Tanpa pengawet, langsung dari petani.",
                "Bisa ambil di toko atau diantar.", "Kualitas terjamin, harga anggota lebih murah.",
                "Buatan tangan pengrajin lokal.", "Stok terbatas, pesan lewat WhatsApp."]
SEARCHES = ["beras", "kopi gayo", "ker", "batik tulis", "sambal", "madu hutan", "gula aren", "kain tenun sumba",
            "minyak", "jamu kunyit", "ukiran jepara", "tidak ada barang ini"]


def _insert(db, n: int, chunk: int = 5000) -> float:
    from models.accounts import register_user
    from models.koperasi import Koperasi
    from models.market import Product, Store

    started = time.perf_counter()
    rng = random.Random(42)
    user = register_user("Bench Penjual", "081200000000", "rahasia-123")
    db.session.commit()
    n_kop, n_store = max(1, n // 500), max(1, n // 50)
    db.session.execute(sa.insert(Koperasi), [
        dict(slug=f"koperasi-{k:05d}", name=f"Koperasi {TOWNS[k % len(TOWNS)][0]} {k}",
             search_name=f"koperasi {k}", legal_number=f"AHU-{k:07d}", jenis="serba_usaha", description="",
             address="Jl. Contoh", province_code=TOWNS[k % len(TOWNS)][1], regency_code=TOWNS[k % len(TOWNS)][2],
             lat=TOWNS[k % len(TOWNS)][3], lng=TOWNS[k % len(TOWNS)][4], pokok_idr=100_000, wajib_idr=20_000,
             requirements="", member_prefix="K", last_member_seq=0, status="verified", created_by_id=user.id)
        for k in range(n_kop)])
    kop_ids = list(db.session.scalars(sa.select(Koperasi.id).order_by(Koperasi.id)))
    stores = []
    for s in range(n_store):
        kop = kop_ids[s % len(kop_ids)]
        _town, _p, _r, lat, lng = TOWNS[(kop - kop_ids[0]) % len(TOWNS)]
        stores.append(dict(slug=f"toko-{s:06d}", koperasi_id=kop, owner_id=user.id, name=f"Toko Anggota {s}",
                           description="", address="Jl. Pasar", lat=lat + rng.gauss(0, 0.2),
                           lng=lng + rng.gauss(0, 0.2), pickup=True, delivery_fee_idr=0, cod=False,
                           opening_hours="08.00–17.00",
                           status=rng.choices(["approved", "pending", "suspended"], [90, 7, 3])[0]))
    for i in range(0, len(stores), chunk):
        db.session.execute(sa.insert(Store), stores[i:i + chunk])
    store_rows = db.session.execute(sa.select(Store.id, Store.koperasi_id).order_by(Store.id)).all()
    goods = [(cat, *item) for cat, items in GOODS.items() for item in items]
    now, batch = datetime(2026, 11, 1), []
    for i in range(n):
        store_id, kop = store_rows[i % len(store_rows)]
        cat, name, unit, low, high = rng.choice(goods)
        price = rng.randrange(low, high, 500)
        batch.append(dict(store_id=store_id, koperasi_id=kop, category=cat, unit=unit, price_idr=price,
                          name=" ".join(filter(None, [name, rng.choice(ADJECTIVES)])),
                          description=rng.choice(DESCRIPTIONS),
                          member_price_idr=price - 1_000 if rng.random() < 0.3 else None,
                          stock=rng.choice([0, 1, 5, 20, 100]), active=rng.random() > 0.05,
                          created_at=now + timedelta(minutes=i), updated_at=now))
        if len(batch) == chunk:
            db.session.execute(sa.insert(Product), batch)
            batch = []
    if batch:
        db.session.execute(sa.insert(Product), batch)
    db.session.commit()
    with db.engine.begin() as conn:
        conn.execute(sa.text("ANALYZE"))
    return time.perf_counter() - started


def _time(db, criteria, runs: int) -> tuple[list[float], int]:
    from models import catalogue

    mine = []
    for _ in range(runs + 1):  # the first run warms the cache and is not counted
        db.session.expunge_all()
        started = time.perf_counter()
        page = catalogue.search(criteria)
        mine.append((time.perf_counter() - started) * 1000)
    return mine[1:], len(page.hits)


def _summary(label: str, timings: list[float]) -> None:
    timings = sorted(timings)
    p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
    print(f"{label}: median {statistics.median(timings):.2f} ms, p95 {p95:.2f} ms ({len(timings)} runs)")


def national(db, args) -> None:
    """Fill at national shape with SQL, then time every main query (first run not counted)."""
    from models import catalogue, directory

    _reset(db)
    started = time.perf_counter()
    with db.engine.begin() as conn:
        fill(conn, koperasi=args.koperasi, stores=args.stores, products=args.n)
    vacuum(db.engine)
    print(f"database: {db.engine.dialect.name}; {args.koperasi:,} koperasi, {args.stores:,} stores, "
          f"{args.n:,} products made in {time.perf_counter() - started:.0f} s")
    cases = [(f"catalogue, {label}", catalogue, kwargs) for label, kwargs in CATALOGUE.items()] + \
        [(f"directory, {label}", directory, kwargs) for label, kwargs in DIRECTORY.items()]
    for label, module, kwargs in cases:
        timings = []
        for _ in range(args.runs + 1):
            db.session.expunge_all()
            started = time.perf_counter()
            page = module.search(module.criteria(**kwargs))
            timings.append((time.perf_counter() - started) * 1000)
        timings = sorted(timings[1:])
        p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
        print(f"  {label:40} median {statistics.median(timings):7.2f} ms  p95 {p95:7.2f} ms  "
              f"{len(page.hits):3} hits")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5, help="timed runs per query")
    parser.add_argument("--national", action="store_true", help="PostgreSQL: koperasi, stores and products by SQL")
    parser.add_argument("--koperasi", type=int, default=130_000)
    parser.add_argument("--stores", type=int, default=50_000)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="kopz-bench-search-"))
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp / 'bench.sqlite'}"
    app = _app(url, tmp)
    from models import catalogue
    from web.extensions import db

    with app.app_context():
        if args.national:
            national(db, args)
            db.session.remove()
            return
        _reset(db)
        print(f"database: {db.engine.dialect.name}; inserting {args.n:,} products ...")
        print(f"  inserted in {_insert(db, args.n):.1f} s")
        searches = []
        for q in SEARCHES:
            timings, hits = _time(db, catalogue.criteria(q=q), args.runs)
            searches += timings
            print(f"  search {q!r:22} {statistics.median(timings):7.2f} ms  {hits} on the first page")
        _summary("searches (first page of 24, newest first, rows loaded)", searches)
        listings = {"catalogue, first page (newest)": catalogue.criteria(),
                    "catalogue, food, cheapest first": catalogue.criteria(category="food", sort="cheap"),
                    "catalogue, page 10": catalogue.criteria(page=10),
                    "catalogue, near Bandung": catalogue.criteria(position=(-6.92, 107.60)),
                    "search 'kopi', near Makassar": catalogue.criteria(q="kopi", position=(-5.15, 119.43))}
        for label, criteria in listings.items():
            timings, _hits = _time(db, criteria, args.runs)
            _summary(f"  {label}", timings)
        for q in ("ker", "ukiran jepara", "tidak ada barang ini"):
            criteria = catalogue.criteria(q=q)
            print(f"plan, search {q!r}:")
            print(_explain(db, catalogue._filtered(criteria).order_by(*catalogue.ORDERS["newest"]).limit(25)))
        print("plan, catalogue first page:")
        print(_explain(db, catalogue._filtered(catalogue.criteria()).order_by(*catalogue.ORDERS["newest"]).limit(25)))
        db.session.remove()


if __name__ == "__main__":
    main()
