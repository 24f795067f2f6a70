"""A production-like Kopz on this machine's loopback: ``python -m deploy.cluster up|down|check``.

    nginx :57080 (generated config) ─► gunicorn instances :57001, :57002, … (separate processes)
        ─► pgbouncer :57400 (transaction pooling) ─► PostgreSQL primary :57432
        ─► PostgreSQL streaming replica :57433 (pg_basebackup -R), for the pages that may lag
        Redis :57379 (login throttle, job queue) ◄─ RQ worker

Everything lives in its own folder (``--dir``, default /tmp/kopz-cluster) with its own servers;
the machine's own PostgreSQL and Redis are not touched. ``check`` runs the load checks
(deploy/check.py) against a running cluster and prints the report.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from cryptography.fernet import Fernet

from deploy import nginx, postgres
from web.config import ROOT

DIR = Path(os.environ.get("KOPZ_CLUSTER_DIR", "/tmp/kopz-cluster"))
PRIMARY, REPLICA, PGBOUNCER, REDIS, NGINX = 57432, 57433, 57400, 57379, 57080
FIRST_INSTANCE = 57001
DATABASE = "kopz"


def instance_ports(count: int) -> list[int]:
    return [FIRST_INSTANCE + n for n in range(count)]


class Cluster:
    """The cluster's folder: its servers' data, configs, logs and pids."""

    def __init__(self, folder: Path = DIR):
        self.dir = folder
        self.primary = postgres.Server(folder / "pg-primary", PRIMARY)
        self.replica = postgres.Server(folder / "pg-replica", REPLICA)

    # ------------------------------------------------------------- what the app is told
    def env(self, *, direct: bool = False, redis: bool = True) -> dict:
        """The instances' environment. ``direct``: the primary itself, not pgbouncer (migrations,
        which want one session throughout; the checks' own bookkeeping)."""
        env = {**os.environ, "KOPZ_ENV": "production", "SECRET_KEY": self.secret(),
               "KOPZ_DATA_KEYS": self.secret("data_key", Fernet.generate_key().decode()),
               "KOPZ_DATA_HASH_KEY": self.secret("data_hash_key"),
               "KOPZ_INSTANCE": str(self.dir / "instance"), "KOPZ_MEDIA_DIR": str(self.dir / "media"),
               "KOPZ_TRUSTED_PROXIES": "1", "PYTHONUNBUFFERED": "1",
               "DATABASE_REPLICA_URL": self.replica.url(DATABASE)}
        if direct:
            env["DATABASE_URL"] = self.primary.url(DATABASE)
            env.pop("KOPZ_PGBOUNCER", None)
        else:
            env["DATABASE_URL"] = f"postgresql+psycopg://postgres@127.0.0.1:{PGBOUNCER}/{DATABASE}"
            env["KOPZ_PGBOUNCER"] = "1"
        if redis:
            env["REDIS_URL"] = f"redis://127.0.0.1:{REDIS}/0"
        else:
            env.pop("REDIS_URL", None)
        return env

    def secret(self, name: str = "secret_key", new: str | None = None) -> str:
        """A key kept in the cluster's folder (made once): the data must open after a restart."""
        path = self.dir / name
        if not path.exists():
            path.write_text(new or secrets.token_hex(32))
        return path.read_text().strip()

    def flask(self, *args: str, **env_options) -> None:
        subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, check=True,
                       env=self.env(**env_options))

    # ------------------------------------------------------------- pieces
    def start_pgbouncer(self) -> None:
        folder = self.dir / "pgbouncer"
        folder.mkdir(exist_ok=True)
        (folder / "userlist.txt").write_text('"postgres" ""\n')
        # Transaction pooling: a server connection serves any instance between transactions, so
        # many instances × their pools share a few PostgreSQL connections. The app keeps nothing
        # in a session across transactions (no SET, advisory locks, LISTEN or temp tables) and
        # turns psycopg's prepared statements off (KOPZ_PGBOUNCER=1), which this mode cannot keep.
        (folder / "pgbouncer.ini").write_text(f"""[databases]
{DATABASE} = host=127.0.0.1 port={PRIMARY} dbname={DATABASE} user=postgres

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {PGBOUNCER}
unix_socket_dir =
auth_type = trust
auth_file = {folder}/userlist.txt
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 20
reserve_pool_size = 5
server_reset_query =
ignore_startup_parameters = extra_float_digits,options
logfile = {folder}/pgbouncer.log
pidfile = {folder}/pgbouncer.pid
admin_users = postgres
""")
        for path in folder.iterdir():
            postgres.own(path)
        postgres.own(folder)
        subprocess.run(["pgbouncer", "-d", str(folder / "pgbouncer.ini")], user=postgres.run_as(), check=True)

    def start_redis(self) -> None:
        folder = self.dir / "redis"
        folder.mkdir(exist_ok=True)
        subprocess.run(["redis-server", "--port", str(REDIS), "--bind", "127.0.0.1", "--daemonize", "yes",
                        "--save", "", "--appendonly", "no", "--dir", str(folder),
                        "--pidfile", str(folder / "redis.pid"), "--logfile", str(folder / "redis.log")], check=True)

    def start_worker(self) -> None:
        with (self.dir / "worker.log").open("a") as log:
            process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"], cwd=ROOT,
                                       env=self.env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        (self.dir / "worker.pid").write_text(str(process.pid))

    def start_instance(self, port: int, workers: int = 2) -> None:
        """One Kopz instance: a gunicorn of its own (its own process group, so it can be killed whole)."""
        with (self.dir / f"gunicorn-{port}.log").open("a") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
                 "--graceful-timeout", "5", "--keep-alive", "30", "wsgi:app"],
                cwd=ROOT, env=self.env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        (self.dir / f"gunicorn-{port}.pid").write_text(str(process.pid))

    def instances(self) -> list[int]:
        return sorted(int(p.stem.split("-")[1]) for p in self.dir.glob("gunicorn-*.pid"))

    def stop_instance(self, port: int, sig: int = signal.SIGTERM) -> None:
        pidfile = self.dir / f"gunicorn-{port}.pid"
        if pidfile.exists():
            _signal_group(int(pidfile.read_text()), sig)
            pidfile.unlink()

    def write_nginx(self, ports: list[int]) -> Path:
        user = "www-data" if os.geteuid() == 0 else None
        nginx.prepare(self.dir, user)
        conf = self.dir / "nginx.conf"
        conf.write_text(nginx.render([f"127.0.0.1:{p}" for p in ports], f"127.0.0.1:{NGINX}", self.dir,
                                     self.dir / "instance" / "static-build", self.dir / "media", user=user))
        return conf

    def start_nginx(self, ports: list[int]) -> None:
        conf = self.write_nginx(ports)
        subprocess.run(["nginx", "-t", "-q", "-c", str(conf)], check=True)
        subprocess.run(["nginx", "-c", str(conf)], check=True)

    def reload_nginx(self, ports: list[int]) -> None:
        """Point nginx at these instances only (graceful: requests in flight finish)."""
        conf = self.write_nginx(ports)
        subprocess.run(["nginx", "-c", str(conf), "-s", "reload"], check=True)
        time.sleep(0.5)  # new workers take over

    # ------------------------------------------------------------- the whole
    def up(self, count: int) -> None:
        if (self.dir / "state.json").exists():
            sys.exit(f"A cluster is already in {self.dir}: `python -m deploy.cluster down` first.")
        if not postgres.available():
            sys.exit("PostgreSQL's server binaries (initdb, pg_ctl, pg_basebackup) are not installed.")
        for tool in ("nginx", "pgbouncer", "redis-server"):
            if not _which(tool):
                sys.exit(f"{tool} is not installed: apt-get install -y nginx pgbouncer redis-server")
        self.dir.mkdir(parents=True, exist_ok=True)
        postgres.own(self.dir)
        (self.dir / "media").mkdir(exist_ok=True)
        step("PostgreSQL primary", f"127.0.0.1:{PRIMARY}")
        postgres.make_primary(self.primary.data, PRIMARY).sql(f"CREATE DATABASE {DATABASE}")
        step("migrations and demo data", "flask db upgrade, flask demo-data (on the primary)")
        self.flask("db", "upgrade", direct=True, redis=False)
        self.flask("demo-data", direct=True, redis=False)
        step("streaming replica", f"pg_basebackup -R → 127.0.0.1:{REPLICA}")
        postgres.make_replica(self.primary, self.replica.data, REPLICA)
        step("pgbouncer", f"127.0.0.1:{PGBOUNCER}, transaction pooling")
        self.start_pgbouncer()
        step("Redis", f"127.0.0.1:{REDIS}")
        self.start_redis()
        step("RQ worker", "flask --app wsgi worker")
        self.start_worker()
        ports = instance_ports(count)
        for port in ports:
            step("Kopz instance", f"gunicorn 127.0.0.1:{port}")
            self.start_instance(port)
        for port in ports:
            wait_http(f"http://127.0.0.1:{port}/healthz")
        step("nginx", f"127.0.0.1:{NGINX} → {len(ports)} instances")
        self.start_nginx(ports)
        wait_http(f"http://127.0.0.1:{NGINX}/healthz")
        (self.dir / "state.json").write_text(json.dumps({"instances": ports}))
        print(f"""
Kopz cluster up ({self.dir}):
  site           http://127.0.0.1:{NGINX}/   (nginx; demo logins in README, password kopz-demo-2026)
  instances      {", ".join(f"http://127.0.0.1:{p}/" for p in ports)}
  primary        {self.primary.url(DATABASE, "postgresql")}   (via pgbouncer: port {PGBOUNCER})
  replica        {self.replica.url(DATABASE, "postgresql")}
  redis          redis://127.0.0.1:{REDIS}/0
  logs           {self.dir}/*.log
Check it under load: python -m deploy.cluster check     Stop it: python -m deploy.cluster down""")

    def down(self, keep: bool = False) -> None:
        conf = self.dir / "nginx.conf"
        if (self.dir / "nginx.pid").exists():
            subprocess.run(["nginx", "-c", str(conf), "-s", "quit"], check=False)
        for port in self.instances():
            self.stop_instance(port)
        pidfile = self.dir / "worker.pid"
        if pidfile.exists():
            _signal_group(int(pidfile.read_text()), signal.SIGTERM)
            pidfile.unlink()
        subprocess.run(["redis-cli", "-p", str(REDIS), "shutdown", "nosave"], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        pidfile = self.dir / "pgbouncer" / "pgbouncer.pid"
        if pidfile.exists():
            _signal(int(pidfile.read_text()), signal.SIGTERM)
        for server in (self.replica, self.primary):
            if server.data.exists():
                server.stop("fast")
        (self.dir / "state.json").unlink(missing_ok=True)
        if not keep:
            import shutil

            time.sleep(0.5)
            shutil.rmtree(self.dir, ignore_errors=True)
        print(f"Kopz cluster down{' (kept ' + str(self.dir) + ')' if keep else ''}.")


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def _signal_group(pid: int, sig: int) -> None:
    """The process and what it started (its own session: start_new_session)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


def _which(tool: str) -> bool:
    import shutil

    return shutil.which(tool) is not None or Path("/usr/sbin", tool).exists()


def step(what: str, detail: str) -> None:
    print(f"- {what}: {detail}", flush=True)


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            sys.exit(f"{url} did not answer within {timeout} s")
        time.sleep(0.3)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m deploy.cluster", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("up", "down", "check"))
    parser.add_argument("--instances", type=int, default=3, help="gunicorn instances (up; default 3)")
    parser.add_argument("--dir", type=Path, default=DIR, help=f"the cluster's folder (default {DIR})")
    parser.add_argument("--keep", action="store_true", help="down: keep the folder (logs, data)")
    parser.add_argument("--seconds", type=float, default=10, help="check: seconds per load phase")
    parser.add_argument("--clients", type=int, default=12, help="check: concurrent clients")
    args = parser.parse_args()
    cluster = Cluster(args.dir)
    if args.command == "up":
        cluster.up(args.instances)
    elif args.command == "down":
        cluster.down(keep=args.keep)
    else:
        from deploy import check

        sys.exit(check.run(cluster, seconds=args.seconds, clients=args.clients))


if __name__ == "__main__":
    main()
