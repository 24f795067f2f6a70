"""Demo savings and loans: pokok paid, a year of wajib and sukarela, loans in every state,
wajib bills with members in arrears, and sukarela interest of the last months.

Every posting is a real domain call with a fixed idempotency key (``demo_key``), so a second
run finds the key and adds nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app

from models import collectability, dues, loans, months, periods, savings
from models.accounts import User
from models.errors import DomainError
from models.koperasi import Koperasi
from models.ledger import find_by_key
from models.membership import WIB, Membership, MemberStatus
from models.month_end import run_month_end
from web.demo.people import MEMBERS
from web.extensions import db

PRODUCTS = [
    dict(name="Modal Usaha UMKM", method="flat", monthly_rate_bp=100, fee_bp=100, fee_mode="deducted",
         max_amount_idr=25_000_000, min_tenor=3, max_tenor=24, late_fee_mode="per_day", late_fee_idr=5_000,
         late_fee_cap_idr=100_000, rebate_rule="rule_of_78", requires_guarantor=False, requires_documents=True),
    dict(name="Pinjaman Konsumtif", method="annuity", monthly_rate_bp=125, fee_bp=50, fee_mode="deducted",
         max_amount_idr=15_000_000, min_tenor=6, max_tenor=36, late_fee_mode="per_instalment",
         late_fee_idr=25_000, requires_guarantor=False, requires_documents=False),
]
LEFT_APPROVED = tuple(m[0] for m in MEMBERS[18:20])  # approved, simpanan pokok not paid yet
# Members for a year (a year of savings history); the others joined two months ago
# (keeps the demo load quick: every posting is a real domain call).
YEAR_MEMBERS = ("Siti Rahmawati", "Budi Santoso", *(m[0] for m in MEMBERS[:6]))


def _at(day: date, hour: int = 10) -> datetime:
    """A teller's office hour in WIB on ``day``, stored as naive UTC like every timestamp."""
    return datetime.combine(day, time(hour, 0), WIB).astimezone(UTC).replace(tzinfo=None)


def demo_key(label: str) -> str:
    """The demo's fixed key for one posting: the same on every run of this installation
    (so a second run finds it), yet shaped and as unguessable as a form's key, because it
    is derived from the secret key (no ``demo-sukarela-1-0`` for anyone to send)."""
    digest = hmac.new(current_app.secret_key.encode(), f"kopz-demo:{label}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _once(added: Counter, koperasi: Koperasi, label: str, operation, *args, **kwargs) -> None:
    """Post once per key (a second run finds the key and adds nothing)."""
    key = demo_key(label)
    if find_by_key(koperasi, key) is None:
        operation(*args, key=key, **kwargs)
        added["entries"] += 1


def _members(koperasi: Koperasi) -> list[Membership]:
    return list(db.session.scalars(sa.select(Membership).where(
        Membership.koperasi_id == koperasi.id, Membership.status.in_([MemberStatus.APPROVED, MemberStatus.ACTIVE]))
        .order_by(Membership.id)))


def pay_pokok(added: Counter, koperasi: Koperasi, staff: User, today: date) -> None:
    for m in _members(koperasi):
        if m.full_name in LEFT_APPROVED or m.status != MemberStatus.APPROVED:
            continue
        # Joined a year (or two months) ago: the card, the wajib dues and the history say so.
        joined = loans.add_months(today, -12 if m.full_name in YEAR_MEMBERS else -2).replace(day=3)
        m.joined_on = joined
        _once(added, koperasi, f"pokok-{m.id}", savings.deposit, m, "pokok", savings.pokok_due(m), "cash",
              staff, at=_at(joined, 9))


def savings_history(added: Counter, koperasi: Koperasi, staff: User, today: date) -> None:
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
                _once(added, koperasi, f"wajib-{m.id}-{k}", savings.deposit, m, "wajib", koperasi.wajib_idr,
                      "cash", staff, at=_at(day, 9 + k % 6))
            # Every random draw happens on every run, so a second run asks for the same keys.
            if rng.random() < 0.55:
                amount = rng.choice([50_000, 100_000, 150_000, 250_000, 500_000, 1_000_000])
                means = rng.choice(["cash", "cash", "bank"])
                sukarela += amount
                _once(added, koperasi, f"sukarela-{m.id}-{k}", savings.deposit, m, "sukarela", amount, means,
                      staff, at=_at(day, 11))
            if sukarela >= 200_000 and rng.random() < 0.25:
                amount = rng.choice([100_000, 150_000, 200_000])
                sukarela -= amount
                out = min(day + timedelta(days=12), today)
                _once(added, koperasi, f"tarik-{m.id}-{k}", savings.withdraw, m, amount, "cash", staff,
                      at=_at(out, 14))


def loan_products(added: Counter, koperasi: Koperasi) -> list[loans.LoanProduct]:
    found = []
    for data in PRODUCTS:
        product = db.session.scalar(sa.select(loans.LoanProduct).where(
            loans.LoanProduct.koperasi_id == koperasi.id, loans.LoanProduct.name == data["name"]))
        if product is None:
            product = loans.save_product(koperasi, data)
            added["loan products"] += 1
        found.append(product)
    return found


def add_loan(added: Counter, member: Membership, product: loans.LoanProduct, approver: User, teller: User,
             amount: int, tenor: int, purpose: str, state: str, months_ago: int = 0, paid: int = 0,
             today: date | None = None) -> None:
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
        loans.reject(loan, approver, "Usaha belum berjalan enam bulan; ajukan lagi setelah itu.")
        return
    loans.approve(loan, approver)
    if state == "approved":
        return
    start = loans.add_months(today, -months_ago)
    loans.disburse(loan, teller, "bank" if amount >= 5_000_000 else "cash", key=demo_key(f"cair-{loan.id}"), today=start)
    added["entries"] += 1
    for inst in list(loan.instalments)[:paid]:
        due = loans.owed(loan, inst.due_on)
        source = "sukarela" if inst.seq == 2 and savings.balances(member.id)["sukarela"] >= due.total else "cash"
        amount = inst.remaining + max(due.late_fee, 0)
        loans.repay(loan, amount, source, teller, key=demo_key(f"angsur-{loan.id}-{inst.seq}"), today=inst.due_on)
        added["entries"] += 1


def money(added: Counter, first: Koperasi, others: list[Koperasi], teller: User, pengurus: User) -> None:
    """Pokok, a year of savings and loans in every state in ``first`` (the teller posts, the
    pengurus approves: never one person for both); pokok and savings in ``others``."""
    today = datetime.now(WIB).date()
    for koperasi in (first, *others):
        staff = teller if koperasi is first else db.session.get(User, koperasi.created_by_id)
        pay_pokok(added, koperasi, staff, today)
        loan_products(added, koperasi)
        savings_history(added, koperasi, staff, today)
    modal, konsumtif = loan_products(added, first)
    by_name = {m.full_name: m for m in _members(first)}
    rina, ujang, euis, dadang, yuyun = (m[0] for m in MEMBERS[:5])
    plans = [
        # (member, product, amount, tenor, purpose, state, months ago, instalments repaid)
        ("Siti Rahmawati", modal, 5_000_000, 12, "Tambah stok dan etalase warung sembako", "active", 4, 4),
        ("Budi Santoso", konsumtif, 3_000_000, 12, "Biaya sekolah anak dan seragam", "active", 5, 2),
        (rina, modal, 2_000_000, 6, "Modal belanja warung nasi menjelang Lebaran", "active", 8, 6),
        (ujang, modal, 4_000_000, 12, "Gerobak dan peralatan jualan bakso", "applied"),
        (euis, konsumtif, 1_500_000, 6, "Perbaikan atap rumah sebelum musim hujan", "approved"),
        (dadang, modal, 10_000_000, 24, "Membuka kedai kopi di depan rumah", "rejected"),
        (yuyun, modal, 1_000_000, 6, "Bahan kain untuk jahitan seragam sekolah", "active", 3, 1),
        (MEMBERS[5][0], modal, 1_500_000, 6, "Modal jualan pulsa keliling", "active", 11, 0),
    ]
    for name, product, amount, tenor, purpose, state, *history in plans:
        months_ago, paid = history or (0, 0)
        add_loan(added, by_name.get(name), product, pengurus, teller, amount, tenor, purpose, state, months_ago,
                 paid, today)
    month_ends(added, first, by_name.get("Siti Rahmawati"), pengurus)
    loan_book(added, first, pengurus, by_name.get(MEMBERS[5][0]))


def loan_book(added: Counter, koperasi: Koperasi, pengurus: User, agus: Membership | None) -> None:
    """Agus's loan (nothing paid in eleven months, macet) written off by the pengurus: the
    collectability page and its off-balance list. (Last month's allowance is posted by the
    month-end runs, ``month_ends``, which come first.)"""
    loan = agus and db.session.scalar(sa.select(loans.Loan).where(
        loans.Loan.membership_id == agus.id, loans.Loan.status == loans.LoanStatus.ACTIVE))
    if loan:
        collectability.write_off(loan, pengurus, "Anggota pindah ke luar kota, tidak dapat ditagih",
                                 key=demo_key(f"hapus-{loan.id}"))
        added["entries"] += 1


def month_ends(added: Counter, koperasi: Koperasi, autopayer: Membership | None, pengurus: User) -> None:
    """Interest at 4,5 % a year on the lowest daily balance, wajib due on the 10th, Siti paying
    wajib from sukarela, and the last three months closed by the month-end run (the bills
    show the members whose wajib history left months unpaid in arrears)."""
    if koperasi.savings_rate_bp == 0:
        koperasi.savings_rate_bp, koperasi.interest_method, koperasi.wajib_due_day = 450, "minimum", 10
    if autopayer is not None:
        autopayer.wajib_autopay = True
    last = months.last_ended(koperasi)
    for month in (months.previous(months.previous(last)), months.previous(last), last):
        for outcome in run_month_end(koperasi, month, by=pengurus):  # a rerun finds every key: nothing more
            added["interest postings"] += len(getattr(outcome.summary, "posted", []))
    added["dues bills"] += dues.ensure_bills(koperasi, months.current(koperasi))


def close_last_year(added: Counter, koperasi: Koperasi, pengurus: User) -> None:
    """The past book year closed (its closing entry into SHU), the current one open. Runs after
    every other posting of the demo: nothing is dated in a closed month afterwards."""
    try:
        if periods.close_year(koperasi, datetime.now(WIB).year - 1, pengurus) is not None:
            added["closed years"] += 1
    except DomainError:  # an earlier month with postings is open: the demo leaves the year as it is
        pass
