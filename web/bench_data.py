"""Benchmark data shaped like Indonesia (``flask --app wsgi bench-data --scale national|mid|small|tiny``).

Fills a migrated, empty PostgreSQL database with PostgreSQL's COPY (psycopg 3 ``cursor.copy``), not ORM
loops: koperasi spread over the populated areas (weighted by population: Java dense, remote islands
sparse), users with one known password, memberships with cards, staff, stores, products, orders and the
books behind them. The data is consistent the way the app keeps it:

- every entry is balanced and posted to the koperasi's own standard chart (``models.ledger.CHART``), in the
  shapes the app posts: pokok, wajib and sukarela deposits, withdrawals, loan disbursements (fee deducted)
  and repayments, savings payments of orders and the seller's settlement;
- every cached balance (``account.balance``, ``account_day``, ``savings_balance``, the loan's instalments)
  equals its lines, cash never below zero, receipt and member numbers sequential per koperasi;
- each product's stock is its initial stock (one ``stock_change`` row) less what its open and completed
  orders took (cancelled orders gave theirs back).

Speed (national in minutes, not the 41 of the first version, most of which was per-row foreign-key
checks): one transaction drops the tables' foreign keys and secondary indexes (read from the catalog, so
whatever the migrations define), streams the rows in COPY batches from a thread while the generator makes
the next ones, then builds each index once and adds each foreign key back, which checks every row in one
join. The schema ends exactly as migrated.

``models.books_check.check()`` proves the books of a generated database (tests/test_bench_data.py).
The generator writes a manifest of sample logins, slugs, product ids and search words (the benchmark's
input) to ``instance/perf/manifest-<scale>.json``; the sample members get two items in their cart.
"""

from __future__ import annotations

import io
import json
import math
import queue
import random
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from models.crypto import encrypt
from models.ledger import CHART, Purpose, day_totals_from_lines
from models.market import PAY_CODE_ALPHABET, PAY_CODE_LENGTH
from models.membership import nik_key
from models.regions import children, provinces

PASSWORD = "kopz-bench-2026"  # every generated user's password (one hash, computed once)


@dataclass(frozen=True)
class Scale:
    koperasi: int
    users: int  # one membership each
    stores: int
    products: int
    lines: int  # journal lines, about
    orders: int
    big_members: int  # members of the first (largest) koperasi: the worst case of office pages


SCALES = {
    "national": Scale(130_000, 1_000_000, 50_000, 500_000, 5_000_000, 200_000, 20_000),
    "mid": Scale(13_000, 100_000, 5_000, 50_000, 500_000, 20_000, 2_000),
    "small": Scale(50, 300, 13, 200, 3_000, 45, 60),
    "tiny": Scale(6, 40, 3, 24, 300, 8, 12),
}

# (province code, city, lat, lng, people in millions): where the koperasi cluster. The rest of a province's
# population is spread around its cities (rural koperasi), so Java is dense and Papua sparse.
CITIES = [
    ("31", "Jakarta Selatan", -6.26, 106.81, 2.2), ("31", "Jakarta Timur", -6.22, 106.90, 3.0),
    ("31", "Jakarta Barat", -6.17, 106.76, 2.4), ("31", "Jakarta Utara", -6.13, 106.88, 1.8),
    ("32", "Kota Bandung", -6.91, 107.61, 2.5), ("32", "Kota Bekasi", -6.24, 106.99, 2.5),
    ("32", "Kota Depok", -6.40, 106.82, 2.1), ("32", "Kota Bogor", -6.59, 106.80, 1.1),
    ("32", "Kabupaten Garut", -7.21, 107.90, 2.6), ("32", "Kota Cirebon", -6.73, 108.55, 0.3),
    ("32", "Kota Tasikmalaya", -7.33, 108.22, 0.7), ("36", "Kota Tangerang", -6.18, 106.63, 1.9),
    ("36", "Kota Serang", -6.12, 106.15, 0.7), ("33", "Kota Semarang", -6.99, 110.42, 1.7),
    ("33", "Kota Surakarta", -7.57, 110.82, 0.5), ("33", "Kabupaten Banyumas", -7.43, 109.24, 1.8),
    ("33", "Kota Tegal", -6.87, 109.14, 0.3), ("33", "Kabupaten Kudus", -6.80, 110.84, 0.9),
    ("34", "Kota Yogyakarta", -7.80, 110.37, 0.4), ("34", "Kabupaten Sleman", -7.72, 110.36, 1.1),
    ("35", "Kota Surabaya", -7.25, 112.75, 2.9), ("35", "Kota Malang", -7.98, 112.63, 0.8),
    ("35", "Kabupaten Jember", -8.17, 113.70, 2.5), ("35", "Kota Kediri", -7.82, 112.01, 0.3),
    ("35", "Kabupaten Sidoarjo", -7.45, 112.72, 2.1), ("35", "Kabupaten Banyuwangi", -8.22, 114.37, 1.7),
    ("11", "Kota Banda Aceh", 5.55, 95.32, 0.3), ("11", "Kota Lhokseumawe", 5.18, 97.15, 0.2),
    ("12", "Kota Medan", 3.59, 98.67, 2.4), ("12", "Kota Pematang Siantar", 2.96, 99.06, 0.3),
    ("13", "Kota Padang", -0.95, 100.35, 0.9), ("13", "Kota Bukittinggi", -0.31, 100.37, 0.1),
    ("14", "Kota Pekanbaru", 0.51, 101.45, 1.0), ("15", "Kota Jambi", -1.61, 103.61, 0.6),
    ("16", "Kota Palembang", -2.98, 104.75, 1.7), ("17", "Kota Bengkulu", -3.80, 102.27, 0.4),
    ("18", "Kota Bandar Lampung", -5.43, 105.26, 1.2), ("19", "Kota Pangkal Pinang", -2.13, 106.11, 0.2),
    ("21", "Kota Batam", 1.08, 104.03, 1.2), ("51", "Kota Denpasar", -8.65, 115.22, 0.7),
    ("51", "Kabupaten Gianyar", -8.54, 115.33, 0.5), ("52", "Kota Mataram", -8.58, 116.12, 0.4),
    ("52", "Kabupaten Lombok Timur", -8.53, 116.53, 1.3), ("53", "Kota Kupang", -10.18, 123.61, 0.4),
    ("53", "Kabupaten Sikka", -8.62, 122.21, 0.3), ("61", "Kota Pontianak", -0.03, 109.33, 0.7),
    ("62", "Kota Palangka Raya", -2.21, 113.92, 0.3), ("63", "Kota Banjarmasin", -3.32, 114.59, 0.7),
    ("64", "Kota Samarinda", -0.50, 117.15, 0.8), ("64", "Kota Balikpapan", -1.27, 116.83, 0.7),
    ("65", "Kota Tarakan", 3.30, 117.63, 0.2), ("71", "Kota Manado", 1.47, 124.84, 0.5),
    ("72", "Kota Palu", -0.90, 119.87, 0.4), ("73", "Kota Makassar", -5.14, 119.42, 1.4),
    ("73", "Kabupaten Bone", -4.54, 120.33, 0.8), ("74", "Kota Kendari", -3.99, 122.51, 0.3),
    ("75", "Kota Gorontalo", 0.54, 123.06, 0.2), ("76", "Kabupaten Mamuju", -2.68, 118.89, 0.3),
    ("81", "Kota Ambon", -3.70, 128.18, 0.3), ("82", "Kota Ternate", 0.79, 127.38, 0.2),
    ("91", "Kota Jayapura", -2.53, 140.72, 0.4), ("92", "Kabupaten Manokwari", -0.86, 134.06, 0.2),
    ("93", "Kabupaten Merauke", -8.49, 140.40, 0.2), ("94", "Kabupaten Nabire", -3.37, 135.50, 0.2),
    ("95", "Kabupaten Jayawijaya", -4.10, 138.94, 0.2), ("96", "Kota Sorong", -0.88, 131.26, 0.3),
]
ACTIVE = 0.96  # share of memberships accepted (the rest still applied)
RURAL = 0.45  # share of koperasi scattered around a city (villages) rather than in it
# Positions the benchmark asks "nearest" from: a city, and a remote island with little around it.
POSITIONS = {"city": ("Jakarta", -6.2, 106.82), "remote": ("Natuna (Ranai)", 3.94, 108.38)}

JENIS = [("simpan_pinjam", "Simpan Pinjam", "KSP"), ("konsumen", "Konsumen", "KK"), ("produsen", "Produsen", "KPR"),
         ("pemasaran", "Pemasaran", "KPM"), ("jasa", "Jasa", "KJ"), ("serba_usaha", "Serba Usaha", "KSU"),
         ("syariah", "Syariah", "KSPPS")]
SERVICES = ["savings", "loans", "store", "marketplace", "agri_supplies", "sharia_finance", "payments", "training"]


def pay_code_of(store_id: int) -> str:
    """A generated store's pay code: its id in the pay codes' alphabet (unique, 7 characters)."""
    digits = []
    for _ in range(PAY_CODE_LENGTH):
        store_id, digit = divmod(store_id, len(PAY_CODE_ALPHABET))
        digits.append(PAY_CODE_ALPHABET[digit])
    return "".join(reversed(digits))


# Words in koperasi names: some common (a one-word search finds many, not all), some rare.
VIRTUES = ["Sejahtera", "Makmur", "Mandiri", "Bersama", "Maju", "Jaya", "Sentosa", "Abadi", "Berkah", "Amanah",
           "Karya", "Bina", "Usaha", "Tani", "Nelayan", "Guru", "Pegawai", "Wanita", "Pemuda", "Warga", "Desa",
           "Mulia", "Rukun", "Gotong Royong", "Harapan", "Sumber Rejeki", "Sinar", "Cahaya", "Mitra", "Lestari",
           "Subur", "Sehati", "Bakti", "Setia", "Mekar", "Tunas", "Baru", "Utama", "Kencana", "Permata"]
FIRST = ["Siti", "Budi", "Agus", "Dewi", "Rina", "Andi", "Sri", "Wahyu", "Yuni", "Joko", "Ahmad", "Nur", "Eko",
         "Fitri", "Hendra", "Indah", "Rudi", "Lestari", "Made", "Ketut", "Putu", "Wayan", "Ani", "Bambang", "Dian",
         "Fajar", "Gita", "Hadi", "Irma", "Yohanes", "Maria", "Ucok", "Butet", "Asep", "Euis", "Ujang", "Dedi",
         "Ratna", "Teguh", "Wulan", "Yusuf", "Zainal", "Ikhsan", "Rahmat", "Nining", "Ayu", "Kadek", "Komang"]
LAST = ["Santoso", "Wijaya", "Pratama", "Saputra", "Hidayat", "Siregar", "Nasution", "Lubis", "Simanjuntak",
        "Setiawan", "Kurniawan", "Rahayu", "Susanti", "Hasibuan", "Harahap", "Sihombing", "Suryani", "Gunawan",
        "Purnomo", "Utami", "Wibowo", "Firmansyah", "Hermawan", "Nugroho", "Mahendra", "Pangaribuan", "Tanjung",
        "Daulay", "Manurung", "Syahputra", "Ramadhan", "Permana", "Sembiring", "Ginting", "Tarigan", "Rumbiak"]
OCCUPATIONS = ["Petani", "Pedagang", "Nelayan", "Guru", "Penjahit", "Pengrajin", "Karyawan", "Peternak", "Ojek",
               "Ibu rumah tangga", "Pedagang pasar", "Warung makan"]
STREETS = ["Jl. Merdeka", "Jl. Sudirman", "Jl. Diponegoro", "Jl. Pahlawan", "Jl. Pasar Baru", "Jl. Kartini",
           "Jl. Gajah Mada", "Jl. Ahmad Yani", "Jl. Veteran", "Jl. Raya Desa", "Jl. Masjid", "Jl. Sawah"]
# category: (product, unit, low, high price); names mix a good, a quality word and a place word.
GOODS = {
    "food": [("Beras Pandan Wangi", "karung", 60_000, 90_000), ("Beras Merah", "kg", 18_000, 30_000),
             ("Kopi Gayo Arabika", "bungkus", 45_000, 120_000), ("Kopi Robusta", "bungkus", 25_000, 60_000),
             ("Gula Aren Cetak", "kg", 20_000, 35_000), ("Keripik Singkong Balado", "bungkus", 8_000, 20_000),
             ("Sambal Roa", "botol", 25_000, 45_000), ("Madu Hutan", "botol", 80_000, 150_000),
             ("Teh Melati", "kotak", 5_000, 15_000), ("Rendang Daging Sapi", "kotak", 60_000, 110_000),
             ("Kerupuk Udang", "bungkus", 15_000, 35_000), ("Tempe Murni", "papan", 5_000, 10_000),
             ("Abon Ikan Tuna", "bungkus", 30_000, 55_000), ("Dodol Durian", "kotak", 25_000, 50_000)],
    "agriculture": [("Bibit Cabai Rawit", "polybag", 3_000, 8_000), ("Pupuk Kompos Organik", "karung", 20_000, 45_000),
                    ("Telur Ayam Kampung", "rak", 45_000, 70_000), ("Jagung Pipil Kering", "kg", 6_000, 9_000),
                    ("Bibit Durian Musang", "pohon", 50_000, 150_000)],
    "fashion": [("Batik Tulis", "lembar", 250_000, 900_000), ("Kain Tenun Ikat", "lembar", 400_000, 2_000_000),
                ("Kaos Sablon", "pcs", 60_000, 120_000), ("Sandal Kulit", "pasang", 90_000, 200_000)],
    "crafts": [("Anyaman Rotan Keranjang", "pcs", 40_000, 150_000), ("Gerabah Tanah Liat", "pcs", 30_000, 250_000),
               ("Ukiran Kayu Jati", "pcs", 150_000, 1_500_000), ("Tas Anyaman Pandan", "pcs", 50_000, 180_000)],
    "household": [("Sabun Sereh Alami", "batang", 10_000, 25_000), ("Minyak Goreng Kelapa", "botol", 30_000, 45_000),
                  ("Sapu Ijuk", "pcs", 20_000, 35_000), ("Tikar Pandan", "lembar", 60_000, 150_000)],
    "health": [("Jamu Kunyit Asam", "botol", 8_000, 20_000), ("Minyak Kayu Putih", "botol", 20_000, 45_000),
               ("Madu Kelulut", "botol", 90_000, 200_000)],
    "electronics": [("Pulsa dan Paket Data", "paket", 10_000, 100_000), ("Servis HP", "kali", 50_000, 300_000)],
    "services": [("Jasa Jahit Baju", "pcs", 50_000, 250_000), ("Cuci Setrika Kiloan", "kg", 6_000, 10_000)],
}
QUALITY = ["Asli", "Premium", "Super", "Segar", "Pilihan", "Spesial", "Organik", "Murni", "Tradisional", ""]
PLACES = ["Gayo", "Toraja", "Kintamani", "Garut", "Jepara", "Pekalongan", "Sumba", "Flores", "Sidoarjo", "Manado",
          "Lampung", "Bali", "Lombok", "Banyuwangi", "Kudus", "Solo", "Minang", "Bugis", "Dayak", "Papua", ""]
# What the benchmark searches: one word, several words (found in some products, not all), nothing.
SEARCH = {"market_one": "kopi", "market_several": "beras pandan wangi", "market_none": "xylofon",
          "directory_one": "sejahtera", "directory_several": "tani makmur"}
ORDER_STATUS = [("completed", 60), ("new", 10), ("accepted", 8), ("ready", 7), ("delivering", 5), ("cancelled", 10)]


class Refused(RuntimeError):
    """The database cannot take the benchmark data (not PostgreSQL, or not empty)."""


# ---------------------------------------------------------------- output: one TSV file per table, then COPY

COLUMNS = {
    "user_account": "id full_name mobile password_hash is_platform_admin created_at placeholder",
    "koperasi": "id slug name search_name legal_number jenis description address province_code regency_code "
                "district_code lat lng whatsapp pokok_idr wajib_idr requirements member_prefix last_member_seq status "
                "created_by_id created_at verified_at last_receipt_seq chair_name treasurer_name",
    "koperasi_service": "koperasi_id service",
    "account": "id koperasi_id purpose code kind closed balance",
    "membership": "id koperasi_id user_id status full_name nik address occupation is_umkm business_name applied_at "
                  "decided_at decided_by_id member_number joined_on pokok_owed_idr gender birth_date region_code "
                  "nik_hash",
    "staff": "koperasi_id user_id role created_at",
    "loan_product": "id koperasi_id name method monthly_rate_bp fee_bp fee_mode max_amount_idr min_tenor max_tenor "
                    "late_fee_mode late_fee_idr requires_guarantor requires_documents active min_amount_idr late_fee_bp "
                    "late_fee_cap_idr rebate_rule",
    "loan": "id koperasi_id membership_id product_id status requested_idr principal_idr tenor purpose method "
            "monthly_rate_bp fee_idr fee_mode late_fee_mode late_fee_idr applied_at decided_at decided_by_id "
            "disbursed_on paid_off_at late_fee_bp late_fee_cap_idr rebate_rule",
    "instalment": "loan_id seq due_on principal_due interest_due principal_paid interest_paid late_fee_paid settled_on",
    "store": "id slug koperasi_id owner_id membership_id name description address lat lng pickup delivery_km "
             "delivery_fee_idr cod whatsapp opening_hours status created_at pay_code",
    "product": "id store_id koperasi_id name description category unit price_idr member_price_idr stock active "
               "created_at updated_at",
    "stock_change": "store_id product_id key delta stock_after by_id created_at",
    "market_order": "id number buyer_id store_id koperasi_id buyer_membership_id status fulfilment delivery_fee_idr "
                    "payment paid_at subtotal_idr total_idr checkout_key cancel_reason created_at",
    "order_item": "order_id product_id name unit price_idr quantity",
    "order_event": "order_id status by_id note at",
    "entry": "id koperasi_id ref kind memo membership_id loan_id posted_by_id posted_at",
    "line": "entry_id account_id amount membership_id loan_id",
    "member_transaction": "koperasi_id membership_id kind amount_idr order_id at",
    "savings_balance": "membership_id kind balance",
}
ORDER = list(COLUMNS)  # foreign keys point backwards in this list


def _cell(value) -> str:
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    return str(value)


class Tables:
    """Rows in COPY's text format, sent to PostgreSQL while the generator goes on: a batch of rows per table
    is queued to a thread that COPYs it over the (one, transactional) connection, so Python makes rows on
    one core while PostgreSQL stores the previous batch on the other. Without foreign keys during the load
    (see ``_drop_foreign_keys_and_indexes``), the tables need no particular order."""

    BATCH = 20_000  # rows per COPY
    QUEUED = 16  # batches waiting at most (bounds memory: the generator waits for PostgreSQL)

    def __init__(self, connection=None):
        self.connection = connection
        self.rows: dict[str, list[str]] = {t: [] for t in ORDER}
        self.counts = dict.fromkeys(ORDER, 0)
        self.waited = 0.0  # seconds the generator waited for PostgreSQL
        self.failure: BaseException | None = None
        self.queue: queue.Queue = queue.Queue(self.QUEUED)
        self.thread = threading.Thread(target=self._copy, name="bench-data-copy", daemon=True)
        self.thread.start()

    def add(self, table: str, *values) -> None:
        rows = self.rows[table]
        rows.append("\t".join(map(_cell, values)))
        if len(rows) >= self.BATCH:
            self._send(table)

    def _send(self, table: str) -> None:
        rows = self.rows[table]
        if not rows:
            return
        self.counts[table] += len(rows)
        data = ("\n".join(rows) + "\n").encode()
        self.rows[table] = []
        if self.failure:
            raise self.failure
        started = time.perf_counter()
        self.queue.put((table, data))
        self.waited += time.perf_counter() - started

    def _copy(self) -> None:
        while (item := self.queue.get()) is not None:
            if self.failure or self.connection is None:
                continue  # drain: the generator raises the failure at its next batch
            table, data = item
            try:
                with self.connection.cursor() as cursor, \
                        cursor.copy(f"COPY {table} ({', '.join(COLUMNS[table].split())}) FROM STDIN") as copy:
                    copy.write(data)
            except BaseException as failure:  # noqa: BLE001 (handed to the generator's thread)
                self.failure = failure

    def finish(self) -> None:
        """Send what is left and wait until PostgreSQL has it all."""
        try:
            for table in ORDER:
                self._send(table)
        finally:
            self.queue.put(None)
            self.thread.join()
        if self.failure:
            raise self.failure


# ---------------------------------------------------------------- the generator

class Generator:
    def __init__(self, scale: Scale, seed: int = 13, now: datetime | None = None):
        self.s, self.rng = scale, random.Random(seed)
        self.now = (now or datetime.utcnow()).replace(microsecond=0)  # noqa: DTZ003 (naive UTC, as the app stores)
        self.ids = dict.fromkeys(("user", "koperasi", "account", "membership", "loan_product", "loan", "store",
                                  "product", "order", "entry"), 0)
        self.receipts: list[tuple[int, int]] = []  # (koperasi, entries)
        self.manifest: dict = {"password": PASSWORD, "positions": {k: {"name": n, "lat": la, "lng": lo}
                                                                    for k, (n, la, lo) in POSITIONS.items()},
                               "search": SEARCH}
        self._places()

    def next(self, kind: str) -> int:
        self.ids[kind] += 1
        return self.ids[kind]

    def _places(self) -> None:
        known = dict(provinces())
        self.cities, weights = [], []
        for province, city, lat, lng, people in CITIES:
            if province not in known:
                continue
            regencies = children(province)
            regency = next((code for code, name in regencies if name.endswith(city) or city in name), regencies[0][0])
            districts = [code for code, _ in children(regency)] or [None]
            self.cities.append((province, regency, districts, city.replace("Kota ", "").replace("Kabupaten ", ""),
                                lat, lng))
            weights.append(people)
        self.city_weights = weights

    def when(self, days: int = 720) -> datetime:
        return self.now - timedelta(days=self.rng.uniform(1, days))

    def ts(self, moment: datetime) -> str:
        return moment.isoformat(sep=" ")

    # ------------------------------------------------ sizes

    def member_counts(self) -> list[int]:
        """Members per koperasi: the first is big, the rest long-tailed (many small, a few large), ≥ 1 each."""
        s, rng = self.s, self.rng
        rest = s.users - s.big_members
        weights = [rng.paretovariate(1.3) for _ in range(s.koperasi - 1)]
        total = sum(weights)
        counts = [max(1, int(w / total * rest)) for w in weights]
        spare = rest - sum(counts)
        while spare > 0:  # rounding: hand the rest out one by one
            counts[rng.randrange(len(counts))] += 1
            spare -= 1
        while spare < 0:
            i = rng.randrange(len(counts))
            if counts[i] > 1:
                counts[i] -= 1
                spare += 1
        return [s.big_members, *counts]

    # ------------------------------------------------ run

    def run(self, out: Tables, password_hash: str, echo) -> None:
        s, rng = self.s, self.rng
        counts = self.member_counts()
        # Stores go to koperasi in proportion to their members (the first has some for sure).
        store_koperasi = [0] * min(3, s.stores) + rng.choices(range(s.koperasi), weights=counts, k=s.stores - min(3, s.stores))
        stores_of: dict[int, int] = {}
        for k in store_koperasi:
            stores_of[k] = stores_of.get(k, 0) + 1
        # Lines: 2 per active member (pokok), about 3 per order (savings payments, settlements, top-ups) and
        # loans; the rest are 2-line deposits and withdrawals, a Poisson number per active member (about 3% of
        # the withdrawals are skipped for want of cash). Measured: 503,577 at mid, 5,142,909 at national.
        active = ACTIVE * s.users
        extra_entries = max(0, s.lines - 2 * active - 3 * s.orders) / 2
        self.entry_rate = extra_entries / active / 0.97
        self.products_per_store = s.products / s.stores
        self.orders_per_product = s.orders / s.products
        started = time.perf_counter()
        for k in range(s.koperasi):
            self.koperasi(out, k, counts[k], stores_of.get(k, 0), password_hash)
            if k and k % 20_000 == 0:
                echo(f"  {k:,} koperasi generated ({time.perf_counter() - started:.0f} s)")

    def koperasi(self, out: Tables, index: int, members: int, stores: int, password_hash: str) -> None:
        rng = self.rng
        kid = self.next("koperasi")
        if index == 0:  # the big one, in Jakarta: the office pages' worst case
            province, regency, districts, city, lat, lng = self.cities[0]
        else:
            province, regency, districts, city, lat, lng = rng.choices(self.cities, weights=self.city_weights)[0]
        spread = 0.6 if rng.random() < RURAL else 0.08
        lat, lng = lat + rng.gauss(0, spread), lng + rng.gauss(0, spread)
        jenis, jenis_label, prefix = rng.choice(JENIS) if index else JENIS[0]
        words = rng.sample(VIRTUES, 2)
        name = f"Koperasi {jenis_label} {words[0]} {words[1]} {city}"
        slug = "-".join(name.lower().replace("koperasi ", "", 1).split()) + f"-{kid}"
        pokok, wajib = rng.choice([(25_000, 10_000), (50_000, 10_000), (100_000, 25_000), (100_000, 50_000)])
        created = self.when(3000)
        founder_user = self.ids["user"] + 1  # the first member's user: the koperasi's admin
        verified = index == 0 or rng.random() < 0.96
        district = rng.choice(districts)
        member_seq = 0
        # The members first: their users, memberships (cards), and the founder as admin.
        people = []
        for i in range(members):
            uid = self.next("user")
            first, last = rng.choice(FIRST), rng.choice(LAST)
            full_name = f"{first} {last}"
            out.add("user_account", uid, full_name, f"+62812{uid:08d}", password_hash, False,
                    self.ts(created), False)
            mid = self.next("membership")
            active = i == 0 or rng.random() < ACTIVE
            applied = created + timedelta(days=rng.uniform(0, 200)) if i else created
            number = None
            if active:
                member_seq += 1
                number = f"{prefix}-{member_seq:05d}"
            nik = f"{province}{regency[3:5]}{uid % 10**10:010d}"[:16].ljust(16, "0")
            # Personal data encrypted as the app stores it (models.crypto): about 40 µs a value here.
            out.add("membership", mid, kid, uid, "active" if active else "applied", full_name, encrypt(nik),
                    encrypt(f"{rng.choice(STREETS)} No. {rng.randint(1, 200)}, {city}"), rng.choice(OCCUPATIONS),
                    rng.random() < 0.3, None, self.ts(applied), self.ts(applied + timedelta(days=2)) if active else None,
                    founder_user if active and i else None, number,
                    (applied + timedelta(days=2)).date().isoformat() if active else None, pokok,
                    rng.choice("LP"),
                    encrypt(date(rng.randint(1960, 2004), rng.randint(1, 12), rng.randint(1, 28)).isoformat()),
                    district, nik_key(nik))
            people.append((uid, mid, active, applied + timedelta(days=2)))
        out.add("koperasi", kid, slug, name, name.lower(), f"AHU-{kid:07d}.AH.01.26", jenis,
                f"{name} melayani anggota di {city} sejak {created.year}: simpanan, pinjaman, dan toko anggota.",
                f"{rng.choice(STREETS)} No. {rng.randint(1, 200)}, {city}", province, regency, district,
                round(max(-11.0, min(6.0, lat)), 6), round(max(95.0, min(141.0, lng)), 6),
                f"+62813{kid:08d}", pokok, wajib, "Fotokopi KTP dan mengisi formulir keanggotaan.", prefix,
                member_seq, "verified" if verified else "pending", founder_user, self.ts(created),
                self.ts(created + timedelta(days=3)) if verified else None, 0,  # receipts: fixed below
                None, None)
        for service in rng.sample(SERVICES, rng.randint(1, 4)):
            out.add("koperasi_service", kid, service)
        out.add("staff", kid, founder_user, "admin", self.ts(created))
        for uid, _mid, active, _ in people[1:4]:
            if active and rng.random() < 0.5:
                out.add("staff", kid, uid, rng.choice(["teller", "pengurus", "pengawas"]), self.ts(created))
        # The books: the chart, then postings.
        book = Book(self, out, kid, prefix, founder_user)
        for _uid, mid, active, joined in people:
            if active:
                book.member(mid, joined, pokok, wajib)
        if jenis in ("simpan_pinjam", "serba_usaha", "syariah"):
            book.loans([(mid, joined) for _uid, mid, active, joined in people if active])
        sellers = [(uid, mid, joined) for uid, mid, active, joined in people if active]
        buyers = sellers
        for _ in range(stores):
            self.store(out, book, kid, city, lat, lng, rng.choice(sellers), buyers)
        book.close()

    def store(self, out, book: Book, kid, city, lat, lng, seller, buyers) -> None:
        rng = self.rng
        sid = self.next("store")
        uid, mid, joined = seller
        name = f"{rng.choice(['Warung', 'Toko', 'Kios', 'Galeri', 'Dapur', 'Kebun'])} {rng.choice(FIRST)} {city}"
        created = joined + timedelta(days=rng.uniform(1, 30))
        approved = rng.random() < 0.95
        out.add("store", sid, "-".join(name.lower().split()) + f"-{sid}", kid, uid, mid, name,
                f"Produk anggota dari {city}.", f"{rng.choice(STREETS)} No. {rng.randint(1, 200)}, {city}",
                round(lat + rng.gauss(0, 0.02), 6), round(lng + rng.gauss(0, 0.02), 6), True, rng.choice([None, 3, 5]),
                5000, True, f"+62814{sid:08d}", "Setiap hari 07.00–21.00", "approved" if approved else "pending",
                self.ts(created), pay_code_of(sid))
        n = max(1, round(rng.gauss(self.products_per_store, self.products_per_store / 4)))
        products, rows = [], []
        for _ in range(n):
            pid = self.next("product")
            category = rng.choice(list(GOODS))
            good, unit, low, high = rng.choice(GOODS[category])
            pname = " ".join(w for w in (good, rng.choice(QUALITY), rng.choice(PLACES)) if w)
            price = rng.randrange(low, high + 1, 500)
            member_price = price - price // 10 if rng.random() < 0.3 else None
            stock = rng.randint(5, 200)
            made = created + timedelta(days=rng.uniform(0, 60))
            products.append([pid, pname, unit, price, stock])
            out.add("stock_change", sid, pid, f"bench-initial-{pid}", stock, stock, uid, self.ts(made))
            rows.append([pid, sid, kid, pname, f"{pname} dari {name}. Pesan lewat WhatsApp untuk jumlah besar.",
                         category, unit, price, member_price, None, rng.random() < 0.97,  # stock: after the orders
                         self.ts(made), self.ts(made)])
        orders = self._poisson(self.orders_per_product * n)
        others = [b for b in buyers if b[1] != mid] or buyers
        for _ in range(orders):
            self.order(out, book, kid, sid, mid, rng.choice(others), products)
        for row, product in zip(rows, products, strict=True):
            row[9] = product[4]  # the stock its orders left
            out.add("product", *row)

    def order(self, out, book: Book, kid, sid, seller_mid, buyer, products) -> None:
        rng = self.rng
        uid, mid, joined = buyer
        picks = rng.sample(products, min(len(products), rng.choice([1, 1, 2, 3])))
        items = [(p, min(p[4], rng.choice([1, 1, 2, 3]))) for p in picks if p[4] > 0]
        if not items:
            return
        oid = self.next("order")
        status = rng.choices([s for s, _ in ORDER_STATUS], weights=[w for _, w in ORDER_STATUS])[0]
        payment = "savings" if status != "cancelled" and rng.random() < 0.4 else rng.choice(["cash", "cash", "transfer"])
        at = max(joined, self.now - timedelta(days=400)) + timedelta(days=rng.uniform(0.1, 30))
        at = min(at, self.now - timedelta(hours=1))
        subtotal = sum(p[3] * q for p, q in items)
        if payment == "savings" and not book.can_pay(mid, subtotal, at):
            payment = "cash"
        out.add("market_order", oid, f"ORD-{at:%y%m%d}-{oid:06d}", uid, sid, kid, mid, status, "pickup", 0, payment,
                self.ts(at) if payment == "savings" else None, subtotal, subtotal, f"bench-{oid}",
                "Stok habis" if status == "cancelled" else None, self.ts(at))
        for p, q in items:
            out.add("order_item", oid, p[0], p[1], p[2], p[3], q)
            if status != "cancelled":
                p[4] -= q  # the stock the order holds (a cancelled one gave it back)
        out.add("order_event", oid, "new", uid, "", self.ts(at))
        if status != "new":
            out.add("order_event", oid, status, None, "", self.ts(at + timedelta(hours=2)))
        if payment == "savings":
            book.purchase(mid, oid, subtotal, at, seller_mid if status == "completed" else None)

    def _poisson(self, mean: float) -> int:
        if mean <= 0:
            return 0
        if mean > 30:
            return max(0, round(self.rng.gauss(mean, math.sqrt(mean))))
        limit, k, p = math.exp(-mean), 0, 1.0
        while True:
            p *= self.rng.random()
            if p <= limit:
                return k
            k += 1


class Book:
    """One koperasi's books while it is generated: the chart, entries in time order, cached balances."""

    def __init__(self, gen: Generator, out: Tables, kid: int, prefix: str, teller: int):
        self.g, self.out, self.kid, self.prefix, self.teller = gen, out, kid, prefix, teller
        self.pending: list[tuple] = []  # (at, kind, memo, membership, loan, legs)
        self.savings: dict[tuple[int, str], int] = {}
        self.held = {Purpose.CASH: 0, Purpose.BANK: 0}  # the koperasi's cash and bank so far

    def post(self, at: datetime, kind: str, memo: str, legs: list[tuple[str, int, int | None, int | None]],
             membership: int | None = None, loan: int | None = None) -> None:
        assert sum(leg[1] for leg in legs) == 0, legs
        for purpose, amount, _m, _l in legs:
            if purpose in self.held:
                self.held[purpose] += amount
        self.pending.append((at, kind, memo, membership, loan, legs))

    def member(self, mid: int, joined: datetime, pokok: int, wajib: int) -> None:
        g, rng = self.g, self.g.rng
        self.post(joined, "deposit", "pokok", [(Purpose.CASH, pokok, None, None), (Purpose.POKOK, -pokok, mid, None)], mid)
        self._save(mid, "pokok", pokok)
        extra = g._poisson(g.entry_rate)
        span = max(1.0, (g.now - joined).total_seconds() / 86400)
        for at in sorted(joined + timedelta(days=rng.uniform(0.5, span - 0.1)) if span > 1 else joined
                         for _ in range(extra)):
            roll = rng.random()
            if roll < 0.55:
                self.post(at, "deposit", "wajib", [(Purpose.CASH, wajib, None, None), (Purpose.WAJIB, -wajib, mid, None)], mid)
                self._save(mid, "wajib", wajib)
            elif roll < 0.85 or self.savings.get((mid, "sukarela"), 0) < 20_000:
                amount = rng.randrange(20_000, 1_000_001, 5_000)
                means = Purpose.BANK if rng.random() < 0.3 else Purpose.CASH
                self.post(at, "deposit", "sukarela", [(means, amount, None, None), (Purpose.SUKARELA, -amount, mid, None)], mid)
                self._save(mid, "sukarela", amount)
            else:
                amount = min(self.savings[(mid, "sukarela")], rng.randrange(10_000, 500_001, 5_000))
                means = max(self.held, key=self.held.get)  # paid out of whichever holds more
                if self.held[means] < amount:
                    continue
                self.post(at, "withdrawal", "sukarela",
                          [(Purpose.SUKARELA, amount, mid, None), (means, -amount, None, None)], mid)
                self._save(mid, "sukarela", -amount)

    def _save(self, mid: int, kind: str, amount: int) -> None:
        self.savings[(mid, kind)] = self.savings.get((mid, kind), 0) + amount

    def can_pay(self, mid: int, amount: int, at: datetime) -> bool:
        """Savings payments need the money: a top-up deposit just before when short (as members do)."""
        if self.savings.get((mid, "sukarela"), 0) < amount:
            top_up = amount - self.savings.get((mid, "sukarela"), 0) + 50_000
            self.post(at - timedelta(minutes=30), "deposit", "sukarela",
                      [(Purpose.CASH, top_up, None, None), (Purpose.SUKARELA, -top_up, mid, None)], mid)
            self._save(mid, "sukarela", top_up)
        return True

    def purchase(self, mid: int, oid: int, amount: int, at: datetime, seller_mid: int | None) -> None:
        """An order paid from savings: the buyer's sukarela to the sellers' settlement; a completed order
        settles into the seller's sukarela."""
        self.post(at, "purchase", f"order {oid}",
                  [(Purpose.SUKARELA, amount, mid, None), (Purpose.SETTLEMENT, -amount, None, None)], mid)
        self._save(mid, "sukarela", -amount)
        self.out.add("member_transaction", self.kid, mid, "purchase", amount, oid, self.g.ts(at))
        if seller_mid:
            done = at + timedelta(hours=3)
            self.post(done, "settlement", f"order {oid}",
                      [(Purpose.SETTLEMENT, amount, None, None), (Purpose.SUKARELA, -amount, seller_mid, None)], seller_mid)
            self._save(seller_mid, "sukarela", amount)

    def loans(self, members: list[tuple[int, datetime]]) -> None:
        """A loan product and loans for some members: disbursed (fee deducted), instalments, repayments."""
        g, rng, out = self.g, self.g.rng, self.out
        if not members:
            return
        pid = g.next("loan_product")
        rate, fee_bp = 150, 100
        out.add("loan_product", pid, self.kid, "Modal Usaha Anggota", "flat", rate, fee_bp, "deducted", 25_000_000, 3, 24,
                "per_instalment", 10_000, False, False, True, 500_000, 0, 0, "none")
        for mid, joined in rng.sample(members, max(1, len(members) // 12)):
            principal = rng.randrange(1_000_000, 10_000_001, 500_000)
            fee = principal * fee_bp // 10_000
            if self.held[Purpose.CASH] < principal:  # lent out of the cash the deposits brought in
                break
            lid = g.next("loan")
            tenor = rng.choice([6, 10, 12])
            start = max(joined + timedelta(days=10), g.now - timedelta(days=400)) + timedelta(days=rng.uniform(0, 60))
            start = min(start, g.now - timedelta(days=5))
            interest = principal * rate // 10_000
            base = principal // tenor
            paid_months = min(tenor, int((g.now - start).days // 30))
            paid_months = rng.randint(0, paid_months)
            status = "paid_off" if paid_months == tenor else "active"
            out.add("loan", lid, self.kid, mid, pid, status, principal, principal, tenor, "Modal usaha", "flat", rate, fee,
                    "deducted", "per_instalment", 10_000, g.ts(start - timedelta(days=3)), g.ts(start - timedelta(days=1)),
                    self.teller, start.date().isoformat(),
                    g.ts(start + timedelta(days=30 * tenor)) if status == "paid_off" else None, 0, 0, "none")
            self.post(start, "disbursement", "pinjaman",
                      [(Purpose.LOANS, principal, None, lid), (Purpose.CASH, -(principal - fee), None, None),
                       (Purpose.FEES, -fee, None, lid)], mid, lid)
            for seq in range(1, tenor + 1):
                p_due = base if seq < tenor else principal - base * (tenor - 1)
                due = (start + timedelta(days=30 * seq)).date()
                paid = seq <= paid_months
                out.add("instalment", lid, seq, due.isoformat(), p_due, interest, p_due if paid else 0,
                        interest if paid else 0, 0, due.isoformat() if paid else None)
                if paid:
                    at = min(datetime.combine(due, datetime.min.time()) + timedelta(hours=10), g.now - timedelta(hours=2))
                    self.post(at, "repayment", "angsuran",
                              [(Purpose.CASH, p_due + interest, None, None), (Purpose.LOANS, -p_due, None, lid),
                               (Purpose.INTEREST, -interest, None, lid)], mid, lid)

    def close(self) -> None:
        """Write the chart, the entries in time order with sequential receipts, and every cached balance."""
        g, out = self.g, self.out
        self.pending.sort(key=lambda e: e[0])
        accounts = {}
        balances: dict[str, int] = {}
        if self.pending:
            for purpose, _code, _kind, _label in CHART:
                accounts[purpose] = g.next("account")
        for seq, (at, kind, memo, membership, loan, legs) in enumerate(self.pending, 1):
            eid = g.next("entry")
            out.add("entry", eid, self.kid, f"{self.prefix}-{seq:07d}", kind, memo, membership, loan, self.teller, g.ts(at))
            for purpose, amount, mid, lid in legs:
                out.add("line", eid, accounts[purpose], amount, mid, lid)
                balances[purpose] = balances.get(purpose, 0) + amount
        for purpose, code, kind, _label in CHART if accounts else ():
            out.add("account", accounts[purpose], self.kid, purpose, code, kind, False, balances.get(purpose, 0))
        assert balances.get(Purpose.CASH, 0) >= 0 and balances.get(Purpose.BANK, 0) >= 0
        for (mid, kind), balance in self.savings.items():
            assert balance >= 0
            out.add("savings_balance", mid, kind, balance)
        if self.pending:
            g.receipts.append((self.kid, len(self.pending)))


# ---------------------------------------------------------------- entry point

def generate(engine: sa.Engine, scale_name: str, password_method: str, manifest_path: Path | None, echo=print) -> dict:
    """Fill the (migrated, empty) PostgreSQL database behind ``engine``; returns the manifest."""
    if engine.dialect.name != "postgresql":
        raise Refused("bench-data writes with PostgreSQL's COPY: point DATABASE_URL at a PostgreSQL database "
                      "(SQLite is not supported).")
    with engine.connect() as conn:
        if conn.execute(sa.text("SELECT EXISTS (SELECT 1 FROM koperasi) OR EXISTS (SELECT 1 FROM user_account)")).scalar():
            raise Refused("bench-data fills an empty database: this one already has koperasi or users "
                          "(create a new database and run `flask db upgrade` first).")
    scale = SCALES[scale_name]
    started = time.perf_counter()
    password_hash = generate_password_hash(PASSWORD, method=password_method)
    gen = Generator(scale)
    raw = engine.raw_connection()
    try:
        connection = raw.driver_connection  # one transaction: all of it, or nothing
        with connection.cursor() as cursor:
            before = _schema(cursor)
            rebuild = _drop_foreign_keys_and_indexes(cursor)
        echo(f"Generating {scale_name} into PostgreSQL: {scale} ...")
        tables = Tables(connection)
        try:
            gen.run(tables, password_hash, echo)
        finally:
            tables.finish()
        loaded = time.perf_counter() - started
        echo(f"Generated and copied in {loaded:.0f} s (the generator waited {tables.waited:.0f} s for PostgreSQL)")
        with connection.cursor() as cursor:
            _day_totals(cursor, echo)
            _rebuild(cursor, rebuild, before, echo)
            _receipts(cursor, gen.receipts)
            for table in ("user_account", "koperasi", "account", "membership", "staff", "loan_product", "loan",
                          "instalment", "store", "product", "stock_change", "market_order", "order_item",
                          "order_event", "entry", "line", "member_transaction"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)")
            manifest = _manifest(cursor, gen, scale_name)
        connection.commit()
        built = time.perf_counter() - started - loaded
        echo(f"Indexes, keys and manifest in {built:.0f} s; VACUUM ANALYZE ...")
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        connection.autocommit = False
    finally:
        raw.close()
    total = time.perf_counter() - started
    manifest["seconds"] = {"generate_and_copy": round(loaded, 1), "indexes_keys_manifest": round(built, 1),
                           "vacuum_analyze": round(total - loaded - built, 1), "total": round(total, 1)}
    manifest["rows"] = tables.counts
    if manifest_path:
        manifest_path.parent.mkdir(parents=True, exist_ok=True)
        manifest_path.write_text(json.dumps(manifest, indent=1))
    return manifest


def _drop_foreign_keys_and_indexes(cursor) -> list[str]:
    """Drop the foreign keys and the secondary indexes of the tables (as the catalog lists them, whatever the
    migrations defined), in the same transaction as the COPY: loading without per-row foreign-key triggers and
    index upkeep, then building each index once and checking each foreign key with one join, is many times
    faster. Returns the statements that re-create exactly what was dropped (indexes first, then keys).
    Primary keys, unique constraints and partial indexes stay (the latter because PostgreSQL would store a
    re-created predicate in another, equivalent spelling, and the schema must stay exactly the migrated one)."""
    cursor.execute(
        "SELECT format('%I.%I', n.nspname, t.relname), format('%I', c.conname), pg_get_constraintdef(c.oid) "
        "FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
        "WHERE c.contype = 'f' AND n.nspname = current_schema() ORDER BY 1, 2")
    keys = cursor.fetchall()
    cursor.execute(
        "SELECT format('%I.%I', n.nspname, i.relname), pg_get_indexdef(x.indexrelid) "
        "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_namespace n ON n.oid = i.relnamespace "
        "WHERE n.nspname = current_schema() AND x.indpred IS NULL AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
        "WHERE c.conindid = x.indexrelid AND c.conrelid = x.indrelid AND c.contype IN ('p', 'u', 'x')) ORDER BY 1")
    indexes = cursor.fetchall()
    for table, name, _definition in keys:
        cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
    for index, _definition in indexes:
        cursor.execute(f"DROP INDEX {index}")
    return [definition for _index, definition in indexes] + [
        f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}" for table, name, definition in keys]


def _schema(cursor) -> list[tuple]:
    """The indexes and constraints as PostgreSQL spells them back: equal before and after a load."""
    cursor.execute(
        "SELECT 'index', i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
        "JOIN pg_namespace n ON n.oid = i.relnamespace WHERE n.nspname = current_schema() UNION ALL "
        "SELECT 'constraint', c.conname, t.relname || ' ' || pg_get_constraintdef(c.oid) FROM pg_constraint c "
        "JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
        "WHERE n.nspname = current_schema() ORDER BY 1, 2, 3")
    return cursor.fetchall()


def _rebuild(cursor, statements: list[str], before: list[tuple], echo) -> None:
    """Build the dropped indexes (with room to sort in memory) and add back the foreign keys: adding one
    checks every row against its target, so the loaded data is proven as the triggers would have. Refuses
    (the transaction rolls back) if the schema did not come back exactly as it was."""
    started = time.perf_counter()
    cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
    for statement in statements:
        cursor.execute(statement)
    if (after := _schema(cursor)) != before:
        raise RuntimeError(f"bench-data: the re-created schema differs: {sorted(set(after) ^ set(before))[:4]}")
    echo(f"  {len(statements)} indexes and foreign keys re-created in {time.perf_counter() - started:.1f} s")


def _day_totals(cursor, echo) -> None:
    """Each account's totals per UTC day (``account_day``, which ``post()`` keeps) from the loaded lines: one
    INSERT … SELECT, before the indexes and foreign keys come back (hash joins, no per-row key checks)."""
    started = time.perf_counter()
    cursor.execute(day_totals_from_lines())
    echo(f"  {cursor.rowcount:,} account days from the lines in {time.perf_counter() - started:.1f} s")


def _receipts(cursor, receipts: list[tuple[int, int]]) -> None:
    """Each koperasi's receipt counter: the number of its entries (receipts are numbered 1..n)."""
    buffer = io.StringIO("".join(f"{k}\t{n}\n" for k, n in receipts))
    cursor.execute("CREATE TEMP TABLE bench_receipts (koperasi_id int, n int)")
    with cursor.copy("COPY bench_receipts FROM STDIN") as copy:
        copy.write(buffer.getvalue())
    cursor.execute("UPDATE koperasi SET last_receipt_seq = r.n FROM bench_receipts r WHERE r.koperasi_id = koperasi.id")
    cursor.execute("DROP TABLE bench_receipts")


def _manifest(cursor, gen: Generator, scale_name: str) -> dict:
    """Sample logins and ids the benchmark uses, read back from the database (so they are real)."""
    m = dict(gen.manifest, scale=scale_name, generated_at=gen.now.isoformat())

    def rows(sql: str, *args):
        cursor.execute(sql, args or None)
        return cursor.fetchall()

    big = rows("SELECT k.slug, u.mobile FROM koperasi k JOIN staff s ON s.koperasi_id = k.id AND s.role = 'admin' "
               "JOIN user_account u ON u.id = s.user_id WHERE k.id = 1")[0]
    m["big_koperasi"] = {"slug": big[0], "admin_mobile": big[1]}
    m["office"] = [{"slug": s, "mobile": mob} for s, mob in rows(
        "SELECT k.slug, u.mobile FROM koperasi k JOIN staff s ON s.koperasi_id = k.id AND s.role = 'admin' "
        "JOIN user_account u ON u.id = s.user_id WHERE k.status = 'verified' ORDER BY k.id LIMIT 16")]
    m["members"] = [{"slug": s, "mobile": mob} for s, mob in rows(
        "SELECT k.slug, u.mobile FROM membership m JOIN koperasi k ON k.id = m.koperasi_id "
        "JOIN user_account u ON u.id = m.user_id WHERE m.status = 'active' AND k.status = 'verified' "
        "AND EXISTS (SELECT 1 FROM line l WHERE l.membership_id = m.id) ORDER BY m.id % 97, m.id LIMIT 64")]
    m["sellers"] = [{"mobile": mob} for (mob,) in rows(
        "SELECT DISTINCT u.mobile FROM store s JOIN user_account u ON u.id = s.owner_id WHERE s.status = 'approved' "
        "ORDER BY u.mobile LIMIT 32")]
    m["koperasi"] = [s for (s,) in rows("SELECT slug FROM koperasi WHERE status = 'verified' ORDER BY id % 101, id LIMIT 64")]
    m["products"] = [p for (p,) in rows(
        "SELECT p.id FROM product p JOIN store s ON s.id = p.store_id JOIN koperasi k ON k.id = s.koperasi_id "
        "WHERE p.active AND s.status = 'approved' AND k.status = 'verified' ORDER BY p.id % 103, p.id LIMIT 64")]
    m["stores"] = [s for (s,) in rows(  # listed: approved, of a verified koperasi (else the page is a 404)
        "SELECT s.slug FROM store s JOIN koperasi k ON k.id = s.koperasi_id WHERE s.status = 'approved' "
        "AND k.status = 'verified' ORDER BY s.id % 31, s.id LIMIT 32")]
    # The sample members' carts: two listed products of their own koperasi's stores, or any.
    cursor.execute(
        "INSERT INTO cart_item (user_id, product_id, quantity, price_seen_idr, added_at) "
        "SELECT u.id, p.id, 1, p.price_idr, now() AT TIME ZONE 'UTC' FROM user_account u "
        "CROSS JOIN LATERAL (SELECT p.id, p.price_idr FROM product p JOIN store s ON s.id = p.store_id "
        "WHERE p.active AND p.stock > 0 AND s.status = 'approved' AND p.id %% 7 = u.id %% 7 LIMIT 2) p "
        "WHERE u.mobile = ANY(%s)", ([row["mobile"] for row in m["members"]],))
    m["province"] = rows("SELECT province_code FROM koperasi GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")[0][0]
    m["jenis"] = "simpan_pinjam"
    m["category"] = "food"
    return m
