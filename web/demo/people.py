"""Demo people: named logins (README "Demo logins") and members with everyday Indonesian names."""

from __future__ import annotations

import random
from collections import Counter

import sqlalchemy as sa

from models.accounts import User, register_user
from web.extensions import db

DEMO_PASSWORD = "kopz-demo-2026"
# (name, mobile, email, platform admin, gender)
PEOPLE = [
    ("Admin Kopz", "081100000001", "admin@kopz.example", True, "L"),
    ("Siti Rahmawati", "081200000001", "siti@kopz.example", False, "P"),
    ("Budi Santoso", "081200000002", "budi@kopz.example", False, "L"),
    ("Made Wirawan", "081200000003", None, False, "L"),
]
# The first Bandung koperasi's staff besides its registrant (Asep, the admin pengurus).
# "pengurus" is a plain string: the Role enum gains it with the duties table (issue 8).
STAFF = [
    ("pengurus", "Wawan Setiawan", "081300009903"),
    ("teller", "Yayan Suryana", "081300009901"),
    ("pengawas", "Nining Kurniasih", "081300009902"),
]
# Members of the first Bandung koperasi (mobile 08570000NNNN in this order), as a
# Bandung koperasi's member list looks: mostly Sundanese names, some from elsewhere.
# (name, gender, occupation, business or None)
MEMBERS = [
    ("Rina Marlina", "P", "Pedagang", "Warung Nasi Bu Rina"),
    ("Ujang Supriatna", "L", "Pedagang bakso", "Bakso Mang Ujang"),
    ("Euis Komariah", "P", "Pembuat kue", "Kue Basah Teh Euis"),
    ("Dadang Kurniawan", "L", "Karyawan swasta", None),
    ("Yuyun Yuningsih", "P", "Penjahit", "Jahit Rapi Yuyun"),
    ("Agus Firmansyah", "L", "Pengemudi ojek", None),
    ("Neng Rosita", "P", "Perajin batik", "Butik Batik Priangan"),
    ("Hendra Saputra", "L", "Petani sayur", "Sayur Segar Lembang"),
    ("Tati Suhartini", "P", "Penjual jamu", "Jamu Sehat Bu Tati"),
    ("Cecep Rahmat", "L", "Guru honorer", None),
    ("Lilis Nurhayati", "P", "Ibu rumah tangga", None),
    ("Dodi Permana", "L", "Montir", "Bengkel Motor Dodi"),
    ("Ai Siti Nurjanah", "P", "Pedagang pakaian", None),
    ("Iwan Ridwan", "L", "Sopir angkot", None),
    ("Nunung Nurhasanah", "P", "Pedagang sayur", None),
    ("Jajang Nurjaman", "L", "Tukang kayu", None),
    ("Wulan Sari", "P", "Karyawan toko", None),
    ("Rizky Ramadhan", "L", "Barista", None),
    ("Fitri Handayani", "P", "Perawat", None),
    ("Yogi Pratama", "L", "Mahasiswa", None),
    ("Putri Amelia", "P", "Penata rias", None),
    ("Tono Sutarno", "L", "Buruh pabrik", None),
    ("Mega Puspitasari", "P", "Admin kantor", None),
    ("Fajar Nugraha", "L", "Fotografer", None),
]
OCCUPATIONS = {"Siti Rahmawati": ("Pedagang sembako", "Warung Bu Siti"),
               "Budi Santoso": ("Teknisi HP", "Budi Cell & Servis"),
               "Made Wirawan": ("Pemandu wisata", None)}
# Every demo person's mobile number, by name (members: 08570000NNNN in the order above).
MOBILES = {name: mobile for name, mobile, *_ in PEOPLE} | {name: f"08570000{i:04d}" for i, (name, *_) in
                                                            enumerate(MEMBERS)}
GENDER = {name: g for name, *_rest, g in PEOPLE} | {name: g for name, g, *_ in MEMBERS}
STREETS = ["Jl. Anggrek", "Jl. Cempaka", "Gg. Mawar", "Jl. Kebon Kawung", "Jl. Sukajadi", "Gg. Haji Umar",
           "Jl. Cikutra", "Jl. Pasirkaliki", "Jl. Melati", "Gg. Kenanga", "Jl. Babakan Sari", "Jl. Cigadung"]


def user_by_mobile(mobile: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.mobile == "+62" + mobile[1:]))


def person(added: Counter, name: str, mobile: str, email: str | None = None, admin: bool = False) -> User:
    """The account with this mobile number, registered with the demo password if missing."""
    user = user_by_mobile(mobile)
    if user is None:
        user = register_user(name, mobile, DEMO_PASSWORD, email)
        user.is_platform_admin = admin
        added["users"] += 1
    return user


def nik(user: User, district_code: str) -> str:
    """A well-formed NIK: the district, the birth date (day + 40 for women), a serial."""
    rng = random.Random(f"demo-nik-{user.mobile}")
    day = rng.randint(1, 28) + (40 if GENDER.get(user.full_name) == "P" else 0)
    born = f"{day:02d}{rng.randint(1, 12):02d}{rng.randint(60, 99) if rng.random() < 0.6 else rng.randint(0, 5):02d}"
    return district_code.replace(".", "") + born + f"{user.id % 9000 + 1:04d}"


def home_address(user: User, area: str) -> str:
    rng = random.Random(f"demo-home-{user.mobile}")
    return f"{rng.choice(STREETS)} No. {rng.randint(1, 120)}, RT 0{rng.randint(1, 9)}/RW 0{rng.randint(1, 9)}, {area}"


def work(user: User) -> tuple[str, str | None]:
    """(occupation, business name or None) for the membership form."""
    if user.full_name in OCCUPATIONS:
        return OCCUPATIONS[user.full_name]
    for name, _g, occupation, business in MEMBERS:
        if name == user.full_name:
            return occupation, business
    return "Wiraswasta", None
