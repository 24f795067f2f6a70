"""Simpanan wajib billing: a bill per active member and month, arrears across months,
payments settling the oldest bill first, autopay from sukarela, WhatsApp reminders, the
member's card page, and who may see and run what."""

from __future__ import annotations

from urllib.parse import quote

import pytest
import sqlalchemy as sa

from models import books_check, dues, ledger, months, savings
from models.dues import DuesBill
from models.ledger import Entry
from models.membership import Membership
from tests.conftest import board, login

NIKS = [f"32730115089{n:05d}" for n in range(1, 30)]


@pytest.fixture
def kop(make_koperasi, db):
    k = make_koperasi(name="Koperasi Sejahtera", member_prefix="KSB", pokok_idr=100_000, wajib_idr=20_000)
    k.wajib_due_day = 10
    db.session.commit()
    return k


def joined_months_ago(db, membership, n: int) -> Membership:
    """The member joined on the 1st, ``n`` months before this one."""
    month = months.current(membership.koperasi)
    for _ in range(n):
        month = months.previous(month)
    row = db.session.get(Membership, membership.id)
    row.joined_on = month
    db.session.commit()
    return row


@pytest.fixture
def siti(kop, make_member, make_user, db):
    member = make_member(kop, user=make_user(full_name="Siti Aminah", mobile="081298765432"), nik=NIKS[0])
    return joined_months_ago(db, member, 3)


def bills(membership_id: int) -> list[tuple[str, int, int]]:
    return [(months.label(b.month), b.amount, b.paid_idr) for b in ledger.db.session.scalars(
        sa.select(DuesBill).where(DuesBill.membership_id == membership_id).order_by(DuesBill.month))]


def labels(kop, n: int) -> list[str]:
    """The labels of the last ``n`` months through this one, oldest first."""
    out = [months.current(kop)]
    while len(out) < n:
        out.append(months.previous(out[-1]))
    return [months.label(m) for m in reversed(out)]


def test_a_bill_per_month_from_joining_and_the_arrears(kop, siti, db):
    made = dues.ensure_bills(kop, months.current(kop))
    db.session.commit()
    assert made == 4 and dues.ensure_bills(kop, months.current(kop)) == 0  # once per member and month
    first = labels(kop, 4)
    assert bills(siti.id) == [(m, 20_000, 0) for m in first]
    due = dues.member_dues(siti)
    assert due.current.due_on == months.current(kop).replace(day=10)
    # three months ended unpaid; this month's bill is due, not yet in arrears
    assert (due.arrears_months, due.arrears_idr, due.open_idr) == (3, 60_000, 80_000)


def test_wajib_payments_settle_the_oldest_bill_first(kop, siti, db):
    dues.ensure_bills(kop, months.current(kop))
    savings.deposit(siti, "wajib", 30_000, "cash", None)
    db.session.commit()
    m1, m2, m3, m4 = labels(kop, 4)
    assert bills(siti.id) == [(m1, 20_000, 20_000), (m2, 20_000, 10_000), (m3, 20_000, 0), (m4, 20_000, 0)]
    due = dues.member_dues(siti)
    assert (due.arrears_months, due.arrears_idr) == (2, 30_000)
    wrong = savings.deposit(siti, "wajib", 50_000, "cash", None)
    db.session.commit()
    assert [paid for _m, _a, paid in bills(siti.id)] == [20_000, 20_000, 20_000, 20_000]
    savings.reverse(wrong, board(kop), "Salah ketik nominal")  # the correction reopens what it paid
    db.session.commit()
    assert [paid for _m, _a, paid in bills(siti.id)] == [20_000, 10_000, 0, 0]
    assert books_check.check() == []


def test_paying_ahead_counts_toward_bills_made_later(kop, siti, db):
    savings.deposit(siti, "wajib", 100_000, "cash", None)  # five months' worth, before any bill exists
    dues.ensure_bills(kop, months.current(kop))
    db.session.commit()
    assert all(b.paid for b in dues.member_dues(siti).bills)
    assert dues.member_dues(siti).open_idr == 0


def test_bills_only_for_active_members(kop, siti, make_member, make_user, db):
    make_member(kop, user=make_user(full_name="Belum Bayar Pokok"), status="approved", nik=NIKS[1])
    make_member(kop, user=make_user(full_name="Baru Daftar"), status="applied", nik=NIKS[2])
    dues.ensure_bills(kop, months.current(kop))
    db.session.commit()
    assert set(db.session.scalars(sa.select(DuesBill.membership_id))) == {siti.id}


def _opt_in(db, membership, sukarela: int):
    if sukarela:
        savings.deposit(membership, "sukarela", sukarela, "cash", None)
    db.session.get(Membership, membership.id).wajib_autopay = True
    db.session.commit()


def test_autopay_pays_what_is_open_through_the_month_once(kop, siti, db):
    _opt_in(db, siti, 100_000)
    last = months.last_ended(kop)
    result = dues.autopay(kop, last)
    db.session.commit()
    # joined three months ago: the three ended months' bills, 60.000, from sukarela
    assert (result.paid, result.short) == (1, 0)
    assert ledger.balances(siti.id) == {"pokok": 100_000, "wajib": 60_000, "sukarela": 40_000}
    entry = db.session.scalar(sa.select(Entry).where(Entry.kind == "dues_autopay"))
    assert entry.posted_at == months.closing_stamp(kop, last)
    assert {line.account.purpose: line.amount for line in entry.lines} == {
        "savings_sukarela": 60_000, "savings_wajib": -60_000}
    assert dues.member_dues(siti).arrears_months == 0
    again = dues.autopay(kop, last)
    db.session.commit()
    assert again.paid == 0 and ledger.balances(siti.id)["sukarela"] == 40_000
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Entry).where(Entry.kind == "dues_autopay")) == 1
    assert books_check.check() == []


def test_autopay_that_sukarela_cannot_cover_pays_nothing(kop, siti, db):
    _opt_in(db, siti, 50_000)  # 60.000 open through last month
    result = dues.autopay(kop, months.last_ended(kop))
    db.session.commit()
    assert (result.paid, result.short) == (0, 1)
    assert ledger.balances(siti.id) == {"pokok": 100_000, "wajib": 0, "sukarela": 50_000}
    assert dues.member_dues(siti).arrears_months == 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Entry).where(Entry.kind == "dues_autopay")) == 0


def test_autopay_only_for_members_who_chose_it(kop, siti, db):
    savings.deposit(siti, "sukarela", 500_000, "cash", None)
    db.session.commit()
    assert dues.autopay(kop, months.last_ended(kop)).paid == 0
    assert ledger.balances(siti.id)["sukarela"] == 500_000


def test_the_whatsapp_reminder_text(kop, siti, db):
    savings.deposit(siti, "wajib", 30_000, "cash", None)
    db.session.commit()
    rows = dues.month_dues(kop, months.current(kop))
    [(due, link)] = dues.reminders(kop, rows)
    text = ("Halo Siti Aminah, simpanan wajib Anda di Koperasi Sejahtera belum dibayar 2 bulan. "
            "Jumlah yang perlu dibayar: Rp50.000. Terima kasih.")
    assert dues.reminder_text(due) == text
    assert link == "https://wa.me/6281298765432?text=" + quote(text, safe="")


def test_no_link_without_a_mobile():
    assert dues.whatsapp_link(None, "Halo") is None and dues.whatsapp_link("", "Halo") is None


# ---------------------------------------------------------------- pages

@pytest.fixture
def me(app, siti, db):
    return login(app.test_client(), db.session.get(Membership, siti.id).user)


def test_the_card_page_shows_what_is_due(kop, siti, me):
    page = me.get(f"/k/{kop.slug}/me").text
    assert "Tagihan simpanan wajib" in page and "Yang harus dibayar" in page and "Rp80.000" in page
    assert "Tunggakan simpanan wajib: 3 bulan, Rp60.000." in page
    assert "Bulan menunggak" in page


def test_the_member_opts_in_to_autopay_on_the_card_page(kop, siti, me, db):
    response = me.post(f"/k/{kop.slug}/me/autopay", data={"autopay": "y"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Membership, siti.id).wajib_autopay is True
    page = me.get(f"/k/{kop.slug}/me").text
    assert "Bayar otomatis aktif" in page
    me.post(f"/k/{kop.slug}/me/autopay", data={})
    db.session.expire_all()
    assert db.session.get(Membership, siti.id).wajib_autopay is False


def test_another_member_or_a_stranger_cannot_touch_someone_elses_autopay(app, kop, siti, make_koperasi,
                                                                         make_member, make_user, db):
    other_kop = make_koperasi(name="Koperasi Lain", member_prefix="KLN")
    stranger = make_member(other_kop, user=make_user(full_name="Orang Lain"), nik=NIKS[5])
    client = login(app.test_client(), db.session.get(Membership, stranger.id).user)
    assert client.post(f"/k/{kop.slug}/me/autopay", data={"autopay": "y"}).status_code == 404
    assert client.get(f"/k/{kop.slug}/me").status_code == 404
    db.session.expire_all()
    assert db.session.get(Membership, siti.id).wajib_autopay is False


def test_the_office_dues_page_lists_arrears_and_reminders(app, kop, siti, make_staff, db, make_member, make_user):
    paid_up = make_member(kop, user=make_user(full_name="Budi Lunas"), nik=NIKS[3])
    savings.deposit(paid_up, "wajib", 20_000, "cash", None)
    db.session.commit()
    client = login(app.test_client(), make_staff(kop, "pengawas"))
    page = client.get(f"/k/{kop.slug}/office/dues").text
    assert "Siti Aminah" in page and "Menunggak: 3 bulan, Rp60.000" in page
    assert "https://wa.me/6281298765432?text=" in page and "Budi Lunas" in page
    assert "Jalankan tutup bulan" not in page  # pengawas only read
    reminders = page.split('id="reminders"')[1].split("</ul>")[0]
    assert "Siti Aminah" in reminders and "Budi Lunas" not in reminders


def test_the_board_runs_the_month_end_from_the_page(app, kop, siti, db):
    kop.savings_rate_bp = 600
    savings.deposit(siti, "sukarela", 10_000_000, "cash", None,
                    at=months.bounds(kop, months.previous(months.last_ended(kop)))[0])
    _opt_in(db, siti, 0)
    client = login(app.test_client(), board(kop))
    page = client.get(f"/k/{kop.slug}/office/dues").text
    assert "Jalankan tutup bulan" in page
    last = months.label(months.last_ended(kop))
    form = {"form": "month_end", "month": last, "key": "m" * 40}
    response = client.post(f"/k/{kop.slug}/office/dues", data=form)
    assert response.status_code == 303, response.text[-2000:]
    kinds = dict(db.session.execute(sa.select(Entry.kind, sa.func.count()).group_by(Entry.kind)).all())
    assert kinds["savings_interest"] == 1 and kinds["dues_autopay"] == 1
    client.post(f"/k/{kop.slug}/office/dues", data={**form, "key": "n" * 40})  # again: nothing more
    again = dict(db.session.execute(sa.select(Entry.kind, sa.func.count()).group_by(Entry.kind)).all())
    assert again == kinds
    this_month = months.label(months.current(kop))
    refused = client.post(f"/k/{kop.slug}/office/dues", data={**form, "month": this_month, "key": "o" * 40})
    assert refused.status_code == 422
    assert books_check.check() == []


@pytest.mark.postgres_only
def test_bills_made_and_paid_at_once_stay_one_per_month_and_settled(app, kop, siti, make_member, make_user, db):
    """Four requests open the month's list while the teller takes two wajib payments: one
    bill per member and month, and the bills carry exactly what was paid, oldest first."""
    from models.accounts import User
    from models.koperasi import Koperasi
    from tests.test_ledger_concurrency import race

    others = [joined_months_ago(db, make_member(kop, user=make_user(full_name=f"Anggota {i}"), nik=NIKS[10 + i]), 2)
              for i in range(3)]
    kop_id, siti_id, teller_id = kop.id, siti.id, board(kop).id

    def work(i):
        koperasi = db.session.get(Koperasi, kop_id)
        if i < 4:
            return lambda: dues.ensure_bills(koperasi, months.current(koperasi))
        membership, by = db.session.get(Membership, siti_id), db.session.get(User, teller_id)
        return lambda: savings.deposit(membership, "wajib", 30_000, "cash", by, key=f"wajib-race-{i}").id

    outcome = race(app, 6, work)
    assert outcome.crashed == [] and outcome.refused == []
    counts = db.session.execute(sa.select(DuesBill.membership_id, DuesBill.month, sa.func.count())
                                .group_by(DuesBill.membership_id, DuesBill.month)).all()
    assert {n for _m, _month, n in counts} == {1} and len(counts) == 4 + 3 * 3
    assert [paid for _m, _a, paid in bills(siti.id)] == [20_000, 20_000, 20_000, 0]
    assert books_check.check() == [] and len(others) == 3


@pytest.mark.postgres_only
def test_the_month_end_and_the_teller_at_once_on_an_autopay_member(app, kop, siti, db):
    """The month end pays Siti's wajib from sukarela while the teller takes her wajib in
    cash: no deadlock, autopay once at most, and the bills match what was paid."""
    from models.accounts import User
    from models.koperasi import Koperasi
    from models.month_end import run_month_end
    from tests.test_ledger_concurrency import race

    _opt_in(db, siti, 200_000)
    kop_id, siti_id, teller_id = kop.id, siti.id, board(kop).id

    def work(i):
        koperasi = db.session.get(Koperasi, kop_id)
        if i == 0:
            return lambda: [o.error for o in run_month_end(koperasi, months.last_ended(koperasi))]
        membership, by = db.session.get(Membership, siti_id), db.session.get(User, teller_id)
        return lambda: savings.deposit(membership, "wajib", 20_000, "cash", by, key=f"wajib-cash-{i}").id

    outcome = race(app, 4, work)
    assert outcome.crashed == [] and outcome.refused == []
    autopaid = db.session.scalars(sa.select(Entry).where(Entry.kind == "dues_autopay")).all()
    assert len(autopaid) <= 1
    held = ledger.balances(siti.id)
    assert held["wajib"] == 60_000 + sum(e.total for e in autopaid) and held["sukarela"] + held["wajib"] == 260_000
    assert books_check.check() == []


def test_the_dues_page_of_a_busy_koperasi_stays_within_budget(app, kop, siti, make_member, make_user, db):
    from tests.budget import MAX_HTML_GZIP, MAX_QUERIES, measure

    for i in range(40):
        joined_months_ago(db, make_member(kop, user=make_user(full_name=f"Anggota Nomor {i}"), nik=NIKS[0]), i % 4)
    client = login(app.test_client(), board(kop))
    client.get(f"/k/{kop.slug}/office/dues")  # the month's bills are made by the first look
    last = months.label(months.last_ended(kop))
    for url in (f"/k/{kop.slug}/office/dues", f"/k/{kop.slug}/office/dues?month={last}"):
        result = measure(client, url)
        assert result.status == 200, url
        assert len(result.queries) <= MAX_QUERIES, (url, result.queries)
        assert result.html_gzip <= MAX_HTML_GZIP, url
