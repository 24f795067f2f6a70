"""The demo gateway: 49 koperasi in seven cities with logos, the first one's staff, memberships."""

from __future__ import annotations

import io
import random
from collections import Counter
from datetime import date

import sqlalchemy as sa

from models import regions
from models.accounts import User
from models.koperasi import Koperasi, Staff, register_koperasi, set_logo, verify
from models.membership import Membership, apply, approve, open_membership, reject
from web.demo.people import home_address, nik, work
from web.demo.pictures import logo_png
from web.extensions import db

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
# One row per jenis: (jenis, services, member-number prefix, pokok, wajib, what it does "…").
KINDS = [
    ("simpan_pinjam", ["savings", "loans"], "KSP", 100_000, 25_000,
     "menghimpun simpanan anggota dan menyalurkan pinjaman modal usaha dan kebutuhan keluarga"),
    ("serba_usaha", ["savings", "loans", "store", "marketplace"], "KSU", 50_000, 10_000,
     "menjalankan toko kebutuhan sehari-hari, simpan pinjam, dan pemasaran produk UMKM anggota"),
    ("konsumen", ["store", "savings", "payments"], "KK", 25_000, 10_000,
     "menyediakan sembako dengan harga anggota serta pembayaran listrik, air, dan pulsa"),
    ("produsen", ["agri_supplies", "loans", "marketplace"], "KP", 50_000, 5_000,
     "menyediakan pupuk, benih, dan alat produksi, lalu membantu anggota menjual hasil panennya"),
    ("pemasaran", ["marketplace", "training", "loans"], "KPM", 75_000, 15_000,
     "memasarkan produk UMKM anggota ke toko, hotel, dan pasar daring, serta melatih pengemasan"),
    ("jasa", ["savings", "payments"], "KJ", 50_000, 20_000,
     "menghimpun pengemudi dan pekerja jasa agar punya tabungan, bayar tagihan dengan mudah, dan pelanggan tetap"),
    ("syariah", ["sharia_finance", "savings", "training"], "KS", 100_000, 20_000,
     "melayani simpanan dan pembiayaan dengan akad syariah (murabahah, mudharabah) bagi anggota"),
]
# Names per city, in the order of KINDS (each koperasi its own name, like the real ones).
NAMES = {
    "Bandung": ["Koperasi Simpan Pinjam Mitra Sejahtera Bandung", "Koperasi Serba Usaha Maju Bersama Bandung",
                "Koperasi Konsumen Warga Sauyunan", "Koperasi Produsen Tani Mekar Lembang",
                "Koperasi Pemasaran Kreatif Priangan", "Koperasi Jasa Ojek Pasundan",
                "KSPPS Baitul Maal Al-Ikhlas Bandung"],
    "Jakarta": ["Koperasi Simpan Pinjam Karya Abadi Jakarta", "Koperasi Serba Usaha Betawi Mandiri",
                "Koperasi Konsumen Pegawai Kebayoran", "Koperasi Produsen Perajin Tahu Tempe Kebon Jeruk",
                "Koperasi Pemasaran UMKM Tanah Abang", "Koperasi Jasa Angkutan Kota Jaya",
                "KSPPS Amanah Ummat Jakarta"],
    "Medan": ["Koperasi Simpan Pinjam Horas Sejahtera Medan", "Koperasi Serba Usaha Deli Makmur",
              "Koperasi Konsumen Karyawan Perkebunan Deli", "Koperasi Produsen Tani Sumber Rejeki Medan",
              "Koperasi Pemasaran Ulos dan Songket Sumut", "Koperasi Jasa Becak Motor Medan Kota",
              "KSPPS Berkah Madani Medan"],
    "Yogyakarta": ["Koperasi Simpan Pinjam Sido Rukun Yogyakarta", "Koperasi Serba Usaha Gemah Ripah Yogyakarta",
                   "Koperasi Konsumen Guyub Rukun Kotagede", "Koperasi Produsen Perajin Perak Kotagede",
                   "Koperasi Pemasaran Batik Prawirotaman", "Koperasi Jasa Andong dan Becak Malioboro",
                   "KSPPS Mentari Ummat Yogyakarta"],
    "Makassar": ["Koperasi Simpan Pinjam Sipakatau Makassar", "Koperasi Serba Usaha Sipakainge Makassar",
                 "Koperasi Konsumen Warga Panakkukang", "Koperasi Produsen Nelayan Paotere",
                 "Koperasi Pemasaran Sutra Bugis Makassar", "Koperasi Jasa Pete-pete Makassar",
                 "KSPPS Amanah Losari Makassar"],
    "Denpasar": ["Koperasi Simpan Pinjam Sari Artha Denpasar", "Koperasi Serba Usaha Mertha Sedana Denpasar",
                 "Koperasi Konsumen Banjar Sesetan", "Koperasi Produsen Subak Tani Lestari",
                 "Koperasi Pemasaran Kain Endek Bali", "Koperasi Jasa Pariwisata Sanur",
                 "KSPPS Nurul Huda Denpasar"],
    "Surabaya": ["Koperasi Simpan Pinjam Arek Suroboyo Sejahtera", "Koperasi Serba Usaha Maju Makmur Surabaya",
                 "Koperasi Konsumen Karyawan Tanjung Perak", "Koperasi Produsen Ikan Asap Kenjeran",
                 "Koperasi Pemasaran UMKM Kampung Kue Rungkut", "Koperasi Jasa Ojek Pangkalan Suroboyo",
                 "KSPPS Ampel Barokah Surabaya"],
}
# Registrations waiting for the platform admin: (city, index, name, kind index).
PENDING = [("Makassar", 50, "Koperasi Simpan Pinjam Bina Usaha Tamalate", 0),
           ("Makassar", 51, "Koperasi Serba Usaha Pemuda Mandiri Rappocini", 1)]
STREETS = ["Merdeka", "Sudirman", "Diponegoro", "Ahmad Yani", "Gatot Subroto", "Pahlawan", "Veteran",
           "Pemuda", "Kartini", "Cut Nyak Dien", "Hasanuddin", "Teuku Umar"]
FOUNDED = (1985, 2022)  # founding years: the oldest demo koperasi is from 1985, the youngest from 2022


def founded(legal: str) -> int:
    """The koperasi's founding year, never after this year."""
    return min(random.Random(f"demo-founded-{legal}").randint(*FOUNDED), date.today().year)


def koperasi(added: Counter, board: User, platform: User, city: str, n: int, name: str, kind: tuple,
             verified: bool = True) -> Koperasi:
    """The koperasi with this legal number, registered (and verified) with a logo if missing."""
    jenis, services, prefix, pokok, wajib, does = kind
    legal = f"AHU-{(list(CITIES).index(city) + 1) * 100 + n:07d}.AH.01.26"
    found = db.session.scalar(sa.select(Koperasi).where(Koperasi.legal_number == legal))
    if found:
        if found.logo_version is None:  # loaded by an older demo, before koperasi had logos
            set_logo(found, board, io.BytesIO(logo_png(found.name, legal)))
            added["logos"] += 1
        return found
    regency, lat, lng, _ = CITIES[city]
    rng = random.Random(legal)
    district, district_name = rng.choice(regions.children(regency))
    year = founded(legal)
    found = register_koperasi(board, dict(
        name=name, legal_number=legal, nik_koperasi=None, jenis=jenis,
        description=f"Berdiri sejak {year}, {name} {does}. Kantor kami di Kecamatan {district_name}, "
                    f"{city}; pendaftaran anggota baru dibuka setiap hari kerja.",
        address=f"Jl. {rng.choice(STREETS)} No. {rng.randint(1, 200)}",
        province_code=regency[:2], regency_code=regency, district_code=district,
        lat=round(lat + rng.uniform(-0.05, 0.05), 6), lng=round(lng + rng.uniform(-0.05, 0.05), 6),
        whatsapp=f"0815{list(CITIES).index(city):02d}{n:06d}", pokok_idr=pokok, wajib_idr=wajib,
        requirements="Fotokopi KTP, pas foto 3x4, dan mengisi formulir keanggotaan.", member_prefix=prefix,
        services=services))
    if verified:
        verify(found, platform)
    set_logo(found, board, io.BytesIO(logo_png(name, legal)))
    added["koperasi"] += 1
    return found


def staff(added: Counter, koperasi: Koperasi, user: User, role: str) -> None:
    if not db.session.scalar(sa.select(Staff).where(Staff.koperasi_id == koperasi.id, Staff.user_id == user.id)):
        db.session.add(Staff(koperasi_id=koperasi.id, user_id=user.id, role=role))
        added["staff"] += 1


def member(added: Counter, koperasi: Koperasi, user: User, by: User, status: str = "active",
           home: Koperasi | None = None) -> None:
    """``user`` applies (with their own NIK, from ``home``'s district) and is approved, rejected or left waiting."""
    if open_membership(user, koperasi) or db.session.scalar(sa.select(Membership.id).where(
            Membership.koperasi_id == koperasi.id, Membership.user_id == user.id)):
        return
    home = home or koperasi
    occupation, business = work(user)
    membership = apply(user, koperasi, full_name=user.full_name, nik=nik(user, home.district_code),
                       address=home_address(user, regions.name(home.regency_code)), occupation=occupation,
                       is_umkm=business is not None, business_name=business, agreed=True, consented=True)
    db.session.flush()
    if status == "active":
        approve(membership, by)
    elif status == "rejected":
        reject(membership, by, "Fotokopi KTP belum dilampirkan.")
    added["memberships"] += 1
