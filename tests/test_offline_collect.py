"""The offline teller: the collection page and the batch its phone sends when the signal returns
(models/offline.py): each collection posted exactly once, in order, refusals kept as answers."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from models import books_check, cashbook, loans, savings
from models.koperasi import KoperasiEvent
from models.ledger import Account, Entry, Purpose, balances, ensure_chart
from models.loans import Loan, LoanStatus
from models.membership import Membership
from models.offline import OfflineCollection
from tests.conftest import board, fund, login
from tests.test_duties import PRODUCT
from tests.test_reauth import idle

NIK_B = "3273011508900002"
NIK_C = "3273011508900003"


def key(n: int) -> str:
    return f"offline-key-{n:04d}-" + "x" * 20


@pytest.fixture
def kop(make_koperasi):
    return fund(make_koperasi(name="Koperasi Sinyal Lemah", member_prefix="KSL"))


@pytest.fixture
def teller(kop, make_staff, make_user):
    return make_staff(kop, "teller", user=make_user(full_name="Teller Keliling"))


@pytest.fixture
def member(kop, make_member, make_user):
    return make_member(kop, user=make_user(full_name="Sari Wulandari"))


@pytest.fixture
def loan(kop, member, teller, db) -> Loan:
    product = loans.save_product(kop, dict(PRODUCT))
    applied = loans.apply(member, product, 1_000_000, 6, "Modal warung")
    loans.approve(applied, board(kop))
    loans.disburse(applied, teller, "cash")
    db.session.commit()
    return applied


@pytest.fixture
def phone(app, teller):
    """The teller's phone, signed in."""
    return login(app.test_client(), teller)


def url(kop, tail: str = "/send") -> str:
    return f"/k/{kop.slug}/office/teller/offline{tail}"


def item(n: int, membership, what: str = "sukarela", amount: int = 10_000, loan=None) -> dict:
    return {"key": key(n), "provisional": f"P-AB12-{n:04d}", "member": membership.id, "what": what,
            "amount": amount, "loan": loan.id if loan else None, "at": 1_780_000_000_000 + n}


def send(client, kop, *items):
    return client.post(url(kop), json={"items": list(items)})


def entries(db, kind: str | None = None) -> list[Entry]:
    query = sa.select(Entry).where(Entry.kind == kind) if kind else sa.select(Entry)
    return list(db.session.scalars(query.order_by(Entry.id)))


def cash(db, kop) -> int:
    return db.session.scalar(sa.select(Account.balance).where(Account.koperasi_id == kop.id,
                                                              Account.purpose == Purpose.CASH))


# ---------------------------------------------------------------- exactly once, in order

def test_each_collection_is_posted_once_in_order_with_its_provisional_number(phone, kop, member, loan, db):
    before_cash, before = cash(db, kop), len(entries(db))
    owed = loans.owed(loan).due_now
    batch = [item(1, member, "wajib", kop.wajib_idr), item(2, member, "sukarela", 25_000),
             item(3, member, "repayment", owed, loan=loan), item(4, member, "sukarela", 5_000)]
    response = send(phone, kop, *batch)
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert [r["status"] for r in results] == ["posted"] * 4
    assert [r["provisional"] for r in results] == [f"P-AB12-000{n}" for n in range(1, 5)]
    posted = entries(db)[before:]
    assert [e.ref for e in posted] == [r["receipt"] for r in results]  # in the order sent, receipts in sequence
    assert [e.kind for e in posted] == ["deposit", "deposit", "repayment", "deposit"]
    assert balances(member.id)["sukarela"] == 30_000 and balances(member.id)["wajib"] == kop.wajib_idr
    assert cash(db, kop) == before_cash + kop.wajib_idr + 30_000 + owed  # all cash in
    rows = db.session.scalars(sa.select(OfflineCollection).order_by(OfflineCollection.id)).all()
    assert [(r.provisional, r.entry_id) for r in rows] == [(f"P-AB12-000{n}", e.id) for n, e in enumerate(posted, 1)]
    assert books_check.check() == []
    # the page lists the teller's latest collections, with their final receipts
    assert all(r["receipt"] in phone.get(url(kop, "")).text for r in results)
    # the receipt keeps the provisional number beside the final one
    page = phone.get(results[0]["url"])
    assert page.status_code == 200 and "P-AB12-0001" in page.text


def test_a_resent_batch_gets_the_same_answers_and_posts_nothing_more(phone, kop, member, loan, db):
    batch = [item(1, member, "sukarela", 25_000), item(2, member, "sukarela", 0)]
    first = send(phone, kop, *batch).get_json()
    count, sukarela, events = len(entries(db)), balances(member.id)["sukarela"], _events(db)
    again = send(phone, kop, *batch, item(3, member, "sukarela", 1_000)).get_json()
    assert again["results"][:2] == first["results"]
    assert again["results"][2]["status"] == "posted"
    assert len(entries(db)) == count + 1 and balances(member.id)["sukarela"] == sukarela + 1_000
    assert len(_events(db)) == len(events) + 1  # only the new one is recorded


def test_a_key_sent_again_with_other_content_is_refused_and_the_first_stands(phone, kop, member, db):
    send(phone, kop, item(1, member, "sukarela", 25_000))
    count = len(entries(db))
    answer = send(phone, kop, {**item(1, member, "sukarela", 99_000)}).get_json()["results"][0]
    assert answer["status"] == "refused" and answer["reason"]
    assert len(entries(db)) == count and balances(member.id)["sukarela"] == 25_000


# ---------------------------------------------------------------- refusals, kept as answers

def test_a_loan_paid_off_meanwhile_is_refused_and_stays_refused(phone, kop, member, loan, teller, db):
    loans.repay(loan, loans.payoff(loan).total, "cash", teller, key="counter-payoff-" + "y" * 20)  # online, meanwhile
    db.session.commit()
    assert db.session.get(Loan, loan.id).status == LoanStatus.PAID_OFF
    count = len(entries(db))
    answer = send(phone, kop, item(1, member, "repayment", 50_000, loan=loan)).get_json()["results"][0]
    assert answer["status"] == "refused" and "sudah lunas" in answer["reason"]
    assert len(entries(db)) == count
    assert send(phone, kop, item(1, member, "repayment", 50_000, loan=loan)).get_json()["results"][0] == answer


def test_a_member_who_resigned_meanwhile_is_refused_in_the_tellers_language(phone, kop, member, db):
    db.session.get(Membership, member.id).status = "resigned"
    db.session.commit()
    phone.post("/language", data={"lang": "en", "next": "/"})
    answer = send(phone, kop, item(1, member, "wajib", kop.wajib_idr)).get_json()["results"][0]
    assert answer["status"] == "refused" and "has resigned" in answer["reason"] and member.full_name in answer["reason"]


def test_refusals_answer_each_item_and_the_others_are_posted(phone, kop, member, make_koperasi, make_member, db):
    elsewhere = make_member(make_koperasi(name="Koperasi Seberang", member_prefix="KSB"), nik=NIK_B)
    db.session.commit()
    results = send(phone, kop, item(1, member, "sukarela", 0), item(2, elsewhere, "sukarela", 10_000),
                   item(3, member, "pokok", 1), item(4, member, "sukarela", 10_000)).get_json()["results"]
    assert [r["status"] for r in results] == ["refused", "refused", "refused", "posted"]
    assert "Rp0" in results[0]["reason"] and "Koperasi Sinyal Lemah" in results[1]["reason"]
    assert balances(elsewhere.id)["sukarela"] == 0 and balances(member.id)["sukarela"] == 10_000
    row = db.session.scalar(sa.select(OfflineCollection).where(OfflineCollection.key == key(2)))
    assert row.membership_id is None  # never pointing at another koperasi's member


def test_a_refused_answer_never_posts_later_when_the_rule_would_let_it(phone, kop, make_member, db):
    approved = make_member(kop, status="approved", nik=NIK_C)
    db.session.commit()
    first = send(phone, kop, item(1, approved, "wajib", kop.wajib_idr)).get_json()["results"][0]
    assert first["status"] == "refused"  # not active yet: pokok first
    savings.deposit(approved, "pokok", savings.pokok_due(approved), "cash", None)
    db.session.commit()
    assert send(phone, kop, item(1, approved, "wajib", kop.wajib_idr)).get_json()["results"][0] == first
    assert balances(approved.id)["wajib"] == 0  # the teller settled it with the member meanwhile


# ---------------------------------------------------------------- access, bad input

def test_who_may_send(app, kop, member, make_staff, make_koperasi, db):
    pengawas = login(app.test_client(), make_staff(kop, "pengawas"))
    assert send(pengawas, kop, item(1, member)).status_code == 403
    assert pengawas.get(url(kop, "")).status_code == 403
    other_teller = login(app.test_client(), make_staff(make_koperasi(name="Koperasi Lain"), "teller"))
    assert send(other_teller, kop, item(2, member)).status_code == 404
    assert other_teller.get(url(kop, "")).status_code == 404
    anonymous = send(app.test_client(), kop, item(3, member))
    assert anonymous.status_code in (302, 303) and "/login" in anonymous.headers["Location"]
    assert balances(member.id)["sukarela"] == 0 and not db.session.scalar(sa.select(sa.func.count(OfflineCollection.id)))


@pytest.mark.parametrize("body", [None, {}, {"items": []}, {"items": "x"}, {"items": [{"key": "short"}]},
                                  {"items": [{"key": key(1), "member": "1", "what": "wajib", "amount": 1}]},
                                  {"items": [{"key": key(1), "member": 1, "what": "withdrawal", "amount": 1}]},
                                  {"items": [{"key": key(1), "member": 1, "what": "wajib", "amount": 1.5}]},
                                  {"items": [{"key": key(1), "member": 2**40, "what": "wajib", "amount": 1}]}])
def test_a_body_not_of_the_agreed_shape_is_a_clear_400(phone, kop, body, db):
    response = phone.post(url(kop), data=json.dumps(body), content_type="application/json")
    assert response.status_code == 400 and "JSON" in response.get_json()["error"]
    assert not db.session.scalar(sa.select(sa.func.count(OfflineCollection.id)))


def test_a_forged_batch_without_the_csrf_token_is_refused(phone, kop, member, monkeypatch, app, db):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert send(phone, kop, item(1, member)).status_code == 400
    assert balances(member.id)["sukarela"] == 0


def test_each_collection_is_in_the_audit_log_by_the_teller(app, phone, kop, member, teller, db):
    results = send(phone, kop, item(1, member, "sukarela", 7_000), item(2, member, "sukarela", 0)).get_json()["results"]
    events = _events(db)
    assert [e.actor_id for e in events] == [teller.id, teller.id]
    assert events[0].detail_map["entries"][0][0] == results[0]["receipt"]
    assert events[0].detail_map["form"]["provisional"] == "P-AB12-0001" and events[0].ip == "127.0.0.1"
    assert "refused" in events[1].detail_map["form"]
    history = login(app.test_client(), board(kop)).get(f"/k/{kop.slug}/office/history")
    assert results[0]["receipt"] in history.text


def _events(db) -> list[KoperasiEvent]:
    return list(db.session.scalars(sa.select(KoperasiEvent).where(KoperasiEvent.action == "collect_offline")
                                   .order_by(KoperasiEvent.id)))


# ---------------------------------------------------------------- the books

def test_the_cash_count_expects_the_collections_once_posted(phone, kop, member, teller, db):
    drawer = ensure_chart(kop)["cash"]
    before = cash(db, kop)
    send(phone, kop, item(1, member, "sukarela", 40_000), item(2, member, "wajib", kop.wajib_idr))
    count = cashbook.count_cash(kop, drawer.id, before + 40_000 + kop.wajib_idr, "", teller)
    assert count.expected_idr == before + 40_000 + kop.wajib_idr and count.status == "matched"


# ---------------------------------------------------------------- the page

def test_the_page_holds_what_collecting_needs_and_nothing_more(phone, kop, member, loan, db):
    page = phone.get(url(kop, ""))
    assert page.status_code == 200
    data = json.loads(page.text.split('id="collect-data">', 1)[1].split("</script>", 1)[0])
    mine = next(m for m in data["members"] if m["id"] == member.id)
    assert mine["number"] == member.member_number and mine["loans"][0]["id"] == loan.id
    assert mine["loans"][0]["owed"] == loans.owed(loan).total
    assert set(mine) == {"id", "number", "name", "status", "pokok", "wajib", "loans"}  # no balance, NIK, phone
    assert member.nik not in page.text and member.user.mobile not in page.text
    assert "withdraw" not in page.text.lower().replace("withdrawals are never", "")
    assert "no-store" not in page.headers.get("Cache-Control", "")  # the service worker may keep it


def test_the_teller_page_links_to_it_and_the_worker_keeps_it(phone, kop, client):
    assert url(kop, "") in phone.get(f"/k/{kop.slug}/office/teller").text
    worker = client.get("/sw.js").text
    assert "KEPT_OFFICE" in worker and r"\/teller\/offline$" in worker


def test_without_javascript_the_form_posts_one_collection_at_once(phone, kop, member, loan, db):
    page = phone.get(url(kop, ""))
    form_key = page.text.split('name="key" type="hidden" value="', 1)[1].split('"', 1)[0]
    response = phone.post(url(kop, ""), data={"key": form_key, "member": member.member_number, "what": "repayment",
                                              "loan": "", "amount": "50.000"})
    assert response.status_code == 303 and "/receipts/" in response.headers["Location"]
    assert entries(db, "repayment")[-1].loan_id == loan.id  # the member's one loan being repaid
    again = phone.post(url(kop, ""), data={"key": form_key, "member": member.member_number, "what": "repayment",
                                           "loan": "", "amount": "50.000"})
    assert again.headers["Location"] == response.headers["Location"]  # a double tap posts once


def test_without_javascript_bad_input_comes_back_with_what_was_typed(phone, kop, member, db):
    count = len(entries(db))
    response = phone.post(url(kop, ""), data={"key": key(9), "member": "KSL-9999", "what": "sukarela", "amount": "12,5"})
    assert response.status_code == 422
    assert "KSL-9999" in response.text and "12,5" in response.text
    response = phone.post(url(kop, ""), data={"key": key(9), "member": member.member_number, "what": "pokok",
                                              "amount": "10.000"})
    assert response.status_code == 422 and "sekali" in response.text
    assert len(entries(db)) == count


def test_an_idle_teller_s_phone_sends_without_a_password_the_form_asks_for_it(phone, kop, member, teller, db):
    """The phone sends on its own when the signal returns, with no one to type a password: the batch posts as
    the signed-in teller (money in only, each audited); the form that posts at once asks, as the counter does."""
    idle(db, teller, 60)
    assert send(phone, kop, item(1, member, "sukarela", 5_000)).get_json()["results"][0]["status"] == "posted"
    asked = phone.post(url(kop, ""), data={"key": key(2), "member": member.member_number, "what": "sukarela",
                                           "amount": "5.000"})
    assert asked.status_code == 200 and "Konfirmasi bahwa ini Anda" in asked.text
    assert balances(member.id)["sukarela"] == 5_000
