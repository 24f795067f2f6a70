"""CLI commands: create-admin, demo-data, and the migrations behind them."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from models.accounts import User
from models.catalogue import include_name


def test_create_admin(app, db):
    result = app.test_cli_runner().invoke(
        args=["create-admin", "--name", "Ops Kopz", "--mobile", "0811 2233 4455", "--password", "admin-sandi-1"])
    assert result.exit_code == 0, result.output
    admin = db.session.scalar(sa.select(User).where(User.mobile == "+6281122334455"))
    assert admin.is_platform_admin and admin.check_password("admin-sandi-1")


def test_create_admin_promotes_an_existing_account(app, db, make_user):
    user = make_user(mobile="081122334455")
    result = app.test_cli_runner().invoke(
        args=["create-admin", "--name", "X", "--mobile", "+6281122334455", "--password", "whatever-1"])
    assert result.exit_code == 0
    db.session.refresh(user)
    assert user.is_platform_admin


def test_create_admin_rejects_a_bad_number(app, db):
    result = app.test_cli_runner().invoke(
        args=["create-admin", "--name", "X", "--mobile", "123", "--password", "whatever-1"])
    assert result.exit_code != 0 and "nomor HP" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def _counts(db):
    return {t.name: db.session.execute(sa.select(sa.func.count()).select_from(t)).scalar()
            for t in db.metadata.sorted_tables}


def test_demo_data_is_idempotent(app, db, demo):  # ``demo``: the command's first run, on an empty database
    runner = app.test_cli_runner()
    first = _counts(db)
    assert first["user_account"] >= 3
    second = runner.invoke(args=["demo-data"])
    assert second.exit_code == 0 and "already loaded" in second.output
    assert _counts(db) == first
    books = runner.invoke(args=["ledger-check"])  # every demo posting is a balanced entry
    assert books.exit_code == 0 and "Ledger OK" in books.output, books.output


def test_demo_data_is_refused_in_production(app, db, monkeypatch):
    """Its accounts share the password printed in the README: never in a production database."""
    monkeypatch.setitem(app.config, "KOPZ_ENV", "production")
    result = app.test_cli_runner().invoke(args=["demo-data"])
    assert result.exit_code != 0 and "production" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_migrations_match_the_models(app, db):
    """The migrated schema (built in conftest with `flask db upgrade`) equals the models."""
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"include_name": include_name}), db.metadata)
    assert diff == []
