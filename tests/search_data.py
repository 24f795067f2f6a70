"""Koperasi, stores and products shaped like Indonesia's, made by PostgreSQL itself
(INSERT … SELECT generate_series): 30,000 rows in about a second, 500,000 in under a
minute. Used by the plan test (tests/test_search_plans.py) and the benchmark
(tests/bench_search.py --sql). PostgreSQL only.

Koperasi cluster around 21 towns (80 %) with a rural scatter of ±3° (20 %), plus a few
on a remote island (Pulau Miangas, the northernmost, ~5.56 N 126.58 E) that has no
other koperasi within ~150 km. 95 % are verified. Names repeat the words people
search ("makmur", "tani", the town). Stores sit near their koperasi (90 % approved);
products take everyday goods with an adjective (95 % active), so a word may match
many products ("beras") or a few ("ukiran jepara").
"""

from __future__ import annotations

import sqlalchemy as sa

# (name, province, regency, lat, lng)
TOWNS = [
    ("Jakarta", "31", "31.71", -6.18, 106.83), ("Bandung", "32", "32.73", -6.91, 107.61),
    ("Bogor", "32", "32.01", -6.59, 106.80), ("Semarang", "33", "33.74", -6.99, 110.42),
    ("Yogyakarta", "34", "34.71", -7.80, 110.37), ("Surabaya", "35", "35.78", -7.25, 112.75),
    ("Malang", "35", "35.73", -7.98, 112.63), ("Medan", "12", "12.71", 3.59, 98.67),
    ("Padang", "13", "13.71", -0.95, 100.35), ("Palembang", "16", "16.71", -2.98, 104.75),
    ("Lampung", "18", "18.71", -5.43, 105.26), ("Denpasar", "51", "51.71", -8.65, 115.22),
    ("Mataram", "52", "52.71", -8.58, 116.12), ("Kupang", "53", "53.71", -10.18, 123.61),
    ("Pontianak", "61", "61.71", -0.03, 109.33), ("Banjarmasin", "63", "63.71", -3.32, 114.59),
    ("Samarinda", "64", "64.72", -0.50, 117.15), ("Makassar", "73", "73.71", -5.14, 119.42),
    ("Manado", "71", "71.71", 1.47, 124.84), ("Ambon", "81", "81.71", -3.70, 128.18),
    ("Jayapura", "91", "91.71", -2.53, 140.72),
]
MIANGAS = (5.56, 126.58)
CITY = (-6.20, 106.82)  # central Jakarta: the densest spot
WORDS = ["Maju", "Makmur", "Sejahtera", "Tani", "Nelayan", "Karya", "Bersama", "Mandiri", "Sentosa", "Amanah",
         "Usaha", "Warga", "Desa", "Merah Putih", "Syariah", "Jaya", "Abadi", "Sumber Rezeki", "Harapan", "Berkah"]
JENIS = ["simpan_pinjam", "konsumen", "produsen", "pemasaran", "jasa", "serba_usaha", "syariah"]
# (category, name): everyday goods, a few rare ones
GOODS = [("food", "Beras Pandan Wangi"), ("food", "Beras Merah Organik"), ("food", "Kopi Gayo Arabika"),
         ("food", "Kopi Robusta Lampung"), ("food", "Gula Aren Cetak"), ("food", "Keripik Singkong Balado"),
         ("food", "Sambal Roa Manado"), ("food", "Madu Hutan Sumbawa"), ("food", "Teh Melati Tubruk"),
         ("food", "Tempe Murni"), ("agriculture", "Bibit Cabai Rawit"), ("agriculture", "Pupuk Kompos Organik"),
         ("agriculture", "Telur Ayam Kampung"), ("fashion", "Batik Tulis Pekalongan"),
         ("fashion", "Kain Tenun Ikat Sumba"), ("fashion", "Sandal Kulit Garut"),
         ("crafts", "Anyaman Rotan Keranjang"), ("crafts", "Gerabah Kasongan"), ("household", "Sabun Sereh Alami"),
         ("household", "Minyak Goreng Kelapa"), ("health", "Jamu Kunyit Asam"), ("health", "Minyak Kayu Putih"),
         ("electronics", "Pulsa dan Paket Data"), ("services", "Jasa Jahit Baju"), ("services", "Cuci Setrika Kiloan")]
RARE = ("crafts", "Ukiran Kayu Jepara")  # one product in ~2,000
ADJECTIVES = ["Asli", "Premium", "Super", "Murah", "Segar", "Pilihan", "Spesial", "Khas Desa", "Kemasan Baru", ""]
DESCRIPTIONS = ["Produksi anggota koperasi, dikirim hari ini.", "Tanpa pengawet, langsung dari petani.",
                "Bisa ambil di toko atau diantar.", "Kualitas terjamin, harga anggota lebih murah.",
                "Buatan tangan pengrajin lokal.", "Stok terbatas, pesan lewat WhatsApp."]


# The main queries of the catalogue and the directory, as criteria: the plan test
# (tests/test_search_plans.py) checks each plan, the benchmark times each.
CATALOGUE = {
    "newest": {},
    "newest, page 10": {"page": 10},
    "cheapest": {"sort": "cheap"},
    "dearest": {"sort": "dear"},
    "category, newest": {"category": "food"},
    "category, cheapest": {"category": "crafts", "sort": "cheap"},
    "category, dearest": {"category": "fashion", "sort": "dear"},
    "one common word": {"q": "beras"},
    "one prefix": {"q": "ker"},
    "one word, cheapest": {"q": "kopi", "sort": "cheap"},
    "several words": {"q": "kopi gayo arabika"},
    "several words, rare": {"q": "ukiran kayu jepara"},
    "words found nowhere": {"q": "tidak ada barang"},
    "nearest, city": {"position": CITY},
    "nearest, remote island": {"position": MIANGAS},
    "nearest, one word": {"q": "kopi", "position": CITY},
    "nearest, category": {"category": "food", "position": CITY},
}
DIRECTORY = {
    "by name": {},
    "by name, page 10": {"page": 10},
    "name, in every row": {"q": "koperasi"},
    "name, common word": {"q": "makmur"},
    "name, rare": {"q": "miangas"},
    "name, two words": {"q": "tani jaya"},
    "name, digits": {"q": "1234"},
    "name, two characters": {"q": "ma"},
    "name, one character": {"q": "x"},
    "name, found nowhere": {"q": "zzz"},
    "type": {"jenis": "syariah"},
    "service": {"service": "loans"},
    "province": {"province": "32"},
    "province and type": {"province": "32", "jenis": "simpan_pinjam"},
    "regency": {"province": "32", "regency": "32.73"},
    "name and regency": {"q": "makmur", "province": "32", "regency": "32.73"},
    "nearest, city": {"position": CITY},
    "nearest, remote island": {"position": MIANGAS},
    "nearest, type": {"jenis": "syariah", "position": CITY},
    "nearest, name": {"q": "makmur", "position": CITY},
}


def _array(values) -> str:
    """A SQL array literal of our own constants (never user input)."""
    if all(isinstance(v, float | int) for v in values):
        return "ARRAY[" + ", ".join(repr(float(v)) for v in values) + "]::float8[]"
    return "ARRAY[" + ", ".join("'" + str(v).replace("'", "''") + "'" for v in values) + "]"


def fill(conn: sa.Connection, koperasi: int, stores: int, products: int, island: int = 5) -> None:
    """Insert the rows (children after parents). ``conn`` is a PostgreSQL connection in a
    transaction; call ``vacuum`` after it commits."""
    towns = {key: _array([t[i] for t in TOWNS]) for i, key in enumerate(("name", "prov", "reg", "lat", "lng"))}
    n_towns = len(TOWNS)
    conn.execute(sa.text("SELECT setseed(0.42)"))
    user_id = conn.execute(sa.text(
        "INSERT INTO user_account (full_name, mobile, password_hash, is_platform_admin, created_at) "
        "VALUES ('Bench Admin', '+628120000000' || floor(random() * 1000)::int, 'x', false, now()) "
        "RETURNING id")).scalar_one()
    conn.execute(sa.text(f"""
        INSERT INTO koperasi (slug, name, search_name, legal_number, jenis, description, address, province_code,
                              regency_code, lat, lng, pokok_idr, wajib_idr, requirements, member_prefix,
                              last_member_seq, last_receipt_seq, status, created_by_id, created_at)
        SELECT 'kop-' || g, name, lower(name), 'AHU-' || g,
               ({_array(JENIS)})[1 + floor(random() * {len(JENIS)})::int], '', 'Jl. Contoh',
               ({towns['prov']})[t], ({towns['reg']})[t],
               greatest(-11, least(6, ({towns['lat']})[t] + CASE WHEN rural THEN (random() - 0.5) * 6
                                                            ELSE (random() - 0.5) * 0.6 END)),
               greatest(95, least(141, ({towns['lng']})[t] + CASE WHEN rural THEN (random() - 0.5) * 6
                                                             ELSE (random() - 0.5) * 0.6 END)),
               100000, 20000, '', 'K', 0, 0, CASE WHEN g % 20 = 0 THEN 'pending' ELSE 'verified' END,
               :user_id, now() - g * interval '1 minute'
        FROM (SELECT g, 1 + (g * 11) % {n_towns} AS t, random() < 0.2 AS rural,
                     'Koperasi ' || ({_array(WORDS)})[1 + g % {len(WORDS)}] || ' '
                     || ({_array(WORDS)})[1 + (g / {len(WORDS)}) % {len(WORDS)}] || ' '
                     || ({towns['name']})[1 + (g * 11) % {n_towns}] || ' ' || g AS name
              FROM generate_series(1, :n) g) s
        """), {"n": koperasi, "user_id": user_id})
    conn.execute(sa.text("""
        INSERT INTO koperasi (slug, name, search_name, legal_number, jenis, description, address, province_code,
                              regency_code, lat, lng, pokok_idr, wajib_idr, requirements, member_prefix,
                              last_member_seq, last_receipt_seq, status, created_by_id, created_at)
        SELECT 'kop-miangas-' || g, 'Koperasi Nelayan Miangas ' || g, 'koperasi nelayan miangas ' || g,
               'AHU-M' || g, 'produsen', '', 'Pulau Miangas', '71', '71.03', :lat + g * 0.001, :lng + g * 0.001,
               100000, 20000, '', 'M', 0, 0, 'verified', :user_id, now()
        FROM generate_series(1, :n) g
        """), {"n": island, "lat": MIANGAS[0], "lng": MIANGAS[1], "user_id": user_id})
    conn.execute(sa.text("""
        INSERT INTO koperasi_service (koperasi_id, service)
        SELECT id, (ARRAY['savings', 'loans', 'store', 'agri_supplies'])[1 + floor(random() * 4)::int] FROM koperasi
        """))
    conn.execute(sa.text("""
        INSERT INTO store (slug, koperasi_id, owner_id, name, description, address, lat, lng, pickup,
                           delivery_fee_idr, cod, opening_hours, status, created_at, pay_code)
        SELECT 'toko-' || g, k.id, :user_id, 'Toko Anggota ' || g, '', 'Jl. Pasar',
               greatest(-11, least(6, k.lat + (random() - 0.5) * 0.1)),
               greatest(95, least(141, k.lng + (random() - 0.5) * 0.1)), true, 0, false, '08.00-17.00',
               CASE WHEN g % 10 = 0 THEN 'pending' ELSE 'approved' END, now(), 'T' || g
        FROM generate_series(1, :n) g
        JOIN (SELECT id, lat, lng, row_number() OVER (ORDER BY id) AS rn FROM koperasi) k
          ON k.rn = 1 + (g::bigint * 7919) % (SELECT count(*) FROM koperasi)
        """), {"n": stores, "user_id": user_id})
    goods = [*GOODS]
    conn.execute(sa.text(f"""
        INSERT INTO product (store_id, koperasi_id, name, description, category, unit, price_idr, member_price_idr,
                             stock, active, created_at, updated_at)
        SELECT s.id, s.koperasi_id,
               CASE WHEN g % 2000 = 1 THEN '{RARE[1]}' ELSE ({_array([n for _c, n in goods])})[i] END
               || ' ' || ({_array(ADJECTIVES)})[1 + g % {len(ADJECTIVES)}],
               ({_array(DESCRIPTIONS)})[1 + g % {len(DESCRIPTIONS)}],
               CASE WHEN g % 2000 = 1 THEN '{RARE[0]}' ELSE ({_array([c for c, _n in goods])})[i] END,
               'pcs', price, NULL, g % 50, g % 20 <> 0, now() - (:n - g) * interval '1 second', now()
        FROM (SELECT g, 1 + (g * 13) % {len(goods)} AS i, 500 * (1 + floor(random() * 1000)::bigint) AS price
              FROM generate_series(1, :n) g) p
        JOIN (SELECT id, koperasi_id, row_number() OVER (ORDER BY id) AS rn FROM store) s
          ON s.rn = 1 + (g::bigint * 104729) % (SELECT count(*) FROM store)
        """), {"n": products})


def vacuum(engine: sa.Engine) -> None:
    """VACUUM ANALYZE the tables, as autovacuum soon would in production: the planner's
    statistics, and the GIN indexes' own (which only VACUUM sets)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("user_account", "koperasi", "koperasi_service", "store", "product"):
            conn.execute(sa.text(f"VACUUM ANALYZE {table}"))
