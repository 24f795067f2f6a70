"""Backup and restore (``flask --app wsgi backup`` / ``restore``, web/backup.py): a backup restored into a fresh
database by a second app gives back every account's balance, the trial balance and neraca, each member's
statement, every order and its items and every photo's bytes, and the books prove; a damaged backup, a
non-empty database, a backup of the other dialect or of a newer Kopz are refused."""

from __future__ import annotations

import io
import itertools
import json
import os
import tarfile
import threading
import time
import uuid
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from PIL import Image

from models import books, books_check, ledger, loans, market, private_files, savings, statement
from models.accounts import User
from models.koperasi import Koperasi
from models.ledger import Account
from models.loans import Instalment, Loan, LoanStatus
from models.market import ProductPhoto
from models.membership import Membership
from models.orders import Choice, Order, OrderItem, add_to_cart, checkout
from tests.conftest import board, fund
from web import create_app
from web.backup import libpq, migrations
from web.database import WRITES
from web.extensions import db as _db
from web.media import folder, public_store

EVER = (date(2000, 1, 1), date(2099, 12, 31))
PRODUCT = dict(name="Modal Usaha", method="flat", monthly_rate_bp=100, fee_bp=100, fee_mode="deducted",
               max_amount_idr=20_000_000, min_tenor=3, max_tenor=24, late_fee_mode="per_day", late_fee_idr=5_000)
PDF = b"%PDF-1.4\n% a koperasi's deed\n%%EOF\n"
_shades = itertools.count(1)


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (900, 700), (next(_shades) * 7 % 256, 120, 60)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def world(app, make_koperasi, make_staff, make_member, make_user, make_store, make_product, db):
    """Savings paid in and taken out, a loan disbursed and paid off, a product with a photo bought from
    savings, a private document: the ids of the member who bought and of the teller."""
    kop = fund(make_koperasi(pokok_idr=100_000, wajib_idr=20_000))
    teller = make_staff(kop, "teller")
    siti = make_member(kop, user=make_user(full_name="Siti Aminah"))
    budi = make_member(kop, user=make_user(full_name="Budi Santoso"))
    savings.deposit(siti, "sukarela", 1_500_000, "cash", teller)
    savings.deposit(siti, "wajib", 20_000, "bank", teller)
    savings.withdraw(siti, 250_000, "cash", teller)
    savings.deposit(budi, "sukarela", 300_000, "cash", teller)
    loan = loans.apply(budi, loans.save_product(kop, dict(PRODUCT)), 1_200_000, 6, "Modal warung kelontong")
    loans.approve(loan, board(kop))
    loans.disburse(loan, teller, "cash", today=date(2026, 1, 10))
    loans.repay(loan, 212_000, "cash", teller, today=date(2026, 2, 10))
    loans.repay(loan, loans.payoff(loan, date(2026, 3, 2)).total, "cash", teller, today=date(2026, 3, 2))
    db.session.commit()
    store = make_store(kop, owner=make_user(full_name="Rina Penjual"))
    product = make_product(store, name="Kopi Bubuk Kintamani", price_idr=30_000, stock=10)
    market.set_photos(product, [jpeg()], public_store())
    db.session.commit()
    add_to_cart(siti.user, product, 2)
    checkout(siti.user, {store.id: Choice("pickup", "savings")}, key="backup-order")
    private_files.store(PDF, folder("documents"))
    db.session.commit()
    assert db.session.get(Loan, loan.id).status == LoanStatus.PAID_OFF
    return siti.id, teller.id


def rows(table) -> list[tuple]:
    return [tuple(row) for row in _db.session.execute(sa.select(table).order_by(*table.primary_key))]


def everything() -> dict:
    """What a member, the board and an auditor would look at, in the current app's database and media."""
    session = _db.session
    kops = session.scalars(sa.select(Koperasi).order_by(Koperasi.id)).all()
    members = session.scalars(sa.select(Membership.id).order_by(Membership.id)).all()
    photos = public_store()
    return {
        "accounts": [tuple(r) for r in session.execute(
            sa.select(Account.id, Account.koperasi_id, Account.code, Account.balance).order_by(Account.id))],
        "trial balances": {k.id: books.trial_balance(k, *EVER) for k in kops},
        "balance sheets": {k.id: books.neraca(k, EVER[1]) for k in kops},
        "savings": {m: ledger.balances(m) for m in members},
        "statements": {m: list(statement.oldest_first(m)) for m in members},
        "loans": rows(Loan.__table__), "instalments": rows(Instalment.__table__),
        "orders": rows(Order.__table__), "order items": rows(OrderItem.__table__),
        "photos": {name: Path(photos.path(name)).read_bytes()
                   for row in session.execute(sa.select(ProductPhoto.thumb, ProductPhoto.detail)) for name in row},
        "document": Path(folder("documents"), private_files.storage.content_name(PDF, "pdf")).read_bytes(),
    }


def on_postgres(app) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


@pytest.fixture
def make_fresh(app, tmp_path):
    """``make_fresh()``: a second app on a new, empty database (PostgreSQL: CREATE DATABASE on the test server,
    dropped at the end; SQLite: a new file) and a new, empty media folder."""
    made = []

    def make():
        n = len(made)
        if on_postgres(app):
            server = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
            name = f"{server.database}_restore_{uuid.uuid4().hex[:8]}"
            with sa.create_engine(server, isolation_level="AUTOCOMMIT").connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
            url = server.set(database=name).render_as_string(hide_password=False)
        else:
            name, url = None, f"sqlite:///{tmp_path / f'restored-{n}.sqlite'}"
        other = create_app({"SQLALCHEMY_DATABASE_URI": url, "MEDIA_DIR": str(tmp_path / f"media-{n}"),
                            "STATIC_BUILD_DIR": app.config["STATIC_BUILD_DIR"], "REDIS_URL": None,
                            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"}, env="testing")
        made.append((other, name))
        return other

    yield make
    for other, name in made:
        with other.app_context():
            _db.session.remove()
            _db.engine.dispose()
        if name:
            server = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
            with sa.create_engine(server, isolation_level="AUTOCOMMIT").connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(app, *args: str):
    """A command of ``app`` in its own app context (the test's context is another app's)."""
    with app.app_context():
        result = app.test_cli_runner().invoke(args=list(args))
        _db.session.remove()
    return result


def take_backup(app, where: Path) -> Path:
    where.mkdir(exist_ok=True)
    result = run(app, "backup", "--out", str(where))
    assert result.exit_code == 0, result.output
    [path] = where.glob("kopz-backup-*.tar")
    assert f"Backup written: {path}" in result.output
    return path


def parts_of(path: Path) -> dict[str, bytes]:
    """Each part of a backup file by name."""
    with tarfile.open(path) as tar:
        return {member.name: tar.extractfile(member).read() for member in tar.getmembers()}


def write_parts(path: Path, parts: dict[str, bytes]) -> None:
    """The backup file made again of these parts (as someone who altered it would)."""
    with tarfile.open(path, "w") as tar:
        for name, data in parts.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_a_restored_backup_gives_back_every_balance_statement_order_and_photo(app, world, make_fresh, tmp_path):
    before = everything()
    assert before["photos"] and before["orders"] and any(before["statements"].values())
    path = take_backup(app, tmp_path / "backups")
    with tarfile.open(path) as tar:
        assert tar.getnames()[0] == "manifest.json"
        manifest = json.loads(tar.extractfile("manifest.json").read())
    assert manifest["dialect"] == _db.engine.dialect.name
    assert manifest["revision"] == manifest["code_head"] == migrations().get_current_head()
    assert manifest["counts"]["market_order"] == 1 and manifest["counts"]["loan"] == 1
    assert manifest["parts"]["media"]["files"] >= 3  # the photo's two sizes and the document

    fresh = make_fresh()
    result = run(fresh, "restore", str(path))
    assert result.exit_code == 0, result.output
    assert "checksums match" in result.output and "Ledger OK" in result.output
    with fresh.app_context():
        assert everything() == before
        assert books_check.check() == []
        assert _db.session.scalar(sa.text("SELECT version_num FROM alembic_version")) == manifest["revision"]
        _db.session.remove()


def test_a_damaged_backup_is_refused_and_nothing_is_restored(app, world, make_fresh, tmp_path):
    path = take_backup(app, tmp_path / "backups")
    parts = parts_of(path)
    manifest = json.loads(parts["manifest.json"])
    database = manifest["parts"]["database"]["name"]
    damaged = bytearray(parts[database])
    damaged[len(damaged) // 2] ^= 0x01  # one bit
    write_parts(path, {**parts, database: bytes(damaged)})

    fresh = make_fresh()
    result = run(fresh, "restore", str(path))
    assert result.exit_code == 1
    assert f"is damaged or was altered: {database} does not match its SHA-256" in result.output
    with fresh.app_context():
        assert sa.inspect(_db.engine).get_table_names() == []
        _db.engine.dispose()


def test_a_database_with_rows_is_refused_unless_forced(app, world, make_fresh, tmp_path):
    before = everything()
    path = take_backup(app, tmp_path / "backups")
    fresh = make_fresh()
    assert run(fresh, "restore", str(path)).exit_code == 0
    with fresh.app_context():  # someone used the restored database
        siti_id, teller_id = world
        _db.session.info[WRITES] = True
        savings.deposit(_db.session.get(Membership, siti_id), "sukarela", 5_000, "cash", _db.session.get(User, teller_id))
        _db.session.commit()
        _db.session.remove()

    result = run(fresh, "restore", str(path))
    assert result.exit_code == 1
    assert "The database is not empty" in result.output and "--force" in result.output
    with fresh.app_context():
        assert ledger.balances(siti_id)["sukarela"] == before["savings"][siti_id]["sukarela"] + 5_000
        _db.session.remove()

    result = run(fresh, "restore", "--force", str(path))
    assert result.exit_code == 0, result.output
    with fresh.app_context():
        assert everything() == before
        _db.session.remove()


def test_a_backup_taken_while_money_is_posted_is_consistent(app, world, make_fresh, tmp_path):
    """A teller keeps posting deposits (another thread, its own connection) all through the backup command:
    the restored books prove and hold a whole number of those deposits, as many as the manifest counted."""
    siti_id, teller_id = world
    start = everything()["savings"][siti_id]["sukarela"]
    stop, posted, failed = threading.Event(), [], []

    def teller():
        with app.app_context():
            _db.session.info[WRITES] = True
            try:
                while not stop.is_set():
                    savings.deposit(_db.session.get(Membership, siti_id), "sukarela", 1_000, "cash",
                                    _db.session.get(User, teller_id))
                    _db.session.commit()
                    posted.append(1)
            except Exception as error:  # noqa: BLE001  (reported below)
                failed.append(error)
            finally:
                _db.session.remove()

    def wait_for(n: int) -> None:
        for _ in range(3000):
            if len(posted) >= n or failed:
                return
            time.sleep(0.01)

    thread = threading.Thread(target=teller)
    thread.start()
    try:
        wait_for(3)
        path = take_backup(app, tmp_path / "backups")
        after_backup = len(posted)
        wait_for(after_backup + 3)
    finally:
        stop.set()
        thread.join()
    assert not failed, failed
    assert len(posted) > after_backup >= 3  # deposits went on around the backup

    fresh = make_fresh()
    result = run(fresh, "restore", str(path))
    assert result.exit_code == 0, result.output
    counts = json.loads(parts_of(path)["manifest.json"])["counts"]
    with fresh.app_context():
        assert books_check.check() == []
        restored = ledger.balances(siti_id)["sukarela"]
        assert (restored - start) % 1_000 == 0 and 3_000 <= restored - start <= len(posted) * 1_000
        assert _db.session.scalar(sa.select(sa.func.count()).select_from(sa.table("entry"))) == counts["entry"]
        _db.session.remove()


def test_a_backup_of_the_other_kind_of_database_is_refused(app, world, make_fresh, tmp_path):
    path = take_backup(app, tmp_path / "backups")
    parts = parts_of(path)
    manifest = json.loads(parts["manifest.json"])
    other = "postgresql" if manifest["dialect"] == "sqlite" else "sqlite"
    write_parts(path, {**parts, "manifest.json": json.dumps({**manifest, "dialect": other}).encode()})
    result = run(make_fresh(), "restore", str(path))
    assert result.exit_code == 1
    assert (f"This backup is of a {other} database and the app's database is {manifest['dialect']}" in result.output
            and "not supported" in result.output)


@pytest.mark.sqlite_only
def test_a_backup_of_an_older_migration_is_upgraded_and_one_of_a_newer_kopz_refused(app, make_fresh, tmp_path):
    head = migrations().get_current_head()
    older = migrations().get_revision(head).down_revision
    old = make_fresh()
    with old.app_context():
        upgrade(revision=older)
    path = take_backup(old, tmp_path / "old")
    fresh = make_fresh()
    result = run(fresh, "restore", str(path))
    assert result.exit_code == 0, result.output
    assert f"Upgraded from migration {older} to {head}" in result.output
    with fresh.app_context():
        assert _db.session.scalar(sa.text("SELECT version_num FROM alembic_version")) == head
        _db.session.remove()

    with old.app_context():
        upgrade()
        _db.session.execute(sa.text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
        _db.session.commit()
        _db.session.remove()
    path = take_backup(old, tmp_path / "newer")
    result = run(make_fresh(), "restore", str(path))
    assert result.exit_code == 1
    assert "at migration 9999_from_the_future, which this Kopz does not know" in result.output


def test_the_libpq_url_has_no_driver_and_no_password():
    url, env = libpq(sa.make_url("postgresql+psycopg://kopz:s3cret@db:5432/kopz?sslmode=require"))
    assert url == "postgresql://kopz@db:5432/kopz?sslmode=require"
    assert env["PGPASSWORD"] == "s3cret"
    url, env = libpq(sa.make_url("postgresql+psycopg://postgres@127.0.0.1:5432/kopz"))
    assert url == "postgresql://postgres@127.0.0.1:5432/kopz" and env.get("PGPASSWORD") == os.environ.get("PGPASSWORD")
