"""A koperasi brought in through the import: Koperasi Simpan Pinjam Sumber Rejeki in Bandung kept
its books on paper and in Excel until the cut-over (the last day of last month). Its 60 members,
their savings and a few loans are made as a filled template in memory and go through the real
preview, confirmation and import job; then its board enters the cash that the savings and loans
leave, so "Opening balances to be matched" comes to zero. Idempotent: a second run finds the
finished import and the opening entry and adds nothing."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app

from models import chart, import_batch, koperasi_export, loans
from models.accounts import User
from models.koperasi import Koperasi
from models.ledger import Purpose, ensure_chart
from models.loans import LoanProduct
from models.zones import zone_of
from web.demo.gateway import koperasi as register
from web.demo.money import demo_key
from web.demo.people import person
from web.extensions import db

NAME = "Koperasi Simpan Pinjam Sumber Rejeki"
KIND = ("simpan_pinjam", ["savings", "loans"], "SRJ", 100_000, 25_000,
        "menghimpun simpanan warga Cicadas dan menyalurkan pinjaman modal usaha kecil")
PRODUCT = {"name": "Pinjaman Modal Usaha", "method": "flat", "monthly_rate_bp": 100, "fee_bp": 100,
           "fee_mode": "deducted", "max_amount_idr": 20_000_000, "min_tenor": 6, "max_tenor": 24,
           "late_fee_mode": "per_instalment", "late_fee_idr": 10_000, "requires_guarantor": False,
           "requires_documents": False, "active": True}
FIRST = ["Ujang", "Euis", "Dadang", "Neneng", "Asep", "Iis", "Cecep", "Yati", "Ade", "Imas", "Dede", "Enung",
         "Agus", "Popon", "Jajang", "Nining"]
LAST = ["Supriatna", "Rohaeti", "Kurniawan", "Suryani", "Hermawan", "Nurhayati", "Saepudin", "Komalasari"]
MEMBERS = 60
BANDUNG = "32.73.07"  # Kecamatan Cibeunying Kidul (Cicadas)


def rows(prefix: str, cutover: date) -> tuple[list[dict], list[dict]]:
    """The koperasi's paper books as the template's rows: 60 members, savings, 8 loans being repaid."""
    rng = random.Random("demo-sumber-rejeki")
    members, loan_rows = [], []
    for n in range(1, MEMBERS + 1):
        female = n % 2 == 0
        name = f"{FIRST[(n - 1) % len(FIRST)]} {LAST[(n * 3) % len(LAST)]}"
        born = date(1958 + rng.randrange(40), rng.randrange(1, 13), rng.randrange(1, 29))
        joined = date(2009 + rng.randrange(15), rng.randrange(1, 13), rng.randrange(1, 29))
        months_in = max((cutover.year - joined.year) * 12 + cutover.month - joined.month, 1)
        members.append({
            "member_number": f"{prefix}-{n:05d}", "full_name": name, "mobile": f"08572{n:07d}",
            "nik": f"{BANDUNG.replace('.', '')}{born.day + (40 if female else 0):02d}{born.month:02d}"
                   f"{born.year % 100:02d}{n:04d}",
            "birth_date": born.isoformat(), "gender": "P" if female else "L",
            "address": f"Jl. Cicadas Gg. {rng.choice(['Sukaasih', 'Rahayu', 'Mekar', 'Ikhlas'])} No. {n}, Bandung",
            "region_code": BANDUNG, "joined_on": joined.isoformat(), "pokok": 100_000,
            "wajib": 25_000 * min(months_in, 120), "sukarela": rng.randrange(0, 40) * 50_000})
        if n % 8 == 3:  # a loan being repaid
            tenor, remaining = rng.choice([(12, 7), (18, 10), (24, 20)])
            original = rng.randrange(4, 16) * 1_000_000
            owed = original - original // tenor * (tenor - remaining)
            loan_rows.append({"member_number": f"{prefix}-{n:05d}", "product": PRODUCT["name"], "original_idr": original,
                              "owed_idr": owed, "rate": "1", "method": "flat", "tenor": tenor, "remaining": remaining,
                              "next_due": (cutover + timedelta(days=10)).isoformat()})
    return members, loan_rows


def imported_koperasi(added: Counter, platform: User) -> Koperasi:
    """The koperasi, its loan product, the import (once) and the board's opening cash."""
    board = person(added, "Dedi Mulyadi", "081300009001")
    found = register(added, board, platform, "Bandung", 90, NAME, KIND)
    if not db_product(found):
        loans.save_product(found, dict(PRODUCT))
    cutover = zone_of(found).today().replace(day=1) - timedelta(days=1)
    done = [b for b in import_batch.batches(found) if b.status == import_batch.DONE]
    if not done:
        members, loan_rows = rows(found.member_prefix, cutover)
        folder = current_app.config["MEDIA_DIR"] + "/imports"
        data = koperasi_export.workbook(members, loan_rows)
        batch, result = import_batch.preview(found, [("buku-anggota-sumber-rejeki.xlsx", data)], cutover, board, folder)
        if result.problems:
            raise RuntimeError(f"demo import file has problems: {[(p.row, p.column, str(p)) for p in result.problems]}")
        job = import_batch.confirm(batch, board)
        db.session.commit()
        import_batch.import_job(job.id, folder)
        added["imported members"] += batch.members
    accounts = ensure_chart(found)
    net = accounts[Purpose.OPENING_EQUITY].balance
    if net > 0 and chart.opening_entry(found) is None:  # the cash the savings and loans leave
        chart.post_opening(found, cutover, {accounts[Purpose.CASH].id: net, accounts[Purpose.OPENING_EQUITY].id: net},
                           board, key=demo_key("imported-opening"))
        added["opening entries"] += 1
    return found


def db_product(koperasi: Koperasi) -> LoanProduct | None:
    return db.session.scalar(sa.select(LoanProduct).where(LoanProduct.koperasi_id == koperasi.id,
                                                          LoanProduct.name == PRODUCT["name"]))
