"""A PostgreSQL primary and its streaming replica, made from scratch in a folder of their own
(``initdb``, then ``pg_basebackup -R``), on loopback ports: the scale-out cluster
(``python -m deploy.cluster``) and the replica tests (tests/test_replica.py) run on them.

They never touch the machine's own PostgreSQL. As root the servers run as the ``postgres``
OS user (PostgreSQL refuses root), in folders that user owns.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path


def bin_dir() -> Path | None:
    """The newest installed server's binaries (Debian: /usr/lib/postgresql/<version>/bin)."""
    if given := os.environ.get("KOPZ_PG_BIN"):
        return Path(given)
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def available() -> bool:
    found = bin_dir()
    return found is not None and all((found / tool).exists() for tool in ("initdb", "pg_ctl", "pg_basebackup"))


def run_as() -> str | None:
    """The OS user servers run as: ``postgres`` when we are root (PostgreSQL refuses root)."""
    return "postgres" if os.geteuid() == 0 else None


def own(path: Path) -> None:
    """Give ``path`` to the servers' user (when we are root)."""
    if user := run_as():
        entry = pwd.getpwnam(user)
        os.chown(path, entry.pw_uid, entry.pw_gid)


def _run(*args, capture: bool = False) -> str:
    done = subprocess.run([str(a) for a in args], user=run_as(), check=True, text=True,
                          stdout=subprocess.PIPE if capture else subprocess.DEVNULL, stderr=subprocess.PIPE)
    return done.stdout or ""


@dataclass
class Server:
    """One PostgreSQL server: its data folder and port (its socket sits in the folder too)."""

    data: Path
    port: int

    def url(self, database: str = "postgres", driver: str = "postgresql+psycopg") -> str:
        return f"{driver}://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        _run(bin_dir() / "pg_ctl", "-D", self.data, "-l", self.data / "server.log", "-w", "-t", "60", "start",
             "-o", f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1")

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            _run(bin_dir() / "pg_ctl", "-D", self.data, "-w", "-m", mode, "stop")

    def running(self) -> bool:
        try:
            _run(bin_dir() / "pg_ctl", "-D", self.data, "status")
        except subprocess.CalledProcessError:
            return False
        return True

    def sql(self, query: str, database: str = "postgres") -> str:
        """Run one statement with psql; its rows, unaligned."""
        return _run(bin_dir() / "psql", "-h", "127.0.0.1", "-p", self.port, "-U", "postgres", "-d", database,
                    "-AtXq", "-c", query, capture=True).strip()


@contextmanager
def scratch(prefix: str) -> Iterator[Path]:
    """A temporary folder for servers (owned by their user); at the end every server made in it is
    stopped (immediate: nothing in it is kept) and the folder removed."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    own(folder)
    try:
        yield folder
    finally:
        for version in folder.glob("*/PG_VERSION"):
            with suppress(subprocess.CalledProcessError):  # the others must still stop
                Server(version.parent, 0).stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def scratch_primary(prefix: str, port: int, *, durable: bool = True) -> Iterator[tuple[Path, Server]]:
    """A new primary with an empty database "kopz", in a ``scratch`` folder (yielded too, for a replica)."""
    with scratch(prefix) as folder:
        primary = make_primary(folder / "primary", port, durable=durable)
        primary.sql("CREATE DATABASE kopz")
        yield folder, primary


def make_primary(data: Path, port: int, *, durable: bool = True) -> Server:
    """initdb a new primary that streams to replicas (trust on loopback: it listens nowhere else).
    ``durable=False`` (tests) skips fsync: a crashed test cluster is thrown away anyway."""
    data.mkdir(parents=True)
    own(data)
    _run(bin_dir() / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
    settings = {"wal_level": "replica", "max_wal_senders": 10, "max_replication_slots": 10,
                "hot_standby": "on", "max_connections": 200, "shared_buffers": "128MB",
                "fsync": "on" if durable else "off", "synchronous_commit": "on" if durable else "off"}
    _append(data / "postgresql.conf", "".join(f"{name} = {value}\n" for name, value in settings.items()))
    _append(data / "pg_hba.conf", "host replication postgres 127.0.0.1/32 trust\n")
    server = Server(data, port)
    server.start()
    return server


def make_replica(primary: Server, data: Path, port: int) -> Server:
    """A streaming replica of ``primary`` (``pg_basebackup -R``: it follows the primary from its start)."""
    data.parent.mkdir(parents=True, exist_ok=True)
    _run(bin_dir() / "pg_basebackup", "-h", "127.0.0.1", "-p", primary.port, "-U", "postgres", "-D", data,
         "-R", "-X", "stream", "-c", "fast")
    server = Server(data, port)
    server.start()
    return server


def _append(path: Path, text: str) -> None:
    # as root the file belongs to postgres; appending as root keeps its owner
    with path.open("a") as f:
        f.write(text)


def caught_up(primary: Server, replica: Server, timeout: float = 30) -> None:
    """Wait until the replica has replayed everything the primary has written so far."""
    target = primary.sql("SELECT pg_current_wal_insert_lsn()")  # committed, maybe not yet written
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if replica.sql(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn") == "t":
            return
        time.sleep(0.05)
    raise TimeoutError(f"the replica on port {replica.port} did not catch up within {timeout} s")
