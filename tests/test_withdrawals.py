"""Withdrawing sukarela to a bank account or e-wallet: names, saved accounts, the hold, the daily
limit, the payout and the rejection, and the pages (the member, the teller, anyone else)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from models import books_check, savings
from models import withdrawals as wd
from models.errors import DomainError
from models.keys import KeyReused
from models.ledger import Account, Entry, Purpose, balances, ensure_chart
from models.notifications import Notification
from models.withdrawals import Withdrawal, WithdrawalDestination
from tests.conftest import PASSWORD, board, fund, login

KEY = "k" * 43


@pytest.fixture
def kop(make_koperasi):
    """A koperasi with money in its bank to pay out from."""
    return fund(make_koperasi(name="Koperasi Sumber Makmur"), 50_000_000, "bank")


@pytest.fixture
def member(kop, make_member, make_user, db):
    """Siti, active, with Rp1.000.000 of sukarela."""
    membership = make_member(kop, user=make_user(full_name="Siti Aminah"))
    savings.deposit(membership, "sukarela", 1_000_000, "cash", board(kop))
    db.session.commit()
    return membership


@pytest.fixture
def bca(member, db):
    destination = wd.add_destination(member, member.user, "bca", "123 456 7890", "SITI AMINAH")
    db.session.commit()
    return destination


def _notes(db, user) -> list[str]:
    return list(db.session.scalars(sa.select(Notification.kind).where(Notification.user_id == user.id)
                                   .order_by(Notification.id)))


def _held(kop) -> int:
    """The liability "withdrawals awaiting payout" (a credit balance)."""
    return -ensure_chart(kop)[Purpose.WITHDRAWALS].balance


def _bank(kop, db) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(Account.balance).where(Account.koperasi_id == kop.id,
                                                              Account.purpose == Purpose.BANK,
                                                              Account.parent_id.is_(None)))


# ---------------------------------------------------------------- names and accounts

@pytest.mark.parametrize("holder", ["SITI AMINAH", "siti  aminah", "Ibu Siti Aminah", "Hj. Siti Aminah, S.Pd.",
                                    "SITIAMINAH", "Sdri. Siti-Aminah"])
def test_the_holder_is_the_member_whatever_the_case_spaces_punctuation_and_titles(holder):
    assert wd.same_name(holder, "Siti Aminah")


@pytest.mark.parametrize("holder", ["Budi Santoso", "Siti", "Siti Aminah Putri", "", "Bapak"])
def test_anyone_else_is_not(holder):
    assert not wd.same_name(holder, "Siti Aminah")


def test_an_account_in_another_name_is_refused_and_nothing_is_saved(db, member):
    with pytest.raises(DomainError, match="own name|nama Anda sendiri") as refused:
        wd.add_destination(member, member.user, "bri", "0012 0100 1234 567", "Budi Santoso")
    assert refused.value.field == "holder"
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WithdrawalDestination)) == 0


def test_the_account_number_is_encrypted_at_rest_and_shown_masked(db, bca):
    raw = db.session.execute(sa.text("SELECT number FROM withdrawal_destination")).scalar_one()
    assert "1234567890" not in raw and raw.startswith("gAAAAA")  # a Fernet token
    assert bca.number == "1234567890"
    assert bca.shown == "BCA ••••7890 · SITI AMINAH"


def test_account_numbers_are_checked_and_an_e_wallet_is_a_mobile_number(db, member):
    with pytest.raises(DomainError, match="6") as refused:
        wd.add_destination(member, member.user, "bni", "12-34", "Siti Aminah")
    assert refused.value.field == "number"
    with pytest.raises(DomainError) as refused:
        wd.add_destination(member, member.user, "gopay", "12345", "Siti Aminah")
    assert refused.value.field == "number"
    for other_digits in ("\u0661\u0662\u0663\u0664\u0665\u0666\u0667", "\uff11\uff12\uff13\uff14\uff15\uff16\uff17"):
        with pytest.raises(DomainError) as refused:  # only the digits 0–9: the teller types it into the bank's app
            wd.add_destination(member, member.user, "bri", other_digits, "Siti Aminah")
        assert refused.value.field == "number"
    with pytest.raises(DomainError) as refused:
        wd.add_destination(member, member.user, "paypal", "0812 3456 7890", "Siti Aminah")
    assert refused.value.field == "provider"
    dana = wd.add_destination(member, member.user, "dana", "0812-3456-7890", "Siti Aminah")
    assert dana.kind == "ewallet" and dana.number == "+6281234567890"
    with pytest.raises(DomainError, match="already|sudah"):
        wd.add_destination(member, member.user, "dana", "+62 812 3456 7890", "Siti Aminah")


def test_a_removed_account_takes_no_new_withdrawal(db, member, bca):
    wd.remove_destination(member, member.user, bca.id)
    db.session.commit()
    assert wd.destinations(member.id) == []
    with pytest.raises(DomainError, match="saved accounts|rekening tersimpan"):
        wd.request(member, member.user, bca.id, 100_000, KEY)


# ---------------------------------------------------------------- the hold

def test_a_request_holds_the_amount_at_once_in_one_balanced_entry(db, kop, member, bca):
    withdrawal = wd.request(member, member.user, bca.id, 300_000, KEY)
    db.session.commit()
    assert withdrawal.status == "awaiting" and re.fullmatch(r"WD-\d{6}-\d{6}", withdrawal.number)
    assert balances(member.id)["sukarela"] == 700_000
    assert _held(kop) == 300_000
    entry = db.session.get(Entry, withdrawal.hold_entry_id)
    assert entry.kind == "withdrawal_hold" and sum(line.amount for line in entry.lines) == 0
    assert _notes(db, member.user)[-1] == "withdrawal_held"
    assert books_check.check() == []


def test_a_retried_request_holds_once_and_its_key_with_another_amount_is_refused(db, member, bca):
    first = wd.request(member, member.user, bca.id, 300_000, KEY)
    db.session.commit()
    assert wd.request(member, member.user, bca.id, 300_000, KEY).id == first.id
    db.session.commit()
    with pytest.raises(KeyReused):
        wd.request(member, member.user, bca.id, 200_000, KEY)
    db.session.rollback()
    assert balances(member.id)["sukarela"] == 700_000
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Withdrawal)) == 1


def test_more_than_the_balance_is_refused_and_nothing_is_held(db, kop, member, bca):
    with pytest.raises(DomainError) as refused:
        wd.request(member, member.user, bca.id, 1_000_001, KEY)
    db.session.rollback()
    assert "1.000.000" in str(refused.value.message) and refused.value.field == "amount"
    assert balances(member.id)["sukarela"] == 1_000_000 and _held(kop) == 0
    assert "withdrawal_held" not in _notes(db, member.user)


def test_the_daily_limit_counts_awaiting_and_paid_but_not_rejected(db, kop, member, bca):
    kop.withdraw_daily_limit_idr = 500_000
    savings.deposit(member, "sukarela", 1_000_000, "cash", board(kop))
    db.session.commit()
    teller = board(kop)
    paid = wd.request(member, member.user, bca.id, 200_000, "a" * 43)
    wd.pay_out(paid, teller, None, "b" * 43)
    rejected = wd.request(member, member.user, bca.id, 250_000, "c" * 43)
    wd.reject(rejected, teller, "Nomor rekening salah", "d" * 43)
    wd.request(member, member.user, bca.id, 100_000, "e" * 43)  # awaiting
    db.session.commit()
    assert wd.left_today(member) == 200_000
    with pytest.raises(DomainError, match="200.000") as refused:
        wd.request(member, member.user, bca.id, 200_001, KEY)
    assert refused.value.field == "amount"
    db.session.rollback()
    wd.request(member, member.user, bca.id, 200_000, KEY)  # exactly up to the limit
    db.session.commit()
    assert wd.left_today(member) == 0


def test_a_koperasi_may_turn_phone_withdrawals_off(db, kop, member, bca):
    kop.withdraw_daily_limit_idr = 0
    db.session.commit()
    with pytest.raises(DomainError, match="counter|loket"):
        wd.request(member, member.user, bca.id, 10_000, KEY)


def test_only_the_member_and_only_while_active(db, kop, member, bca, make_member, make_user):
    other = make_member(kop, user=make_user(full_name="Budi Santoso"), nik="3273011508900002")
    with pytest.raises(DomainError, match="own savings|tabungannya sendiri"):
        wd.request(member, other.user, bca.id, 10_000, KEY)
    with pytest.raises(DomainError, match="own savings|tabungannya sendiri"):
        wd.add_destination(member, other.user, "bca", "1234567890", "Siti Aminah")
    with pytest.raises(DomainError, match="saved accounts|rekening tersimpan"):  # Siti's account is not Budi's
        wd.request(other, other.user, bca.id, 10_000, KEY)
    db.session.rollback()
    member.status = "resigning"
    db.session.commit()
    with pytest.raises(DomainError, match="active|aktif"):
        wd.request(member, member.user, bca.id, 10_000, KEY)


# ---------------------------------------------------------------- payout and rejection

def test_a_payout_moves_the_hold_to_the_bank_once(db, kop, member, bca):
    withdrawal = wd.request(member, member.user, bca.id, 300_000, KEY)
    db.session.commit()
    bank = _bank(kop, db)
    teller = board(kop)
    paid = wd.pay_out(withdrawal, teller, " TRX  998877 ", "p" * 43)
    db.session.commit()
    assert paid.status == "paid" and paid.transfer_ref == "TRX 998877" and paid.decided_by_id == teller.id
    assert _bank(kop, db) == bank - 300_000 and _held(kop) == 0
    assert db.session.get(Entry, paid.close_entry_id).kind == "withdrawal_payout"
    assert balances(member.id)["sukarela"] == 700_000
    assert _notes(db, member.user)[-1] == "withdrawal_paid"
    assert wd.pay_out(withdrawal, teller, "TRX 998877", "p" * 43).id == paid.id  # a retry: the first result
    db.session.commit()
    with pytest.raises(DomainError, match="already|sudah"):
        wd.pay_out(withdrawal, teller, None, "q" * 43)  # another form: refused
    with pytest.raises(DomainError, match="already|sudah"):
        wd.reject(withdrawal, teller, "Salah kirim", "r" * 43)
    db.session.rollback()
    assert _bank(kop, db) == bank - 300_000
    assert _notes(db, member.user).count("withdrawal_paid") == 1
    assert books_check.check() == []


def test_a_rejection_releases_the_hold_to_sukarela(db, kop, member, bca):
    withdrawal = wd.request(member, member.user, bca.id, 300_000, KEY)
    db.session.commit()
    with pytest.raises(DomainError, match="why|alasan"):
        wd.reject(withdrawal, board(kop), "", "r" * 43)
    done = wd.reject(withdrawal, board(kop), "Nomor rekening tidak ditemukan", "r" * 43)
    db.session.commit()
    assert done.status == "rejected" and done.reject_reason == "Nomor rekening tidak ditemukan"
    assert balances(member.id)["sukarela"] == 1_000_000 and _held(kop) == 0
    assert db.session.get(Entry, done.close_entry_id).kind == "withdrawal_release"
    assert _notes(db, member.user)[-1] == "withdrawal_rejected"
    assert books_check.check() == []


def test_a_payout_beyond_the_bank_balance_is_refused_and_stays_awaiting(db, make_koperasi, make_member, make_user):
    kop = make_koperasi()  # no bank balance
    member = make_member(kop, user=make_user(full_name="Rina Wulandari"))
    savings.deposit(member, "sukarela", 100_000, "cash", board(kop))
    destination = wd.add_destination(member, member.user, "ovo", "081298765432", "Rina Wulandari")
    withdrawal = wd.request(member, member.user, destination.id, 50_000, KEY)
    db.session.commit()
    with pytest.raises(DomainError, match="Bank"):
        wd.pay_out(withdrawal, board(kop), None, "p" * 43)
    db.session.rollback()
    assert db.session.get(Withdrawal, withdrawal.id).status == "awaiting"


# ---------------------------------------------------------------- the pages

def _me(slug: str) -> str:
    return f"/k/{slug}/me/withdraw"


def _key(html: str, prefix: str = "") -> str:
    return re.search(rf'name="{prefix}key"[^>]*value="([^"]+)"', html).group(1)


def test_the_member_saves_an_account_and_withdraws_with_the_password(app, db, kop, member):
    client = login(app.test_client(), member.user)
    page = client.get(f"/k/{kop.slug}/me")
    assert _me(kop.slug) in page.text
    refused = client.post(_me(kop.slug), data={"form": "destination", "provider": "bri", "number": "0012-01-001234-56-7",
                                               "holder": "Budi Santoso"})
    assert refused.status_code == 422 and "Budi Santoso" in refused.text and "0012-01-001234-56-7" in refused.text
    saved = client.post(_me(kop.slug), data={"form": "destination", "provider": "bri", "number": "0012-01-001234-56-7",
                                             "holder": "Ibu Siti Aminah"})
    assert saved.status_code == 303
    page = client.get(_me(kop.slug))
    assert "BRI ••••4567" in page.text and "001201001234567" not in page.text  # masked to the member
    destination = wd.destinations(member.id)[0]
    key = _key(page.text)
    form = {"form": "withdraw", "destination": destination.id, "amount": "250.000", "key": key}
    wrong = client.post(_me(kop.slug), data={**form, "password": "bukan-sandinya"})
    assert wrong.status_code == 422 and "250.000" in wrong.text
    assert "Kata sandi salah. Tidak ada yang ditarik." in wrong.text
    assert balances(member.id)["sukarela"] == 1_000_000  # nothing held
    done = client.post(_me(kop.slug), data={**form, "password": PASSWORD})
    assert done.status_code == 303
    again = client.post(_me(kop.slug), data={**form, "password": PASSWORD})  # a double tap
    assert again.headers["Location"] == done.headers["Location"]
    assert balances(member.id)["sukarela"] == 750_000
    receipt = client.get(done.headers["Location"])
    assert receipt.status_code == 200 and "250.000" in receipt.text and "BRI ••••4567" in receipt.text


def test_bad_input_comes_back_with_a_message_never_a_500(app, db, kop, member, bca):
    client = login(app.test_client(), member.user)
    key = _key(client.get(_me(kop.slug)).text)
    for data in ({"destination": bca.id, "amount": "sejuta"}, {"destination": "999999", "amount": "10.000"},
                 {"destination": bca.id, "amount": "2.000.000"}, {"destination": bca.id, "amount": ""}):
        response = client.post(_me(kop.slug), data={"form": "withdraw", "key": key, "password": PASSWORD, **data})
        assert response.status_code == 422, data
    assert client.post(_me(kop.slug), data={"form": "nothing"}).status_code == 400
    assert client.post(_me(kop.slug), data={"form": "remove", "destination": "x"}).status_code == 303
    assert balances(member.id)["sukarela"] == 1_000_000


@pytest.mark.parametrize("typed", ["2147483648", "99999999999999999999", "\u0663", "\u00b2", "\uff11"])
def test_an_account_id_beyond_any_column_or_in_other_digits_is_refused_never_a_500(app, db, kop, member, bca, typed):
    client = login(app.test_client(), member.user)
    key = _key(client.get(_me(kop.slug)).text)
    response = client.post(_me(kop.slug), data={"form": "withdraw", "key": key, "password": PASSWORD,
                                                "destination": typed, "amount": "10.000"})
    assert response.status_code == 422
    assert client.post(_me(kop.slug), data={"form": "remove", "destination": typed}).status_code == 303
    assert balances(member.id)["sukarela"] == 1_000_000 and wd.destinations(member.id) == [bca]


def test_another_member_finds_nothing_of_mine(app, db, kop, member, bca, make_member, make_user):
    withdrawal = wd.request(member, member.user, bca.id, 100_000, KEY)
    db.session.commit()
    other = make_member(kop, user=make_user(full_name="Budi Santoso"), nik="3273011508900002")
    client = login(app.test_client(), other.user)
    assert client.get(f"/k/{kop.slug}/me/withdrawals/{withdrawal.id}").status_code == 404
    client.post(_me(kop.slug), data={"form": "remove", "destination": str(bca.id)})
    assert wd.destinations(member.id) == [bca]  # not his to remove
    page = client.get(_me(kop.slug))
    assert "••••7890" not in page.text


def test_the_teller_pays_out_and_the_pengawas_only_reads(app, db, kop, member, bca, make_staff):
    withdrawal = wd.request(member, member.user, bca.id, 300_000, KEY)
    db.session.commit()
    teller = login(app.test_client(), make_staff(kop, "teller"))
    assert f"/k/{kop.slug}/office/withdrawals" in teller.get(f"/k/{kop.slug}/office/teller").text
    queue = teller.get(f"/k/{kop.slug}/office/withdrawals")
    assert withdrawal.number in queue.text
    one = f"/k/{kop.slug}/office/withdrawals/{withdrawal.id}"
    page = teller.get(one)
    assert "1234567890" in page.text and "SITI AMINAH" in page.text  # in full, to pay it
    pengawas = login(app.test_client(), make_staff(kop, "pengawas"))
    seen = pengawas.get(one)
    assert seen.status_code == 200 and "Mark paid" not in seen.text and "Tandai" not in seen.text
    assert "1234567890" not in seen.text and "••••7890" in seen.text  # personal data: only who pays reads it
    assert pengawas.post(one, data={"form": "pay", "key": "x" * 43}).status_code == 403
    assert db.session.get(Withdrawal, withdrawal.id).status == "awaiting"
    paid = teller.post(one, data={"form": "pay", "transfer_ref": "BCA-7788", "key": _key(page.text)})
    assert paid.status_code == 303
    db.session.expire_all()
    assert db.session.get(Withdrawal, withdrawal.id).status == "paid"
    events = db.session.execute(sa.text("SELECT action FROM koperasi_event WHERE action = 'pay_withdrawal'")).all()
    assert len(events) == 1  # the audit log says who paid it out
    member_view = login(app.test_client(), member.user).get(f"/k/{kop.slug}/me/withdrawals/{withdrawal.id}")
    assert "BCA-7788" in member_view.text


def test_the_teller_rejects_with_a_reason(app, db, kop, member, bca, make_staff):
    withdrawal = wd.request(member, member.user, bca.id, 300_000, KEY)
    db.session.commit()
    teller = login(app.test_client(), make_staff(kop, "teller"))
    one = f"/k/{kop.slug}/office/withdrawals/{withdrawal.id}"
    key = _key(teller.get(one).text, "reject-")
    missing = teller.post(one, data={"form": "reject", "reject-reason": "", "reject-key": key})
    assert missing.status_code == 422
    done = teller.post(one, data={"form": "reject", "reject-reason": "Nama bank tidak cocok", "reject-key": key})
    assert done.status_code == 303
    assert balances(member.id)["sukarela"] == 1_000_000


def test_another_koperasis_teller_finds_nothing(app, db, kop, member, bca, make_koperasi, make_staff):
    withdrawal = wd.request(member, member.user, bca.id, 300_000, KEY)
    db.session.commit()
    stranger = login(app.test_client(), make_staff(make_koperasi(name="Koperasi Lain"), "teller"))
    assert stranger.get(f"/k/{kop.slug}/office/withdrawals").status_code == 404
    one = f"/k/{kop.slug}/office/withdrawals/{withdrawal.id}"
    assert stranger.get(one).status_code == 404
    assert stranger.post(one, data={"form": "pay", "key": "x" * 43}).status_code == 404
    assert db.session.get(Withdrawal, withdrawal.id).status == "awaiting"


def test_the_board_sets_the_daily_limit(app, db, kop):
    from tests.test_duties import profile_form

    client = login(app.test_client(), board(kop))
    response = client.post(f"/k/{kop.slug}/office/profile",
                           data=profile_form(kop, withdraw_daily_limit_idr="1.500.000"))
    assert response.status_code == 303, response.text[-2000:]
    db.session.expire_all()
    assert db.session.get(type(kop), kop.id).withdraw_daily_limit_idr == 1_500_000
    refused = client.post(f"/k/{kop.slug}/office/profile", data=profile_form(kop, withdraw_daily_limit_idr="-5"))
    assert refused.status_code == 422


def test_a_resignation_waits_for_the_awaiting_withdrawals(db, kop, member, bca):
    from models import resignation

    withdrawal = wd.request(member, member.user, bca.id, 100_000, KEY)
    db.session.commit()
    with pytest.raises(DomainError, match="withdrawals awaiting|penarikan yang menunggu"):
        resignation.request(member)
    db.session.rollback()
    wd.reject(withdrawal, board(kop), "Anggota akan berhenti", "r" * 43)
    resignation.request(member)
    db.session.commit()
    assert db.session.get(type(member), member.id).status == "resigning"


def test_the_office_receipt_of_each_step(app, db, kop, member, bca, make_staff):
    withdrawal = wd.pay_out(wd.request(member, member.user, bca.id, 100_000, KEY), board(kop), None, "p" * 43)
    db.session.commit()
    pengawas = login(app.test_client(), make_staff(kop, "pengawas"))
    for which in ("hold", "close"):
        page = pengawas.get(f"/k/{kop.slug}/office/receipts/{withdrawal.entry_ref(which)}")
        assert page.status_code == 200 and "100.000" in page.text
