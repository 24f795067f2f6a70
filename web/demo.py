"""Demo data: plausible people and koperasi so every page looks alive.

Idempotent: each record is looked up by a natural key first (mobile number, legal
number, open membership), so a second run adds nothing. Demo logins: README.
"""

from __future__ import annotations

import random
from collections import Counter

import sqlalchemy as sa

from models import regions
from models.accounts import User, register_user
from models.koperasi import Koperasi, Staff, register_koperasi, verify
from models.membership import Membership, apply, approve, open_membership, reject
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
    return added
