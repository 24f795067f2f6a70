"""Top-ups by bank transfer: the rules (unique amount, expiry, once), the bank statement, and the
pages for the member, the teller, the pengawas and everyone else."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from PIL import Image

from models import bank_statement, books_check, topups
from models.base import utcnow
from models.errors import DomainError
from models.keys import KeyReused
from models.koperasi import KoperasiEvent
from models.ledger import Account, Entry, Line, Purpose, balances
from models.membership import Membership
from models.notifications import Notification
from models.topups import Topup, TopupStatus
from tests.conftest import board, fund, login

KEY = "t" * 43


@pytest.fixture
def kop(make_koperasi, db):
    k = make_koperasi()
    topups.set_bank_account(k, board(k), "BRI", "0021-01-000123-30-5", "Koperasi Sejahtera Bersama", 24)
    db.session.commit()
    return k


@pytest.fixture
def member(kop, make_member, make_user):
    return make_member(kop, user=make_user(full_name="Rina Marlina"))


@pytest.fixture
def teller(kop, make_staff):
    return make_staff(kop, "teller")


def _bank_balance(kop) -> int:
    return _db_sum(kop, Purpose.BANK)


def _db_sum(kop, purpose) -> int:
    from web.extensions import db

    return db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Line.amount), 0)).join(Account).where(
        Account.koperasi_id == kop.id, Account.purpose == purpose))


def _notes(db, user_id) -> list[str]:
    return list(db.session.scalars(sa.select(Notification.kind).where(Notification.user_id == user_id)
                                   .order_by(Notification.id)))


# ---------------------------------------------------------------- the rules

def test_a_request_has_a_unique_amount_a_reference_and_an_expiry(db, kop, member):
    topup = topups.ask(member, 500_000, KEY)
    db.session.commit()
    assert 500_001 <= topup.unique_amount_idr <= 500_999 and topup.code_idr == topup.unique_amount_idr - 500_000
    assert topup.reference.startswith("T") and len(topup.reference) == 7
    assert topup.expires_at - topup.created_at == timedelta(hours=24)
    assert topup.state() == TopupStatus.PENDING
    assert topups.ask(member, 500_000, KEY).id == topup.id  # a double tap: the same request
    with pytest.raises(KeyReused):
        topups.ask(member, 600_000, KEY)


def test_pending_requests_never_share_a_unique_amount(db, kop, member, monkeypatch):
    draw = topups.secrets.choice
    monkeypatch.setattr(topups.secrets, "choice", lambda seq: (7 if 7 in seq else seq[0]) if isinstance(seq, list)
                        else draw(seq))  # the code 7 whenever it is free
    first = topups.ask(member, 100_000, None)
    second = topups.ask(member, 100_000, None)
    assert first.unique_amount_idr == 100_007 and second.unique_amount_idr == 100_001
    # the database refuses it too: two requests at once cannot both take one
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.add(Topup(koperasi_id=kop.id, membership_id=member.id, reference="TXXXXX9", amount_idr=100_000,
                             unique_amount_idr=100_007, created_at=utcnow(), expires_at=utcnow()))


def test_no_bank_account_no_top_up(db, make_koperasi, make_member):
    k = make_koperasi()
    with pytest.raises(DomainError, match="does not take top-ups|belum menerima top-up"):
        topups.ask(make_member(k), 100_000, None)


@pytest.mark.parametrize("amount", [0, -5, None, topups.MAX_AMOUNT + 1])
def test_a_bad_amount_is_refused(db, kop, member, amount):
    with pytest.raises(DomainError):
        topups.ask(member, amount, None)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Topup)) == 0


def test_only_an_active_member_asks(db, kop, make_member):
    with pytest.raises(DomainError, match="active member|anggota aktif"):
        topups.ask(make_member(kop, status="approved"), 100_000, None)


def test_confirm_deposits_the_unique_amount_by_bank_once_and_tells_the_member(db, kop, member, teller):
    topup = topups.ask(member, 250_000, None)
    db.session.commit()
    done = topups.confirm(topup, teller, KEY)
    db.session.commit()
    assert done.status == TopupStatus.CONFIRMED and done.entry_id
    assert balances(member.id)["sukarela"] == topup.unique_amount_idr
    assert _bank_balance(kop) == topup.unique_amount_idr  # the bank, not the cash
    assert _db_sum(kop, Purpose.CASH) == db.session.scalar(  # the cash holds only the pokok paid at the counter
        sa.select(sa.func.sum(Line.amount)).join(Account).join(Entry).where(
            Account.koperasi_id == kop.id, Account.purpose == Purpose.CASH, Entry.memo == "pokok"))
    again = topups.confirm(db.session.get(Topup, topup.id), teller, "another-key-" + "x" * 32)  # a retry
    db.session.commit()
    assert again.entry_id == done.entry_id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Entry).where(Entry.kind == "deposit",
                                                                                 Entry.memo == "sukarela")) == 1
    assert _notes(db, member.user_id)[-1] == "topup_confirmed"
    assert books_check.check() == []


def test_an_expired_request_cannot_be_confirmed_and_reads_expired(app, db, kop, member, teller):
    topup = topups.ask(member, 100_000, None)
    topup.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert topup.state() == TopupStatus.EXPIRED
    with pytest.raises(DomainError, match="expired|kedaluwarsa"):
        topups.confirm(topup, teller, KEY)
    db.session.rollback()
    assert balances(member.id)["sukarela"] == 0
    assert topups.waiting(kop.id) == []
    result = app.test_cli_runner().invoke(args=["topups-expire"])
    assert result.exit_code == 0 and "1" in result.output
    db.session.expire_all()
    assert db.session.get(Topup, topup.id).status == TopupStatus.EXPIRED


def test_reject_tells_why_and_a_rejected_or_cancelled_one_is_never_confirmed(db, kop, member, teller):
    topup = topups.ask(member, 100_000, None)
    with pytest.raises(DomainError, match="why|mengapa"):
        topups.reject(topup, teller, "no")
    topups.reject(topup, teller, "Tidak ada transfer sebesar ini")
    db.session.commit()
    assert _notes(db, member.user_id)[-1] == "topup_rejected"
    with pytest.raises(DomainError, match="rejected|ditolak"):
        topups.confirm(topup, teller, KEY)
    db.session.rollback()
    other = topups.ask(member, 100_000, None)
    topups.cancel(other, member.user)
    db.session.commit()
    assert other.status == TopupStatus.CANCELLED
    with pytest.raises(DomainError, match="cancelled|dibatalkan"):
        topups.confirm(other, teller, KEY)
    db.session.rollback()
    with pytest.raises(DomainError, match="Only the member|Hanya anggota"):
        topups.cancel(other, teller)


def test_the_bank_account_setting(db, kop):
    with pytest.raises(DomainError) as refused:
        topups.set_bank_account(kop, board(kop), "BRI", "12ab", "", 0)
    assert {field for field, _m in refused.value.errors} == {"number", "holder", "hours"}
    db.session.rollback()
    with pytest.raises(DomainError) as refused:  # only the digits 0–9: members type it into their bank's app
        topups.set_bank_account(kop, board(kop), "BRI", "\u0661\u0662\u0663\u0664\u0665\u0666", "Koperasi", 24)
    assert {field for field, _m in refused.value.errors} == {"number"}
    db.session.rollback()
    assert topups.set_bank_account(kop, board(kop), "", "", "", 48) == {
        "topup_bank_name": ["BRI", None], "topup_bank_account": ["002101000123305", None],
        "topup_bank_holder": ["Koperasi Sejahtera Bersama", None], "topup_expiry_hours": [24, 48]}
    assert topups.bank_account(kop) is None
    assert db.session.scalar(sa.select(KoperasiEvent.action).order_by(KoperasiEvent.id.desc())) == "topup_account"


def test_a_resignation_waits_for_the_pending_top_ups(db, kop, member, teller):
    """The member may have transferred already: the top-up is confirmed, rejected or cancelled first, so
    money that arrives is never for a membership that can no longer take it."""
    from models import resignation

    fund(kop)
    topup = topups.ask(member, 100_000, None)
    db.session.commit()
    with pytest.raises(DomainError, match="top-up"):
        resignation.request(member)
    db.session.rollback()
    db.session.execute(sa.update(Membership).where(Membership.id == member.id).values(status="resigning"))
    with pytest.raises(DomainError, match="top-up"):  # asked before the resignation (or at the same moment)
        resignation.confirm(member, board(kop), "r" * 43)
    db.session.rollback()
    assert topups.confirm(topup, teller, KEY).status == TopupStatus.CONFIRMED  # the money arrived: it is theirs
    resignation.request(member)
    resignation.confirm(member, board(kop), "r" * 43)
    db.session.commit()
    assert balances(member.id)["sukarela"] == 0 and books_check.check() == []


def test_an_expired_top_up_does_not_hold_a_resignation(db, kop, member):
    topups.ask(member, 100_000, None).expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    from models import resignation

    resignation.request(member)
    assert member.status == "resigning"


# ---------------------------------------------------------------- the bank statement

@pytest.mark.parametrize("text, amount", [
    ("1.500.123", 1_500_123), ("1,500,123", 1_500_123), ("1500123", 1_500_123), ("Rp 1.500.123,00", 1_500_123),
    ("1,500,123.00 CR", 1_500_123), ("150.000 DB", -150_000), ("-20.000", -20_000), ("(5.000)", -5_000),
    ("1.500.123,50", None), ("abc", None), ("1.50.000", None), ("", None),
    ("9" * 5000, None), ("1." + ".".join(["000"] * 2000), None), ("\u0661\u0660\u0660", None)])
def test_statement_amounts(text, amount):
    assert bank_statement.amount_of(text) == amount


def test_a_statement_is_read_with_either_separator_and_a_header_or_none():
    semicolons = "Tanggal;Keterangan;Jumlah\n01/12/2026;TRF TABC123 RINA;150.123\n02/12/2026;BIAYA ADM;-15.000\n"
    read = bank_statement.read(semicolons.encode())
    assert [(line.number, line.amount) for line in read.lines] == [(2, 150_123)] and read.unreadable == []
    commas = '2026-12-01,TRANSFER DARI UJANG,"1,000,456"\n2026-12-01,SETORAN,1,000,457\nsaldo akhir\n'
    read = bank_statement.read(("\ufeff" + commas).encode())
    assert [line.amount for line in read.lines] == [1_000_456, 1_000_457] and read.unreadable == [3]


@pytest.mark.parametrize("data", [b"", b"\x89PNG\r\n\x1a\n\x00\x00\x00", b"hello\nworld\n", b"a;b;c\nd;e;f\n"])
def test_a_file_that_cannot_be_read_is_refused_as_a_whole(data):
    with pytest.raises(DomainError):
        bank_statement.read(data)


@pytest.mark.parametrize("data, amounts", [(b"01/12;TRF A;100.001\r01/12;TRF B;200.002\r", [100_001, 200_002]),
                                           (b"01/12;TRF A;100.001\r\r01/12;x\ry;5\r", [100_001])])
def test_a_statement_with_old_mac_line_ends_is_read(data, amounts):
    assert [line.amount for line in bank_statement.read(data).lines] == amounts


@pytest.mark.parametrize("data", [b"a" * 200_000, b"01/12;" + b"x" * 200_000 + b";100.001\n", b'"' + b"a" * 200_000])
def test_a_statement_with_a_giant_field_is_refused_as_a_whole(data):
    with pytest.raises(DomainError):
        bank_statement.read(data)


def test_matching_by_reference_and_by_amount(db, kop, member, make_member, make_user):
    other = make_member(kop, user=make_user(full_name="Ujang"), nik="3273011508950002")
    by_ref = topups.ask(member, 100_000, None)
    by_amount = topups.ask(other, 200_000, None)
    wrong = topups.ask(member, 300_000, None)
    db.session.commit()
    csv = (f"01/12;TRF {by_ref.reference};{by_ref.unique_amount_idr}\n"
           f"01/12;TRANSFER UJANG;{by_amount.unique_amount_idr:,}\n"
           f"01/12;{wrong.reference} salah jumlah;{wrong.unique_amount_idr + 1}\n"
           f"01/12;TRF {by_ref.reference} lagi;{by_ref.unique_amount_idr}\n").encode()
    matches, unmatched = topups.match(kop.id, bank_statement.read(csv))
    assert [(m.topup.id, m.by_reference) for m in matches] == [(by_ref.id, True), (by_amount.id, False)]
    assert [line.number for line in unmatched] == [3, 4]  # the wrong amount; the same transfer twice


def test_a_line_naming_another_request_is_never_matched_to_a_request_by_amount(db, kop, member, make_member,
                                                                               make_user, monkeypatch):
    """A late transfer for an expired (or decided) request frees its unique amount; another member's new
    request may take it. The line names the old request: it is not that member's money."""
    draw = topups.secrets.choice
    monkeypatch.setattr(topups.secrets, "choice", lambda seq: (7 if 7 in seq else seq[0]) if isinstance(seq, list)
                        else draw(seq))  # the code 7 whenever it is free
    late = topups.ask(member, 100_000, None)
    late.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    other = make_member(kop, user=make_user(full_name="Ujang"), nik="3273011508950002")
    new = topups.ask(other, 100_000, None)
    db.session.commit()
    assert new.unique_amount_idr == late.unique_amount_idr == 100_007
    csv = f"01/12;TRF {late.reference} RINA;100.007\n02/12;TRF {late.reference[:4]} {late.reference[4:]};100.007\n"
    matches, unmatched = topups.match(kop.id, bank_statement.read(csv.encode()))
    assert matches == [] and [line.number for line in unmatched] == [1, 2]
    matches, _unmatched = topups.match(kop.id, bank_statement.read(b"03/12;SETORAN TUNAI;100.007\n"))
    assert [m.topup.id for m in matches] == [new.id]  # no reference at all: the amount alone


# ---------------------------------------------------------------- the pages

def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "blue").save(out, "PNG")
    return out.getvalue()


def test_the_member_asks_sees_the_instructions_sends_a_photo_and_cancels(app, db, kop, member):
    client = login(app.test_client(), member.user)
    page = client.get(f"/k/{kop.slug}/me/topups")
    assert page.status_code == 200 and "0021" not in page.text  # the account comes with the request
    refused = client.post(f"/k/{kop.slug}/me/topups", data={"amount": "abc", "key": KEY})
    assert refused.status_code == 422 and 'value="abc"' in refused.text
    asked = client.post(f"/k/{kop.slug}/me/topups", data={"amount": "150.000", "key": KEY})
    assert asked.status_code == 303
    topup = db.session.scalar(sa.select(Topup))
    shown = client.get(asked.headers["Location"]).text
    assert "002101000123305" in shown and topup.reference in shown
    assert f"Rp{topup.unique_amount_idr:,}".replace(",", ".") in shown
    sent = client.post(f"/k/{kop.slug}/me/topups/{topup.id}/proof",
                       data={"proof": (io.BytesIO(_photo()), "bukti.png")}, content_type="multipart/form-data")
    assert sent.status_code == 303
    db.session.expire_all()
    assert db.session.get(Topup, topup.id).proof_sha256
    assert topup.reference in client.get(f"/k/{kop.slug}/me").text  # on the member page
    assert client.post(f"/k/{kop.slug}/me/topups/{topup.id}/cancel").status_code == 303
    db.session.expire_all()
    assert db.session.get(Topup, topup.id).status == TopupStatus.CANCELLED


def test_without_a_bank_account_the_member_is_told(app, db, make_koperasi, make_member):
    k = make_koperasi()
    m = make_member(k)
    client = login(app.test_client(), m.user)
    assert 'id="topup-unavailable"' in client.get(f"/k/{k.slug}/me/topups").text
    client.post(f"/k/{k.slug}/me/topups", data={"amount": "10.000", "key": KEY})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Topup)) == 0


def test_the_teller_confirms_from_the_office_with_the_audit_log(app, db, kop, member, teller):
    topup = topups.ask(member, 100_000, None)
    db.session.commit()
    client = login(app.test_client(), teller)
    assert topup.reference in client.get(f"/k/{kop.slug}/office/topups").text
    assert "topups" in client.get(f"/k/{kop.slug}/office/teller").text
    done = client.post(f"/k/{kop.slug}/office/topups/{topup.id}/confirm", data={"key": KEY})
    assert done.status_code == 303 and "/office/receipts/" in done.headers["Location"]
    again = client.post(f"/k/{kop.slug}/office/topups/{topup.id}/confirm", data={"key": "u" * 43})
    assert again.status_code == 303 and again.headers["Location"] == done.headers["Location"]  # the first result
    assert balances(member.id)["sukarela"] == topup.unique_amount_idr
    assert db.session.scalar(sa.select(sa.func.count()).select_from(KoperasiEvent).where(
        KoperasiEvent.action == "confirm_topup")) == 1
    member_client = login(app.test_client(), member.user)
    receipt = member_client.get(f"/k/{kop.slug}/me/topups/{topup.id}").text
    assert 'id="receipt"' in receipt and 'id="balance-after"' in receipt


def test_the_teller_rejects_with_a_reason(app, db, kop, member, teller):
    topup = topups.ask(member, 100_000, None)
    db.session.commit()
    client = login(app.test_client(), teller)
    refused = client.post(f"/k/{kop.slug}/office/topups/{topup.id}/reject", data={"reason": ""})
    assert refused.status_code == 422
    assert client.post(f"/k/{kop.slug}/office/topups/{topup.id}/reject",
                       data={"reason": "Tidak ada di mutasi"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Topup, topup.id).status == TopupStatus.REJECTED


def test_a_statement_upload_confirms_several_at_once(app, db, kop, member, make_member, make_user, teller):
    other = make_member(kop, user=make_user(full_name="Ujang"), nik="3273011508950002")
    first, second = topups.ask(member, 100_000, None), topups.ask(other, 200_000, None)
    db.session.commit()
    client = login(app.test_client(), teller)
    bad = client.post(f"/k/{kop.slug}/office/topups/statement",
                      data={"statement": (io.BytesIO(b"\x89PNG\x00\x00"), "mutasi.csv")},
                      content_type="multipart/form-data")
    assert bad.status_code == 422 and ("not a CSV" in bad.text or "bukan mutasi" in bad.text)
    csv = (f"tanggal;keterangan;jumlah\n01/12;TRF {first.reference};{first.unique_amount_idr}\n"
           f"02/12;x;{second.unique_amount_idr}\n")
    proposed = client.post(f"/k/{kop.slug}/office/topups/statement",
                           data={"statement": (io.BytesIO(csv.encode()), "mutasi.csv")},
                           content_type="multipart/form-data")
    assert proposed.status_code == 200 and f'value="{first.id}"' in proposed.text and f'value="{second.id}"' in proposed.text
    assert balances(member.id)["sukarela"] == 0  # nothing posted yet
    form = {"key": KEY, "topup": [str(first.id), str(second.id)]}
    assert client.post(f"/k/{kop.slug}/office/topups/statement/confirm", data=form).status_code == 303
    assert client.post(f"/k/{kop.slug}/office/topups/statement/confirm", data=form).status_code == 303  # again
    assert balances(member.id)["sukarela"] == first.unique_amount_idr
    assert balances(other.id)["sukarela"] == second.unique_amount_idr
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Entry).where(Entry.memo == "sukarela")) == 2


@pytest.mark.parametrize("typed", ["2147483648", "99999999999999999999", "\u0663", "\u00b2", "\uff11"])
def test_a_chosen_top_up_that_is_no_id_is_left_out_never_a_500(app, db, kop, member, teller, typed):
    topup = topups.ask(member, 100_000, None)
    db.session.commit()
    client = login(app.test_client(), teller)
    sent = client.post(f"/k/{kop.slug}/office/topups/statement/confirm", data={"key": KEY, "topup": [typed]})
    assert sent.status_code == 303
    assert client.post(f"/k/{kop.slug}/office/topups/statement/confirm",
                       data={"key": KEY, "topup": [typed, str(topup.id)]}).status_code == 303
    assert balances(member.id)["sukarela"] == topup.unique_amount_idr  # the one real id, once


def test_access(app, db, kop, member, make_koperasi, make_staff, make_member, make_user):
    topup = topups.ask(member, 100_000, None)
    db.session.commit()
    other_kop = make_koperasi(name="Koperasi Tetangga", member_prefix="KTG")
    topups.set_bank_account(other_kop, board(other_kop), "BNI", "1234567", "Koperasi Tetangga", 24)
    db.session.commit()
    outsiders = {
        "another koperasi's teller": make_staff(other_kop, "teller"),
        "another member": make_member(kop, user=make_user(full_name="Anggota Lain"), nik="3273011508950003").user,
        "a member of another koperasi": make_member(other_kop, user=make_user(full_name="Tetangga")).user,
    }
    for who, user in outsiders.items():
        client = login(app.test_client(), user)
        for url in (f"/k/{kop.slug}/me/topups/{topup.id}", f"/k/{kop.slug}/office/topups/{topup.id}"):
            assert client.get(url).status_code == 404, (who, url)
        for url in (f"/k/{kop.slug}/me/topups/{topup.id}/cancel", f"/k/{kop.slug}/office/topups/{topup.id}/confirm"):
            assert client.post(url, data={"key": KEY}).status_code == 404, (who, url)
    # the member of another koperasi cannot top up here either
    client = login(app.test_client(), outsiders["a member of another koperasi"])
    assert client.post(f"/k/{kop.slug}/me/topups", data={"amount": "10.000", "key": KEY}).status_code == 404
    pengawas = login(app.test_client(), make_staff(kop, "pengawas"))
    assert pengawas.get(f"/k/{kop.slug}/office/topups/{topup.id}").status_code == 200
    assert pengawas.post(f"/k/{kop.slug}/office/topups/{topup.id}/confirm", data={"key": KEY}).status_code == 403
    assert pengawas.post(f"/k/{kop.slug}/office/topups/{topup.id}/reject",
                         data={"reason": "Tidak ada di mutasi"}).status_code == 403
    assert pengawas.post(f"/k/{kop.slug}/office/topups/settings", data={"hours": "5"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Topup, topup.id).status == TopupStatus.PENDING
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Topup)) == 1
