"""Fixtures: the app on SQLite (default) or PostgreSQL (TEST_DATABASE_URL), a client,
factories, logged-in clients, a live server for the browser tests."""

from __future__ import annotations

import atexit
import contextvars
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from itertools import count
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_migrate import upgrade
from werkzeug.serving import make_server

from models.accounts import User, register_user
from tests.mail_server import inbox  # noqa: F401  (a fixture: a local SMTP server for the tests that send mail)
from web import create_app
from web.extensions import db as _db

CI = os.environ.get("CI") == "true"
PASSWORD = "rahasia-123"


def require(condition: bool, reason: str) -> None:
    """Skip with a reason outside CI; with CI=true a missing prerequisite is a failure."""
    if not condition:
        if CI:
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)


def _on_postgres() -> bool:
    return os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")


def pytest_collection_modifyitems(config, items):
    """Race tests only mean something on PostgreSQL (SQLite serialises every writer):
    on the SQLite run they are deselected, not skipped, and the PostgreSQL run has them.
    Tests of SQLite's own transaction handling (``sqlite_only``) the other way round."""
    other = "sqlite_only" if _on_postgres() else "postgres_only"
    keep = [item for item in items if other not in item.keywords]
    if len(keep) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep


def _reset_schema(app) -> None:
    """Start from an empty database, then build it with the migrations."""
    with app.app_context():
        if _db.engine.dialect.name == "postgresql":
            with _db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()


class IsolatedClient(FlaskClient):
    """Each request runs as it would in production: its own app context, so ``g``
    (the logged-in user) and the database session never leak between clients or
    from the test body. The test's own session is committed around it, so the
    request sees the test's setup and the test then reads what the request wrote."""

    def open(self, *args, **kwargs):
        _db.session.commit()
        response = contextvars.Context().run(super().open, *args, **kwargs)
        _db.session.commit()
        return response


def _in_memory_folder(fallback: Path) -> Path:
    """A folder in RAM (tmpfs) for the SQLite test database where the machine has one: its thousands of
    commits then cost no disk flush (a fifth of some tests' time). Production's file is untouched."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        return fallback
    folder = Path(tempfile.mkdtemp(prefix="kopz-test-", dir=shm))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def _no_flush_at_commit(url: str) -> dict:
    """On PostgreSQL, the tests' connections commit without waiting for the WAL's flush to disk
    (``synchronous_commit=off``: what a commit makes visible is the same, only a crash of the server
    could lose the last ones, which no test here does; tests/test_faults.py runs a durable server)."""
    if not url.startswith("postgresql"):
        return {}
    from web.config import load

    options = load("testing")["SQLALCHEMY_ENGINE_OPTIONS"]
    return {"SQLALCHEMY_ENGINE_OPTIONS": {**options, "connect_args": {**options.get("connect_args", {}),
                                                                      "options": "-c synchronous_commit=off"}}}


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("kopz")
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_in_memory_folder(tmp) / 'test.sqlite'}"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            **_no_flush_at_commit(url),
            "STATIC_BUILD_DIR": str(tmp / "static-build"),
            "MEDIA_DIR": str(tmp / "media"),
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast in tests; scrypt in production
            "WTF_CSRF_ENABLED": False,  # tests/test_security.py turns it back on
            # Background work runs inline, at once, so a test sees what it did. The tests that prove
            # the queue take a real worker on Redis (tests/rq_worker.py), which sets REDIS_URL itself.
            "REDIS_URL": None,
        },
        env="testing",
    )
    app.test_client_class = IsolatedClient
    _reset_schema(app)
    return app


def empty_tables() -> None:
    """Delete every row (children first); property tests call it once per example. The audit log's
    triggers refuse deletes (migration 0037): they stand aside for this transaction only."""
    _db.session.remove()
    tables = reversed(_db.metadata.sorted_tables)
    with _db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # one round trip, not one per table: a fifth of the time
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica; "
                                 + "; ".join(f'DELETE FROM "{table.name}"' for table in tables))
        else:
            guards = conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                          "AND sql LIKE '%RAISE(ABORT%'").all()
            for name, _sql in guards:
                conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
            for table in tables:
                conn.execute(table.delete())
            for _name, sql in guards:
                conn.exec_driver_sql(sql)


@pytest.fixture(autouse=True)
def _clean(app):
    """Every test starts with empty tables and fresh throttles."""
    with app.app_context():
        yield
        empty_tables()
        app.extensions["kopz_login_throttle"].storage.reset()


@pytest.fixture
def db(app):
    return _db


@dataclass
class Kept:
    """What a costly set-up left, to give the next test the same start without building it again:
    every row (table by table, in key order) and every file of the media folder."""

    rows: dict[str, list[dict]]
    files: dict[str, bytes]


def keep(app) -> Kept:
    _db.session.commit()
    with _db.engine.connect() as conn:
        rows = {table.name: [row._asdict() for row in conn.execute(table.select().order_by(*table.primary_key))]
                for table in _db.metadata.sorted_tables}
    media = Path(app.config["MEDIA_DIR"])
    return Kept(rows, {str(path.relative_to(media)): path.read_bytes() for path in media.rglob("*") if path.is_file()})


def put_back(app, kept: Kept) -> None:
    """The kept rows into the emptied tables, with their own ids (the sequences are past them already),
    and any kept file a test removed or changed."""
    _db.session.remove()
    with _db.engine.begin() as conn:
        for table in _db.metadata.sorted_tables:
            if rows := kept.rows[table.name]:
                conn.execute(table.insert(), rows)
    media = Path(app.config["MEDIA_DIR"])
    for name, data in kept.files.items():
        path = media / name
        if not path.is_file() or path.read_bytes() != data:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)


@pytest.fixture(scope="session")
def _demo_kept(app) -> Kept:
    """The demo data as the real command (``flask demo-data``) leaves it, loaded once in the session
    (its photos alone take seconds to encode)."""
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["demo-data"])
        assert result.exit_code == 0, result.output
        kept = keep(app)
        empty_tables()
    return kept


@pytest.fixture
def demo(app, _demo_kept):
    """The demo data, put back for this test."""
    put_back(app, _demo_kept)


@pytest.fixture
def client(app):
    return app.test_client()


_numbers = count(1)


@pytest.fixture
def make_user(app):
    """Create an account: ``make_user(full_name=..., mobile=..., email=...)``."""

    def make(full_name: str = "Dewi Lestari", mobile: str | None = None, email: str | None = None,
             password: str = PASSWORD, **fields) -> User:
        user = register_user(full_name, mobile or f"0812{next(_numbers):08d}", password, email)
        for key, value in fields.items():
            setattr(user, key, value)
        _db.session.commit()
        return user

    return make


def board(koperasi) -> User:
    """The koperasi's registrant, its first admin pengurus (who approves; a teller pays out)."""
    return _db.session.get(User, koperasi.created_by_id)


def fund(koperasi, amount: int = 100_000_000, means: str = "cash"):
    """Give the koperasi money to pay out (cash and bank never go below zero): a capital
    entry, cash or bank up and equity (grants) up, as a koperasi's founders would bring."""
    from models.ledger import MEANS, Leg, Purpose, post

    post(koperasi, "journal", [Leg(MEANS[means], amount), Leg(Purpose.GRANTS, -amount)], by=None, memo="Modal awal")
    _db.session.commit()
    return koperasi


def login(client, user: User, password: str = PASSWORD):
    response = client.post("/login", data={"login": user.mobile, "password": password})
    assert response.status_code == 303, response.text
    return client


@pytest.fixture
def user(make_user):
    return make_user()


@pytest.fixture
def user_client(app, user):
    """A client logged in as ``user``."""
    return login(app.test_client(), user)


@pytest.fixture(scope="session")
def live_server(app):
    """The app served on 127.0.0.1 for Chromium, sharing the test database."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


# ---------------------------------------------------------------- gateway factories

VALID_NIK = "3273011508950001"  # Kota Bandung, born 1995-08-15


def koperasi_data(**overrides) -> dict:
    data = dict(name="Koperasi Sejahtera Bersama", legal_number=f"AHU-{next(_numbers):07d}.AH.01.26",
                nik_koperasi=None, jenis="simpan_pinjam", description="Koperasi simpan pinjam warga.",
                address="Jl. Merdeka No. 1", province_code="32", regency_code="32.73",
                district_code="32.73.01", lat=-6.9147, lng=107.6098, whatsapp="081234500001",
                pokok_idr=100_000, wajib_idr=20_000, requirements="KTP dan KK.", member_prefix="KSB",
                services=["savings", "loans"])
    data.update(overrides)
    return data


@pytest.fixture
def make_koperasi(make_user):
    """``make_koperasi(admin=user, status="verified", **profile)``: registered, then verified."""
    from models.koperasi import Status, register_koperasi, reject, verify

    def make(admin: User | None = None, status: str = "verified", **overrides):
        admin = admin or make_user(full_name="Pengurus Koperasi")
        koperasi = register_koperasi(admin, koperasi_data(**overrides))
        platform = _db.session.scalar(sa.select(User).where(User.is_platform_admin)) or make_user(
            full_name="Admin Platform", is_platform_admin=True)
        if status == Status.VERIFIED:
            verify(koperasi, platform)
        elif status == Status.REJECTED:
            reject(koperasi, platform, "Dokumen badan hukum tidak terbaca.")
        _db.session.commit()
        return koperasi

    return make


@pytest.fixture
def make_staff(make_user):
    """``make_staff(koperasi, role="pengawas", user=None)`` → the staff user. The default is
    the least powerful role, as for new staff in the app (models/duties.py)."""
    from models.koperasi import Staff

    def make(koperasi, role: str = "pengawas", user: User | None = None) -> User:
        user = user or make_user(full_name=f"Staf {role.title()}")
        _db.session.add(Staff(koperasi_id=koperasi.id, user_id=user.id, role=role))
        _db.session.commit()
        return user

    return make


@pytest.fixture
def make_member(make_user):
    """``make_member(koperasi, user=None, status="active")`` → the Membership.
    "approved" has a member number but has not paid simpanan pokok; "active" has."""
    from models.membership import apply, approve, reject, request_resignation
    from models.savings import deposit, pokok_due

    def make(koperasi, user: User | None = None, status: str = "active", nik: str = VALID_NIK):
        user = user or make_user(full_name="Anggota Koperasi")
        membership = apply(user, koperasi, full_name=user.full_name, nik=nik, address="Jl. Dago No. 10, Bandung",
                           occupation="Pedagang", is_umkm=False, business_name=None, agreed=True, consented=True)
        _db.session.flush()
        staff = _db.session.get(User, koperasi.created_by_id)
        if status in ("approved", "active", "resigning"):
            approve(membership, staff)
        if status in ("active", "resigning") and membership.status == "approved":
            deposit(membership, "pokok", pokok_due(membership), "cash", staff)
        if status == "resigning":
            request_resignation(membership)
        if status == "rejected":
            reject(membership, staff, "Data KTP tidak cocok.")
        _db.session.commit()
        return membership

    return make


# ---------------------------------------------------------------- marketplace factories

def store_data(**overrides) -> dict:
    data = dict(name="Warung Bu Siti", description="Sembako dan jajanan.", nib=None, address="Jl. Dago No. 10",
                lat=-6.8915, lng=107.6107, pickup=True, delivery_km=5, delivery_fee_idr=10_000, cod=True,
                whatsapp="081234500002", opening_hours="08.00–20.00")
    data.update(overrides)
    return data


@pytest.fixture
def make_store(make_member):
    """``make_store(koperasi, owner=None, status="approved")`` → a Store of an active member."""
    from models.market import open_store, set_store_status

    def make(koperasi, owner: User | None = None, status: str = "approved", **overrides):
        membership = make_member(koperasi, user=owner)
        store = open_store(membership.user, koperasi, store_data(**overrides))
        set_store_status(store, status)
        _db.session.commit()
        return store

    return make


@pytest.fixture
def make_product():
    """``make_product(store, name=..., price_idr=..., stock=...)``."""
    from models.market import add_product

    def make(store, **overrides):
        data = dict(name="Beras Pandan Wangi 5 kg", description="Beras lokal.", category="food", unit="karung",
                    price_idr=75_000, member_price_idr=None, stock=10)
        data.update(overrides)
        product = add_product(store, data)
        _db.session.commit()
        return product

    return make
