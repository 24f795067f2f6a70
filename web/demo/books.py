"""Demo books: opening balances at the cut-over (1 January of last year, before the first
member paid in), every month since in the cash book (the koperasi store's sales and its
goods, rent, electricity, salaries, supplies, a hall let out) and monthly depreciation by
journal, so last year is a full book year (closed by ``money.close_last_year``); and a cash
count with a small shortage waiting for the board.

Every posting is a real domain call with a fixed key (``money.demo_key``): a second run adds nothing.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

import sqlalchemy as sa

from models import cashbook, chart, loans
from models.accounts import User
from models.cashbook import CashCount
from models.koperasi import Koperasi
from models.ledger import ensure_chart, find_by_key
from web.demo.money import demo_key
from web.extensions import db

# The balance sheet each demo koperasi brought from its paper books (whole Rupiah, normal balances).
OPENING = {"cash": 15_000_000, "bank": 120_000_000, "fixed_assets": 35_000_000, "accum_depreciation": 5_000_000,
           "borrowings": 50_000_000, "reserve": 85_000_000, "grants": 30_000_000}
MONTHLY = [  # (direction, account purpose, cash or bank, amount, counterparty, note)
    ("in", "store_sales", "cash", 16_000_000, "Toko koperasi", "Penjualan toko koperasi sebulan"),
    ("out", "cost_of_goods_sold", "cash", 11_000_000, "Grosir Sumber Makmur", "Belanja barang dagangan toko"),
    ("out", "rent", "bank", 1_000_000, "Pak Haji Darmawan", "Sewa kantor koperasi"),
    ("out", "utilities", "cash", 350_000, "PLN", "Token listrik kantor"),
    ("out", "salaries", "bank", 3_000_000, "Staf kantor", "Gaji bulanan dua staf"),
    ("out", "supplies", "cash", 125_000, "Toko ATK Sinar", "Kertas dan tinta printer"),
    ("in", "other_income", "cash", 400_000, "Karang Taruna", "Sewa aula untuk rapat"),
]


def cutover(today: date) -> date:
    """1 January of last year: before the first member paid in (a year ago), and a whole book
    year before this one."""
    return date(today.year - 1, 1, 1)


def opening(added: Counter, koperasi: Koperasi, pengurus: User, today: date) -> None:
    accounts = ensure_chart(koperasi)
    key = demo_key(f"opening-{koperasi.id}")
    if find_by_key(koperasi, key) is None and chart.opening_entry(koperasi) is None:
        chart.post_opening(koperasi, cutover(today), {accounts[p].id: amount for p, amount in OPENING.items()},
                           pengurus, key=key)
        added["entries"] += 1


def cash_book(added: Counter, koperasi: Koperasi, teller: User, pengurus: User, today: date) -> None:
    """Every month's sales and running costs since the cut-over, depreciation by journal, and
    one count awaiting approval."""
    accounts = ensure_chart(koperasi)
    start = cutover(today)
    for months_ago in range((today.year - start.year) * 12 + today.month - start.month, -1, -1):
        day = min(loans.add_months(today, -months_ago).replace(day=5), today)
        for n, (direction, purpose, means, amount, who, note) in enumerate(MONTHLY):
            key = demo_key(f"kas-{koperasi.id}-{months_ago}-{n}")
            if find_by_key(koperasi, key) is None:
                cashbook.record(koperasi, direction, accounts[purpose].id, accounts[means].id, amount, day, who, note,
                                teller, key=key)
                added["entries"] += 1
        key = demo_key(f"susut-{koperasi.id}-{months_ago}")
        if find_by_key(koperasi, key) is None:
            chart.post_journal(koperasi, day, [chart.JournalRow(accounts["depreciation"].id, 500_000, None),
                                               chart.JournalRow(accounts["accum_depreciation"].id, None, 500_000)],
                               "Penyusutan inventaris kantor bulanan", pengurus, key=key)
            added["entries"] += 1
    if not db.session.scalar(sa.select(CashCount.id).where(CashCount.koperasi_id == koperasi.id)):
        db.session.refresh(accounts["cash"])
        cashbook.count_cash(koperasi, accounts["cash"].id, accounts["cash"].balance - 15_000,
                            "Uang receh kurang, dicek lagi besok", teller)
