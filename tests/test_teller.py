"""The teller: deposits and withdrawals with receipts, bad amounts, retries, who may do what."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
import sqlalchemy as sa

from models import books_check, ledger, savings
from models.ledger import Entry
from models.membership import Membership, card_token
from tests.budget import MAX_HTML_GZIP, MAX_QUERIES, measure
from tests.conftest import login

NIKS = [f"32730115089{n:05d}" for n in range(1, 20)]


@pytest.fixture
def kop(make_koperasi):
    return make_koperasi(name="Koperasi Sejahtera", member_prefix="KSB", pokok_idr=100_000, wajib_idr=20_000)


@pytest.fixture
def member(kop, make_member, make_user):
    return make_member(kop, user=make_user(full_name="Siti Aminah", mobile="081298765432"), nik=NIKS[0])


@pytest.fixture
def teller(app, kop, make_staff):
    return login(app.test_client(), make_staff(kop, "teller"))


def entries(db) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count(Entry.id)))


def member_url(kop, membership, action=""):
    return f"/k/{kop.slug}/office/teller/{membership.id}" + (f"/{action}" if action else "")


def deposit(client, kop, membership, amount, kind="sukarela", means="cash", key="a" * 32):
    return client.post(member_url(kop, membership, "deposit"),
                       data={"kind": kind, "amount": amount, "means": means, "key": key})


def withdraw(client, kop, membership, amount, means="cash", key="b" * 32):
    return client.post(member_url(kop, membership, "withdraw"),
                       data={"withdraw-amount": amount, "withdraw-means": means, "withdraw-key": key})


# ---------------------------------------------------------------- finding a member

def test_find_a_member_by_name_or_number(kop, member, make_member, make_user, teller):
    make_member(kop, user=make_user(full_name="Budi Santoso"), nik=NIKS[1])
    page = teller.get(f"/k/{kop.slug}/office/teller?q=siti").text
    assert "Siti Aminah" in page and "Budi Santoso" not in page
    assert member_url(kop, member) in page
    by_number = teller.get(f"/k/{kop.slug}/office/teller?q={member.member_number}").text
    assert "Siti Aminah" in by_number
    assert "Tidak ada anggota yang cocok." in teller.get(f"/k/{kop.slug}/office/teller?q=zzz").text


def test_live_results_are_a_fragment_smaller_than_the_page(kop, member, teller):
    page = measure(teller, f"/k/{kop.slug}/office/teller?q=siti")
    fragment = measure(teller, f"/k/{kop.slug}/office/teller?q=siti",
                       headers={"HX-Request": "true", "HX-Target": "results"})
    assert fragment.status == 200 and "Siti Aminah" in fragment.body
    assert "<html" not in fragment.body and len(fragment.body) < len(page.body)


def test_member_page_shows_balances_and_dues(kop, member, teller, db):
    savings.deposit(member, "sukarela", 250_000, "cash", None)
    db.session.commit()
    page = teller.get(member_url(kop, member)).text
    assert "Rp250.000" in page and "Rp100.000" in page  # sukarela, pokok
    assert "Total simpanan" in page and "Rp350.000" in page
    # joined this month, nothing paid: this month's wajib is due, nothing is in arrears yet
    assert "Wajib bulan ini</dt><dd>Rp20.000" in page and "Tunggakan wajib" not in page
    assert "Catat setoran" in page and "Catat penarikan" in page


def test_approved_member_is_offered_pokok_in_full(kop, make_member, teller):
    approved = make_member(kop, status="approved", nik=NIKS[2])
    page = teller.get(member_url(kop, approved)).text
    assert "Simpanan pokok terutang" in page and 'value="100.000"' in page
    assert "Catat penarikan" not in page  # nothing to withdraw before the card is active


def test_the_card_qr_opens_the_member_in_the_teller(kop, member, teller, app, make_user):
    url = f"/v/{card_token(member)}"
    assert member_url(kop, member) in teller.get(url).text
    assert "Buka di teller" in teller.get(url).text
    stranger = login(app.test_client(), make_user(full_name="Orang Lain"))
    assert "Buka di teller" not in stranger.get(url).text
    assert "Buka di teller" not in app.test_client().get(url).text


# ---------------------------------------------------------------- deposit and withdraw

@pytest.mark.parametrize("typed", ["1.500.000", "1500000", "Rp 1.500.000"])
def test_deposit_posts_and_shows_the_receipt(kop, member, teller, db, typed):
    before = entries(db)
    response = deposit(teller, kop, member, typed)
    assert response.status_code == 303
    assert entries(db) == before + 1
    assert ledger.balances(member.id)["sukarela"] == 1_500_000
    receipt = teller.get(response.headers["Location"])
    assert receipt.status_code == 200
    page = receipt.text
    ref = response.headers["Location"].rsplit("/", 1)[1]
    assert ref.startswith("KSB-") and ref in page
    assert "Koperasi Sejahtera" in page and "Siti Aminah" in page and member.member_number in page
    assert "Setoran" in page and "Simpanan sukarela" in page and "Rp1.500.000" in page
    assert "Satu juta lima ratus ribu rupiah" in page
    assert "Saldo baru" in page and "WIB" in page and "Dicatat oleh Staf Teller" in page
    link = re.search(r'href="(https://wa\.me/[^"]+)"', page).group(1)
    assert link.startswith("https://wa.me/6281298765432?text=")
    text = unquote(link.split("?text=", 1)[1])
    assert ref in text and "Rp1.500.000" in text and "Saldo Simpanan sukarela: Rp1.500.000" in text


def test_withdrawal_posts_and_the_receipt_shows_the_new_balance(kop, member, teller, db):
    deposit(teller, kop, member, "500.000")
    response = withdraw(teller, kop, member, "125.000")
    assert response.status_code == 303
    page = teller.get(response.headers["Location"]).text
    assert "Penarikan" in page and "Rp125.000" in page and "Seratus dua puluh lima ribu rupiah" in page
    assert "Rp375.000" in page  # the balance after the withdrawal
    assert ledger.balances(member.id)["sukarela"] == 375_000 and books_check.check() == []


def test_receipt_keeps_the_balance_of_its_own_time(kop, member, teller):
    first = deposit(teller, kop, member, "100.000", key="c" * 32).headers["Location"]
    deposit(teller, kop, member, "50.000", key="d" * 32)
    page = teller.get(first).text
    assert "Rp150.000" not in page and "Rp100.000" in page


def test_pokok_payment_activates_the_card(kop, make_member, teller, db):
    approved = make_member(kop, status="approved", nik=NIKS[2])
    response = deposit(teller, kop, approved, "100.000", kind="pokok")
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Membership, approved.id).status == "active"


BAD_AMOUNTS = [
    ("0", "Masukkan jumlah di atas Rp0."),
    ("-5.000", "Masukkan jumlah di atas Rp0."),
    ("satu juta", "Masukkan Rupiah bulat dengan angka saja"),
    ("10.000.000.001", "Jumlah ini terlalu besar untuk satu transaksi."),
    ("", "Kolom ini wajib diisi."),
]


@pytest.mark.parametrize("typed, message", BAD_AMOUNTS)
def test_bad_deposit_amount_keeps_the_form_and_posts_nothing(kop, member, teller, db, typed, message):
    before = entries(db)
    response = deposit(teller, kop, member, typed, key="e" * 32)
    assert response.status_code == 422
    page = response.text
    error = re.search(r'<small id="amount-err" class="error" role="alert">([^<]*)</small>', page)
    assert error and message in error.group(1)
    assert f'value="{typed}"' in page and 'value="' + "e" * 32 + '"' in page
    assert entries(db) == before and ledger.balances(member.id)["sukarela"] == 0


@pytest.mark.parametrize("typed, message", BAD_AMOUNTS[:4] + [("400.001", "Saldo tidak cukup untuk jumlah ini.")])
def test_bad_withdrawal_keeps_the_form_and_posts_nothing(kop, member, teller, db, typed, message):
    deposit(teller, kop, member, "400.000")
    before = entries(db)
    response = withdraw(teller, kop, member, typed, key="f" * 32)
    assert response.status_code == 422
    error = re.search(r'<small id="withdraw-amount-err" class="error" role="alert">([^<]*)</small>', response.text)
    assert error and message in error.group(1)
    assert f'value="{typed}"' in response.text and 'value="' + "f" * 32 + '"' in response.text
    assert entries(db) == before and ledger.balances(member.id)["sukarela"] == 400_000


def test_wajib_cannot_be_withdrawn(kop, member, teller, db):
    """The withdrawal form has no kind: only sukarela ever leaves while a member."""
    deposit(teller, kop, member, "20.000", kind="wajib")
    before = entries(db)
    assert withdraw(teller, kop, member, "20.000").status_code == 422
    assert entries(db) == before and ledger.balances(member.id)["wajib"] == 20_000


def test_same_key_twice_posts_once_and_shows_the_same_receipt(kop, member, teller, db):
    before = entries(db)
    first = deposit(teller, kop, member, "75.000", key="k" * 32)
    again = deposit(teller, kop, member, "75.000", key="k" * 32)
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    assert entries(db) == before + 1 and ledger.balances(member.id)["sukarela"] == 75_000
    again_w = [withdraw(teller, kop, member, "5.000", key="w" * 32) for _ in range(2)]
    assert again_w[0].headers["Location"] == again_w[1].headers["Location"]
    assert ledger.balances(member.id)["sukarela"] == 70_000


def test_a_fresh_form_carries_a_new_key_each_time(kop, member, teller):
    keys = [re.search(r'name="key" type="hidden" value="([\w-]+)"', teller.get(member_url(kop, member)).text).group(1)
            for _ in range(2)]
    assert keys[0] != keys[1] and len(keys[0]) >= 16


# ---------------------------------------------------------------- who may do what

@pytest.fixture
def world(app, kop, member, make_koperasi, make_member, make_staff, make_user, db):
    """Koperasi A with a member and a receipt; koperasi B with its own member and receipt."""
    other = make_koperasi(name="Koperasi Lain", member_prefix="LAIN")
    b_member = make_member(other, nik=NIKS[3])
    receipt = savings.deposit(member, "sukarela", 50_000, "cash", None).ref
    b_receipt = savings.deposit(b_member, "sukarela", 60_000, "cash", None).ref
    db.session.commit()
    clients = {
        "anonymous": app.test_client(),
        "stranger": login(app.test_client(), make_user(full_name="Orang Asing")),
        "member": login(app.test_client(), db.session.get(Membership, member.id).user),
        "staff_of_b": login(app.test_client(), make_staff(other, "admin")),
        "pengawas": login(app.test_client(), make_staff(kop, "pengawas")),
        "teller": login(app.test_client(), make_staff(kop, "teller")),
        "admin": login(app.test_client(), make_staff(kop, "admin")),
    }
    ids = {"slug": kop.slug, "member_id": member.id, "ref": receipt, "b_slug": other.slug, "b_member_id": b_member.id,
               "b_ref": b_receipt}
    return {"ids": ids, "clients": clients}


READ_PAGES = ["/k/{slug}/office/teller", "/k/{slug}/office/teller?q=Siti", "/k/{slug}/office/teller/{member_id}",
              "/k/{slug}/office/receipts/{ref}"]
CHANGES = [
    ("/k/{slug}/office/teller/{member_id}/deposit", {"kind": "sukarela", "amount": "10.000", "means": "cash",
                                                     "key": "x" * 32}),
    ("/k/{slug}/office/teller/{member_id}/withdraw", {"withdraw-amount": "10.000", "withdraw-means": "cash",
                                                      "withdraw-key": "y" * 32}),
]
WHO = [("anonymous", 303), ("stranger", 404), ("member", 404), ("staff_of_b", 404), ("pengawas", 200),
       ("teller", 200), ("admin", 200)]


@pytest.mark.parametrize("url", READ_PAGES)
@pytest.mark.parametrize("who, expected", WHO)
def test_read_access(world, url, who, expected):
    response = world["clients"][who].get(url.format(**world["ids"]))
    assert response.status_code == expected
    if expected == 303:
        assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("url, data", CHANGES)
@pytest.mark.parametrize("who, expected", [("anonymous", 303), ("stranger", 404), ("member", 404),
                                           ("staff_of_b", 404), ("pengawas", 403), ("teller", 303),
                                           ("admin", 303)])
def test_change_access(world, db, url, data, who, expected):
    before = entries(db)
    response = world["clients"][who].post(url.format(**world["ids"]), data=data)
    assert response.status_code == expected
    assert entries(db) == before + (1 if expected == 303 and who in ("teller", "admin") else 0)


@pytest.mark.parametrize("url", ["/k/{b_slug}/office/teller/{member_id}", "/k/{b_slug}/office/receipts/{ref}",
                                 "/k/{slug}/office/teller/{b_member_id}", "/k/{slug}/office/receipts/{b_ref}",
                                 "/k/{slug}/office/receipts/NOPE-1"])
def test_another_koperasis_members_and_receipts_do_not_exist_here(world, url):
    client = world["clients"]["staff_of_b"] if "{b_slug}" in url else world["clients"]["teller"]
    response = client.get(url.format(**world["ids"]))
    assert response.status_code == 404 and "Siti Aminah" not in response.text


def test_staff_of_b_cannot_post_to_as_member_under_its_own_slug(world, db):
    before = entries(db)
    url = "/k/{b_slug}/office/teller/{member_id}/deposit".format(**world["ids"])
    assert world["clients"]["staff_of_b"].post(url, data=CHANGES[0][1]).status_code == 404
    assert entries(db) == before


def test_pengawas_reads_without_forms(world):
    page = world["clients"]["pengawas"].get("/k/{slug}/office/teller/{member_id}".format(**world["ids"])).text
    assert "Rp50.000" in page and 'value="deposit"' not in page and 'value="withdraw"' not in page
    assert "tidak dapat mencatat transaksi" in page
    assert world["clients"]["pengawas"].get("/k/{slug}/office/receipts/{ref}".format(**world["ids"])).status_code == 200


# ---------------------------------------------------------------- budgets

def test_teller_pages_stay_within_budget(kop, member, teller):
    ref = deposit(teller, kop, member, "250.000").headers["Location"].rsplit("/", 1)[1]
    for url in (f"/k/{kop.slug}/office/teller?q=Siti", member_url(kop, member),
                f"/k/{kop.slug}/office/receipts/{ref}"):
        result = measure(teller, url)
        assert result.status == 200, url
        assert len(result.queries) <= MAX_QUERIES, (url, result.queries)
        assert result.html_gzip <= MAX_HTML_GZIP, url


def test_admin_corrects_a_deposit_with_a_reversing_entry(app, db, make_koperasi, make_member, make_staff):
    from models import savings as sv
    from models.ledger import Entry, balances
    from tests.conftest import login

    kop = make_koperasi()
    member = make_member(kop)
    teller = make_staff(kop, "teller")
    wrong = sv.deposit(member, "sukarela", 500_000, "cash", teller)
    db.session.commit()
    from models.accounts import User

    admin = login(app.test_client(), db.session.get(User, kop.created_by_id))
    page = admin.get(f"/k/{kop.slug}/office/receipts/{wrong.ref}")
    assert "Koreksi" in page.text or "koreksi" in page.text
    key = "k" * 32
    response = admin.post(f"/k/{kop.slug}/office/receipts/{wrong.ref}/reverse",
                          data={"reason": "Salah ketik nominal", "key": key})
    assert response.status_code == 303
    fix = db.session.scalar(db.select(Entry).where(Entry.reverses_id == wrong.id))
    assert response.headers["Location"].endswith(fix.ref)
    assert balances(member.id)["sukarela"] == 0
    assert "Dikoreksi dengan bukti" in admin.get(f"/k/{kop.slug}/office/receipts/{wrong.ref}").text
    # A teller may not correct; a second correction is refused.
    teller_client = login(app.test_client(), teller)
    assert teller_client.post(f"/k/{kop.slug}/office/receipts/{wrong.ref}/reverse",
                              data={"reason": "Lagi", "key": "t" * 32}).status_code == 403
    again = admin.post(f"/k/{kop.slug}/office/receipts/{wrong.ref}/reverse",
                       data={"reason": "Sekali lagi", "key": "z" * 32})
    assert again.status_code == 422
    assert db.session.scalar(db.select(db.func.count()).select_from(Entry).where(Entry.kind == "reversal")) == 1
