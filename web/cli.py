"""``flask --app wsgi …`` commands: admin accounts, demo data, ledger check, month end, due reminders,
translations, ballot tables."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
from flask import Flask, current_app

from models.accounts import create_admin
from models.errors import DomainError
from models.ledger import Entry
from models.voting_results import rewrite
from web.config import ROOT
from web.database import WRITES
from web.extensions import db


@click.command("create-admin")
@click.option("--name", prompt=True)
@click.option("--mobile", prompt=True)
@click.option("--email", default="")
@click.password_option()
def create_admin_command(name: str, mobile: str, email: str, password: str) -> None:
    """Create a platform administrator (or promote an existing account)."""
    db.session.info[WRITES] = True
    try:
        user = create_admin(name, mobile, password, email or None)
    except DomainError as error:
        raise click.ClickException(str(error.message)) from error
    db.session.commit()
    click.echo(f"Platform admin: {user.full_name} ({user.mobile})")


@click.command("demo-data")
def demo_data_command() -> None:
    """Load demo data; running it again adds nothing. Refused in production: its accounts share a
    published password."""
    from web.demo import load

    if current_app.config["KOPZ_ENV"] == "production":
        raise click.ClickException("demo-data is for development: its accounts' password is published in the "
                                   "README. Not loaded into a production database.")

    db.session.info[WRITES] = True
    added = load()
    db.session.commit()
    click.echo("Demo data: " + (", ".join(f"{n} {k}" for k, n in added.items() if n) or "already loaded"))


@click.command("bench-data")
@click.option("--scale", type=click.Choice(["national", "mid", "small", "tiny"]), default="small", show_default=True,
              help="national: 130,000 koperasi, 1,000,000 members, 500,000 products, 5,000,000 journal lines.")
@click.option("--manifest", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the benchmark's manifest (default: instance/perf/manifest-<scale>.json).")
def bench_data_command(scale: str, manifest: Path | None) -> None:
    """Fill an empty, migrated PostgreSQL database with benchmark data (COPY): balanced books, stock that
    matches orders, koperasi spread over Indonesia's populated areas (web/bench_data.py)."""
    from flask import current_app

    from web.bench_data import Refused, generate
    from web.config import INSTANCE

    try:
        result = generate(db.engine, scale, current_app.config.get("PASSWORD_HASH_METHOD", "scrypt"),
                          manifest or INSTANCE / "perf" / f"manifest-{scale}.json", echo=click.echo)
    except Refused as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Benchmark data ({scale}) in {result['seconds']['total']} s: "
               + ", ".join(f"{n:,} {table}" for table, n in result["rows"].items()))


@click.command("ledger-check")
def ledger_check_command() -> None:
    """Prove the books: every entry balances, every cached balance equals its lines."""
    import sqlalchemy as sa

    from models.books_check import check
    from models.ledger import Line, SavingsBalance

    _stop_on(check(), "Ledger check FAILED")
    entries, lines, cached = (db.session.scalar(sa.select(sa.func.count()).select_from(table))
                              for table in (Entry, Line, SavingsBalance))
    click.echo(f"Ledger OK: {entries} entries, {lines} lines, all balanced; {cached} cached balances match.")


def _stop_on(problems: list[str], failed: str) -> None:
    """Print each problem of a books check, then ``failed`` with their number, and exit 1; nothing if none."""
    if problems:
        for problem in problems:
            click.echo(problem)
        click.echo(f"{failed}: {len(problems)} problem(s).")
        sys.exit(1)


@click.command("backup")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="A file name ending in .tar, or a folder (made if need be) for kopz-backup-<UTC timestamp>.tar "
                   "(default: the working directory).")
def backup_command(out: Path | None) -> None:
    """Back up the database (SQLite's online backup, or pg_dump) and the media folder into one tar file with a
    manifest (revision, row counts, SHA-256 of each part); safe while the app runs (web/backup.py)."""
    from flask import current_app

    from web.backup import Refused, backup

    try:
        done = backup(db.engine, current_app.config["MEDIA_DIR"], out, echo=click.echo)
    except Refused as error:
        raise click.ClickException(str(error)) from error
    counts = done.manifest["counts"]
    click.echo(f"Backup written: {done.path} ({done.path.stat().st_size:,} bytes) in {done.seconds['total']} s; "
               f"revision {done.manifest['revision']}, {counts.get('entry', 0):,} entries, "
               f"{counts.get('line', 0):,} lines, {counts.get('membership', 0):,} memberships.")


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Delete everything in the app's database first (it must be empty otherwise).")
def restore_command(path: Path, force: bool) -> None:
    """Restore a backup into the app's empty database and media folder: the checksums first, then the database,
    the files, an upgrade to this code's migrations if the backup is older, and the ledger check (web/backup.py)."""
    import time

    from flask import current_app
    from flask_migrate import upgrade

    from models.books_check import check
    from web.backup import Refused, migrations, restore

    db.session.remove()
    try:
        manifest = restore(db.engine, current_app.config["MEDIA_DIR"], path, force=force, echo=click.echo)
    except Refused as error:
        raise click.ClickException(str(error)) from error
    head = migrations().get_current_head()
    if manifest["revision"] != head:
        started = time.perf_counter()
        upgrade()
        click.echo(f"Upgraded from migration {manifest['revision']} to {head} ({time.perf_counter() - started:.2f} s).")
    db.session.remove()
    started = time.perf_counter()
    _stop_on(check(), "Restored, but the ledger check FAILED")
    counts = manifest["counts"]
    click.echo(f"Ledger OK ({time.perf_counter() - started:.2f} s): {counts.get('entry', 0):,} entries, "
               f"{counts.get('line', 0):,} lines, all balanced. Restore done.")


@click.command("month-end")
@click.option("--koperasi", "slug", default=None, help="One koperasi's slug (default: every verified koperasi).")
@click.option("--month", default=None, help="YYYY-MM, a month that has ended (default: the month that just ended).")
def month_end_command(slug: str | None, month: str | None) -> None:
    """Close a month: savings interest and its tax, dues bills, dues autopay (models.month_end.STEPS)."""
    import sqlalchemy as sa

    from models import months
    from models.koperasi import Koperasi, Status
    from models.month_end import run_month_end

    db.session.info[WRITES] = True
    query = sa.select(Koperasi).order_by(Koperasi.id)
    query = query.where(Koperasi.slug == slug) if slug else query.where(Koperasi.status == Status.VERIFIED)
    chosen = months.parse(month) if month else None
    if month and chosen is None:
        raise click.ClickException("--month is YYYY-MM, e.g. 2026-03")
    ids = db.session.scalars(query.with_only_columns(Koperasi.id)).all()
    if slug and not ids:
        raise click.ClickException(f"no koperasi {slug!r}")
    failed = False
    for koperasi_id in ids:  # one transaction per koperasi: a crash keeps the ones done (and a rerun skips them)
        koperasi = db.session.get(Koperasi, koperasi_id)
        target = chosen or months.last_ended(koperasi)
        try:
            outcomes = run_month_end(koperasi, target)
        except DomainError as error:
            db.session.rollback()
            click.echo(f"{koperasi.slug} {months.label(target)}: {error.message}")
            failed = True
            continue
        db.session.commit()
        for outcome in outcomes:
            failed = failed or outcome.error is not None
            click.echo(f"{koperasi.slug} {months.label(target)} {outcome.name}: "
                       f"{outcome.error or _summary(outcome.summary)}")
    if failed:
        sys.exit(1)


def _summary(summary) -> str:
    """One step's result as a line of the log."""
    if isinstance(summary, int):
        return f"{summary} made"
    if summary is None:
        return "nothing to post"
    if isinstance(summary, Entry):  # a posting step (the loan-loss allowance)
        return f"entry {summary.ref}, Rp{summary.total:,}".replace(",", ".")
    fields = getattr(summary, "__dataclass_fields__", {})
    return ", ".join(f"{name} {len(value) if isinstance(value, list) else value}"
                     for name in fields if not isinstance(value := getattr(summary, name), dict))


@click.command("notify-due")
@click.option("--today", default=None, help="YYYY-MM-DD (default: today in WIB).")
def notify_due_command(today: str | None) -> None:
    """Send the due reminders: instalments due in 3 days or overdue, simpanan pokok still owed.
    Running it twice the same day sends nothing twice (models.reminders)."""
    from datetime import date

    from sqlalchemy.exc import IntegrityError

    from models.jobs import run_ready
    from models.reminders import send_due
    from models.zones import WIB

    db.session.info[WRITES] = True
    try:
        day = date.fromisoformat(today) if today else WIB.today()
    except ValueError as error:
        raise click.ClickException("--today is YYYY-MM-DD, e.g. 2026-03-05") from error
    try:
        sent = send_due(day)
        db.session.commit()
    except IntegrityError:  # another run sent some at this very moment (uq_notification_once): once more, skipping them
        db.session.rollback()
        sent = send_due(day)
        db.session.commit()
    run_ready()  # inline (no Redis): their pushes now
    click.echo(f"Reminders {day.isoformat()}: " + ", ".join(f"{kind} {sent[kind]}" for kind in (
        "instalment_due", "instalment_overdue", "pokok_due")) + f" ({sum(sent.values())} sent)")


@click.command("purge-documents")
def purge_documents_command() -> None:
    """Delete the KTP photos of applications decided longer ago than their koperasi keeps them
    (file and row; models.documents.purge_ktp). Run it daily; a second run deletes nothing more."""
    from models.base import utcnow
    from models.documents import KTP_FOLDER, purge_ktp
    from web.media import folder

    db.session.info[WRITES] = True
    gone = purge_ktp(utcnow(), folder(KTP_FOLDER))
    db.session.commit()
    click.echo(f"KTP photos deleted: {gone}")


@click.command("topups-expire")
def topups_expire_command() -> None:
    """Mark top-up requests past their time as expired (they read as expired already; optional, e.g. daily)."""
    from models.topups import expire_stale

    db.session.info[WRITES] = True
    gone = expire_stale()
    db.session.commit()
    click.echo(f"Top-up requests expired: {gone}")


@click.command("sessions-cleanup")
@click.option("--keep-days", type=click.IntRange(0, 3650), default=30, show_default=True,
              help="Keep ended or expired sessions this many days (the account's devices and the admin see them).")
def sessions_cleanup_command(keep_days: int) -> None:
    """Delete the rows of sign-in sessions that ended or expired (run daily, e.g. from cron)."""
    from datetime import timedelta

    from models.sessions import cleanup

    db.session.info[WRITES] = True
    deleted = cleanup(timedelta(days=keep_days))
    db.session.commit()
    click.echo(f"Sessions deleted: {deleted}")


@click.command("rotate-data-key")
def rotate_data_key_command() -> None:
    """Re-encrypt every piece of personal data with the first key of KOPZ_DATA_KEYS and recompute the
    NIK's keyed hash with KOPZ_DATA_HASH_KEY (models.crypto). To rotate: put the new key first (keep
    the old one after it), run this, then drop the old key. A value no key opens stops it, changing nothing."""
    from models.crypto import rotate
    from models.membership import rehash_niks

    db.session.info[WRITES] = True
    done = rotate(db.session.connection(), db.metadata, rehash=(rehash_niks,))
    db.session.commit()
    click.echo("Re-encrypted with the first key: " + ", ".join(f"{table} {rows}" for table, rows in done.items()))


@click.command("translate")
@click.option("--compile-only", is_flag=True, help="Only build the .mo files.")
def translate_command(compile_only: bool) -> None:
    """Extract messages, update the id and en catalogs, compile them."""
    translations = ROOT / "translations"
    pot = translations / "messages.pot"

    def babel(*args: str) -> None:
        subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True, cwd=ROOT)

    if not compile_only:
        babel("extract", "-F", "babel.cfg", "-k", "_l", "--no-location", "--sort-output",
              "-o", str(pot), "web", "models", "views", "templates",
              "templates/_ui")  # babel skips folders named _…: the shared macros' strings too
        babel("update", "-i", str(pot), "-d", str(translations), "--no-fuzzy-matching",
              "--ignore-obsolete")
        _english_is_the_source(translations / "en" / "LC_MESSAGES" / "messages.po")
    babel("compile", "-d", str(translations), "--statistics")


def _english_is_the_source(po_path: Path) -> None:
    """Messages are written in English, so the en catalog repeats each one."""
    from babel.messages.pofile import read_po, write_po

    with po_path.open("rb") as f:
        catalog = read_po(f, locale="en")
    for message in catalog:
        if message.id and not message.string:
            message.string = message.id
    with po_path.open("wb") as f:
        write_po(f, catalog, width=100, sort_output=True, no_location=True)


@click.command("ballots-rewrite")
def ballots_rewrite_command() -> None:
    """Rewrite the ballot tables (PostgreSQL): one transaction stamp for every row, then the rows in
    random-key order, so neither follows the order of voting. The worker does it when each vote closes;
    without Redis (no worker) run it after a vote closes, or nightly (models/voting.py)."""
    done = rewrite()
    click.echo("Ballot tables rewritten in key order." if done else "Nothing to do: SQLite keeps ballots in key order.")


@click.command("health")
@click.argument("slug")
@click.option("--year", type=int, default=None, help="The book year (default: the newest closed one).")
def health_command(slug: str, year: int | None) -> None:
    """Print a koperasi's health rating with every ratio's inputs (models/health.py)."""
    import sqlalchemy as sa

    from models import health
    from models.koperasi import Koperasi

    koperasi = db.session.scalar(sa.select(Koperasi).where(Koperasi.slug == slug))
    if koperasi is None or not health.applies(koperasi):
        raise click.ClickException("No savings-and-loans koperasi with that slug.")
    closed = health.closed_years(koperasi)
    year = year or (closed[0] if closed else health.years_of(koperasi)[0])
    rating = health.rate(koperasi, year)
    click.echo(f"{koperasi.name}, book year {year}{' (to date)' if rating.to_date else ''}: "
               f"{rating.total_centi / 100:.2f} / 100, {health.CATEGORY_LABELS[rating.category]}")
    for aspect in rating.aspects:
        click.echo(f"\n{aspect.label}: {aspect.score_centi / 100:.2f} / {aspect.weight}")
        for r in aspect.ratios:
            value = "-" if r.value is None else f"{float(r.value):.2f} %"
            click.echo(f"  {r.label}: {value}; row {r.band.text} -> nilai {r.nilai} x {r.weight} % "
                       f"= {r.score_centi / 100:.2f}")
            for label, amount in r.inputs:
                click.echo(f"      {label}: Rp{amount:,}".replace(f"Rp{amount:,}", f"Rp{amount:,}".replace(",", ".")))
        for c in aspect.components:
            click.echo(f"  {c.label}: {len(c.yes)} of {len(c.questions)} yes = {c.score_centi / 100:.2f} / 3")


def init_app(app: Flask) -> None:
    for command in (create_admin_command, demo_data_command, bench_data_command, ledger_check_command, month_end_command,
                    notify_due_command, translate_command, ballots_rewrite_command, purge_documents_command,
                    health_command, backup_command, restore_command, sessions_cleanup_command,
                    rotate_data_key_command, topups_expire_command):
        app.cli.add_command(command)
