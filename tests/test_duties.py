"""Who may do what in a koperasi's office: every role on every office action, the one
duties table behind it, new staff starting with the least, and one person never both
approving and paying out a loan unless the koperasi chose that."""

from __future__ import annotations

import io
import os
import re
from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from models import (
    cashbook,
    collectability,
    documents,
    health,
    import_batch,
    loans,
    meetings,
    months,
    periods,
    savings,
    shu,
    shu_posting,
    topups,
    voting,
    withdrawals,
)
from models import koperasi as kop
from models.accounts import User, register_user
from models.announcements import Announcement
from models.attendance import Attendance
from models.base import utcnow
from models.capital import CapitalRule
from models.cashbook import CashCount
from models.chart import add_sub_account
from models.claims import request as request_claim
from models.duties import AUDITED, DUTIES, NEW_STAFF_ROLE, Duty, Role, may
from models.errors import DomainError
from models.import_batch import ImportBatch
from models.koperasi import Koperasi, KoperasiEvent, Staff
from models.ledger import Account, Entry, ensure_chart
from models.loans import Loan, LoanProduct
from models.market import Store
from models.meeting_documents import MeetingDocument
from models.meetings import AgendaItem, Meeting
from models.membership import Membership
from models.periods import PeriodEvent
from models.shu import ShuPlan
from models.topups import Topup
from models.voting import Proposal
from models.zones import WIB, zone_of
from tests.conftest import board, fund, keep, koperasi_data, login, put_back
from tests.imported import make_imported
from tests.pdf_files import AKTA_PDF, pdfs
from web.extensions import db as _db

NIKS = [f"32730115089{n:05d}" for n in range(1, 40)]
PRODUCT = {"name": "Modal Usaha", "method": "flat", "monthly_rate_bp": 100, "fee_bp": 100, "fee_mode": "deducted",
           "max_amount_idr": 10_000_000, "min_tenor": 3, "max_tenor": 24, "late_fee_mode": "per_instalment",
           "late_fee_idr": 5_000, "requires_guarantor": False, "requires_documents": False, "active": True}
PRODUCT_FORM = {"name": "Pinjaman Mikro", "method": "annuity", "monthly_rate_bp": "1,5", "fee_bp": "0,5",
                "fee_mode": "deducted", "min_amount_idr": "100.000", "max_amount_idr": "5.000.000", "min_tenor": "6",
                "max_tenor": "36", "late_fee_mode": "per_day", "late_fee_idr": "1.000", "active": "y"}
ROLES = [Role.PENGAWAS, Role.TELLER, Role.PENGURUS, Role.ADMIN]
FIRST_MONTH = (WIB.today() - timedelta(days=40)).strftime("%Y-%m")  # the world's first postings: months close in order
LAST_YEAR = WIB.today().year - 1
CLOSED_MONTH = date(LAST_YEAR - 1, 6, 1)  # closed in the world, for the admin to reopen


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def history_of(html: str) -> str:
    """The history page's events as text (not its filter form, which names every kind and person)."""
    return text_of(html.split('<ol class="stack" id="history">', 1)[1].split("</ol>", 1)[0])


def profile_form(koperasi: Koperasi, **overrides) -> dict:
    """The office profile form as the browser posts it (checkboxes only when ticked)."""
    data = koperasi_data(**{"name": koperasi.name, "legal_number": koperasi.legal_number, **overrides})
    form = {k: ("" if v is None else v if isinstance(v, list) else str(v)) for k, v in data.items()}
    if form.pop("single_person_loans", "False") == "True":
        form["single_person_loans"] = "y"
    return form


# ---------------------------------------------------------------- the world

_WORLD: dict = {}  # the first test's world, kept (tests/conftest.py ``keep``): built once, put back for each test


@pytest.fixture
def world(app, db, make_koperasi, make_member, make_user, make_staff, make_store):
    """Koperasi K with something waiting for every office action, one client per role
    (none of them the board member who approved K's loans), and another koperasi's admin.
    Built by the first test that asks; each later one gets the same rows and files put back."""
    office_world(app, db, make_koperasi, make_member, make_user, make_staff, make_store)
    staff = {role: db.session.get(User, _WORLD[role]) for role in (*ROLES, "other_koperasi")}
    return dict(k=db.session.get(Koperasi, _WORLD["k"]), ids=dict(_WORLD["ids"]),
                candidate=db.session.get(User, _WORLD["candidate"]),
                clients={role: login(app.test_client(), user) for role, user in staff.items()})


def office_world(app, db, make_koperasi, make_member, make_user, make_staff, make_store) -> dict:
    """The world in the database (built the first time in the session, else put back): its ids, by name."""
    if not _WORLD:
        built = _build_world(app, db, make_koperasi, make_member, make_user, make_staff, make_store)
        ids = built.pop("ids")
        _WORLD.update({name: value.id for name, value in built.items()}, kept=keep(app), ids=ids)
    else:
        put_back(app, _WORLD["kept"])
    return _WORLD


def _build_world(app, db, make_koperasi, make_member, make_user, make_staff, make_store) -> dict:
    k = fund(make_koperasi(name="Koperasi Sumber Rejeki", member_prefix="KSR"))
    approver = board(k)
    teller = make_staff(k, "teller", user=make_user(full_name="Teller Dua"))
    member = make_member(k, user=make_user(full_name="Siti Aminah"), nik=NIKS[0])
    k.savings_rate_bp = 600  # and sukarela held all last month: the month end posts its interest
    savings.deposit(member, "sukarela", 1_000_000, "cash", teller,
                    at=months.bounds(k, months.last_ended(k))[0])
    receipt = savings.deposit(member, "sukarela", 500_000, "cash", teller)
    applicant = make_member(k, status="applied", nik=NIKS[1])
    resigning = make_member(k, status="resigning", nik=NIKS[2])
    product = loans.save_product(k, dict(PRODUCT))
    applied = loans.apply(member, product, 1_000_000, 6, "Modal warung sembako")
    approved = loans.apply(member, product, 1_200_000, 6, "Gerobak bakso")
    loans.approve(approved, approver)
    active = loans.apply(member, product, 2_000_000, 12, "Etalase dan stok")
    loans.approve(active, approver)
    paid_out = zone_of(k).today() - timedelta(days=40)  # before last month began: last month can be provisioned
    loans.disburse(active, teller, "cash", today=paid_out)
    repayment = loans.repay(active, 50_000, "cash", teller, today=paid_out + timedelta(days=1))
    written = loans.apply(member, product, 1_500_000, 6, "Stok musim hujan")
    loans.approve(written, approver)
    loans.disburse(written, teller, "cash", today=paid_out)
    collectability.write_off(written, approver, "Usaha tutup, anggota pindah")
    store = make_store(k, status="pending", name="Warung Pak Budi")
    periods.close_month(k, CLOSED_MONTH, approver)
    chart_of = ensure_chart(k)
    spare = add_sub_account(k, chart_of["bank"].id, "1102.02", "Bank BNI")  # unused: may be closed or deleted
    paid = cashbook.record(k, "out", chart_of["utilities"].id, chart_of["cash"].id, 150_000, None, "PLN", "Listrik",
                           teller, photo=b"RIFF-a-receipt-photo")
    short = cashbook.count_cash(k, chart_of["cash"].id, 1_000, "", teller)  # a shortage, waiting for the board
    # the RAT: a published meeting with two agenda items (another may be added, moved, removed; the member checked in)
    day = zone_of(k).today()
    rat = meetings.create(k, approver, title="RAT Tahun Buku", book_year=day.year - 1, day=day + timedelta(days=10),
                          at=time(9), place="Aula", online_url="", record_date=day)
    rat_items = [meetings.add_item(rat, "Laporan pengurus"), meetings.add_item(rat, "Pengesahan neraca")]
    meetings.publish(rat)
    draft = meetings.create(k, approver, title="RAT Luar Biasa", book_year=day.year - 1, day=day + timedelta(days=20),
                            at=time(9), place="Aula", online_url="", record_date=day)
    meetings.add_item(draft, "Pemilihan pengurus")
    held = meetings.create(k, approver, title="RAT Lalu", book_year=day.year - 1, day=day + timedelta(days=1),
                           at=time(9), place="Aula", online_url="", record_date=day)
    meetings.add_item(held, "Laporan pengurus")
    meetings.publish(held)
    meetings.mark_held(held, today=held.day)
    # voting: a motion on that RAT whose window has not opened yet (the board may still change it)
    motion = voting.create(rat, voting.ProposalData(
        kind="motion", topic="shu", title="Pembagian SHU 2025", opens_at=utcnow() + timedelta(days=5),
        closes_at=utcnow() + timedelta(days=8)), approver)
    shu_ids = _shu_world(k, approver)
    # issue 12: documents — the koperasi's deed, and the applicant's KTP photo
    media = app.config["MEDIA_DIR"]
    deed = documents.attach(k, {documents.AKTA: AKTA_PDF}, os.path.join(media, documents.DOCUMENTS_FOLDER), approver)[0]
    documents.keep_ktp(applicant, b"RIFF-a-ktp-photo", os.path.join(media, documents.KTP_FOLDER))
    health.save_questionnaire(k, shu_ids["shu_ready"], ["u1"], approver)  # issue 12: a rating ready to publish
    # issue 12: claims — an imported member whose number's owner registered and asked to be confirmed
    claimed = make_imported(k, "081366660000", nik=NIKS[30], number="KSR-L0001")
    register_user("Rudi Hartono", "081366660000", "sandi-aman-1")
    request_claim(claimed, consented=True)
    # issue 15: the member asked to withdraw to her bank account: awaiting the teller's payout (from the bank)
    fund(k, 5_000_000, "bank")
    account = withdrawals.add_destination(member, member.user, "bri", "001201001234567", "Siti Aminah")
    withdrawal = withdrawals.request(member, member.user, account.id, 200_000, "withdrawal-world-1")
    # issue 15: a top-up by transfer waiting for the teller, with the member's photo of the transfer
    topups.set_bank_account(k, approver, "BRI", "002101000123305", k.name, 24)
    topup = topups.attach_proof(topups.ask(member, 100_000, None), member.user, b"RIFF-a-transfer-photo",
                                os.path.join(media, topups.PROOF_FOLDER))
    db.session.commit()
    other = make_koperasi(name="Koperasi Tetangga", member_prefix="KTG")
    candidate = make_user(full_name="Calon Staf", mobile="081377770000")
    staff = {role: make_staff(k, role, user=make_user(full_name=f"Staf {role}")) for role in ROLES}
    staff["other_koperasi"] = make_staff(other, "admin")
    teller_staff = db.session.scalar(sa.select(Staff).where(Staff.user_id == teller.id))
    ids = dict(slug=k.slug, app=applicant.id, member=member.id, resigning=resigning.id, ref=receipt.ref,
               applied=applied.id, approved=approved.id, active=active.id, product=product.id, store=store.id,
               staff=teller_staff.id, code="1101", repayment=repayment.ref, written=written.id,
               month=f"{zone_of(k).today().replace(day=1) - timedelta(days=1):%Y-%m}",
               last_month=months.label(months.last_ended(k)), cash=chart_of["cash"].id, bank=chart_of["bank"].id,
               expense=chart_of["utilities"].id, reserve=chart_of["reserve"].id, spare=spare.id, cashref=paid.ref,
               count=short.id, rat=rat.id, item=rat_items[1].id, draft=draft.id, held=held.id,
               card=member.member_number, meeting=rat.id, proposal=motion.id, kdoc=deed.id,
               health_year=shu_ids["shu_ready"], **shu_ids, batch=_import_world(k, approver), claim=claimed.id,
               withdrawal=withdrawal.id, topup=topup.id)
    db.session.commit()
    return dict(k=k, ids=ids, candidate=candidate, **staff)


def _import_csv() -> bytes:
    from tests.import_setup import csvs, member

    return csvs([member(1, "IMP")], [])[0][1]


def _import_world(k, approver) -> int:
    """An import checked and waiting for its confirmation."""
    from flask import current_app

    batch, _result = import_batch.preview(k, [("anggota.csv", _import_csv())], date(2026, 1, 31), approver,
                                          current_app.config["MEDIA_DIR"] + "/imports")
    return batch.id


def _shu_world(k, approver) -> dict:
    """SHU: two closed years without postings: one split waiting for its RAT, one approved (an override
    with its reason: those years had no income) waiting to be posted."""
    waiting, ready = LAST_YEAR - 2, LAST_YEAR - 3
    for year in (ready, waiting):
        periods.close_year(k, year, approver)
    split = {"reserve_bp": 4000, "jm_bp": 3000, "ju_bp": 3000}
    rat = {}
    for year in (ready, waiting):
        rat[year] = Meeting(koperasi_id=k.id, title=f"RAT {year}", book_year=year, starts_at=datetime(year + 1, 3, 1),
                            record_date=date(year + 1, 2, 1), status="held")
        _db.session.add(rat[year])
    split.update(override_idr=1_000_000, override_reason="Hibah dibagi")
    shu_posting.approve(shu.save_plan(k, ready, split, approver), approver, rat[ready])
    shu.save_plan(k, waiting, split, approver)
    _db.session.flush()
    return dict(shu_year=waiting, shu_ready=ready, shu_meeting=rat[waiting].id)


# (what, duty, url, form data, or None for a page)
OFFICE = "/k/{slug}/office"
ACTIONS = [
    ("dashboard", Duty.READ, OFFICE, None),
    ("profile page", Duty.READ, OFFICE + "/profile", None),
    ("staff page", Duty.READ, OFFICE + "/staff", None),
    ("history", Duty.SEE_AUDIT, OFFICE + "/history", None),
    ("history filtered", Duty.SEE_AUDIT, OFFICE + "/history?action=post_money&actor=1&from=2026-01-01&to=2026-12-31", None),
    ("export the history (recorded)", Duty.SEE_AUDIT, OFFICE + "/history/export", {"format": "csv", "action": "updated"}),
    ("applications", Duty.READ, OFFICE + "/applications", None),
    ("an application", Duty.READ, OFFICE + "/applications/{app}", None),
    ("members", Duty.READ, OFFICE + "/members", None),
    ("members csv", Duty.READ, OFFICE + "/members.csv", None),
    ("a member", Duty.READ, OFFICE + "/members/{member}", None),
    ("open a member by NIK", Duty.READ, OFFICE + "/members/by-nik", {"nik": NIKS[0]}),
    ("teller search", Duty.READ, OFFICE + "/teller?q=siti", None),
    ("teller member", Duty.READ, OFFICE + "/teller/{member}", None),
    ("receipt", Duty.READ, OFFICE + "/receipts/{ref}", None),
    ("portfolio", Duty.READ, OFFICE + "/loans", None),
    ("loan list", Duty.READ, OFFICE + "/loans/list", None),
    ("a loan", Duty.READ, OFFICE + "/loans/{applied}", None),
    ("loan products", Duty.READ, OFFICE + "/loan-products", None),
    ("collectability", Duty.READ, OFFICE + "/loans/collectability", None),
    ("a written-off loan", Duty.READ, OFFICE + "/loans/{written}", None),
    ("a repayment receipt", Duty.READ, OFFICE + "/receipts/{repayment}", None),
    ("stores", Duty.READ, OFFICE + "/stores", None),
    ("books", Duty.READ, OFFICE + "/books", None),
    ("trial balance", Duty.READ, OFFICE + "/books/trial-balance?from=2026-01-01&to=2026-12-31", None),
    ("neraca", Duty.READ, OFFICE + "/books/neraca?at=2026-06-30", None),
    ("hasil usaha", Duty.READ, OFFICE + "/books/hasil-usaha?format=csv", None),
    ("general ledger", Duty.READ, OFFICE + "/books/accounts/{code}", None),
    ("closed periods", Duty.READ, OFFICE + "/books/periods", None),
    ("cash flow", Duty.READ, OFFICE + "/books/arus-kas?from=2026-01-01&to=2026-12-31", None),
    ("changes in equity", Duty.READ, OFFICE + "/books/perubahan-ekuitas?format=xlsx", None),
    ("chart of accounts", Duty.READ, OFFICE + "/books/chart", None),
    ("opening balances page", Duty.READ, OFFICE + "/books/opening", None),
    ("journal page", Duty.READ, OFFICE + "/books/journal", None),
    ("cash book", Duty.READ, OFFICE + "/cash?from=2026-01-01", None),
    ("cash count page", Duty.READ, OFFICE + "/cash/count", None),
    ("cash receipt photo", Duty.READ, OFFICE + "/cash/photo/{cashref}", None),
    ("cash out", Duty.POST_MONEY, OFFICE + "/cash",
     {"direction": "out", "day": "2026-06-01", "account": "{expense}", "money": "{cash}", "amount": "25.000",
      "counterparty": "Toko ATK", "key": "o" * 32}),
    ("count the cash", Duty.POST_MONEY, OFFICE + "/cash/count", {"form": "count", "account": "{cash}", "counted": "5.000"}),
    ("approve a cash count", Duty.APPROVE_CASH_COUNT, OFFICE + "/cash/count",
     {"form": "decide", "count": "{count}", "c{count}-decision": "approve", "c{count}-key": "a" * 32}),
    ("add a sub-account", Duty.MANAGE_ACCOUNTS, OFFICE + "/books/chart",
     {"form": "add", "parent": "{bank}", "code": "1102.01", "name": "Bank BRI"}),
    ("close a sub-account", Duty.MANAGE_ACCOUNTS, OFFICE + "/books/chart", {"form": "close", "account": "{spare}"}),
    ("delete a sub-account", Duty.MANAGE_ACCOUNTS, OFFICE + "/books/chart", {"form": "delete", "account": "{spare}"}),
    ("opening balances", Duty.MANAGE_ACCOUNTS, OFFICE + "/books/opening",
     {"day": "2026-01-01", "a{cash}": "1.000.000", "a{reserve}": "1.000.000", "key": "b" * 32}),
    ("journal entry", Duty.POST_JOURNAL, OFFICE + "/books/journal",
     {"day": "2026-06-01", "reason": "Biaya listrik Mei belum dicatat", "lines-0-account": "{expense}",
      "lines-0-debit": "10.000", "lines-1-account": "{cash}", "lines-1-credit": "10.000", "key": "j" * 32}),
    ("deposit", Duty.POST_MONEY, OFFICE + "/teller/{member}/deposit",
     {"kind": "sukarela", "amount": "10.000", "means": "cash", "key": "d" * 32}),
    ("withdraw", Duty.POST_MONEY, OFFICE + "/teller/{member}/withdraw",
     {"withdraw-amount": "10.000", "withdraw-means": "cash", "withdraw-key": "w" * 32}),
    ("withdrawals to pay out", Duty.READ, OFFICE + "/withdrawals", None),
    ("a withdrawal to pay out", Duty.READ, OFFICE + "/withdrawals/{withdrawal}", None),
    ("pay out a withdrawal", Duty.PAY_WITHDRAWAL, OFFICE + "/withdrawals/{withdrawal}",
     {"form": "pay", "transfer_ref": "BRI-0042", "key": "y" * 32}),
    ("reject a withdrawal", Duty.PAY_WITHDRAWAL, OFFICE + "/withdrawals/{withdrawal}",
     {"form": "reject", "reject-reason": "Nomor rekening tidak ditemukan", "reject-key": "z" * 32}),
    ("repay", Duty.POST_MONEY, OFFICE + "/loans/{active}/repay",
     {"amount": "10.000", "source": "cash", "key": "r" * 32}),
    ("recover", Duty.POST_MONEY, OFFICE + "/loans/{written}/recover",
     {"amount": "100.000", "means": "cash", "key": "v" * 32}),
    ("disburse", Duty.DISBURSE_LOAN, OFFICE + "/loans/{approved}/disburse", {"means": "cash", "key": "p" * 32}),
    ("approve member", Duty.APPROVE_MEMBER, OFFICE + "/applications/{app}/approve", {}),
    ("reject member", Duty.APPROVE_MEMBER, OFFICE + "/applications/{app}/reject",
     {"reason": "Tidak memenuhi syarat domisili."}),
    ("confirm resignation", Duty.APPROVE_MEMBER, OFFICE + "/members/{resigning}/confirm-resignation",
     {"key": "q" * 32}),
    ("approve loan", Duty.APPROVE_LOAN, OFFICE + "/loans/{applied}/approve", {}),
    ("reject loan", Duty.APPROVE_LOAN, OFFICE + "/loans/{applied}/reject", {"reason": "Usaha belum berjalan."}),
    ("approve store", Duty.APPROVE_STORE, OFFICE + "/stores/{store}/approve", {}),
    ("suspend store", Duty.APPROVE_STORE, OFFICE + "/stores/{store}/suspend", {}),
    ("correct a receipt", Duty.CORRECT_ENTRY, OFFICE + "/receipts/{ref}/reverse",
     {"reason": "Salah ketik nominal", "key": "c" * 32}),
    ("correct a repayment", Duty.CORRECT_ENTRY, OFFICE + "/receipts/{repayment}/reverse",
     {"reason": "Salah catat angsuran", "key": "e" * 32}),
    ("write off", Duty.WRITE_OFF_LOAN, OFFICE + "/loans/{active}/write-off",
     {"reason": "Anggota tidak bisa dihubungi", "key": "o" * 32}),
    ("provision", Duty.RUN_PROVISION, OFFICE + "/loans/provision", {"month": "{month}"}),
    ("provision rates", Duty.MANAGE_SETTINGS, OFFICE + "/loans/provision-rates",
     {"lancar": "1", "kurang_lancar": "10", "diragukan": "50", "macet": "100"}),
    ("edit profile", Duty.MANAGE_SETTINGS, OFFICE + "/profile", "profile"),
    ("new loan product form", Duty.MANAGE_SETTINGS, OFFICE + "/loan-products/new", None),
    ("new loan product", Duty.MANAGE_SETTINGS, OFFICE + "/loan-products/new", PRODUCT_FORM),
    ("edit loan product", Duty.MANAGE_SETTINGS, OFFICE + "/loan-products/{product}",
     {**PRODUCT_FORM, "name": "Modal Usaha Baru"}),
    ("add staff", Duty.MANAGE_STAFF, OFFICE + "/staff", {"mobile": "081377770000"}),
    ("change a role", Duty.MANAGE_STAFF, OFFICE + "/staff/{staff}/role", {"role": "pengawas"}),
    ("remove staff", Duty.MANAGE_STAFF, OFFICE + "/staff/{staff}/remove", {}),
    ("reveal a NIK", Duty.REVEAL_NIK, OFFICE + "/members/{member}/reveal-nik", {}),
    ("give a temporary password", Duty.RESET_PASSWORD, OFFICE + "/members/{member}/reset-password", {"checked": "y"}),
    ("dues", Duty.READ, OFFICE + "/dues", None),
    ("dues of a month", Duty.READ, OFFICE + "/dues?month=2026-01", None),
    ("run the month end", Duty.RUN_MONTH_END, OFFICE + "/dues",
     {"form": "month_end", "month": "{last_month}", "key": "e" * 32}),
    ("close a month", Duty.CLOSE_PERIOD, OFFICE + "/books/periods",
     {"form": "close_month", "scope": "month", "period": FIRST_MONTH}),
    ("close the book year", Duty.CLOSE_PERIOD, OFFICE + "/books/periods",
     {"form": "close_year", "scope": "year", "period": str(LAST_YEAR), "confirm": "y"}),
    ("reopen a month", Duty.REOPEN_PERIOD, OFFICE + "/books/periods",
     {"form": "reopen", "scope": "month", "period": CLOSED_MONTH.strftime("%Y-%m"), "reason": "Koreksi salah catat"}),
    # the RAT (views/meetings.py)
    ("RAT list", Duty.READ, OFFICE + "/rat", None),
    ("a RAT", Duty.READ, OFFICE + "/rat/{rat}", None),
    ("RAT attendance", Duty.READ, OFFICE + "/rat/{rat}/attendance", None),
    ("RAT minutes", Duty.READ, OFFICE + "/rat/{held}/minutes", None),
    ("new RAT form", Duty.MANAGE_MEETING, OFFICE + "/rat/new", None),
    ("RAT quorum", Duty.MANAGE_MEETING, OFFICE + "/rat", {"form": "quorum", "quorum": "60"}),
    ("schedule a RAT", Duty.MANAGE_MEETING, OFFICE + "/rat/new",
     {"title": "RAT Tahun Buku Baru", "book_year": str(LAST_YEAR), "day": f"{LAST_YEAR + 2}-03-01", "at": "09:00",
      "place": "Aula", "online_url": "", "record_date": f"{LAST_YEAR + 2}-02-01"}),
    ("edit a RAT", Duty.MANAGE_MEETING, OFFICE + "/rat/{rat}",
     {"form": "edit", "title": "RAT Tahun Buku (ubah)", "book_year": str(LAST_YEAR), "day": f"{LAST_YEAR + 2}-03-01",
      "at": "10:00", "place": "Aula Baru", "online_url": "", "record_date": f"{LAST_YEAR + 2}-02-01"}),
    ("add an agenda item", Duty.MANAGE_MEETING, OFFICE + "/rat/{rat}", {"form": "agenda_add", "new-title": "Lain-lain"}),
    ("edit an agenda item", Duty.MANAGE_MEETING, OFFICE + "/rat/{rat}",
     {"form": "agenda_edit", "item": "{item}", "i{item}-title": "Pengesahan neraca dan SHU"}),
    ("move an agenda item", Duty.MANAGE_MEETING, OFFICE + "/rat/{rat}", {"form": "agenda_up", "item": "{item}"}),
    ("remove an agenda item", Duty.MANAGE_MEETING, OFFICE + "/rat/{rat}", {"form": "agenda_remove", "item": "{item}"}),
    ("publish a RAT", Duty.MANAGE_MEETING, OFFICE + "/rat/{draft}", {"form": "publish"}),
    ("upload a RAT document", Duty.MANAGE_MEETING, OFFICE + "/rat/{rat}", "pdf"),
    ("check a member in", Duty.CHECK_IN, OFFICE + "/rat/{rat}/attendance", {"card": "{card}"}),
    ("save the minutes", Duty.MANAGE_MEETING, OFFICE + "/rat/{held}/minutes",
     {"form": "minutes", "minutes": "Rapat dibuka pukul 09.00, laporan diterima."}),
    ("publish the minutes", Duty.MANAGE_MEETING, OFFICE + "/rat/{held}/minutes",
     {"form": "minutes", "publish": "1", "minutes": "Rapat dibuka pukul 09.00, laporan diterima."}),
    # voting (models/voting.py): the board puts motions and elections to the RAT's vote
    ("votes of a RAT", Duty.READ, OFFICE + "/rat/{meeting}/proposals", None),
    ("a proposal", Duty.READ, OFFICE + "/rat/{meeting}/proposals/{proposal}", None),
    ("new proposal form", Duty.MANAGE_MEETING, OFFICE + "/rat/{meeting}/proposals/new?kind=election", None),
    ("new motion", Duty.MANAGE_MEETING, OFFICE + "/rat/{meeting}/proposals/new",
     {"kind": "motion", "topic": "statements", "title": "Laporan keuangan 2025", "opens_at": "2030-01-01T09:00",
      "closes_at": "2030-01-03T09:00"}),
    ("edit a proposal", Duty.MANAGE_MEETING, OFFICE + "/rat/{meeting}/proposals/{proposal}",
     {"topic": "shu", "title": "Pembagian SHU tahun buku 2025", "opens_at": "2030-01-01T09:00",
      "closes_at": "2030-01-03T09:00"}),
    # SHU (models/shu.py, views/shu.py)
    ("SHU years", Duty.READ, OFFICE + "/shu", None),
    ("SHU of a year", Duty.READ, OFFICE + "/shu/{shu_year}", None),
    ("SHU preview as CSV", Duty.READ, OFFICE + "/shu/{shu_year}?format=csv", None),
    ("SHU posting progress", Duty.READ, OFFICE + "/shu/{shu_ready}/progress", None),
    ("set the SHU split", Duty.RUN_SHU, OFFICE + "/shu/{shu_year}",
     {"form": "plan", "reserve_bp": "50", "jm_bp": "25", "ju_bp": "25", "jm_wajib": "y", "jm_basis": "year_end",
      "override_idr": "1.000.000", "override_reason": "Hibah dibagi"}),
    ("record the RAT's SHU approval", Duty.RUN_SHU, OFFICE + "/shu/{shu_year}",
     {"form": "approve", "meeting": "{shu_meeting}"}),
    ("post the SHU", Duty.RUN_SHU, OFFICE + "/shu/{shu_ready}", {"form": "post"}),
    # issue 12: regulator's report (views/regulator.py): every role reads it
    ("regulator's report", Duty.READ, OFFICE + "/report", None),
    ("regulator's report as CSV", Duty.READ, OFFICE + "/report?format=csv", None),
    ("regulator's report as XLSX", Duty.READ, OFFICE + f"/report?year={LAST_YEAR}&format=xlsx", None),
    # notify: announcements
    ("announcements", Duty.READ, OFFICE + "/announcements", None),
    ("post an announcement", Duty.ANNOUNCE, OFFICE + "/announcements",
     {"title": "Rapat anggota", "body": "Rapat anggota hari Sabtu pukul 09.00 di balai RW.", "key": "n" * 32}),
    # issue 12: documents — the legal PDFs for the board; a KTP photo for those who decide applications
    ("a legal document", Duty.MANAGE_SETTINGS, OFFICE + "/documents/{kdoc}", None),
    ("an applicant's KTP photo", Duty.APPROVE_MEMBER, OFFICE + "/applications/{app}/ktp", None),
    # issue 12: health (models/health.py, views/health.py): pengurus, admin and pengawas see it, tellers do not
    ("health rating", Duty.SEE_HEALTH, OFFICE + "/health", None),
    ("health rating as CSV", Duty.SEE_HEALTH, OFFICE + "/health?year={shu_year}&format=csv", None),
    ("health questionnaire", Duty.SEE_HEALTH, OFFICE + "/health/questionnaire?year={shu_year}", None),
    ("answer the health questionnaire", Duty.RATE_HEALTH, OFFICE + "/health/questionnaire?year={shu_year}",
     {"u1": "y", "k2": "y"}),
    ("publish the health category", Duty.RATE_HEALTH, OFFICE + "/health", {"form": "publish", "year": "{health_year}"}),
    # issue 12: import (models/koperasi_import.py, models/import_batch.py, views/imports.py)
    ("import page", Duty.IMPORT_MEMBERS, OFFICE + "/import", None),
    ("import template", Duty.IMPORT_MEMBERS, OFFICE + "/import?format=csv&sheet=loans", None),
    ("an import's preview", Duty.IMPORT_MEMBERS, OFFICE + "/import/{batch}", None),
    ("export with NIKs (recorded)", Duty.IMPORT_MEMBERS, OFFICE + "/export", {"format": "xlsx"}),
    ("upload an import", Duty.IMPORT_MEMBERS, OFFICE + "/import", "import"),
    ("confirm an import", Duty.IMPORT_MEMBERS, OFFICE + "/import/{batch}", {"form": "confirm", "key": "i" * 32}),
    # issue 12: capital
    ("working-capital rule", Duty.READ, OFFICE + "/capital-rule", None),
    ("set the working-capital rule", Duty.MANAGE_SETTINGS, OFFICE + "/capital-rule", {"percent": "200", "months": "3"}),
    # issue 12: claims
    ("claims", Duty.READ, OFFICE + "/claims", None),
    ("a claim", Duty.READ, OFFICE + "/claims/{claim}", None),
    ("confirm a claim", Duty.APPROVE_MEMBER, OFFICE + "/claims/{claim}", {"form": "confirm"}),
    ("confirm a claim at the counter", Duty.APPROVE_MEMBER, OFFICE + "/claims/{claim}/confirm", {}),
    ("refuse a claim", Duty.APPROVE_MEMBER, OFFICE + "/claims/{claim}/refuse", {"reason": "Nama di KTP berbeda"}),
    ("correct an imported number", Duty.APPROVE_MEMBER, OFFICE + "/claims/{claim}/number", {"mobile": "081366660001"}),
    # issue 15: top-ups by bank transfer
    ("top-ups", Duty.READ, OFFICE + "/topups", None),
    ("a top-up", Duty.READ, OFFICE + "/topups/{topup}", None),
    ("a top-up's transfer photo", Duty.READ, OFFICE + "/topups/{topup}/proof", None),
    ("top-up settings", Duty.READ, OFFICE + "/topups/settings", None),
    ("confirm a top-up", Duty.CONFIRM_TOPUP, OFFICE + "/topups/{topup}/confirm", {"key": "t" * 32}),
    ("reject a top-up", Duty.CONFIRM_TOPUP, OFFICE + "/topups/{topup}/reject", {"reason": "Tidak ada di mutasi"}),
    ("match a bank statement", Duty.CONFIRM_TOPUP, OFFICE + "/topups/statement", "statement"),
    ("confirm matched top-ups", Duty.CONFIRM_TOPUP, OFFICE + "/topups/statement/confirm",
     {"key": "m" * 32, "topup": "{topup}"}),
    ("set the top-up bank account", Duty.MANAGE_SETTINGS, OFFICE + "/topups/settings",
     {"bank": "BNI", "number": "1234567", "holder": "Koperasi Sumber Rejeki", "hours": "12"}),
    # issue 15: the offline teller (models/offline.py)
    ("offline collection page", Duty.COLLECT_OFFLINE, OFFICE + "/teller/offline", None),
    ("collect one at once (no JavaScript)", Duty.POST_MONEY, OFFICE + "/teller/offline",
     {"member": "{card}", "what": "sukarela", "amount": "10.000", "key": "o" * 32}),
    ("send what was collected offline", Duty.COLLECT_OFFLINE, OFFICE + "/teller/offline/send", "offline"),
]
# Actions that answer with the page itself (what they show is for this response only), not a redirect.
# answered at once (the NIK, the file, the temporary password)
SHOWN_NOT_REDIRECTED = {"reveal a NIK", "export with NIKs (recorded)", "give a temporary password",
                        "export the history (recorded)", "send what was collected offline"}
POSTED_READS = {"open a member by NIK"}  # a POST that only reads (the NIK kept out of URLs): 303 to the member
POSTED_PAGES = {"match a bank statement"}  # a POST that only reads (an uploaded file): the page it proposes, 200


def snapshot(db, k) -> tuple:
    """Everything an office action could change."""
    db.session.expire_all()
    rows = lambda *cols: tuple(db.session.execute(sa.select(*cols).order_by(cols[0])).all())  # noqa: E731
    return (rows(Entry.id, Entry.kind), rows(Membership.id, Membership.status), rows(Loan.id, Loan.status),
            rows(Store.id, Store.status), rows(Staff.id, Staff.role), rows(LoanProduct.id, LoanProduct.name),
            rows(Koperasi.id, Koperasi.name, Koperasi.single_person_loans, Koperasi.provision_lancar_bp),
            _domain_events(db), rows(PeriodEvent.id, PeriodEvent.action),
            rows(Account.id, Account.closed), rows(CashCount.id, CashCount.status),
            rows(Meeting.id, Meeting.status, Meeting.title, Meeting.minutes, Meeting.minutes_published_at),
            rows(AgendaItem.id, AgendaItem.position, AgendaItem.title), rows(MeetingDocument.id),
            rows(Attendance.id), rows(Proposal.id, Proposal.title),
            tuple(db.session.get(Koperasi, k.id).rat_quorum_bp for _ in [1]),
            rows(ShuPlan.id, ShuPlan.reserve_bp, ShuPlan.approved_at, ShuPlan.posted_at),
            rows(Announcement.id), rows(ImportBatch.id, ImportBatch.status),
            rows(CapitalRule.koperasi_id, CapitalRule.percent, CapitalRule.months),
            rows(Topup.id, Topup.status), rows(Koperasi.id, Koperasi.topup_bank_name, Koperasi.topup_expiry_hours))



def _domain_events(db) -> tuple:
    """The history's events but the one every audited office action adds (web/audit.py): those are
    checked on their own, so a snapshot still tells whether the action itself was done."""
    return tuple(db.session.execute(sa.select(KoperasiEvent.id, KoperasiEvent.action)
                                    .where(KoperasiEvent.action.not_in(list(AUDITED))).order_by(KoperasiEvent.id)).all())


def _last_event(db) -> int:
    return db.session.scalar(sa.select(sa.func.max(KoperasiEvent.id))) or 0


def _do(world, who, url, data):
    client = world["clients"][who]
    url = url.format(**world["ids"])
    if data is None:
        return client.get(url)
    if data == "profile":
        data = profile_form(world["k"], name="Koperasi Sumber Rejeki Baru")
    if data == "import":
        return client.post(url, data={"cutover": "2026-01-31", "files": (io.BytesIO(_import_csv()), "anggota.csv")},
                           content_type="multipart/form-data")
    if data == "statement":
        return client.post(url, data={"statement": (io.BytesIO(b"01/12;TRF;100.001\n"), "mutasi.csv")},
                           content_type="multipart/form-data")
    if data == "offline":  # the phone's JSON batch: one collection
        return client.post(url, json={"items": [{"key": "c" * 32, "member": world["ids"]["member"], "what": "sukarela",
                                                 "amount": 10_000, "provisional": "P-TEST-0001"}]})
    if data == "pdf":
        return client.post(url, data={"form": "upload", "doc-title": "Laporan pengawas",
                                      "doc-file": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "l.pdf")},
                           content_type="multipart/form-data")
    if data:
        data = {name.format(**world["ids"]): value.format(**world["ids"]) if isinstance(value, str) else value
                for name, value in data.items()}
    return client.post(url, data=data)


CHANGES = [(role, *action) for role in ROLES for action in ACTIONS
           if action[3] is not None and action[0] not in POSTED_READS | POSTED_PAGES and may(role, action[1])]


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_every_page_and_is_refused_what_it_may_not_do(world, db, role):
    """Pages (allowed → 200) and refused actions (403) change nothing, so one world serves them all."""
    before = snapshot(db, world["k"])
    for what, duty, url, data in ACTIONS:
        if not may(role, duty):
            assert _do(world, role, url, data).status_code == 403, (role, what)
        elif data is None:
            assert _do(world, role, url, data).status_code == 200, (role, what)
        elif what in POSTED_READS:
            assert _do(world, role, url, data).status_code == 303, (role, what)
        elif what in POSTED_PAGES:
            assert _do(world, role, url, data).status_code == 200, (role, what)
        # the changes a role may make: test_every_role_does_what_it_may
    assert snapshot(db, world["k"]) == before


@pytest.mark.parametrize("role, what, duty, url, data", CHANGES, ids=[f"{c[0]}-{c[1]}" for c in CHANGES])
def test_every_role_does_what_it_may(world, db, role, what, duty, url, data):
    before, last = snapshot(db, world["k"]), _last_event(db)
    response = _do(world, role, url, data)
    assert response.status_code == (200 if what in SHOWN_NOT_REDIRECTED else 303), (role, what, response.get_data()[-3000:])
    assert snapshot(db, world["k"]) != before, (role, what)  # allowed: it was done
    # and the audit log says who did it and from where: one event, or the domain's own detailed ones
    events = db.session.scalars(sa.select(KoperasiEvent).where(KoperasiEvent.id > last)).all()
    if duty in AUDITED or what.endswith("(recorded)"):
        assert events, (role, what)
    assert all(e.actor_id == _WORLD[role] and e.koperasi_id == world["k"].id and e.ip == "127.0.0.1"
               and e.session_id and e.detail_map for e in events), (role, what)
    generic = [e for e in events if e.action in AUDITED]
    assert len(generic) == (1 if events and len(generic) == len(events) else 0), (role, what)  # never doubled


def test_another_koperasis_staff_find_no_office(world, db):
    before = snapshot(db, world["k"])
    for what, _duty, url, data in ACTIONS:
        assert _do(world, "other_koperasi", url, data).status_code == 404, what
    assert snapshot(db, world["k"]) == before


@pytest.mark.parametrize("role", ROLES)
def test_every_role_on_resubmitting_a_rejected_koperasi(app, db, make_koperasi, make_staff, role):
    rejected = make_koperasi(name="Koperasi Ditolak", status="rejected")
    client = login(app.test_client(), make_staff(rejected, role))
    response = client.post(f"/k/{rejected.slug}/office/resubmit")
    db.session.expire_all()
    if may(role, Duty.MANAGE_SETTINGS):
        assert response.status_code == 303 and db.session.get(Koperasi, rejected.id).status == "pending"
    else:
        assert response.status_code == 403 and db.session.get(Koperasi, rejected.id).status == "rejected"


def _shape(path: str) -> str:
    return re.sub(r"<[^>]+>|\{\w+\}", "<>", path.split("?")[0])


def test_every_office_route_is_in_the_matrix(app):
    """A new office action must name its duty and be added to ACTIONS, so every role is tried on it."""
    routes = {_shape(rule.rule) for rule in app.url_map.iter_rules() if rule.rule.startswith("/k/<slug>/office")}
    assert routes - {_shape(url) for _, _, url, _ in ACTIONS} - {_shape(OFFICE + "/resubmit")} == set()


# ---------------------------------------------------------------- the table itself

def test_the_table_keeps_one_person_from_doing_everything():
    # issue 12: reading, the health rating too; issue 14: the audit log (not the teller's, whom it watches)
    assert DUTIES[Role.PENGAWAS] == {Duty.READ, Duty.SEE_HEALTH, Duty.SEE_AUDIT}
    assert [role for role in ROLES if may(role, Duty.SEE_AUDIT)] == [Role.PENGAWAS, Role.PENGURUS, Role.ADMIN]
    assert not DUTIES[Role.TELLER] & {Duty.APPROVE_MEMBER, Duty.APPROVE_LOAN, Duty.APPROVE_STORE,
                                      Duty.MANAGE_SETTINGS, Duty.MANAGE_STAFF, Duty.CORRECT_ENTRY,
                                      Duty.MANAGE_ACCOUNTS, Duty.POST_JOURNAL, Duty.APPROVE_CASH_COUNT}
    board_books = {Duty.MANAGE_ACCOUNTS, Duty.POST_JOURNAL, Duty.APPROVE_CASH_COUNT}
    assert board_books <= DUTIES[Role.PENGURUS] and board_books <= DUTIES[Role.ADMIN]
    assert {Duty.POST_MONEY, Duty.DISBURSE_LOAN} <= DUTIES[Role.TELLER]
    assert [role for role in ROLES if may(role, Duty.MANAGE_STAFF)] == [Role.ADMIN]
    assert DUTIES[Role.ADMIN] - DUTIES[Role.PENGURUS] == {Duty.MANAGE_STAFF, Duty.REOPEN_PERIOD}
    assert [role for role in ROLES if may(role, Duty.CLOSE_PERIOD)] == [Role.PENGURUS, Role.ADMIN]
    assert all(Duty.READ in duties for duties in DUTIES.values())
    assert not may("kasir", Duty.READ) and not may(Role.ADMIN, "fly")


def test_an_unknown_duty_in_a_view_is_a_programming_error(app, world):
    from web.access import office

    with app.test_request_context(), pytest.raises(ValueError):
        office(world["k"].slug, "change")


def test_the_staff_page_shows_the_table_in_both_languages(world):
    client = world["clients"][Role.TELLER]
    page = text_of(client.get(f"/k/{world['k'].slug}/office/staff").text)
    assert "Apa yang boleh dilakukan tiap peran" in page
    assert "Menyetujui atau menolak pengajuan pinjaman" in page and "Mencairkan pinjaman yang disetujui" in page
    assert "Tambah staf" not in page  # only the admin manages staff
    client.post("/language", data={"lang": "en", "next": "/"})
    page = text_of(client.get(f"/k/{world['k'].slug}/office/staff").text)
    assert "What each role may do" in page and "Approve or reject loan applications" in page


# ---------------------------------------------------------------- buttons a role cannot use are hidden

def test_a_teller_sees_no_approve_buttons_and_the_board_does(world):
    ids = world["ids"]
    base = f"/k/{ids['slug']}/office"
    teller, pengurus = world["clients"][Role.TELLER], world["clients"][Role.PENGURUS]
    for client, shown in ((teller, False), (pengurus, True)):
        application = client.get(f"{base}/applications/{ids['app']}").text
        assert ('name="form" value="approve"' in application) is shown  # forms post to their own page
        loan = client.get(f"{base}/loans/{ids['applied']}").text
        assert ('name="form" value="approve"' in loan) is shown
        stores = client.get(f"{base}/stores").text
        assert (f"/stores/{ids['store']}/approve" in stores) is shown
        products = client.get(f"{base}/loan-products").text
        assert ("/loan-products/new" in products) is shown
    # the teller does pay out an approved loan and takes money
    assert 'name="form" value="disburse"' in teller.get(f"{base}/loans/{ids['approved']}").text
    assert 'name="form" value="deposit"' in teller.get(f"{base}/teller/{ids['member']}").text
    pengawas = world["clients"][Role.PENGAWAS]
    assert 'value="deposit"' not in pengawas.get(f"{base}/teller/{ids['member']}").text
    assert 'value="disburse"' not in pengawas.get(f"{base}/loans/{ids['approved']}").text


# ---------------------------------------------------------------- new staff

def test_new_staff_start_as_pengawas(world, db):
    admin = world["clients"][Role.ADMIN]
    form = admin.get(f"/k/{world['k'].slug}/office/staff").text
    assert re.search(r'<option selected value="pengawas">|<option value="pengawas" selected>', form)
    response = admin.post(f"/k/{world['k'].slug}/office/staff", data={"mobile": "0813 7777 0000"})
    assert response.status_code == 303
    added = db.session.scalar(sa.select(Staff).where(Staff.user_id == world["candidate"].id))
    assert added.role == NEW_STAFF_ROLE == Role.PENGAWAS


def test_the_domain_default_is_the_least_powerful_role(world, db, make_user):
    user = make_user(full_name="Staf Baru", mobile="081377771111")
    staff = kop.add_staff(world["k"], board(world["k"]), user.mobile)
    assert staff.role == Role.PENGAWAS and DUTIES[staff.role] == {Duty.READ, Duty.SEE_HEALTH, Duty.SEE_AUDIT}


def test_the_registrant_stays_admin(user_client, user, db):
    user_client.post("/koperasi/new", data={**profile_form(Koperasi(name="Koperasi Baru", legal_number="AHU-77")),
                                            **pdfs()},
                     content_type="multipart/form-data")
    staff = db.session.scalar(sa.select(Staff).where(Staff.user_id == user.id))
    assert staff.role == Role.ADMIN


# ---------------------------------------------------------------- approve and pay out: two people

def _approve_via_web(client, slug, loan_id):
    assert client.post(f"/k/{slug}/office/loans/{loan_id}/approve", data={}).status_code == 303


def test_the_approver_cannot_pay_the_loan_out(world, db):
    ids, slug = world["ids"], world["k"].slug
    admin = world["clients"][Role.ADMIN]  # has both duties, but not for the same loan
    _approve_via_web(admin, slug, ids["applied"])
    page = text_of(admin.get(f"/k/{slug}/office/loans/{ids['applied']}").text)
    assert "Anda menyetujui pinjaman ini, jadi staf lain yang mencairkannya" in page
    response = admin.post(f"/k/{slug}/office/loans/{ids['applied']}/disburse", data={"means": "cash", "key": "x" * 32})
    assert response.status_code == 422
    assert "jadi staf lain yang mencairkannya" in response.text and 'name="means"' not in response.text
    assert db.session.get(Loan, ids["applied"]).status == "approved"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Entry).where(
        Entry.kind == "disbursement", Entry.loan_id == ids["applied"])) == 0
    # someone else pays it out, and the receipt says nothing about one person
    teller = world["clients"][Role.TELLER]
    paid = teller.post(f"/k/{slug}/office/loans/{ids['applied']}/disburse", data={"means": "cash", "key": "y" * 32})
    assert paid.status_code == 303
    assert "orang yang sama" not in teller.get(paid.headers["Location"]).text


def test_the_domain_refuses_it_too(world, db):
    loan = db.session.get(Loan, world["ids"]["applied"])
    approver = board(world["k"])
    loans.approve(loan, approver)
    with pytest.raises(DomainError, match="staf lain yang harus mencairkannya"):
        loans.disburse(loan, approver, "cash")


def test_with_the_one_person_setting_the_approver_pays_out_and_the_receipt_says_so(world, db):
    ids, slug = world["ids"], world["k"].slug
    pengurus = world["clients"][Role.PENGURUS]
    settings = pengurus.get(f"/k/{slug}/office/profile").text
    assert "Satu orang boleh menyetujui dan mencairkan pinjaman" in settings
    saved = pengurus.post(f"/k/{slug}/office/profile", data=profile_form(world["k"], single_person_loans=True))
    assert saved.status_code == 303
    db.session.expire_all()
    assert db.session.get(Koperasi, world["k"].id).single_person_loans
    _approve_via_web(pengurus, slug, ids["applied"])
    paid = pengurus.post(f"/k/{slug}/office/loans/{ids['applied']}/disburse", data={"means": "cash", "key": "z" * 32})
    assert paid.status_code == 303
    receipt = text_of(pengurus.get(paid.headers["Location"]).text)
    assert "Disetujui dan dicairkan oleh orang yang sama" in receipt
    history = text_of(pengurus.get(f"/k/{slug}/office/history").text)
    assert "Satu orang boleh menyetujui dan mencairkan pinjaman: Tidak → Ya" in history


def test_the_setting_is_off_until_the_board_turns_it_on(world, db, make_koperasi):
    assert make_koperasi(name="Koperasi Baru Lagi").single_person_loans is False
    teller = world["clients"][Role.TELLER]
    page = teller.get(f"/k/{world['k'].slug}/office/profile").text
    assert 'name="single_person_loans"' not in page and "Tidak" in page
