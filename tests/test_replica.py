"""Reads that may lag come from a real streaming replica; writes and a writer's own reads from the primary.

The module makes its own PostgreSQL primary and replica (``initdb``, ``pg_basebackup -R``: deploy/postgres.py),
apart from the tests' database. With replay paused on the replica, a public page shows the old data (so it
was read there) while the primary already has the new: that is how each test tells the two apart."""

from __future__ import annotations

import socket

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from deploy import postgres
from models.accounts import User
from models.koperasi import Koperasi
from tests.conftest import IsolatedClient, empty_tables, login, require
from web import create_app
from web.extensions import db
from web.replica import FRESH_COOKIE, replica

pytestmark = pytest.mark.postgres_only


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def servers():
    """A primary and its streaming replica, for this module only."""
    require(postgres.available(), "the PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) are not installed")
    with postgres.scratch_primary("kopz-replica-test-", _free_port(), durable=False) as (folder, primary):
        yield primary, postgres.make_replica(primary, folder / "replica", _free_port())


@pytest.fixture(scope="module")
def replicated(app, servers, tmp_path_factory):
    """The app with DATABASE_REPLICA_URL set, on the module's primary."""
    primary, standby = servers
    tmp = tmp_path_factory.mktemp("replicated")
    app = create_app({"SQLALCHEMY_DATABASE_URI": primary.url("kopz"), "DATABASE_REPLICA_URL": standby.url("kopz"),
                      "STATIC_BUILD_DIR": str(tmp / "static-build"), "MEDIA_DIR": str(tmp / "media"),
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "WTF_CSRF_ENABLED": False, "REDIS_URL": None,
                      "REPLICA_RETRY_SECONDS": 60},
                     env="testing")
    app.test_client_class = IsolatedClient
    with app.app_context():
        upgrade()
        yield app
        db.engine.dispose()
        replica().engine.dispose()


@pytest.fixture
def ctx(replicated, servers):
    """This test's data on the module's primary, replay running, emptied afterwards."""
    primary, standby = servers
    with replicated.app_context():
        yield
        if standby.running():
            standby.sql("SELECT pg_wal_replay_resume()")
        db.session.rollback()
        empty_tables()


@pytest.fixture
def lagging(servers):
    """Call to stop the replica replaying the primary (after it has caught up): it now lags."""
    primary, standby = servers

    def pause() -> None:
        postgres.caught_up(primary, standby)
        standby.sql("SELECT pg_wal_replay_pause()")

    return pause


def _rename(koperasi: Koperasi, name: str) -> None:
    db.session.execute(sa.update(Koperasi).where(Koperasi.id == koperasi.id).values(name=name))
    db.session.commit()


def test_a_public_page_lags_with_the_replica_and_a_private_page_does_not(
        replicated, ctx, lagging, make_koperasi, make_member, make_user):
    koperasi = make_koperasi(name="Koperasi Lama Jaya")
    member = make_user(full_name="Rina Marlina")
    make_member(koperasi, member)
    visitor, own = replicated.test_client(), replicated.test_client()
    login(own, member)
    own.delete_cookie(FRESH_COOKIE)  # as if the login were long ago
    lagging()
    _rename(koperasi, "Koperasi Baru Makmur")

    public = visitor.get(f"/k/{koperasi.slug}").text
    assert "Koperasi Lama Jaya" in public and "Koperasi Baru Makmur" not in public  # read on the replica
    assert "Koperasi Lama Jaya" in own.get(f"/k/{koperasi.slug}").text  # a logged-in reader too
    assert "Koperasi Baru Makmur" in own.get("/cards").text  # the member's own page: the primary
    # reading sets no "just wrote" cookie (that would make public pages uncacheable for this visitor)
    assert not any(FRESH_COOKIE in c for c in visitor.get("/market").headers.getlist("Set-Cookie"))


def test_a_write_goes_to_the_primary_and_its_writer_reads_it_back(
        replicated, ctx, lagging, make_koperasi, make_member, make_user):
    koperasi = make_koperasi(name="Koperasi Lama Jaya")
    member = make_user(full_name="Rina Marlina")
    make_member(koperasi, member)
    own = login(replicated.test_client(), member)
    own.delete_cookie(FRESH_COOKIE)
    lagging()

    changed = own.post("/account", data={"form": "profile", "full_name": "Rina Marlina Putri", "mobile": member.mobile,
                                        "email": ""})
    assert changed.status_code == 303, changed.text  # a read-only replica would have refused it
    assert FRESH_COOKIE in changed.headers["Set-Cookie"]
    assert db.session.scalar(sa.select(User.full_name).where(User.id == member.id)) == "Rina Marlina Putri"
    _rename(koperasi, "Koperasi Baru Makmur")
    assert "Koperasi Baru Makmur" in own.get(f"/k/{koperasi.slug}").text  # after a write: the primary
    assert "Koperasi Lama Jaya" in replicated.test_client().get(f"/k/{koperasi.slug}").text  # others: the replica


def test_a_session_ended_on_the_primary_is_refused_though_the_replica_still_has_it_open(
        replicated, ctx, servers, lagging, make_koperasi, make_member, make_user):
    from models.sessions import UserSession

    koperasi = make_koperasi(name="Koperasi Lama Jaya")
    member = make_user(full_name="Rina Marlina")
    make_member(koperasi, member)
    phone = login(replicated.test_client(), member)
    copy = replicated.test_client()
    copy.set_cookie("session", phone.get_cookie("session").value)
    for client in (phone, copy):
        client.delete_cookie(FRESH_COOKIE)  # as if the login were long ago: public pages read the replica
    postgres.caught_up(*servers)
    assert "csrf-token" in copy.get(f"/k/{koperasi.slug}").text  # signed in on a public page
    lagging()
    assert phone.post("/logout").status_code == 303

    with replica().engine.connect() as conn:  # the replica has not seen the logout yet
        assert conn.scalar(sa.select(sa.func.count()).select_from(UserSession).where(
            UserSession.user_id == member.id, UserSession.ended_at.is_(None))) == 1
    public = copy.get(f"/k/{koperasi.slug}")  # a page read from the replica: the session is checked on the primary
    assert public.status_code == 200 and "Koperasi Lama Jaya" in public.text
    assert "csrf-token" not in public.text and "Rina Marlina" not in public.text
    assert copy.get("/account").status_code == 303


def test_with_the_replica_stopped_public_pages_come_from_the_primary(
        replicated, ctx, servers, make_koperasi):
    primary, standby = servers
    koperasi = make_koperasi(name="Koperasi Lama Jaya")
    visitor = replicated.test_client()
    postgres.caught_up(primary, standby)
    assert visitor.get(f"/k/{koperasi.slug}").status_code == 200  # a pooled replica connection, now to die
    standby.stop("fast")
    _rename(koperasi, "Koperasi Baru Makmur")

    for path in (f"/k/{koperasi.slug}", "/koperasi", "/market", "/"):
        response = visitor.get(path)
        assert response.status_code == 200, path
    assert "Koperasi Baru Makmur" in visitor.get(f"/k/{koperasi.slug}").text
    assert not replica().usable()  # remembered: the next requests do not try it again
