"""Faults survived, nothing lost: the app under gunicorn on a PostgreSQL server of its own, which the tests
restart mid-load, and whose app processes they kill (SIGKILL) in the middle of a checkout and a posting.

- PostgreSQL restarted (``pg_ctl stop -m fast`` then ``-m immediate``, each followed by a start) while tellers
  post deposits and buyers check out from several threads: every request is answered, either done or with
  the "busy, try again" page (503, Retry-After) in the client's language, never a bare 500; each client retries
  with the same one-time key until done; afterwards every key made exactly one entry / order, each whole, and
  the books balance (models/books_check). The app reconnects by itself (pool_pre_ping).
- The app's processes killed while five requests wait inside their transactions (their entry or order already
  written, its lines not yet: the test holds a lock that makes the lines wait): the client's retry with the
  same key gives exactly one entry / order each, and nothing of the killed attempt is left.

The server is the module's own (initdb in a temporary folder, deploy/postgres.py), never the machine's
PostgreSQL that other tests use. PostgreSQL only (``postgres_only``): the SQLite run deselects the module.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
import requests
import sqlalchemy as sa
from flask_migrate import upgrade

from deploy import postgres
from models import books_check
from models.ledger import Entry, Line
from models.market import Product
from models.orders import Order, OrderEvent, OrderItem
from models.savings import deposit
from tests.conftest import PASSWORD, empty_tables, fund, require
from tests.perf.serve import free_port, gunicorn_process, wait_for
from web import create_app
from web.config import ROOT
from web.extensions import db

pytestmark = pytest.mark.postgres_only

BUSY = {"id": "Sedang sibuk", "en": "Busy right now"}
PRICE, STOCK = 10_000, 100_000
SETTLE = 0.5  # seconds after the server is up again from which every request must be done


@pytest.fixture(scope="module")
def server():
    """The module's own PostgreSQL server (durable: an acknowledged commit must survive an immediate stop)."""
    require(postgres.available(), "the PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    with postgres.scratch_primary("kopz-faults-test-", free_port(), durable=True) as (_folder, primary):
        yield primary


@pytest.fixture(scope="module")
def own_app(app, server, tmp_path_factory):
    """The app on the module's server: the tests set up and check their data through it."""
    tmp = tmp_path_factory.mktemp("faults")
    own = create_app({"SQLALCHEMY_DATABASE_URI": server.url("kopz"), "STATIC_BUILD_DIR": str(tmp / "static-build"),
                      "MEDIA_DIR": str(tmp / "media"), "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                      "REDIS_URL": None}, env="testing")
    with own.app_context():
        upgrade()
        yield own
        db.session.remove()
        db.engine.dispose()


@dataclass
class Gunicorn:
    base: str
    process: subprocess.Popen

    def workers(self) -> list[int]:
        """The master's worker processes (it forks a new one when one dies)."""
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError):
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == self.process.pid:
                    found.append(int(stat.parent.name))
        return found


@pytest.fixture(scope="module")
def gunicorn(own_app, server, tmp_path_factory):
    """Production's server (gunicorn, two workers of eight threads) on the module's database, CSRF on;
    no Redis (background work inline), its own instance folder."""
    tmp = tmp_path_factory.mktemp("gunicorn")
    env = {"KOPZ_ENV": "development", "SECRET_KEY": "faults-test-secret-key-0123456789", "REDIS_URL": "",
           "DATABASE_URL": server.url("kopz"), "KOPZ_INSTANCE": str(tmp), "KOPZ_MEDIA_DIR": str(tmp / "media"),
           "PYTHONPATH": str(ROOT)}
    options = ("--workers", "2", "--threads", "8", "--worker-class", "gthread", "--graceful-timeout", "5")
    with gunicorn_process(sys.executable, "wsgi:app", ROOT, env, "/healthz", tmp / "gunicorn.log", options) as served:
        yield Gunicorn(*served)


@pytest.fixture
def world(own_app, make_koperasi, make_staff, make_member, make_store, make_product, make_user):
    """A koperasi on the module's server: a teller, eight members to deposit for, a store with one product and
    eight buyers who are members (so they may pay from savings), each in their own language."""
    with own_app.app_context():
        kop = fund(make_koperasi())
        teller = make_staff(kop, "teller")
        members = [make_member(kop) for _ in range(8)]
        product = make_product(make_store(kop), price_idr=PRICE, stock=STOCK)
        buyers = []
        for n in range(8):
            buyer = make_user(full_name=f"Pembeli {n}", locale="en" if n % 2 else "id")
            deposit(make_member(kop, user=buyer), "sukarela", 5_000_000, "cash", teller)
            buyers.append(buyer)
        db.session.commit()
        made = {"slug": kop.slug, "teller": teller.mobile, "members": [m.id for m in members],
                "store": product.store_id, "product": product.id, "buyers": [(b.mobile, b.locale) for b in buyers]}
        db.session.remove()
        yield made
        db.session.remove()
        db.engine.dispose()  # its connections may be from before a restart
        empty_tables()


# ---------------------------------------------------------------- a client that retries with the same key

@dataclass
class Tally:
    """What the clients saw: answers by kind, retries, each request's start and end (monotonic)."""

    answers: Counter = field(default_factory=Counter)
    bad: list[str] = field(default_factory=list)
    spans: list[tuple[float, float, str]] = field(default_factory=list)
    retries: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for_done(self, after: float, count: int, seconds: float = 90) -> None:
        """Until ``count`` requests sent after ``after`` are done (however slow the machine is)."""
        deadline = time.monotonic() + seconds
        while True:
            with self.lock:
                if sum(1 for start, _end, kind in self.spans if start > after and kind == "done") >= count:
                    return
            assert time.monotonic() < deadline, f"fewer than {count} requests done in {seconds} s: {self.answers}"
            time.sleep(0.05)

    def note(self, start: float, kind: str, detail: str = "") -> None:
        with self.lock:
            self.answers[kind] += 1
            self.spans.append((start, time.monotonic(), kind))
            if kind == "bad":
                self.bad.append(detail)


class Browser:
    """One phone: logs in over HTTP (CSRF and all), then posts forms; ``until_done`` retries a form with the
    same one-time key until it is done, as the app asks (the busy page, a lost answer)."""

    def __init__(self, base: str, mobile: str, lang: str, tally: Tally):
        self.base, self.lang, self.tally = base, lang, tally
        self.http = requests.Session()
        self.http.cookies.set("lang", lang)
        self.http.headers["Accept-Language"] = lang
        form_token = r'name="csrf_token" type="hidden" value="([^"]+)"'
        self.until_done("/login", lambda: {"login": mobile, "password": PASSWORD,
                                           "csrf_token": self._token("/login", form_token)})
        self.token = self._token("/account", r'<meta name="csrf-token" content="([^"]+)"')

    def _token(self, path: str, pattern: str) -> str:
        while True:
            with contextlib.suppress(requests.RequestException):
                found = re.search(pattern, self.http.get(self.base + path, timeout=30).text)
                if found:
                    return found.group(1)
            time.sleep(0.2)

    def post(self, path: str, data: dict) -> str:
        """One attempt: "done", "busy" (the friendly page, rightly made), "lost" (no answer) or "bad"."""
        start = time.monotonic()
        try:
            response = self.http.post(self.base + path, data={"csrf_token": getattr(self, "token", ""), **data},
                                      allow_redirects=False, timeout=60)
        except requests.ConnectionError as error:
            self.tally.note(start, "lost", str(error))
            return "lost"
        kind = self.classify(response)
        self.tally.note(start, kind, f"{path} {response.status_code} {response.text[:300]!r}")
        return kind

    def classify(self, response: requests.Response) -> str:
        if response.status_code == 303:
            return "done"
        page = response.text
        if (response.status_code == 503 and response.headers.get("Retry-After") and BUSY[self.lang] in page
                and f'<html lang="{self.lang}' in page):
            return "busy"
        return "bad"

    def until_done(self, path: str, data, tries: int = 200) -> None:
        for attempt in range(tries):
            kind = self.post(path, data() if callable(data) else data)
            if kind == "done":
                return
            if attempt:
                with self.tally.lock:
                    self.tally.retries += 1
            if kind == "bad":
                return
            time.sleep(0.1)
        raise AssertionError(f"{path} was not done after {tries} tries")


def guarded(tally: Tally, work):
    """A thread's work, any exception in it kept as a bad answer (a thread's own would go unseen)."""

    def run(*args) -> None:
        try:
            work(*args)
        except Exception as error:  # noqa: BLE001 - reported by the test's assertion
            with tally.lock:
                tally.bad.append(f"{type(error).__name__}: {error}")

    return run


def new_key() -> str:
    return secrets.token_urlsafe(32)


def deposit_form(world, membership_id: int, key: str, amount: int = 25_000) -> tuple[str, dict]:
    return (f"/k/{world['slug']}/office/teller/{membership_id}/deposit",
            {"kind": "sukarela", "amount": str(amount), "means": "cash", "key": key})


def checkout_form(world, key: str, payment: str) -> tuple[str, dict]:
    store = world["store"]
    return "/cart/checkout", {f"fulfilment-{store}": "pickup", f"payment-{store}": payment, "key": key}


# ---------------------------------------------------------------- what must hold afterwards

def exactly_once(own_app, world, deposit_keys: list[str], checkout_keys: dict[str, str]) -> None:
    """Each key made one entry / one order, each whole; stock and savings add up; the books balance."""
    with own_app.app_context():
        per_key = Counter(db.session.scalars(sa.select(Entry.idempotency_key).where(Entry.idempotency_key.in_(deposit_keys))))
        assert sorted(per_key.values()) == [1] * len(deposit_keys), "a deposit key with no entry, or with two"
        made = db.session.scalars(sa.select(Order).where(Order.checkout_key.in_(list(checkout_keys)))).all()
        assert sorted(Counter(order.checkout_key for order in made).values()) == [1] * len(checkout_keys)
        for order in made:
            items = db.session.scalars(sa.select(OrderItem).where(OrderItem.order_id == order.id)).all()
            assert len(items) == 1 and order.total_idr == PRICE * items[0].quantity  # whole, never half
            assert db.session.scalar(sa.select(sa.func.count()).where(OrderEvent.order_id == order.id)) == 1
            paid = db.session.scalar(sa.select(sa.func.count()).select_from(Entry).where(
                Entry.kind == "purchase", Entry.memo == order.number))
            assert paid == (1 if checkout_keys[order.checkout_key] == "savings" else 0)
            assert (order.paid_at is not None) == (checkout_keys[order.checkout_key] == "savings")
        sold = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(OrderItem.quantity), 0)))
        assert db.session.get(Product, world["product"]).stock == STOCK - sold
        assert books_check.check() == []


# ---------------------------------------------------------------- PostgreSQL restarted under load

def test_a_postgresql_restart_under_load_loses_nothing_and_shows_only_the_busy_page(own_app, world, gunicorn, server):
    tally, stop = Tally(), threading.Event()
    deposit_keys: list[str] = []
    checkout_keys: dict[str, str] = {}
    members = itertools.cycle(world["members"])
    lock = threading.Lock()

    def teller(lang: str) -> None:
        phone = Browser(gunicorn.base, world["teller"], lang, tally)
        while not stop.is_set():
            key = new_key()
            with lock:
                deposit_keys.append(key)
                member = next(members)
            phone.until_done(*deposit_form(world, member, key))

    def buyer(mobile: str, lang: str, payment: str) -> None:
        phone = Browser(gunicorn.base, mobile, lang, tally)
        while not stop.is_set():
            phone.until_done("/cart/add", {"product_id": str(world["product"]), "quantity": "1"})
            key = new_key()
            with lock:
                checkout_keys[key] = payment
            phone.until_done(*checkout_form(world, key, payment))

    threads = [threading.Thread(target=guarded(tally, teller), args=(lang,)) for lang in ("id", "en", "id")]
    threads += [threading.Thread(target=guarded(tally, buyer), args=(mobile, lang, "savings" if n % 2 else "cash"))
                for n, (mobile, lang) in enumerate(world["buyers"][:5])]
    for thread in threads:
        thread.start()
    restarts = []
    try:
        tally.wait_for_done(after=time.monotonic(), count=10)  # the load is running
        for mode in ("fast", "immediate"):
            down = time.monotonic()
            server.stop(mode)
            time.sleep(1)  # down for a second: new connections are refused meanwhile
            server.start()
            up = time.monotonic()
            restarts.append((mode, down, up))
            tally.wait_for_done(after=up + SETTLE, count=10)  # the app is back by itself, nothing restarted it
    finally:
        stop.set()
        for thread in threads:
            thread.join(120)

    assert tally.bad == [], tally.bad[:3]
    assert tally.answers["lost"] == 0  # gunicorn kept answering all along
    ends = [down for _mode, down, _up in restarts[1:]] + [time.monotonic()]
    for (mode, down, up), next_down in zip(restarts, ends, strict=True):
        during = Counter(kind for start, end, kind in tally.spans if start < up and end > down)
        back = min(end for _start, end, kind in tally.spans if kind == "done" and end > up) - up
        print(f"restart -m {mode}: {sum(during.values())} requests in flight or sent while down: {dict(during)}; "
              f"the first done {back:.2f} s after the server was up again")
        assert during["busy"] > 0  # the restart was felt, and answered with the busy page
        after = Counter(kind for start, end, kind in tally.spans if up + SETTLE < start and end < next_down)
        assert after["done"] > 0 and set(after) == {"done"}, after  # reconnected by itself
    print(f"answers {dict(tally.answers)}, retries {tally.retries}, "
          f"{len(deposit_keys)} deposits and {len(checkout_keys)} checkouts")
    exactly_once(own_app, world, deposit_keys, checkout_keys)


# ---------------------------------------------------------------- the app's processes killed mid-transaction

WAITING = "SELECT pid FROM pg_stat_activity WHERE datname = 'kopz' AND wait_event_type = 'Lock'"
WROTE = ("SELECT c.relname, count(DISTINCT l.pid) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
         "WHERE l.mode = 'RowExclusiveLock' AND l.granted AND l.pid = ANY(%s) GROUP BY c.relname")


def test_app_processes_killed_mid_posting_and_mid_checkout_leave_exactly_one_entry_and_order_per_key(
        own_app, world, gunicorn, server):
    tally = Tally()
    buyers = [Browser(gunicorn.base, mobile, lang, tally) for mobile, lang in world["buyers"][:2]]
    for buyer in buyers:
        buyer.until_done("/cart/add", {"product_id": str(world["product"]), "quantity": "1"})
    sends = [(Browser(gunicorn.base, world["teller"], "id", tally), deposit_form(world, member, new_key()))
             for member in world["members"][:3]]
    sends += [(buyer, checkout_form(world, new_key(), payment)) for buyer, payment in zip(buyers, ("cash", "savings"),
                                                                                          strict=True)]
    first = {}
    url = server.url("kopz", driver="postgresql")
    with psycopg.connect(url) as holder, psycopg.connect(url, autocommit=True) as watcher:
        # Lines of entries and orders wait: each request stops inside its transaction, its entry or order written.
        holder.execute(f"LOCK TABLE {Line.__table__.name}, {OrderItem.__table__.name} IN SHARE MODE")
        threads = [threading.Thread(target=lambda phone=phone, form=form: first.setdefault(form[1]["key"],
                                                                                            phone.post(*form)))
                   for phone, form in sends]
        for thread in threads:
            thread.start()
        waiting = []
        for _ in range(200):
            waiting = [pid for (pid,) in watcher.execute(WAITING)]
            if len(waiting) == len(sends):
                break
            time.sleep(0.05)
        assert len(waiting) == len(sends), "every request is inside its transaction, waiting"
        wrote = dict(watcher.execute(WROTE, (waiting,)).fetchall())
        assert wrote.get(Entry.__table__.name) == 1 and wrote.get(Order.__table__.name) == 2  # half-written now
        killed = gunicorn.workers()
        for pid in killed:
            os.kill(pid, signal.SIGKILL)
        for thread in threads:
            thread.join(30)
    assert set(first.values()) == {"lost"}  # no client got an answer: each must retry

    wait_for(gunicorn.base + "/healthz")  # the master has started new workers
    assert not set(killed) & set(gunicorn.workers())
    deposit_keys = [form[1]["key"] for _phone, form in sends[:3]]
    checkout_keys = {form[1]["key"]: form[1][f"payment-{world['store']}"] for _phone, form in sends[3:]}
    for phone, form in sends:
        phone.until_done(*form)
        phone.until_done(*form)  # and a double tap after that: still the same one
    assert tally.bad == [], tally.bad[:3]
    exactly_once(own_app, world, deposit_keys, checkout_keys)
    with own_app.app_context():  # the killed attempts left nothing: one entry and one order per key, nothing else
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 2
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Entry).where(Entry.kind == "deposit",
                                                                                     Entry.memo == "sukarela")) == 3 + 8
