"""Files for the import tests, the benchmark and the browser journey: the template filled with
made-up members (valid NIKs agreeing with birth date and gender), savings and loans."""

from __future__ import annotations

from datetime import date, timedelta

from models import koperasi_export
from models.import_sheets import LOANS, MEMBERS

PRODUCT = {"name": "Modal Usaha", "method": "flat", "monthly_rate_bp": 100, "fee_bp": 0, "fee_mode": "deducted",
           "max_amount_idr": 50_000_000, "min_tenor": 3, "max_tenor": 36, "late_fee_mode": "per_instalment",
           "late_fee_idr": 5_000, "requires_guarantor": False, "requires_documents": False, "active": True}


def nik_for(n: int, born: date, female: bool) -> str:
    """A valid NIK in Kota Bandung (32.73.01) for someone born on ``born`` (day + 40 for women)."""
    return f"327301{born.day + (40 if female else 0):02d}{born.month:02d}{born.year % 100:02d}{n % 9999 + 1:04d}"


def member(n: int, prefix: str = "SRJ", *, pokok: int = 100_000, wajib: int = 240_000, sukarela: int = 0) -> dict:
    born = date(1960 + n % 40, n % 12 + 1, n % 28 + 1)
    female = n % 2 == 0
    return {"member_number": f"{prefix}-{n:05d}", "full_name": f"Anggota Nomor {n}",
            "mobile": f"0813{n:08d}", "nik": nik_for(n, born, female), "birth_date": born.isoformat(),
            "gender": "P" if female else "L", "address": f"Jl. Sumber Rejeki No. {n}, Bandung",
            "region_code": "32.73.01", "joined_on": "2015-01-05", "pokok": pokok, "wajib": wajib,
            "sukarela": sukarela}


def loan(number: str, cutover: date, *, original: int = 6_000_000, owed: int = 3_000_000, tenor: int = 12,
         remaining: int = 6, method: str = "flat", rate: str = "1", product: str = "Modal Usaha") -> dict:
    return {"member_number": number, "product": product, "original_idr": original, "owed_idr": owed,
            "rate": rate, "method": method, "tenor": tenor, "remaining": remaining,
            "next_due": (cutover + timedelta(days=10)).isoformat()}


def members_and_loans(count: int, cutover: date, prefix: str = "SRJ", loans_every: int = 10):
    members = [member(n, prefix, sukarela=(n % 7) * 50_000) for n in range(1, count + 1)]
    loans = [loan(m["member_number"], cutover, method="flat" if i % 2 else "menurun")
             for i, m in enumerate(members[::loans_every])]
    return members, loans


def xlsx(members: list[dict], loans: list[dict]) -> bytes:
    return koperasi_export.workbook(members, loans)


def csvs(members: list[dict], loans: list[dict]) -> list[tuple[str, bytes]]:
    files = [("anggota.csv", koperasi_export.csv_text(MEMBERS, members).encode())]
    if loans:
        files.append(("pinjaman.csv", koperasi_export.csv_text(LOANS, loans).encode()))
    return files
