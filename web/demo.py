"""Demo data: plausible people and koperasi so every page looks alive.

Idempotent: each record is looked up by a natural key first (mobile number, legal
number, open membership, product name, loan purpose), and every posting carries a
fixed idempotency key (``demo-…``), so a second run adds nothing. Demo logins: README.

Money: in the koperasi where the demo people are members, simpanan pokok is paid
(a couple of members are left "approved", pokok unpaid), the first Bandung koperasi
has a year of wajib and sukarela history, and loans in every state.

Marketplace: stores looked up by koperasi and name, products by store and name, orders
by a fixed checkout key (``demo-order-<n>``); a few drawn photos are shared by all
products (one per initial letter) to keep the load quick.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from models import loans, regions, savings
from models.accounts import User, register_user
from models.koperasi import Koperasi, Staff, register_koperasi, verify
from models.ledger import find_by_key
from models.membership import (
    WIB,
    Membership,
    MemberStatus,
    apply,
    approve,
    open_membership,
    reject,
)
from web.extensions import db

DEMO_PASSWORD = "kopz-demo-2026"
PEOPLE = [
    # (name, mobile, email, platform admin)
    ("Admin Kopz", "081100000001", "admin@kopz.example", True),
    ("Siti Rahmawati", "081200000001", "siti@kopz.example", False),
    ("Budi Santoso", "081200000002", "budi@kopz.example", False),
    ("Made Wirawan", "081200000003", None, False),
]
# city: (regency code, centre lat, lng, board member's name)
CITIES = {
    "Bandung": ("32.73", -6.9175, 107.6191, "Asep Hidayat"),
    "Jakarta": ("31.74", -6.2615, 106.8106, "Rudi Hartono"),
    "Medan": ("12.71", 3.5952, 98.6722, "Rina Siregar"),
    "Yogyakarta": ("34.71", -7.7956, 110.3695, "Sri Wahyuni"),
    "Makassar": ("73.71", -5.1477, 119.4327, "Andi Mappasessu"),
    "Denpasar": ("51.71", -8.6705, 115.2126, "Ketut Sudarsana"),
    "Surabaya": ("35.78", -7.2575, 112.7521, "Eko Prasetyo"),
}
KINDS = [
    # (name pattern, jenis, services, prefix, pokok, wajib)
    ("Koperasi Simpan Pinjam Mitra Sejahtera {city}", "simpan_pinjam", ["savings", "loans"], "KSP", 100_000, 25_000),
    ("Koperasi Serba Usaha Maju Bersama {city}", "serba_usaha", ["savings", "loans", "store", "marketplace"], "KSU",
     50_000, 10_000),
    ("Koperasi Konsumen Warga {city}", "konsumen", ["store", "savings", "payments"], "KKW", 25_000, 10_000),
    ("Koperasi Produsen Tani Makmur {city}", "produsen", ["agri_supplies", "loans", "marketplace"], "KPT",
     50_000, 5_000),
    ("Koperasi Pemasaran UMKM Kreatif {city}", "pemasaran", ["marketplace", "training", "loans"], "KPU",
     75_000, 15_000),
    ("Koperasi Jasa Ojek dan Logistik {city}", "jasa", ["savings", "payments"], "KJL", 50_000, 20_000),
    ("Koperasi Syariah Berkah Ummat {city}", "syariah", ["sharia_finance", "savings", "training"], "KSB",
     100_000, 20_000),
]
NIKS = ["3273011508950001", "3273015203980002", "3171012101900003", "5171014404920004"]


def _person(added: Counter, name: str, mobile: str, email: str | None = None, admin: bool = False) -> User:
    user = db.session.scalar(sa.select(User).where(User.mobile == "+62" + mobile[1:]))
    if user is None:
        user = register_user(name, mobile, DEMO_PASSWORD, email)
        user.is_platform_admin = admin
        added["users"] += 1
    return user


def _koperasi(added: Counter, board: User, platform: User, city: str, n: int, kind: tuple,
              verified: bool = True) -> Koperasi:
    pattern, jenis, services, prefix, pokok, wajib = kind
    legal = f"AHU-{(list(CITIES).index(city) + 1) * 100 + n:07d}.AH.01.26"
    found = db.session.scalar(sa.select(Koperasi).where(Koperasi.legal_number == legal))
    if found:
        return found
    regency, lat, lng, _ = CITIES[city]
    rng = random.Random(legal)
    districts = regions.children(regency)
    koperasi = register_koperasi(board, dict(
        name=pattern.format(city=city), legal_number=legal, nik_koperasi=None, jenis=jenis,
        description=f"{pattern.format(city=city)} melayani anggota di {city} dan sekitarnya sejak {2000 + n}.",
        address=f"Jl. {rng.choice(['Merdeka', 'Sudirman', 'Diponegoro', 'Ahmad Yani', 'Gatot Subroto'])} "
                f"No. {rng.randint(1, 200)}",
        province_code=regency[:2], regency_code=regency, district_code=rng.choice(districts)[0],
        lat=round(lat + rng.uniform(-0.05, 0.05), 6), lng=round(lng + rng.uniform(-0.05, 0.05), 6),
        whatsapp=f"0815{list(CITIES).index(city):02d}{n:06d}", pokok_idr=pokok, wajib_idr=wajib,
        requirements="Fotokopi KTP, pas foto, dan mengisi formulir keanggotaan.", member_prefix=prefix,
        services=services))
    if verified:
        verify(koperasi, platform)
    added["koperasi"] += 1
    return koperasi


def _member(added: Counter, koperasi: Koperasi, user: User, staff: User, nik: str, status: str = "active") -> None:
    if open_membership(user, koperasi) or db.session.scalar(sa.select(Membership.id).where(
            Membership.koperasi_id == koperasi.id, Membership.user_id == user.id)):
        return
    membership = apply(user, koperasi, full_name=user.full_name, nik=nik, address=f"Jl. Anggrek No. {user.id}, "
                       f"{regions.name(koperasi.regency_code)}", occupation="Wiraswasta", is_umkm=user.id % 2 == 0,
                       business_name="Warung Berkah" if user.id % 2 == 0 else None, agreed=True)
    db.session.flush()
    if status == "active":
        approve(membership, staff)
    elif status == "rejected":
        reject(membership, staff, "Fotokopi KTP belum dilampirkan.")
    added["memberships"] += 1


def load() -> Counter:
    """Add whatever demo data is missing; returns counts of what was added."""
    added: Counter = Counter()
    people = [_person(added, *p) for p in PEOPLE]
    platform, siti, budi, made = people
    by_city: dict[str, list[Koperasi]] = {}
    for c, (city, (_code, _lat, _lng, board_name)) in enumerate(CITIES.items()):
        board = _person(added, board_name, f"08130000{c:02d}01")
        by_city[city] = [_koperasi(added, board, platform, city, n, kind) for n, kind in enumerate(KINDS)]
    bandung = by_city["Bandung"]
    first = bandung[0]
    for role, name, mobile in (("teller", "Yayan Teller", "081300009901"),
                               ("pengawas", "Nining Pengawas", "081300009902")):
        user = _person(added, name, mobile)
        if not db.session.scalar(sa.select(Staff).where(Staff.koperasi_id == first.id, Staff.user_id == user.id)):
            db.session.add(Staff(koperasi_id=first.id, user_id=user.id, role=role))
            added["staff"] += 1
    board = db.session.get(User, first.created_by_id)
    # Members with cards in more than one koperasi, and a few open applications.
    _member(added, bandung[0], siti, board, NIKS[0])
    _member(added, bandung[1], siti, board, NIKS[0])
    _member(added, by_city["Jakarta"][0], siti, db.session.get(User, by_city["Jakarta"][0].created_by_id), NIKS[0])
    _member(added, bandung[0], budi, board, NIKS[1])
    _member(added, by_city["Yogyakarta"][1], budi, db.session.get(User, by_city["Yogyakarta"][1].created_by_id),
            NIKS[1])
    _member(added, by_city["Denpasar"][0], made, db.session.get(User, by_city["Denpasar"][0].created_by_id), NIKS[3])
    _member(added, bandung[0], made, board, NIKS[3], status="applied")
    _member(added, bandung[2], budi, board, NIKS[1], status="rejected")
    for i in range(24):  # a member list worth paging through
        user = _person(added, f"Anggota Demo {i + 1:02d}", f"08570000{i:04d}")
        _member(added, first, user, board, NIKS[i % 2], status="applied" if i >= 20 else "active")
    # Registrations waiting for the platform admin.
    for n, kind in enumerate(KINDS[:2]):
        _koperasi(added, budi, platform, "Makassar", 50 + n, kind, verified=False)
    _money(added, first, [bandung[1], by_city["Jakarta"][0], by_city["Yogyakarta"][1], by_city["Denpasar"][0]],
           siti, budi)
    _market(added, by_city)
    return added


# ---------------------------------------------------------------- savings and loans

PRODUCTS = [
    dict(name="Modal Usaha UMKM", method="flat", monthly_rate_bp=100, fee_bp=100, fee_mode="deducted",
         max_amount_idr=25_000_000, min_tenor=3, max_tenor=24, late_fee_mode="per_day", late_fee_idr=5_000,
         requires_guarantor=False, requires_documents=True),
    dict(name="Pinjaman Konsumtif", method="annuity", monthly_rate_bp=125, fee_bp=50, fee_mode="deducted",
         max_amount_idr=15_000_000, min_tenor=6, max_tenor=36, late_fee_mode="per_instalment",
         late_fee_idr=25_000, requires_guarantor=False, requires_documents=False),
]
LEFT_APPROVED = ("Anggota Demo 19", "Anggota Demo 20")  # approved, simpanan pokok not paid yet
# Members for a year (a year of savings history); the others joined two months ago
# (keeps the demo load quick: every posting is a real domain call).
YEAR_MEMBERS = ("Siti Rahmawati", "Budi Santoso", *(f"Anggota Demo {n:02d}" for n in range(1, 7)))


def _at(day: date, hour: int = 10) -> datetime:
    """A teller's office hour in WIB on ``day``, stored as naive UTC like every timestamp."""
    return datetime.combine(day, time(hour, 0), WIB).astimezone(UTC).replace(tzinfo=None)


def _once(added: Counter, koperasi: Koperasi, key: str, operation, *args, **kwargs) -> None:
    """Post once per key (a second run finds the key and adds nothing)."""
    if find_by_key(koperasi, key) is None:
        operation(*args, key=key, **kwargs)
        added["entries"] += 1


def _members(koperasi: Koperasi) -> list[Membership]:
    return list(db.session.scalars(sa.select(Membership).where(
        Membership.koperasi_id == koperasi.id, Membership.status.in_([MemberStatus.APPROVED, MemberStatus.ACTIVE]))
        .order_by(Membership.id)))


def _pay_pokok(added: Counter, koperasi: Koperasi, staff: User, today: date) -> None:
    for m in _members(koperasi):
        if m.full_name in LEFT_APPROVED or m.status != MemberStatus.APPROVED:
            continue
        # Joined a year (or two months) ago: the card, the wajib dues and the history say so.
        joined = loans.add_months(today, -12 if m.full_name in YEAR_MEMBERS else -2).replace(day=3)
        m.joined_on = joined
        _once(added, koperasi, f"demo-pokok-{m.id}", savings.deposit, m, "pokok", savings.pokok_due(m), "cash",
              staff, at=_at(joined, 9))


def _savings_history(added: Counter, koperasi: Koperasi, staff: User, today: date) -> None:
    """Monthly wajib (a few members in arrears), sukarela deposits and withdrawals."""
    for m in _members(koperasi):
        if m.status != MemberStatus.ACTIVE or not m.joined_on:
            continue
        joined = m.joined_on
        months = (today.year - joined.year) * 12 + today.month - joined.month  # wajib due: months + 1
        rng = random.Random(f"demo-savings-{m.member_number}")
        behind = rng.choice([0, 0, 0, 0, 1, 3])  # months of wajib in arrears
        behind = 0 if m.full_name == "Siti Rahmawati" else behind  # Siti's cards are all up to date
        sukarela = 0
        for k in range(months + 1):
            day = min(loans.add_months(joined, k) + timedelta(days=rng.randint(0, 6)), today)
            if k <= months - behind:
                _once(added, koperasi, f"demo-wajib-{m.id}-{k}", savings.deposit, m, "wajib", koperasi.wajib_idr,
                      "cash", staff, at=_at(day, 9 + k % 6))
            # Every random draw happens on every run, so a second run asks for the same keys.
            if rng.random() < 0.55:
                amount = rng.choice([50_000, 100_000, 150_000, 250_000, 500_000, 1_000_000])
                means = rng.choice(["cash", "cash", "bank"])
                sukarela += amount
                _once(added, koperasi, f"demo-sukarela-{m.id}-{k}", savings.deposit, m, "sukarela", amount, means,
                      staff, at=_at(day, 11))
            if sukarela >= 200_000 and rng.random() < 0.25:
                amount = rng.choice([100_000, 150_000, 200_000])
                sukarela -= amount
                out = min(day + timedelta(days=12), today)
                _once(added, koperasi, f"demo-tarik-{m.id}-{k}", savings.withdraw, m, amount, "cash", staff,
                      at=_at(out, 14))


def _products(added: Counter, koperasi: Koperasi) -> list[loans.LoanProduct]:
    found = []
    for data in PRODUCTS:
        product = db.session.scalar(sa.select(loans.LoanProduct).where(
            loans.LoanProduct.koperasi_id == koperasi.id, loans.LoanProduct.name == data["name"]))
        if product is None:
            product = loans.save_product(koperasi, data)
            added["loan products"] += 1
        found.append(product)
    return found


def _loan(added: Counter, member: Membership, product: loans.LoanProduct, staff: User, amount: int, tenor: int,
          purpose: str, state: str, months_ago: int = 0, paid: int = 0, today: date | None = None) -> None:
    """One loan in ``state``: applied, approved, rejected, or disbursed ``months_ago`` with
    ``paid`` instalments repaid on their due dates (active, overdue or paid off)."""
    if member is None or member.status != MemberStatus.ACTIVE or db.session.scalar(sa.select(loans.Loan.id).where(
            loans.Loan.membership_id == member.id, loans.Loan.purpose == purpose)):
        return
    loan = loans.apply(member, product, amount, tenor, purpose)
    added["loans"] += 1
    if state == "applied":
        return
    if state == "rejected":
        loans.reject(loan, staff, "Usaha belum berjalan enam bulan; ajukan lagi setelah itu.")
        return
    loans.approve(loan, staff)
    if state == "approved":
        return
    start = loans.add_months(today, -months_ago)
    # The board approved it; the teller pays it out (one person does not do both).
    teller = db.session.scalar(sa.select(User).join(Staff, Staff.user_id == User.id).where(
        Staff.koperasi_id == member.koperasi_id, Staff.role == "teller"))
    loans.disburse(loan, teller, "bank" if amount >= 5_000_000 else "cash", key=f"demo-cair-{loan.id}", today=start)
    added["entries"] += 1
    for inst in list(loan.instalments)[:paid]:
        due = loans.owed(loan, inst.due_on)
        source = "sukarela" if inst.seq == 2 and savings.balances(member.id)["sukarela"] >= due.total else "cash"
        amount = inst.remaining + max(due.late_fee, 0)
        loans.repay(loan, amount, source, staff, key=f"demo-angsur-{loan.id}-{inst.seq}", today=inst.due_on)
        added["entries"] += 1


def _money(added: Counter, first: Koperasi, others: list[Koperasi], siti: User, budi: User) -> None:
    today = datetime.now(WIB).date()
    for koperasi in (first, *others):
        staff = db.session.get(User, koperasi.created_by_id)
        _pay_pokok(added, koperasi, staff, today)
        _products(added, koperasi)
        _savings_history(added, koperasi, staff, today)
    staff = db.session.get(User, first.created_by_id)
    modal, konsumtif = _products(added, first)
    by_name = {m.full_name: m for m in _members(first)}
    plans = [
        # (member, product, amount, tenor, purpose, state, months ago, instalments repaid)
        (siti.full_name, modal, 5_000_000, 12, "Tambah stok dan etalase warung sembako", "active", 4, 4),
        (budi.full_name, konsumtif, 3_000_000, 12, "Biaya sekolah anak dan seragam", "active", 5, 2),
        ("Anggota Demo 01", modal, 2_000_000, 6, "Modal jualan kue untuk Lebaran", "active", 8, 6),
        ("Anggota Demo 02", modal, 4_000_000, 12, "Gerobak dan peralatan jualan bakso", "applied"),
        ("Anggota Demo 03", konsumtif, 1_500_000, 6, "Perbaikan atap rumah sebelum musim hujan", "approved"),
        ("Anggota Demo 04", modal, 10_000_000, 24, "Membuka cabang kedai kopi kedua", "rejected"),
        ("Anggota Demo 05", modal, 1_000_000, 6, "Bahan baku jahitan seragam sekolah", "active", 3, 1),
    ]
    for name, product, amount, tenor, purpose, state, *history in plans:
        months_ago, paid = history or (0, 0)
        _loan(added, by_name.get(name), product, staff, amount, tenor, purpose, state, months_ago, paid, today)


# ---------------------------------------------------------------- marketplace

# category: [(name, unit, price)]
CATALOGUE = {
    "food": [
        ("Beras Pandan Wangi 5 kg", "karung", 75_000), ("Beras Rojolele 5 kg", "karung", 82_000),
        ("Minyak Goreng 2 L", "pouch", 36_000), ("Gula Pasir 1 kg", "kg", 17_500), ("Telur Ayam 1 kg", "kg", 29_000),
        ("Tepung Terigu 1 kg", "kg", 13_000), ("Kopi Bubuk Robusta 250 g", "bungkus", 25_000),
        ("Teh Tubruk Melati 250 g", "bungkus", 12_000), ("Kecap Manis 600 ml", "botol", 24_000),
        ("Sambal Roa 200 g", "botol", 35_000), ("Keripik Singkong Balado 250 g", "bungkus", 15_000),
        ("Kerupuk Udang 500 g", "bungkus", 30_000), ("Rendang Daging 500 g", "kotak", 120_000),
        ("Kue Nastar 500 g", "toples", 85_000), ("Bakso Sapi Beku isi 50", "pak", 65_000),
        ("Nasi Kuning Komplit", "porsi", 20_000), ("Es Kopi Susu Gula Aren", "gelas", 18_000),
        ("Madu Hutan 500 ml", "botol", 95_000), ("Dodol Garut 500 g", "kotak", 30_000),
        ("Abon Sapi 250 g", "bungkus", 55_000), ("Sirup Markisa 600 ml", "botol", 38_000),
        ("Emping Melinjo 250 g", "bungkus", 35_000), ("Tempe Papan 500 g", "papan", 6_000),
        ("Tahu Sumedang isi 10", "bungkus", 15_000), ("Bawang Merah 1 kg", "kg", 40_000),
    ],
    "agriculture": [
        ("Cabai Rawit Merah 1 kg", "kg", 60_000), ("Tomat 1 kg", "kg", 12_000), ("Bibit Cabai 10 polybag", "pak", 25_000),
        ("Pupuk Kompos 25 kg", "karung", 45_000), ("Pupuk NPK 5 kg", "karung", 70_000),
        ("Benih Padi IR64 5 kg", "karung", 65_000), ("Jahe Merah 1 kg", "kg", 35_000), ("Kentang Dieng 1 kg", "kg", 18_000),
        ("Wortel 1 kg", "kg", 14_000), ("Kangkung", "ikat", 4_000), ("Bayam Hijau", "ikat", 4_000),
        ("Pisang Kepok", "sisir", 25_000), ("Mangga Arumanis 1 kg", "kg", 30_000), ("Jeruk Medan 1 kg", "kg", 28_000),
        ("Salak Pondoh 1 kg", "kg", 20_000), ("Alpukat Mentega 1 kg", "kg", 35_000), ("Ikan Lele Segar 1 kg", "kg", 28_000),
        ("Ayam Kampung", "ekor", 85_000), ("Kopi Arabika Gayo Biji 1 kg", "kg", 180_000), ("Kelapa Muda", "butir", 12_000),
    ],
    "fashion": [
        ("Batik Tulis Pekalongan", "lembar", 450_000), ("Kemeja Batik Pria", "pcs", 175_000),
        ("Daster Batik", "pcs", 65_000), ("Kain Tenun Ikat Sumba", "lembar", 850_000), ("Hijab Voal Motif", "pcs", 55_000),
        ("Sarung Tenun Samarinda", "pcs", 250_000), ("Kaos Sablon Kota Kembang", "pcs", 85_000),
        ("Sandal Kulit Garut", "pasang", 120_000), ("Tas Anyaman Pandan", "pcs", 95_000),
        ("Songket Palembang", "lembar", 1_200_000), ("Mukena Katun Bordir", "set", 180_000),
        ("Peci Hitam Beludru", "pcs", 45_000),
    ],
    "crafts": [
        ("Tampah Anyaman Bambu", "pcs", 25_000), ("Keranjang Rotan", "pcs", 75_000), ("Wayang Golek Arjuna", "pcs", 350_000),
        ("Ukiran Kayu Jati Jepara", "pcs", 650_000), ("Vas Gerabah Kasongan", "pcs", 85_000),
        ("Lukisan Kaca Cirebon", "pcs", 400_000), ("Tas Rajut Benang Nilon", "pcs", 110_000),
        ("Gantungan Kunci Kulit", "pcs", 15_000), ("Topeng Kayu Bali", "pcs", 250_000),
        ("Tempat Tisu Kayu Batik", "pcs", 45_000),
    ],
    "household": [
        ("Sapu Ijuk", "pcs", 25_000), ("Sabun Cuci Piring 800 ml", "pouch", 15_000), ("Ember Plastik 20 L", "pcs", 35_000),
        ("Gas Elpiji 3 kg", "tabung", 22_000), ("Air Galon Isi Ulang", "galon", 7_000), ("Tikar Pandan", "lembar", 150_000),
        ("Kompor Gas 1 Tungku", "unit", 250_000), ("Panci Aluminium 24 cm", "pcs", 85_000),
        ("Lampu LED 12 W", "pcs", 25_000), ("Keset Sabut Kelapa", "pcs", 30_000), ("Sabun Batang Sereh", "pcs", 8_000),
        ("Detergen Bubuk 1 kg", "bungkus", 24_000),
    ],
    "health": [
        ("Jamu Kunyit Asam 250 ml", "botol", 10_000), ("Jamu Beras Kencur 250 ml", "botol", 10_000),
        ("Minyak Kayu Putih 60 ml", "botol", 25_000), ("Madu Kelulut 250 ml", "botol", 120_000),
        ("Sabun Susu Kambing", "pcs", 15_000), ("Lulur Mandi Bengkoang 150 g", "pot", 35_000),
        ("Minyak Urut Tawon 60 ml", "botol", 45_000), ("Masker Kain 3 Lapis", "pak", 20_000),
        ("Temulawak Instan 250 g", "bungkus", 25_000), ("Handbody Lidah Buaya 200 ml", "botol", 28_000),
    ],
    "electronics": [
        ("Kabel Data USB-C", "pcs", 25_000), ("Charger 2A", "pcs", 45_000), ("Powerbank 10.000 mAh", "pcs", 150_000),
        ("Earphone Bass", "pcs", 35_000), ("Tempered Glass", "pcs", 20_000), ("Casing HP Silikon", "pcs", 25_000),
        ("Kartu Perdana Data 30 GB", "pcs", 35_000), ("Senter LED Isi Ulang", "pcs", 55_000),
        ("Speaker Bluetooth Mini", "pcs", 120_000), ("Stop Kontak 4 Lubang", "pcs", 45_000),
        ("Pulsa 50.000", "voucher", 51_500), ("Token Listrik 100.000", "voucher", 101_500),
    ],
    "services": [
        ("Permak Celana", "kali", 20_000), ("Cuci Kiloan", "kg", 7_000), ("Potong Rambut Pria", "kali", 20_000),
        ("Servis HP Ganti LCD", "unit", 350_000), ("Les Privat Matematika", "jam", 50_000),
        ("Katering Nasi Kotak", "kotak", 25_000), ("Sewa Tenda Hajatan", "hari", 500_000), ("Cuci Motor", "kali", 15_000),
        ("Servis AC", "unit", 85_000), ("Fotokopi", "lembar", 300),
    ],
}
# (owner: a demo person's name or None for the koperasi's own store, city, koperasi index,
#  store name, categories, delivers within km, status)
STORES = [
    ("Siti Rahmawati", "Bandung", 0, "Warung Bu Siti", ("food", "household", "agriculture"), 3, "approved"),
    ("Budi Santoso", "Bandung", 0, "Budi Cell & Servis", ("electronics", "services"), None, "approved"),
    (None, "Bandung", 1, "Toserba Koperasi Maju Bersama", ("food", "household", "health"), 5, "approved"),
    ("Anggota Demo 07", "Bandung", 0, "Butik Batik Priangan", ("fashion", "crafts"), 10, "approved"),
    ("Anggota Demo 08", "Bandung", 0, "Sayur Segar Lembang", ("agriculture", "food"), 5, "approved"),
    ("Anggota Demo 09", "Bandung", 0, "Jamu Sehat Mbok Darmi", ("health", "food"), None, "approved"),
    ("Anggota Demo 10", "Bandung", 0, "Kue Basah Teh Euis", ("food",), None, "pending"),
    (None, "Jakarta", 1, "Toko Koperasi Maju Bersama Jakarta", ("food", "household", "electronics"), 5, "approved"),
    (None, "Yogyakarta", 1, "Galeri Koperasi Maju Bersama Yogyakarta", ("crafts", "fashion", "food"), None,
     "approved"),
    (None, "Denpasar", 1, "Pasar Koperasi Maju Bersama Denpasar", ("crafts", "agriculture", "food"), 8, "approved"),
    (None, "Medan", 1, "Toko Tani Koperasi Maju Bersama Medan", ("agriculture", "food"), 5, "approved"),
    (None, "Surabaya", 1, "Toko Koperasi Maju Bersama Surabaya", ("household", "electronics", "food"), 5,
     "approved"),
    (None, "Makassar", 1, "Toko Koperasi Maju Bersama Makassar", ("food", "fashion", "health"), None, "approved"),
]
PER_STORE = 26
PALETTE = ["#0b6e4f", "#c0392b", "#d35400", "#8e44ad", "#2c3e50", "#16a085", "#b7950b", "#1f618d", "#7d3c98",
           "#a04000", "#117864", "#6e2c00", "#1a5276", "#922b21", "#196f3d", "#873600", "#4a235a", "#0e6251",
           "#7b241c", "#154360"]
# (buyer, store, how many lines, fulfilment, payment, the state it is moved to)
ORDERS = [
    ("Budi Santoso", "Warung Bu Siti", 2, "pickup", "cash", "new"),
    ("Made Wirawan", "Warung Bu Siti", 1, "delivery", "cash", "accepted"),
    ("Anggota Demo 01", "Warung Bu Siti", 3, "pickup", "transfer", "ready"),
    ("Anggota Demo 02", "Warung Bu Siti", 2, "delivery", "cash", "delivering"),
    ("Budi Santoso", "Warung Bu Siti", 1, "pickup", "cash", "completed"),
    ("Anggota Demo 03", "Warung Bu Siti", 1, "pickup", "cash", "cancelled"),
    ("Siti Rahmawati", "Budi Cell & Servis", 1, "pickup", "cash", "new"),
    ("Siti Rahmawati", "Budi Cell & Servis", 2, "pickup", "cash", "completed"),
    ("Siti Rahmawati", "Toserba Koperasi Maju Bersama", 3, "pickup", "cash", "completed"),
    ("Made Wirawan", "Toserba Koperasi Maju Bersama", 1, "delivery", "cash", "delivering"),
    ("Anggota Demo 04", "Butik Batik Priangan", 1, "delivery", "transfer", "accepted"),
    ("Anggota Demo 05", "Sayur Segar Lembang", 2, "pickup", "cash", "ready"),
]
MOVES = {"new": [], "accepted": ["accepted"], "ready": ["accepted", "ready"], "delivering": ["accepted", "delivering"],
         "completed": ["accepted", "ready", "completed"], "cancelled": ["cancelled"]}


def _pictures() -> dict[str, tuple[str, bytes, bytes]]:
    """Up to 20 drawn product photos, one per initial letter: {letter: (version, thumb, detail)}."""
    import hashlib
    import io

    from PIL import Image, ImageDraw, ImageFont

    from models.images import reencode

    made = {}
    common = Counter(name[0].upper() for items in CATALOGUE.values() for name, _u, _p in items).most_common(20)
    letters = sorted(letter for letter, _n in common)
    font = ImageFont.load_default(size=520)
    for n, letter in enumerate(letters):
        image = Image.new("RGB", (1080, 1080), PALETTE[n % len(PALETTE)])
        ImageDraw.Draw(image).text((540, 540), letter, fill="white", font=font, anchor="mm")
        raw = io.BytesIO()
        image.save(raw, "PNG")
        data = raw.getvalue()
        thumb = reencode(io.BytesIO(data), len(data), (320, 320), "photo")
        detail = reencode(io.BytesIO(data), len(data), (1080, 1080), "photo")
        made[letter] = (hashlib.sha256(detail).hexdigest()[:12], thumb, detail)
    return made


def _store(added: Counter, owner: User, koperasi: Koperasi, name: str, delivery_km: int | None, status: str,
           own: bool):
    from models.market import Store, StoreStatus, open_store, set_store_status

    store = db.session.scalar(sa.select(Store).where(Store.koperasi_id == koperasi.id, Store.name == name))
    if store is not None:
        return store
    rng = random.Random(f"demo-store-{name}")
    data = {"name": name, "description": f"{name}: barang dan jasa dari anggota untuk anggota dan warga sekitar.",
                "nib": f"{rng.randrange(10**12, 10**13)}", "address": f"Jl. Pasar Baru No. {rng.randint(1, 200)}, "
                f"{regions.name(koperasi.regency_code)}", "lat": koperasi.lat + rng.uniform(-0.01, 0.01),
                "lng": koperasi.lng + rng.uniform(-0.01, 0.01), "pickup": True, "delivery_km": delivery_km,
                "delivery_fee_idr": 5_000 if delivery_km else 0, "cod": bool(delivery_km), "whatsapp": owner.mobile,
                "opening_hours": "Senin–Sabtu 07.00–20.00"}
    store = open_store(owner, koperasi, data, own_store=own)
    if status != StoreStatus.PENDING:
        set_store_status(store, status)
    added["stores"] += 1
    return store


def _stock_for(added: Counter, store, categories: tuple[str, ...], pictures) -> None:
    from models.market import Product, ProductPhoto, add_product

    have = set(db.session.scalars(sa.select(Product.name).where(Product.store_id == store.id)))
    items = [(c, *item) for c in categories for item in CATALOGUE[c]]
    rng = random.Random(f"demo-products-{store.name}")
    rng.shuffle(items)
    for category, name, unit, price in items[:PER_STORE]:
        draw = rng.random(), rng.random(), rng.randint(4, 60)  # drawn on every run: the same each time
        if name in have:
            continue
        stock = 0 if draw[0] < 0.08 else 1 + int(draw[0] * 100) % 3 if draw[0] < 0.2 else draw[2]  # some low
        member_price = price - price // 10 // 500 * 500 if draw[1] < 0.3 and price >= 10_000 else None
        product = add_product(store, {"name": name, "category": category, "unit": unit, "price_idr": price,
                                          "member_price_idr": member_price, "stock": stock, "active": draw[1] < 0.97,
                                          "description": f"{name} dari {store.name}. Tanyakan lewat WhatsApp "
                                          "untuk pesanan dalam jumlah besar."})
        picture = pictures().get(name[0].upper())
        if picture:
            version, thumb, detail = picture
            db.session.add(ProductPhoto(product_id=product.id, position=0, version=version, thumb=thumb,
                                        detail=detail))
            product.photo_version = version
        added["products"] += 1


def _order(added: Counter, buyer: User, store, lines: int, fulfilment: str, payment: str, state: str,
           n: int) -> None:
    from models import orders
    from models.market import Product

    key = f"demo-order-{n}"
    if db.session.scalar(sa.select(orders.Order.id).where(orders.Order.buyer_id == buyer.id,
                                                          orders.Order.checkout_key == key)):
        return
    for item in orders.cart(buyer):  # a demo buyer's cart holds only this order
        db.session.delete(item)
    products = db.session.scalars(sa.select(Product).where(Product.store_id == store.id, Product.active.is_(True),
                                                           Product.stock >= 5).order_by(Product.id).limit(lines))
    for k, product in enumerate(products):
        orders.add_to_cart(buyer, product, 1 + (n + k) % 3)
    address = f"Jl. Melati No. {n + 3}, dekat masjid, {regions.name(store.koperasi.regency_code)}"
    choice = orders.Choice(fulfilment=fulfilment, payment=payment, address=address if fulfilment != "pickup" else None)
    seller = db.session.get(User, store.owner_id)
    for order in orders.checkout(buyer, {store.id: choice}, key):
        for to in MOVES[state]:
            orders.move(order, to, seller, as_seller=True,
                        reason="Maaf, stok habis hari ini; silakan pesan lagi besok." if to == "cancelled" else "")
        added["orders"] += 1


def _market(added: Counter, by_city: dict[str, list[Koperasi]]) -> None:
    """Stores (members' and the koperasi's own), about 300 products with photos, and orders in every state."""
    people = {u.full_name: u for u in db.session.scalars(sa.select(User).where(User.full_name.in_(
        {s[0] for s in STORES if s[0]} | {o[0] for o in ORDERS})))}
    cache: dict = {}

    def pictures():
        if not cache:
            cache.update(_pictures())
        return cache

    stores = {}
    for owner_name, city, index, name, categories, km, status in STORES:
        koperasi = by_city[city][index]
        owner = people[owner_name] if owner_name else db.session.get(User, koperasi.created_by_id)
        store = _store(added, owner, koperasi, name, km, status, own=owner_name is None)
        _stock_for(added, store, categories, pictures)
        stores[name] = store
    db.session.flush()
    for n, (buyer, store, lines, fulfilment, payment, state) in enumerate(ORDERS):
        _order(added, people[buyer], stores[store], lines, fulfilment, payment, state, n)
