"""The audit log (issue 14): every staff money action, setting change, period close and reveal of
personal data leaves one event with who, what, when and from where; the database refuses to change
or delete one; the board and the pengawas read, filter and export it, nobody else sees it; no
password, CSRF token or full NIK is ever in it. (Every office action of every role: tests/test_duties.py.)"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from models import savings
from models.audit import safe_fields
from models.base import utcnow
from models.koperasi import Koperasi, KoperasiEvent, record
from tests.conftest import VALID_NIK, board, fund, login
from tests.test_duties import history_of

PHONE = {"REMOTE_ADDR": "10.20.30.40"}
PHONE_UA = ("Mozilla/5.0 (Linux; Android 13; SM-A145F) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0.0.0 Mobile Safari/537.36")


@pytest.fixture
def kop(make_koperasi):
    return fund(make_koperasi(name="Koperasi Sumber Rejeki", member_prefix="KSR"))


@pytest.fixture
def member(kop, make_member, make_user):
    return make_member(kop, user=make_user(full_name="Siti Aminah"), nik=VALID_NIK)


def _as(app, user):
    client = login(app.test_client(), user)
    client.environ_base.update(PHONE)
    client.environ_base["HTTP_USER_AGENT"] = PHONE_UA
    return client


@pytest.fixture
def teller(app, kop, make_staff, make_user):
    user = make_staff(kop, "teller", user=make_user(full_name="Teller Tini"))
    return user, _as(app, user)


@pytest.fixture
def pengawas(app, kop, make_staff, make_user):
    return _as(app, make_staff(kop, "pengawas", user=make_user(full_name="Pengawas Putri")))


def _events(db, kop, action=None) -> list[KoperasiEvent]:
    db.session.expire_all()
    query = sa.select(KoperasiEvent).where(KoperasiEvent.koperasi_id == kop.id).order_by(KoperasiEvent.id)
    return list(db.session.scalars(query.where(KoperasiEvent.action == action) if action else query))


def _deposit(client, kop, member, amount="250.000", key="d" * 32, **extra):
    return client.post(f"/k/{kop.slug}/office/teller/{member.id}/deposit",
                       data={"kind": "sukarela", "amount": amount, "means": "cash", "key": key, **extra})


# ---------------------------------------------------------------- what is recorded

def test_a_deposit_leaves_one_event_with_who_what_when_and_from_where(db, kop, member, teller):
    user, client = teller
    assert _deposit(client, kop, member).status_code == 303
    (event,) = _events(db, kop, "post_money")
    details = event.detail_map
    assert event.actor_id == user.id and event.ip == "10.20.30.40" and event.user_agent == PHONE_UA
    assert event.session_id is not None  # the sign-in session it came from (models/sessions.py)
    assert details["path"] == f"/k/{kop.slug}/office/teller/{member.id}/deposit"
    assert details["member"] == member.member_number and details["ids"] == {"membership_id": member.id}
    assert details["form"] == {"kind": "sukarela", "amount": "250.000", "means": "cash"}  # no key
    ((ref, kind, amount),) = details["entries"]
    assert kind == "deposit" and amount == 250_000 and ref.startswith("KSR")


def test_a_retry_with_the_same_key_and_a_refused_action_add_nothing(db, kop, member, teller):
    _user, client = teller
    _deposit(client, kop, member)
    assert _deposit(client, kop, member).status_code == 303  # the double tap: the first receipt again
    refused = client.post(f"/k/{kop.slug}/office/teller/{member.id}/withdraw",
                          data={"withdraw-amount": "99.000.000", "withdraw-means": "cash", "withdraw-key": "w" * 32})
    assert refused.status_code == 422
    assert [e.action for e in _events(db, kop) if e.actor_id == _user.id] == ["post_money"]


def test_a_domain_event_is_not_doubled_and_gets_from_where(app, db, kop, member):
    admin = _as(app, board(kop))
    assert admin.post(f"/k/{kop.slug}/office/members/{member.id}/reveal-nik").status_code == 200
    (event,) = [e for e in _events(db, kop) if e.created_at and e.actor_id == kop.created_by_id
                and e.action not in ("registered", "verified")]
    assert event.action == "nik_revealed" and event.ip == "10.20.30.40" and event.user_agent == PHONE_UA
    assert VALID_NIK not in event.details


def test_no_password_csrf_token_or_full_nik_is_ever_recorded(app, db, kop, member, teller):
    _user, client = teller
    _deposit(client, kop, member, csrf_token="IjRhZGQ0", password="rahasia-123", note=f"KTP {VALID_NIK}",
             nik=VALID_NIK, mobile="081234567890")
    admin = _as(app, board(kop))
    admin.post(f"/k/{kop.slug}/office/members/{member.id}/reveal-nik")
    admin.post(f"/k/{kop.slug}/office/members/{member.id}/reset-password", data={"checked": "y"})
    events = _events(db, kop)
    assert {"post_money", "nik_revealed", "password_reset"} <= {e.action for e in events}
    text = " ".join(e.details for e in events)
    assert "rahasia" not in text and "IjRhZGQ0" not in text and "csrf" not in text and "password\"" not in text
    assert not re.search(r"\d{12,}", text) and "081234567890" not in text
    (deposit,) = _events(db, kop, "post_money")
    assert deposit.detail_map["form"]["note"] == "KTP ••••••••••••0001"  # a NIK typed in a note: masked


def test_safe_fields_keep_what_a_reader_needs_and_nothing_secret():
    sent = [("amount", "1.500.000"), ("withdraw-key", "k" * 32), ("csrf_token", "x"), ("new_password", "p"),
            ("reason", "Salah ketik " + "9" * 16), ("code", "123456"), ("lines-0-debit", "10.000"), ("form", "post"),
            ("address", "Jl. Dago"), ("birth_date", "1990-01-01"), ("note", "x" * 500)]
    kept = safe_fields(sent)
    assert list(kept) == ["amount", "reason", "lines-0-debit", "note"]
    assert kept["reason"] == "Salah ketik " + "•" * 12 + "9999" and len(kept["note"]) == 120


# ---------------------------------------------------------------- append-only, in the database

@pytest.mark.parametrize("statement", ["UPDATE koperasi_event SET details = '{}'", "DELETE FROM koperasi_event"])
def test_the_database_refuses_to_change_or_delete_an_event(db, kop, statement):
    before = [(e.id, e.action, e.details) for e in _events(db, kop)]
    assert len(before) >= 2  # registered, verified
    with pytest.raises(sa.exc.IntegrityError, match="append-only"), db.engine.begin() as conn:
        conn.exec_driver_sql(statement)
    assert [(e.id, e.action, e.details) for e in _events(db, kop)] == before


def test_the_session_refuses_it_before_the_database_does(db, kop):
    event = _events(db, kop)[0]
    event.action = "verified"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()


def test_a_koperasi_with_a_history_cannot_be_deleted(db, kop):
    """Its events would go with it (ON DELETE CASCADE): the triggers refuse, so the koperasi stays."""
    with pytest.raises(sa.exc.IntegrityError, match="append-only"), db.engine.begin() as conn:
        conn.execute(sa.delete(Koperasi).where(Koperasi.id == kop.id))
    assert db.session.get(Koperasi, kop.id) is not None


# ---------------------------------------------------------------- who reads it

def test_pengawas_read_it_with_from_where_and_the_teller_does_not(db, kop, member, teller, pengawas):
    _user, client = teller
    _deposit(client, kop, member)
    page = pengawas.get(f"/k/{kop.slug}/office/history")
    assert page.status_code == 200
    assert "Uang di loket atau buku kas" in page.text and "Teller Tini" in page.text
    assert "Dari 10.20.30.40" in page.text and "Chrome · Android" in page.text and "Rp250.000" in page.text
    assert client.get(f"/k/{kop.slug}/office/history").status_code == 403
    assert 'href="/k/' + kop.slug + '/office/history"' not in client.get(f"/k/{kop.slug}/office").text


def test_another_koperasis_staff_and_members_find_nothing(app, db, kop, member, make_koperasi, make_user):
    other = make_koperasi(name="Koperasi Tetangga", member_prefix="KTG")
    outsiders = [_as(app, board(other)), _as(app, member.user)]
    for client in outsiders:
        assert client.get(f"/k/{kop.slug}/office/history").status_code == 404
        assert client.post(f"/k/{kop.slug}/office/history/export", data={"format": "csv"}).status_code == 404
    assert app.test_client().get(f"/k/{kop.slug}/office/history").status_code == 303  # to the login


# ---------------------------------------------------------------- filters and export

def test_filters_by_kind_staff_and_days(db, kop, member, teller, pengawas):
    user, client = teller
    _deposit(client, kop, member)
    record(kop, board(kop), "updated", {"description": ["lama", "baru"]})
    old = KoperasiEvent(koperasi_id=kop.id, actor_id=user.id, action="post_money", details='{"path": "/lama"}',
                        created_at=utcnow().replace(year=2024, month=3, day=5, hour=3))
    db.session.add(old)
    db.session.commit()
    url = f"/k/{kop.slug}/office/history"
    by_kind = history_of(pengawas.get(url, query_string={"action": "post_money"}).text)
    assert "Rp250.000" in by_kind and "Mengubah profil" not in by_kind and "/lama" in by_kind
    by_staff = history_of(pengawas.get(url, query_string={"actor": kop.created_by_id}).text)
    assert "Mengubah profil" in by_staff and "Teller Tini" not in by_staff
    in_2024 = history_of(pengawas.get(url, query_string={"from": "2024-03-05", "to": "2024-03-05"}).text)
    assert "/lama" in in_2024 and "Rp250.000" not in in_2024
    wrong = pengawas.get(url, query_string={"from": "5 Maret"})
    assert wrong.status_code == 422 and "Tulis tanggal sebagai TTTT-BB-HH" in wrong.text and "5 Maret" in wrong.text


def test_the_export_holds_the_filtered_log_and_is_recorded(db, kop, member, teller, pengawas):
    _user, client = teller
    _deposit(client, kop, member)
    record(kop, board(kop), "updated", {"description": ["lama", "baru"]})
    db.session.commit()
    response = pengawas.post(f"/k/{kop.slug}/office/history/export", data={"format": "csv", "action": "post_money"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["Waktu", "Siapa", "Apa", "Rincian", "Alamat IP", "Peramban", "Sesi"]
    (row,) = rows[1:]
    assert row[1] == "Teller Tini" and row[2] == "Uang di loket atau buku kas" and "Rp250.000" in row[3]
    assert row[4] == "10.20.30.40" and row[5] == PHONE_UA and row[6].isdigit()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00", row[0])  # the koperasi's time, with its offset
    (export,) = _events(db, kop, "audit_exported")
    assert json.loads(export.details) == {"format": "csv", "rows": 1, "action": "post_money"}
    assert export.ip == "10.20.30.40"


def test_the_xlsx_export_has_the_same_columns(kop, member, teller, pengawas):
    _user, client = teller
    _deposit(client, kop, member)
    response = pengawas.post(f"/k/{kop.slug}/office/history/export", data={"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    header = next(i for i, row in enumerate(values) if row[0] == "Waktu")
    found = [row for row in values[header + 1:] if row[1] == "Teller Tini"]
    assert len(found) == 1 and found[0][4] == "10.20.30.40"


def test_cli_and_domain_events_outside_a_request_have_no_from_where(db, kop, member):
    savings.deposit(member, "sukarela", 10_000, "cash", board(kop))
    record(kop, board(kop), "updated", {"description": ["a", "b"]})
    db.session.commit()
    (event,) = _events(db, kop, "updated")
    assert event.ip is None and event.session_id is None
    assert _events(db, kop, "post_money") == []  # the hook is the office's, on a POST


def test_what_staff_typed_cannot_forge_a_line_or_a_formula(app, db, kop, member, make_staff, make_user, pengawas):
    """Log injection (ASVS 5.0 16.4.1): a name or a note is data in its own field, never a new event,
    a line of the file or a spreadsheet formula."""
    user = make_staff(kop, "teller", user=make_user(full_name='=HYPERLINK("http://evil.example")'))
    _deposit(_as(app, user), kop, member, note="Setoran\n2026-01-01 Pengurus Koperasi: Menghapus riwayat")
    page = pengawas.get(f"/k/{kop.slug}/office/history")
    assert history_of(page.text).count("Uang di loket atau buku kas") == 1  # one event, whatever the note says
    response = pengawas.post(f"/k/{kop.slug}/office/history/export", data={"format": "csv", "action": "post_money"})
    (row,) = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))[1:]
    assert row[1] == "'=HYPERLINK(\"http://evil.example\")"  # text, not a formula
    assert "note: Setoran\n2026-01-01 Pengurus Koperasi: Menghapus riwayat" in row[3]  # inside its quoted cell
