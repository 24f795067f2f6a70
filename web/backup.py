"""Backups of the database and the media folder, and their restore (``flask --app wsgi backup`` / ``restore``).

A backup is one uncompressed tar file, ``kopz-backup-<UTC timestamp>.tar``, of three parts:

- ``manifest.json``: the format (1), when it was taken, the database's dialect and its alembic revision
  (and the code's head then), the row counts of the key tables, and each other part's size and SHA-256;
- the database: ``database.sqlite`` (SQLite's online backup API in one step: a copy of one moment,
  taken while the app goes on writing) or ``database.pgdump`` (``pg_dump --format=custom``, already
  compressed). On PostgreSQL the counts and the revision are read in a REPEATABLE READ transaction
  whose snapshot pg_dump takes over (``--snapshot``): the manifest describes exactly what was dumped;
- ``media.tar``: every file of the media folder (``MEDIA_DIR``: product photos, documents, KTP photos,
  RAT PDFs), taken *after* the database, so every file a row of the copy names is there (files are
  content-addressed and only removed once no row names them; one removed between the two steps, a
  replaced photo older than an hour or a purged KTP, would be missing, which is what the purge meant).

A restore goes into an empty database only (``--force`` empties it first), checks every part's
SHA-256 before touching anything (a damaged or altered backup is refused), refuses a backup of the
other dialect (SQLite to PostgreSQL or back is not supported) and one of a newer Kopz (a revision
this code does not know), restores the database, compares the key tables' counts with the manifest,
then writes the media files (over what is there: same name, same bytes). The command then upgrades
an older revision to the code's head (``flask db upgrade``) and proves the books (``ledger-check``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine, make_url

from models.accounts import User
from models.koperasi import Koperasi
from models.ledger import Account, AccountDay, Entry, Line, SavingsBalance
from models.loans import Instalment, Loan
from models.market import Product, ProductPhoto
from models.membership import Membership
from models.orders import Order, OrderItem
from web.config import ROOT

FORMAT = 1
MANIFEST = "manifest.json"
MEDIA = "media.tar"
DATABASE = {"sqlite": "database.sqlite", "postgresql": "database.pgdump"}
KEY_TABLES = tuple(model.__table__.name for model in (
    User, Koperasi, Membership, Account, AccountDay, Entry, Line, SavingsBalance, Loan, Instalment, Product,
    ProductPhoto, Order, OrderItem))
CHUNK = 1024 * 1024


class Refused(Exception):
    """The backup or restore cannot be done; the message says why and what to do."""


@dataclass
class Done:
    path: Path
    manifest: dict
    seconds: dict[str, float]


def default_name(now: datetime | None = None) -> str:
    return f"kopz-backup-{(now or datetime.now(UTC)):%Y%m%dT%H%M%SZ}.tar"


def migrations() -> ScriptDirectory:
    return ScriptDirectory(str(ROOT / "migrations"))


# ---------------------------------------------------------------- backup

def backup(engine: Engine, media_dir: str | Path, out: Path | None, echo: Callable[[str], None] = print) -> Done:
    """Write a backup of the app's database and media folder to ``out`` (a file, or a folder to put
    ``kopz-backup-<UTC timestamp>.tar`` in; a name ending in .tar is a file; default: the working directory)."""
    dialect = engine.dialect.name
    if dialect not in DATABASE:
        raise Refused(f"Backups cover SQLite and PostgreSQL, not {dialect}.")
    now = datetime.now(UTC)
    target = Path(out) if out else Path.cwd()
    if target.suffix != ".tar":  # a folder (made if need be) for the file of the usual name
        target.mkdir(parents=True, exist_ok=True)
        target = target / default_name(now)
    if target.exists():
        raise Refused(f"{target} exists already: choose another name.")
    target.parent.mkdir(parents=True, exist_ok=True)
    seconds: dict[str, float] = {}
    begun = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=".kopz-backup-", dir=target.parent) as work:
        work = Path(work)
        database = work / DATABASE[dialect]
        started = time.perf_counter()
        if dialect == "sqlite":
            revision, counts = _dump_sqlite(engine, database)
        else:
            revision, counts = _dump_postgresql(engine, database)
        seconds["database"] = round(time.perf_counter() - started, 2)
        echo(f"Database: {_size(database.stat().st_size)} in {seconds['database']} s")
        started = time.perf_counter()
        media = work / MEDIA
        files, media_bytes = _tar_media(Path(media_dir), media)
        seconds["media"] = round(time.perf_counter() - started, 2)
        echo(f"Media: {files} files, {_size(media_bytes)} in {seconds['media']} s")
        manifest = {
            "kopz_backup": FORMAT,
            "created_at": now.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "dialect": dialect,
            "revision": revision,
            "code_head": migrations().get_current_head(),
            "counts": counts,
            "parts": {
                "database": {"name": database.name, "bytes": database.stat().st_size, "sha256": _sha256(database)},
                "media": {"name": MEDIA, "bytes": media.stat().st_size, "sha256": _sha256(media), "files": files},
            },
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        partial = work / "backup.tar"
        with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar:
            for name in (MANIFEST, database.name, MEDIA):  # the manifest first: a reader meets it before the rest
                tar.add(work / name, arcname=name, recursive=False)
        os.chmod(partial, 0o600)  # members' personal data: the operator's eyes only
        os.replace(partial, target)  # whole or not at all: a half-written backup never carries the final name
    seconds["total"] = round(time.perf_counter() - begun, 2)  # with the checksums and the outer tar
    return Done(target, manifest, seconds)


def _dump_sqlite(engine: Engine, dest: Path) -> tuple[str | None, dict[str, int]]:
    """SQLite's online backup API, all pages in one step: one read transaction, so one moment's
    database, while the app's writers go on (WAL)."""
    source_path = _sqlite_file(engine)
    if not source_path.is_file():
        raise Refused(f"No database file at {source_path}.")
    source = sqlite3.connect(source_path, timeout=30)
    copy = sqlite3.connect(dest)
    try:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        return _sqlite_revision(copy), _sqlite_counts(copy)
    finally:
        copy.close()
        source.close()


def _dump_postgresql(engine: Engine, dest: Path) -> tuple[str | None, dict[str, int]]:
    """pg_dump in the custom format, on a snapshot exported by a REPEATABLE READ transaction in which the
    revision and the counts are read: the manifest tells what the dump holds, while the app writes on."""
    url, env = libpq(engine.url)
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            snapshot = conn.scalar(sa.text("SELECT pg_export_snapshot()"))
            revision = _revision(conn)
            counts = _counts(conn)
            _run(["pg_dump", "--format=custom", f"--snapshot={snapshot}", f"--file={dest}", f"--dbname={url}"], env)
    return revision, counts


def _tar_media(media_dir: Path, dest: Path) -> tuple[int, int]:
    files = size = 0
    with tarfile.open(dest, "w", format=tarfile.PAX_FORMAT) as tar:
        if media_dir.is_dir():
            for path in sorted(media_dir.rglob("*")):
                if path.is_file() and not path.is_symlink() and not path.name.endswith(".tmp"):  # .tmp: a write under way
                    try:
                        info = tar.gettarinfo(path, arcname=str(path.relative_to(media_dir)))
                        with open(path, "rb") as f:
                            tar.addfile(info, f)
                    except FileNotFoundError:  # removed since the listing (no row names it any more)
                        continue
                    files += 1
                    size += info.size
    return files, size


# ---------------------------------------------------------------- restore

def restore(engine: Engine, media_dir: str | Path, path: Path, force: bool = False,
            echo: Callable[[str], None] = print) -> dict:
    """Restore the backup at ``path`` into the app's (empty) database and media folder; return its manifest.
    The caller upgrades an older revision and runs the ledger check (web/cli.py)."""
    path = Path(path)
    if not path.is_file():
        raise Refused(f"No backup at {path}.")
    dialect = engine.dialect.name
    with tempfile.TemporaryDirectory(prefix=".kopz-restore-") as work:
        work = Path(work)
        started = time.perf_counter()
        manifest = _unpack(path, work)
        echo(f"Backup of {manifest['created_at']} ({manifest['dialect']}, revision {manifest['revision']}): "
             f"checksums match ({time.perf_counter() - started:.2f} s)")
        if manifest["dialect"] != dialect:
            raise Refused(f"This backup is of a {manifest['dialect']} database and the app's database is {dialect}: "
                          "a restore goes into the same kind of database only (moving between SQLite and "
                          "PostgreSQL is not supported).")
        _known_revision(manifest["revision"])
        if not force and (filled := _filled_tables(engine)):
            raise Refused(f"The database is not empty ({', '.join(filled[:5])}{' …' if len(filled) > 5 else ''} "
                          "have rows): restore into a new, empty database, or add --force to delete everything "
                          "in it first.")
        database = work / manifest["parts"]["database"]["name"]
        started = time.perf_counter()
        if dialect == "sqlite":
            _restore_sqlite(engine, database)
        else:
            _restore_postgresql(engine, database)
        echo(f"Database restored in {time.perf_counter() - started:.2f} s")
        with engine.connect() as conn:
            counts = _counts(conn, manifest["counts"])
        if counts != manifest["counts"]:
            wrong = {t: (n, counts.get(t)) for t, n in manifest["counts"].items() if counts.get(t) != n}
            raise Refused(f"The restored database does not hold what the backup says (table: expected, found): {wrong}")
        started = time.perf_counter()
        media = Path(media_dir)
        media.mkdir(parents=True, exist_ok=True)
        with tarfile.open(work / MEDIA) as tar:
            tar.extractall(media, filter="data")  # no absolute names, no "..", no links out
        echo(f"Media: {manifest['parts']['media']['files']} files restored in {time.perf_counter() - started:.2f} s")
    return manifest


def _unpack(path: Path, work: Path) -> dict:
    """The backup's parts into ``work``, each checked against the manifest's SHA-256; the manifest."""
    try:
        with tarfile.open(path) as tar:
            members = {member.name: member for member in tar.getmembers()}
            if MANIFEST not in members:
                raise Refused(f"{path} is not a Kopz backup (no {MANIFEST}).")
            manifest = json.loads(tar.extractfile(members[MANIFEST]).read())
            if manifest.get("kopz_backup") != FORMAT:
                raise Refused(f"{path}: backup format {manifest.get('kopz_backup')!r}; this Kopz reads format {FORMAT}.")
            for part in manifest["parts"].values():
                member = members.get(part["name"])
                if part["name"] not in (*DATABASE.values(), MEDIA) or member is None or not member.isfile():
                    raise Refused(f"{path} is damaged: its part {part['name']} is missing.")
                digest = hashlib.sha256()
                with tar.extractfile(member) as source, open(work / part["name"], "wb") as out:
                    while chunk := source.read(CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                if digest.hexdigest() != part["sha256"]:
                    raise Refused(f"{path} is damaged or was altered: {part['name']} does not match its SHA-256 "
                                  "in the manifest. Nothing was restored; take another backup.")
    except (tarfile.TarError, EOFError, OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise Refused(f"{path} is damaged or not a Kopz backup ({error}). Nothing was restored.") from error
    return manifest


def _known_revision(revision: str | None) -> None:
    if revision is None:
        return
    try:
        found = migrations().get_revision(revision)
    except Exception:  # noqa: BLE001  (alembic raises several kinds for an unknown id)
        found = None
    if found is None:
        raise Refused(f"This backup is at migration {revision}, which this Kopz does not know: it was taken by a "
                      "newer version. Install that version (or newer) and restore with it.")


def _filled_tables(engine: Engine) -> list[str]:
    """The tables that hold rows (alembic's own apart)."""
    if engine.dialect.name == "sqlite" and not _sqlite_file(engine).exists():
        return []
    with engine.connect() as conn:
        names = sa.inspect(conn).get_table_names()
        return [name for name in sorted(names) if name != "alembic_version"
                and conn.execute(sa.select(sa.literal(1)).select_from(sa.table(name)).limit(1)).first()]


def _restore_sqlite(engine: Engine, database: Path) -> None:
    """Copy the backup into the configured file through the backup API (every page of the file is replaced,
    so a --force restore needs no emptying of its own)."""
    target = _sqlite_file(engine)
    target.parent.mkdir(parents=True, exist_ok=True)
    engine.dispose()
    source = sqlite3.connect(database)
    dest = sqlite3.connect(target, timeout=30)
    try:
        source.backup(dest)
        dest.execute("PRAGMA journal_mode=WAL")  # as the app runs it (web/database.py)
    finally:
        dest.close()
        source.close()
    engine.dispose()


def _restore_postgresql(engine: Engine, dump: Path) -> None:
    """Into an empty public schema (a schema that has tables is dropped and made again first: the check
    before made sure they are empty, or --force asked for it), in one transaction: all or nothing; then
    ANALYZE, as pg_restore leaves the tables without statistics."""
    url, env = libpq(engine.url)
    with engine.begin() as conn:
        if sa.inspect(conn).get_table_names():
            conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    engine.dispose()
    _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
          f"--dbname={url}", str(dump)], env)
    with engine.begin() as conn:  # a dump carries no planner statistics: without them the first queries plan blind
        conn.exec_driver_sql("ANALYZE")


# ---------------------------------------------------------------- shared

def libpq(url: sa.URL) -> tuple[str, dict[str, str]]:
    """The SQLAlchemy URL as a libpq one (no ``+psycopg``), and the environment for pg_dump/pg_restore:
    the password in PGPASSWORD, never on a command line (where ``ps`` shows it to everyone)."""
    url = make_url(url)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = sa.URL.create("postgresql", username=url.username, host=url.host, port=url.port, database=url.database,
                          query=url.query)  # (URL.set(password=None) keeps the password)
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str]) -> None:
    program = shutil.which(command[0], path=os.environ.get("KOPZ_PG_BIN") or None)
    if program is None:
        raise Refused(f"{command[0]} not found: install PostgreSQL's client programs of the server's major version "
                      "(Debian: postgresql-client-15), or set KOPZ_PG_BIN to their folder.")
    result = subprocess.run([program, *command[1:]], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise Refused(f"{command[0]} failed (exit {result.returncode}): {result.stderr.strip()}")


def _sqlite_file(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise Refused("The app's SQLite database is not a file: nothing to back up or restore into.")
    return Path(database)


def _revision(conn) -> str | None:
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.scalar(sa.text("SELECT version_num FROM alembic_version"))


def _counts(conn, tables=KEY_TABLES) -> dict[str, int]:
    present = set(sa.inspect(conn).get_table_names())
    return {name: conn.scalar(sa.select(sa.func.count()).select_from(sa.table(name)))
            for name in tables if name in present}


def _sqlite_revision(conn: sqlite3.Connection) -> str | None:
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'").fetchone():
        return None
    row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return row[0] if row else None


def _sqlite_counts(conn: sqlite3.Connection) -> dict[str, int]:
    present = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]  # noqa: S608  (our own table names)
            for name in KEY_TABLES if name in present}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _size(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 100_000 else f"{n / 1000:.1f} kB"
