"""A koperasi with a closed book year worth dividing, for the SHU tests (hand-checked figures
in tests/test_shu.py): four members, their savings and transactions of last year, an income
statement with a surplus of Rp10.000.003, the year closed."""

from __future__ import annotations

from datetime import date, datetime

from models import periods, savings
from models.base import db
from models.ledger import Leg, Purpose, post
from models.market import open_store
from models.meetings import Meeting
from models.months import midnight
from models.orders import Order
from models.transactions import LOAN_INTEREST, MemberTransaction
from models.zones import zone_of
from tests.conftest import board, store_data

NIKS = ["3273015608900001", "3273015608900002", "3273015608900003", "3273015608900004", "3273015608900005"]
SPLIT = {"reserve_bp": 4000, "jm_bp": 2000, "ju_bp": 2500, "board_bp": 500, "staff_bp": 500,
         "education_bp": 250, "social_bp": 250, "others_bp": 0,
         "jm_pokok": False, "jm_wajib": True, "jm_sukarela": True, "jm_basis": "year_end",
         "ju_own_store": True, "ju_member_stores": True, "ju_interest": True}


def last_year(koperasi) -> int:
    return zone_of(koperasi).today().year - 1


def at(koperasi, month: int, day: int = 10) -> datetime:
    """A moment of last year (naive UTC), the koperasi's noon of that day."""
    return midnight(koperasi, date(last_year(koperasi), month, day)).replace(hour=5)


def purchase(koperasi, membership, store, amount: int, when: datetime) -> None:
    """A completed purchase, as ``orders.complete`` records it for SHU (the order and its row)."""
    order = Order(buyer_id=membership.user_id, store_id=store.id, koperasi_id=koperasi.id,
                  buyer_membership_id=membership.id, status="completed", fulfilment="pickup", payment="cash",
                  subtotal_idr=amount, total_idr=amount, checkout_key=f"k{store.id}-{membership.id}-{amount}")
    db.session.add(order)
    db.session.flush()
    db.session.add(MemberTransaction(koperasi_id=koperasi.id, membership_id=membership.id, amount_idr=amount,
                                     order_id=order.id, at=when))


def interest(koperasi, membership, amount: int, when: datetime) -> None:
    db.session.add(MemberTransaction(koperasi_id=koperasi.id, membership_id=membership.id, kind=LOAN_INTEREST,
                                     amount_idr=amount, at=when))


def shu_year(make_koperasi, make_member, make_user, make_store, **koperasi) -> dict:
    """The world of the hand-checked example (see tests/test_shu.py for its figures)."""
    k = make_koperasi(name="Koperasi Bagi Hasil", member_prefix="KBH", **koperasi)
    pengurus = board(k)
    ani, budi, citra, dedi = (make_member(k, user=make_user(full_name=name), nik=nik)
                              for name, nik in zip(("Ani Rahayu", "Budi Santoso", "Citra Dewi", "Dedi Kurnia"),
                                                   NIKS, strict=False))
    # The year's savings (pokok was paid this year, on joining: it is not last year's).
    for member, wajib, sukarela in ((ani, 1_200_000, 800_000), (budi, 1_200_000, 0), (citra, 0, 300_000)):
        if wajib:
            savings.deposit(member, "wajib", wajib, "cash", pengurus, at=at(k, 3))
        if sukarela:
            savings.deposit(member, "sukarela", sukarela, "cash", pengurus, at=at(k, 6))
    # The year's income and expenses: a surplus of Rp10.000.003.
    post(k, "journal", [Leg(Purpose.CASH, 12_000_003), Leg(Purpose.OTHER_INCOME, -12_000_003)], by=pengurus,
         memo="Pendapatan", at=at(k, 7))
    post(k, "journal", [Leg(Purpose.SALARIES, 2_000_000), Leg(Purpose.CASH, -2_000_000)], by=pengurus,
         memo="Gaji", at=at(k, 8))
    own = open_store(pengurus, k, store_data(name="Toko Koperasi"), own_store=True)
    members_store = make_store(k, name="Warung Eko")
    purchase(k, budi, own, 450_000, at(k, 9))
    purchase(k, dedi, members_store, 300_000, at(k, 10))
    interest(k, ani, 150_000, at(k, 11))
    interest(k, dedi, 100_001, at(k, 11))
    purchase(k, ani, own, 999_000, midnight(k, date(last_year(k) + 1, 1, 2)))  # this year's: not counted
    db.session.commit()
    periods.close_year(k, last_year(k), pengurus)
    meeting = Meeting(koperasi_id=k.id, title=f"RAT Tahun Buku {last_year(k)}", book_year=last_year(k),
                      starts_at=midnight(k, zone_of(k).today()), place="Balai warga",
                      record_date=zone_of(k).today(), status="held", created_by_id=pengurus.id)
    db.session.add(meeting)
    db.session.commit()
    return dict(k=k, pengurus=pengurus, ani=ani, budi=budi, citra=citra, dedi=dedi, year=last_year(k),
                meeting=meeting)
