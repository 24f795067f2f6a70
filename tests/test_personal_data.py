"""Personal data under UU PDP 27/2022: encrypted at rest (and rotatable), found by NIK through a
keyed hash, consent recorded, a copy for the person, and deletion that keeps the books."""

from __future__ import annotations

import csv
import io
import json
from contextlib import contextmanager
from datetime import date

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken

from models import books_check, resignation
from models.accounts import User, authenticate
from models.consent import VERSION, Consent
from models.koperasi import KoperasiEvent
from models.ledger import Entry
from models.membership import Membership, with_nik
from models.orders import Order
from models.savings import deposit
from tests.conftest import PASSWORD, VALID_NIK, fund, login
from tests.imported import NIK as IMPORTED_NIK
from tests.imported import make_imported
from tests.test_loans_views import make_loan
from tests.test_loans_views import product as product  # noqa: F401  (a fixture)
from web import config
from web.config import ConfigError

ADDRESS = "Jl. Dago No. 10, Bandung"  # the factory's (tests/conftest.py make_member)
BORN = "1995-08-15"  # as VALID_NIK says
OTHER_NIK = "3273014101900002"


@pytest.fixture
def kop(make_koperasi):
    return fund(make_koperasi(name="Koperasi Sejahtera", member_prefix="KSB"))


@pytest.fixture
def member(kop, make_member, make_user):
    return make_member(kop, user=make_user(full_name="Sari Anggota"))


def raw(db, sql: str) -> list[tuple]:
    db.session.commit()
    with db.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(sa.text(sql))]


def an_order(db, member, address: str = "Jl. Rahasia No. 7, Bandung") -> Order:
    from models.market import Store

    store = Store(slug=f"toko-{member.id}", koperasi_id=member.koperasi_id, owner_id=member.koperasi.created_by_id,
                  name="Toko Koperasi", address="Jl. Pasar 1", lat=-6.9, lng=107.6, status="approved")
    db.session.add(store)
    db.session.flush()
    order = Order(number=f"ORD-{member.id}", buyer_id=member.user_id, store_id=store.id, koperasi_id=member.koperasi_id,
                  fulfilment="delivery", delivery_address=address, payment="cash", subtotal_idr=10_000,
                  total_idr=10_000, checkout_key="k", status="completed")
    db.session.add(order)
    db.session.commit()
    return order


@contextmanager
def keys(app, data_keys: list[str], hash_key: str | None = None):
    """The app's data keys swapped for the block (as a new environment would give them)."""
    before = app.config["DATA_KEYS"], app.config["DATA_HASH_KEY"]
    app.config["DATA_KEYS"] = data_keys
    app.config["DATA_HASH_KEY"] = hash_key or before[1]
    try:
        yield
    finally:
        app.config["DATA_KEYS"], app.config["DATA_HASH_KEY"] = before


# ---------------------------------------------------------------- encryption at rest

def test_the_database_holds_no_plaintext_nik_address_or_birth_date(db, member):
    an_order(db, member)
    rows = raw(db, "SELECT nik, address, birth_date, nik_hash FROM membership")
    stored = " ".join(str(value) for row in rows for value in row)
    stored += " ".join(str(value) for (value,) in raw(db, "SELECT delivery_address FROM market_order"))
    for secret in (VALID_NIK, ADDRESS, "Dago", BORN, "Rahasia"):
        assert secret not in stored
    nik, address, born, nik_hash = rows[0]
    assert all(value.startswith("gAAAAA") for value in (nik, address, born))  # Fernet tokens
    assert len(nik_hash) == 64 and VALID_NIK not in nik_hash
    db.session.expire_all()
    again = db.session.get(Membership, member.id)  # in Python: the plain values, as before
    assert (again.nik, again.address, again.birth_date) == (VALID_NIK, ADDRESS, date(1995, 8, 15))
    assert db.session.scalar(sa.select(Order.delivery_address)) == "Jl. Rahasia No. 7, Bandung"


def test_key_rotation_re_encrypts_and_the_old_key_alone_then_fails(app, db, member):
    old = app.config["DATA_KEYS"][0]
    new, new_hash_key = Fernet.generate_key().decode(), "a-new-hash-key-of-at-least-32-characters"
    (before,) = raw(db, "SELECT nik FROM membership")
    with keys(app, [new, old], new_hash_key):
        db.session.expire_all()
        assert db.session.scalar(sa.select(Membership.id).where(with_nik(VALID_NIK))) is None  # hashed with the old key
        result = app.test_cli_runner().invoke(args=["rotate-data-key"])
        assert result.exit_code == 0 and "membership 1" in result.output, result.output
    (after,) = raw(db, "SELECT nik FROM membership")
    assert after != before
    with keys(app, [new], new_hash_key):  # the new key alone opens everything
        db.session.expire_all()
        assert db.session.get(Membership, member.id).nik == VALID_NIK
        assert db.session.scalar(sa.select(Membership.id).where(with_nik(VALID_NIK))) == member.id
    with keys(app, [old]):  # the old key alone opens nothing
        db.session.expire_all()
        with pytest.raises(InvalidToken):
            db.session.get(Membership, member.id).nik  # noqa: B018
    db.session.rollback()


def test_a_changed_token_is_refused_not_read(db, member):
    """Authenticated encryption: a value altered in the database (one character) does not open."""
    (token,) = raw(db, "SELECT nik FROM membership")[0]
    changed = token[:40] + ("A" if token[40] != "A" else "B") + token[41:]
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE membership SET nik = :t"), {"t": changed})
    db.session.expire_all()
    with pytest.raises(InvalidToken):
        db.session.get(Membership, member.id).nik  # noqa: B018
    db.session.rollback()


def test_production_refuses_to_start_without_data_keys(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    monkeypatch.delenv("KOPZ_DATA_KEYS", raising=False)
    monkeypatch.setenv("KOPZ_DATA_HASH_KEY", "h" * 40)
    with pytest.raises(ConfigError, match="KOPZ_DATA_KEYS"):
        config.load("production")
    monkeypatch.setenv("KOPZ_DATA_KEYS", "not-a-fernet-key")
    with pytest.raises(ConfigError, match="KOPZ_DATA_KEYS"):
        config.load("production")
    monkeypatch.setenv("KOPZ_DATA_KEYS", Fernet.generate_key().decode())
    monkeypatch.delenv("KOPZ_DATA_HASH_KEY")
    with pytest.raises(ConfigError, match="KOPZ_DATA_HASH_KEY"):
        config.load("production")
    monkeypatch.setenv("KOPZ_DATA_HASH_KEY", "h" * 40)
    assert len(config.load("production")["DATA_KEYS"]) == 1


def test_the_migration_encrypts_existing_rows_and_back(app, db, member):
    from flask_migrate import downgrade, upgrade

    an_order(db, member)
    member_id = member.id
    db.session.remove()
    downgrade(revision="0035_directory_jenis")  # as before: plaintext columns
    assert raw(db, "SELECT nik, address FROM membership") == [(VALID_NIK, ADDRESS)]
    assert str(raw(db, "SELECT birth_date FROM membership")[0][0]) == BORN
    assert raw(db, "SELECT delivery_address FROM market_order") == [("Jl. Rahasia No. 7, Bandung",)]
    upgrade()
    stored = " ".join(str(value) for row in raw(db, "SELECT nik, address, birth_date FROM membership") for value in row)
    assert VALID_NIK not in stored and "Dago" not in stored and BORN not in stored
    again = db.session.scalar(sa.select(Membership).where(with_nik(VALID_NIK)))
    assert (again.id, again.nik, again.address, again.birth_date) == (member_id, VALID_NIK, ADDRESS, date(1995, 8, 15))


# ---------------------------------------------------------------- search by NIK

def test_staff_open_a_member_by_nik_sent_in_the_body(app, kop, member, make_member, make_user, make_staff,
                                                      make_koperasi):
    make_member(kop, user=make_user(full_name="Budi Lain"), nik=OTHER_NIK)
    teller = login(app.test_client(), make_staff(kop, "teller"))
    base = f"/k/{kop.slug}/office/members"
    found = teller.post(f"{base}/by-nik", data={"nik": "3273 0115 0895 0001"})
    assert found.status_code == 303 and found.headers["Location"].endswith(f"{base}/{member.id}")
    assert VALID_NIK not in found.headers["Location"]  # never in a URL (logs, history)
    missing = teller.post(f"{base}/by-nik", data={"nik": "3273011508950009"})
    assert missing.status_code == 422 and "Tidak ada anggota koperasi ini dengan NIK ini." in missing.text
    assert 'value="3273011508950009"' in missing.text  # the form back with what was typed
    elsewhere = login(app.test_client(), make_staff(make_koperasi(name="Koperasi Lain"), "admin"))
    assert elsewhere.post(f"{base}/by-nik", data={"nik": VALID_NIK}).status_code == 404


# ---------------------------------------------------------------- consent

def test_joining_records_the_consent_with_purpose_version_time_and_address(app, kop, make_user, db):
    user = make_user(full_name="Siti Rahmawati")
    client = login(app.test_client(), user)
    data = {"full_name": "Siti Rahmawati", "nik": VALID_NIK, "address": "Jl. Cihampelas No. 5, Bandung",
            "occupation": "Penjahit", "agree": "y"}
    refused = client.post(f"/k/{kop.slug}/join", data=data)
    assert refused.status_code == 422 and "centang bahwa Anda setuju" in refused.text
    assert "Siapa yang melihat" in refused.text  # the purpose is stated beside the box
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Membership)) == 0
    assert client.post(f"/k/{kop.slug}/join", data={**data, "consent": "y"}, environ_base={
        "REMOTE_ADDR": "10.1.2.3"}).status_code == 303
    (consent,) = db.session.scalars(sa.select(Consent)).all()
    membership = db.session.scalar(sa.select(Membership))
    assert (consent.user_id, consent.membership_id, consent.purpose, consent.version, consent.given_from) == (
        user.id, membership.id, "membership", VERSION, "10.1.2.3")
    assert consent.given_at is not None


def test_an_imported_member_consents_when_claiming(app, kop, db):
    from models.accounts import register_user

    membership = make_imported(kop, "081366660001")
    register_user("Rudi Hartono", "081366660001", PASSWORD)
    db.session.commit()
    client = login(app.test_client(), db.session.get(User, membership.user_id))
    assert db.session.scalar(sa.select(Consent.id)) is None  # pending: the import gave none
    assert "Bagaimana data pribadi Anda digunakan" in client.get("/cards").text
    client.post(f"/k/{kop.slug}/claim")
    db.session.expire_all()
    assert db.session.get(Membership, membership.id).claim_requested_at is None
    assert db.session.scalar(sa.select(Consent.id)) is None
    assert client.post(f"/k/{kop.slug}/claim", data={"consent": "y"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Membership, membership.id).claim_requested_at is not None
    assert db.session.scalar(sa.select(Consent.membership_id)) == membership.id


# ---------------------------------------------------------------- my data

def test_a_member_downloads_all_their_data_and_nobody_elses(app, kop, member, make_member, make_user, product, db):
    staff = db.session.get(User, kop.created_by_id)
    deposit(member, "sukarela", 250_000, "cash", staff)
    make_loan(db, member, product)
    an_order(db, member)
    other = make_member(kop, user=make_user(full_name="Budi Lain"), nik=OTHER_NIK)
    client = login(app.test_client(), member.user)
    response = client.get("/account/data.json")
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    data = json.loads(response.data)
    (mine,) = data["memberships"]
    assert (mine["nik"], mine["address"], mine["birth_date"], mine["member_number"]) == (
        VALID_NIK, ADDRESS, BORN, member.member_number)
    assert mine["savings_balances"]["sukarela"] == 250_000
    assert 250_000 in [line["amount"] for line in mine["savings_lines"]]
    assert mine["loans"][0]["principal_idr"] == 1_200_000 and len(mine["loans"][0]["instalments"]) == 12
    assert data["orders"][0]["delivery_address"] == "Jl. Rahasia No. 7, Bandung"
    assert data["consents"][0]["version"] == VERSION and data["account"]["full_name"] == "Sari Anggota"
    assert data["sessions"] and "password_hash" not in data["account"]
    text = response.get_data(as_text=True)
    assert OTHER_NIK not in text and "Budi Lain" not in text
    rows = list(csv.reader(io.StringIO(client.get("/account/data.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert ["memberships.0.nik", VALID_NIK] in rows and ["orders.0.delivery_address", "Jl. Rahasia No. 7, Bandung"] in rows
    assert OTHER_NIK not in str(rows)
    theirs = json.loads(login(app.test_client(), other.user).get("/account/data.json").data)
    assert [m["nik"] for m in theirs["memberships"]] == [OTHER_NIK] and theirs["orders"] == []
    anonymous = app.test_client().get("/account/data.json")
    assert anonymous.status_code == 303 and "/login" in anonymous.headers["Location"]


def test_an_unconfirmed_imported_membership_is_not_in_the_copy(app, kop, db):
    from models.accounts import register_user

    membership = make_imported(kop, "081366660002", nik=OTHER_NIK)
    register_user("Rudi Hartono", "081366660002", PASSWORD)
    db.session.commit()
    client = login(app.test_client(), db.session.get(User, membership.user_id))
    data = client.get("/account/data.json").get_data(as_text=True)
    assert OTHER_NIK not in data and json.loads(data)["memberships"] == []


# ---------------------------------------------------------------- deletion

def resigned(db, member):
    staff = db.session.get(User, member.koperasi.created_by_id)
    resignation.request(member)
    resignation.confirm(member, staff)
    db.session.commit()
    return member


def test_deletion_is_refused_with_a_loan_or_savings_and_nothing_changes(app, kop, member, product, db):
    make_loan(db, member, product)
    client = login(app.test_client(), member.user)
    page = client.get("/account/data").text
    assert "Pinjaman di Koperasi Sejahtera belum lunas" in page and "Anda masih anggota Koperasi Sejahtera" in page
    assert 'id="erase_form"' not in page
    refused = client.post("/account/data/delete", data={"password": PASSWORD})
    assert refused.status_code == 422 and "belum lunas" in refused.text
    db.session.expire_all()
    assert db.session.get(Membership, member.id).nik == VALID_NIK
    assert db.session.get(User, member.user_id).full_name == "Sari Anggota"


def test_deletion_pseudonymises_ends_the_sessions_and_keeps_the_books(app, kop, member, make_staff, db):
    staff = db.session.get(User, kop.created_by_id)
    deposit(member, "sukarela", 100_000, "cash", staff)
    an_order(db, member)
    resigned(db, member)
    entries = db.session.scalar(sa.select(sa.func.count()).select_from(Entry))
    mobile = member.user.mobile
    client = login(app.test_client(), member.user)
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)  # the cookie copied to another device
    wrong = client.post("/account/data/delete", data={"password": "bukan-sandinya"})
    assert wrong.status_code == 422 and "Kata sandi tidak benar." in wrong.text
    done = client.post("/account/data/delete", data={"password": PASSWORD})
    assert done.status_code == 303 and done.headers["Clear-Site-Data"] == '"cache", "storage"'
    db.session.expire_all()
    user = db.session.get(User, member.user_id)
    m = db.session.get(Membership, member.id)
    assert user.full_name == f"Anggota dihapus #{user.id}" and user.email is None and user.disabled_at is not None
    assert user.mobile != mobile and authenticate(mobile, PASSWORD) is None
    assert (m.full_name, m.nik, m.address, m.birth_date, m.nik_hash, m.gender) == (
        f"Anggota dihapus #{m.id}", "", "", None, None, None)
    assert db.session.scalar(sa.select(Order.delivery_address)) is None
    assert copy.get("/account").status_code == 303  # every session ended
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Entry)) == entries
    assert books_check.check() == []
    assert db.session.scalar(sa.select(Consent.id)) is not None  # the proof of consent stays
    (event,) = db.session.scalars(sa.select(KoperasiEvent).where(KoperasiEvent.action == "member_erased")).all()
    history = login(app.test_client(), make_staff(kop, "pengawas")).get(f"/k/{kop.slug}/office/history").text
    assert "Data pribadi seorang anggota dihapus" in history and member.member_number in history
    assert event.koperasi_id == kop.id


def test_only_the_board_sees_an_imported_members_full_birth_date_and_address(app, kop, make_staff, db):
    membership = make_imported(kop, "081366660003")
    db.session.commit()
    page = f"/k/{kop.slug}/office/claims/{membership.id}"
    for role in ("teller", "pengawas"):
        shown = login(app.test_client(), make_staff(kop, role)).get(page).text
        assert "Jl. Cigadung ••••••" in shown and "Raya No. 5" not in shown
        assert "Tahun lahir" in shown and "1990" in shown and "15 Agu" not in shown
    board = login(app.test_client(), make_staff(kop, "pengurus")).get(page).text
    assert "Jl. Cigadung Raya No. 5, Bandung" in board and "15 Agu 1990" in board


def test_deleting_leaves_an_unconfirmed_imported_membership_for_whoever_owns_the_number(app, kop, db):
    from models.accounts import register_user
    from models.personal_data import erase

    membership = make_imported(kop, "081366660004")
    user = register_user("Rudi Hartono", "081366660004", PASSWORD)
    db.session.commit()
    erase(user, PASSWORD, app.config["MEDIA_DIR"])
    db.session.commit()
    db.session.expire_all()
    kept = db.session.get(Membership, membership.id)
    assert kept.user_id != user.id and kept.user.placeholder and kept.user.mobile == "+6281366660004"
    assert kept.nik == IMPORTED_NIK and kept.full_name == "Rudi Hartono"  # the koperasi's record, not the person's


def test_an_uploaded_import_is_kept_encrypted_and_still_imports(app, make_koperasi, db):
    import os

    from models import import_batch
    from tests.import_setup import members_and_loans, xlsx

    kop = make_koperasi(name="Koperasi Sumber Rejeki", member_prefix="SRJ")
    folder = app.config["MEDIA_DIR"] + "/imports"
    cutover = date.today().replace(day=1)
    members, _loans = members_and_loans(3, cutover)
    upload = xlsx(members, [])
    batch, result = import_batch.preview(kop, [("anggota.xlsx", upload)], cutover, None, folder)
    db.session.commit()
    assert not result.problems
    (name, stored), = json.loads(batch.files)
    with open(os.path.join(folder, stored), "rb") as file:
        kept = file.read()
    assert kept.startswith(b"gAAAAA") and b"PK" not in kept[:8]  # not the spreadsheet itself
    assert import_batch.load(batch, folder) == [(name, upload)]
