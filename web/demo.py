"""Demo data: plausible people and koperasi so every page looks alive.

Idempotent: each record is looked up by a natural key first (mobile number, legal
number, open membership, product name, loan purpose), and every posting carries a
fixed idempotency key (``demo-…``), so a second run adds nothing. Demo logins: README.

Money: in the koperasi where the demo people are members, simpanan pokok is paid
(a couple of members are left "approved", pokok unpaid), the first Bandung koperasi
has a year of wajib and sukarela history, and loans in every state.
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
    loans.disburse(loan, staff, "bank" if amount >= 5_000_000 else "cash", key=f"demo-cair-{loan.id}", today=start)
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
