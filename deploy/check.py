"""``python -m deploy.cluster check``: the scale-out cluster under load, with concurrent clients.

1. Sessions and carts without sticky sessions: a login made on one instance is honoured by
   every other; an item put in the cart on one instance is in the cart on the next.
2. Rate limits are shared (Redis): failed logins spread over the instances lock the account
   for a new device as if they had all been made on one.
3. Throughput with 1, 2, 3 instances behind nginx (logged-in members, so past the page cache).
4. One instance killed (SIGKILL, its whole process group) in the middle of a checkout run:
   clients retry a failed checkout with the same one-time key. Afterwards every checkout a
   client saw succeed is exactly one order, no order is half-made (items, event, payment entry),
   stock moved by exactly what was ordered, and the books balance (models/books_check.py).
5. The replica stopped under load: public pages keep answering 200, from the primary.

Prints a report and writes it as JSON beside the cluster (check.json). Exit status 1 if a
check failed.
"""

from __future__ import annotations

import json
import os
import re
import signal
import statistics
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta

import requests

from web.config import COOKIE_PREFIX
from web.replica import FRESH_COOKIE

CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')
KEY = re.compile(r'name="key"[^>]*value="([^"]+)"')
STORE = re.compile(r'name="payment-(\d+)"')
PASSWORD = "kopz-demo-2026"  # web/demo/people.py
MEMBERS = [f"08570000{i:04d}" for i in range(20)]  # the first Bandung koperasi's active demo members
RETRIES = 6
STOCK = 100_000  # the checked products' stock at the start of the checkout run


class Browser:
    """One client: its own cookies (the production profile marks them Secure; over loopback http we
    send them anyway), no redirects followed, the CSRF token of the last page it saw."""

    def __init__(self, base: str):
        self.base = base
        self.http = requests.Session()
        self.csrf = ""

    def _seen(self, response: requests.Response) -> requests.Response:
        for cookie in self.http.cookies:
            cookie.secure = False  # loopback http: a browser behind TLS would send them
        if found := CSRF.search(response.text):
            self.csrf = found.group(1)
        return response

    def get(self, path: str, base: str | None = None) -> requests.Response:
        return self._seen(self.http.get((base or self.base) + path, allow_redirects=False, timeout=60))

    def post(self, path: str, data: dict, base: str | None = None) -> requests.Response:
        return self._seen(self.http.post((base or self.base) + path, data={"csrf_token": self.csrf, **data},
                                         allow_redirects=False, timeout=60))

    def login(self, mobile: str, password: str = PASSWORD, base: str | None = None) -> requests.Response:
        self.get("/login", base)
        return self.post("/login", {"login": mobile, "password": password}, base)

    def forget_write(self) -> None:
        """Drop the "just wrote" cookie, as after its few seconds: public pages read from the replica again."""
        self.http.cookies.clear(domain="127.0.0.1", path="/", name=COOKIE_PREFIX + FRESH_COOKIE)


@dataclass
class Tally:
    """What a phase's clients saw."""

    times: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, seconds: float, outcome: str | None = None) -> None:
        with self.lock:
            self.times.append(seconds)
            if outcome:
                self.errors[outcome] = self.errors.get(outcome, 0) + 1

    def summary(self, seconds: float) -> dict:
        ordered = sorted(self.times) or [0.0]
        return {"requests": len(self.times), "per_second": round(len(self.times) / seconds, 1),
                "p50_ms": round(statistics.median(ordered) * 1000, 1),
                "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1 if len(ordered) > 1 else 0] * 1000, 1),
                "errors": dict(self.errors)}


def timed(tally: Tally, call, ok=(200,)) -> requests.Response | None:
    start = time.perf_counter()
    try:
        response = call()
    except requests.RequestException as error:
        tally.record(time.perf_counter() - start, type(error).__name__)
        return None
    tally.record(time.perf_counter() - start, None if response.status_code in ok else str(response.status_code))
    return response


def in_parallel(count: int, work) -> None:
    threads = [threading.Thread(target=work, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


# ------------------------------------------------------------------------------------- the checks

def sessions_and_carts(cluster, ports: list[int], product_id: int) -> dict:
    instances = [f"http://127.0.0.1:{p}" for p in ports]
    browser = Browser(instances[0])
    logged_in = browser.login(MEMBERS[19], base=instances[0]).status_code == 303
    seen = [browser.get("/cards", base).status_code for base in instances]  # 302 to /login if not logged in there
    browser.get(f"/market/{product_id}", instances[1])
    added = browser.post("/cart/add", {"product_id": product_id, "quantity": 1}, instances[1]).status_code
    cart = browser.get("/cart", instances[-1])
    in_cart = bool(STORE.search(cart.text))
    browser.post("/logout", {}, instances[0])
    return {"ok": logged_in and all(code == 200 for code in seen) and added == 303 and in_cart,
            "login_on": ports[0], "cards_status_per_instance": dict(zip(ports, seen, strict=True)),
            "added_on": ports[1], "cart_shown_on": ports[-1], "item_in_cart": in_cart}


def shared_rate_limit(cluster, ports: list[int]) -> dict:
    import redis

    store = redis.Redis(port=cluster_redis_port())
    for key in store.scan_iter("LIMITS:*login*"):  # a check run a minute ago left its count
        store.delete(key)
    account = "081200000003"  # Made Wirawan (web/demo/people.py): used by no other check
    instances = [f"http://127.0.0.1:{p}" for p in ports]
    statuses = []
    for n in range(5):  # LOGIN_FAILURE_LIMIT: 5 per 15 minutes, spread over the instances
        statuses.append(Browser(instances[n % len(instances)]).login(account, "not-the-password").status_code)
    last = Browser(instances[-1]).login(account).status_code  # the right password, a new device, the last instance
    for key in store.scan_iter("LIMITS:*login*"):
        store.delete(key)
    return {"ok": all(s == 422 for s in statuses) and last == 429, "failures": statuses,
            "right_password_after_them": last}


def rq_workers() -> int:
    import redis
    from rq import Worker

    return len(Worker.all(connection=redis.Redis(port=cluster_redis_port())))


def cluster_redis_port() -> int:
    from deploy.cluster import REDIS

    return REDIS


def throughput(cluster, counts: list[int], seconds: float, clients: int, slug: str) -> dict:
    from deploy.cluster import NGINX

    base = f"http://127.0.0.1:{NGINX}"
    browsers = [Browser(base) for _ in range(clients)]
    for n, browser in enumerate(browsers):
        browser.login(MEMBERS[n % len(MEMBERS)])
    pages = ["/market", "/koperasi", f"/k/{slug}", "/cards", "/", "/market?sort=price"]
    results = {}
    all_ports = cluster.instances()
    for count in counts:
        cluster.reload_nginx(all_ports[:count])
        tally = Tally()
        deadline = time.monotonic() + seconds

        def work(n: int, tally=tally, deadline=deadline) -> None:
            browser, i = browsers[n], n
            while time.monotonic() < deadline:
                timed(tally, lambda: browser.get(pages[i % len(pages)]))  # noqa: B023
                i += 1

        in_parallel(clients, work)
        results[count] = tally.summary(seconds)
    cluster.reload_nginx(all_ports)
    return results


def kill_one_mid_checkout(cluster, app, seconds: float, clients: int, products: list[int]) -> dict:
    """Clients check out one item each, over and over; one instance is killed a third of the way in."""
    import sqlalchemy as sa

    from deploy.cluster import NGINX
    from models.base import utcnow
    from models.market import Product
    from web.extensions import db

    base = f"http://127.0.0.1:{NGINX}"
    with app.app_context():
        db.session.execute(sa.update(Product).where(Product.id.in_(products)).values(stock=STOCK))
        db.session.commit()
        started = utcnow() - timedelta(seconds=1)
    done: list[tuple[str, str]] = []  # (buyer mobile, key) of every checkout a client saw succeed
    gave_up: list[tuple[str, str]] = []
    retried = [0]
    tally = Tally()
    deadline = time.monotonic() + seconds
    lock = threading.Lock()

    def work(n: int) -> None:
        mobile = MEMBERS[n % len(MEMBERS)]
        browser = Browser(base)
        browser.login(mobile)
        product = products[n % len(products)]
        pay = "savings" if n % 2 == 0 else "cash"
        while time.monotonic() < deadline:
            if not _try(tally, lambda: browser.post("/cart/add", {"product_id": product, "quantity": 1}), (303,)):  # noqa: B023
                continue
            cart = _try(tally, lambda: browser.get("/cart"), (200,))  # noqa: B023
            if cart is None or not (key := KEY.search(cart.text)) or not (store := STORE.search(cart.text)):
                continue
            form = {"key": key.group(1), f"fulfilment-{store.group(1)}": "pickup", f"payment-{store.group(1)}": pay}
            for attempt in range(RETRIES):
                response = timed(tally, lambda: browser.post("/cart/checkout", form), (303, 422))  # noqa: B023
                if response is not None and response.status_code in (303, 422):
                    with lock:
                        if response.status_code == 303:
                            done.append((mobile, form["key"]))
                        retried[0] += attempt
                    if response.status_code == 422 and pay == "savings":
                        pay = "cash"  # savings used up: pay cash from now on
                    break
                time.sleep(0.2 * (attempt + 1))
            else:
                with lock:
                    gave_up.append((mobile, form["key"]))

    victim = cluster.instances()[0]

    def kill() -> None:
        time.sleep(seconds / 3)
        cluster.stop_instance(victim, signal.SIGKILL)

    killer = threading.Thread(target=kill)
    killer.start()
    in_parallel(clients, work)
    killer.join()
    cluster.start_instance(victim)
    result = tally.summary(seconds)
    result["failed_attempts_retried"] = result.pop("errors")  # the killed instance's answers that never came
    result.update(killed=victim, checkouts_seen_ok=len(done), retried_requests=retried[0], gave_up=len(gave_up))
    result.update(verify_orders(app, done, gave_up, products, started))
    return result


def _try(tally: Tally, call, ok) -> requests.Response | None:
    """A step before the checkout (add to cart, open the cart): retried as a user would."""
    for attempt in range(RETRIES):
        response = timed(tally, call, ok)
        if response is not None and response.status_code in ok:
            return response
        time.sleep(0.2 * (attempt + 1))
    return None


def verify_orders(app, done, gave_up, products, started) -> dict:
    """The orders the run made, read on the primary: nothing lost, doubled or half-made; books balanced."""
    import sqlalchemy as sa

    from models.accounts import User
    from models.books_check import check
    from models.ledger import Entry
    from models.market import Product
    from models.orders import Order, OrderEvent, OrderItem
    from web.extensions import db

    with app.app_context():
        orders = db.session.execute(sa.select(Order.id, Order.number, Order.checkout_key, Order.payment, User.mobile)
                                    .join(User, User.id == Order.buyer_id).where(Order.created_at >= started)).all()
        by_key: dict[tuple[str, str], int] = {}
        for order in orders:
            mobile = "0" + order.mobile[3:]
            by_key[(mobile, order.checkout_key)] = by_key.get((mobile, order.checkout_key), 0) + 1
        lost = [k for k in done if by_key.get(k, 0) == 0]
        doubled = [k for k, n in by_key.items() if n > 1]
        ids = [o.id for o in orders]
        with_items = set(db.session.scalars(sa.select(OrderItem.order_id).where(OrderItem.order_id.in_(ids))))
        with_event = set(db.session.scalars(sa.select(OrderEvent.order_id).where(OrderEvent.order_id.in_(ids))))
        half = [o.number for o in orders if o.id not in with_items or o.id not in with_event]
        savings = [o.number for o in orders if o.payment == "savings"]
        entries = dict(db.session.execute(sa.select(Entry.memo, sa.func.count()).where(
            Entry.kind == "purchase", Entry.memo.in_(savings)).group_by(Entry.memo)).all())
        postings_wrong = [n for n in savings if entries.get(n, 0) != 1]
        ordered = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(OrderItem.quantity), 0))
                                    .where(OrderItem.order_id.in_(ids), OrderItem.product_id.in_(products)))
        left = db.session.scalar(sa.select(sa.func.sum(Product.stock)).where(Product.id.in_(products)))
        stock_moved = STOCK * len(products) - left
        problems = check()
    return {"orders_made": len(orders), "paid_from_savings": len(savings), "lost": len(lost), "doubled": len(doubled),
            "half_made": len(half), "savings_postings_not_one": len(postings_wrong),
            "stock_moved": stock_moved, "quantity_ordered": ordered, "books_problems": problems[:5],
            "ok": not (lost or doubled or half or postings_wrong or problems) and stock_moved == ordered}


def replica_stopped(cluster, seconds: float, clients: int, slug: str) -> dict:
    from deploy.cluster import NGINX

    base = f"http://127.0.0.1:{NGINX}"
    browsers = [Browser(base) for _ in range(clients)]
    for n, browser in enumerate(browsers):
        if n % 2 == 0:  # half logged in (past nginx's cache), half anonymous visitors
            browser.login(MEMBERS[n % len(MEMBERS)])
            browser.forget_write()
    pages = ["/market", "/koperasi", f"/k/{slug}", "/", "/market?q=kopi"]
    replica_reads = _replica_transactions(cluster)
    tally = Tally()
    deadline = time.monotonic() + seconds
    before: dict = {}

    def work(n: int) -> None:
        i = n
        while time.monotonic() < deadline:
            timed(tally, lambda: browsers[n].get(pages[i % len(pages)]))  # noqa: B023
            i += 1

    def stop() -> None:
        time.sleep(seconds / 3)
        before["replica_transactions"] = _replica_transactions(cluster) - replica_reads
        cluster.replica.stop("fast")

    stopper = threading.Thread(target=stop)
    stopper.start()
    in_parallel(clients, work)
    stopper.join()
    cluster.replica.start()
    result = tally.summary(seconds)
    result.update(before)
    result["ok"] = not result["errors"] and before.get("replica_transactions", 0) > 0
    return result


def _replica_transactions(cluster) -> int:
    from deploy.cluster import DATABASE

    return int(cluster.replica.sql(f"SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = '{DATABASE}'"))


# ------------------------------------------------------------------------------------- the run

def run(cluster, seconds: float = 10, clients: int = 12) -> int:
    import sqlalchemy as sa

    if not (cluster.dir / "state.json").exists():
        print(f"No cluster in {cluster.dir}: `python -m deploy.cluster up` first.")
        return 2
    os.environ.update(cluster.env(direct=True, redis=False))
    os.environ.pop("REDIS_URL", None)
    from models.koperasi import Koperasi
    from models.market import Product, Store
    from web import create_app
    from web.extensions import db

    app = create_app()
    with app.app_context():
        first = db.session.scalar(sa.select(Koperasi).order_by(Koperasi.id))
        products = list(db.session.scalars(sa.select(Product.id).join(Store).where(
            Product.koperasi_id == first.id, Product.active.is_(True), Store.status == "approved")
                                           .order_by(sa.func.coalesce(Product.member_price_idr, Product.price_idr))
                                           .limit(4)))
        slug = first.slug
        db.session.execute(sa.update(Product).where(Product.id.in_(products)).values(stock=STOCK))
        db.session.commit()
    ports = cluster.instances()
    report: dict = {"instances": ports, "clients": clients, "seconds_per_phase": seconds}
    print(f"Checking the cluster in {cluster.dir}: {len(ports)} instances, {clients} clients, {seconds:g} s a phase")
    report["sessions_and_carts"] = sessions_and_carts(cluster, ports, products[0])
    print_check("logins and carts across instances (no sticky sessions)", report["sessions_and_carts"])
    report["rate_limit"] = shared_rate_limit(cluster, ports)
    print_check("failed logins counted across instances (Redis)", report["rate_limit"])
    report["throughput"] = throughput(cluster, list(range(1, len(ports) + 1)), seconds, clients, slug)
    print("\nThroughput, logged-in members through nginx (past its cache):")
    print("| instances | requests/s | p50 ms | p95 ms | errors |\n|---|---|---|---|---|")
    for count, row in report["throughput"].items():
        print(f"| {count} | {row['per_second']} | {row['p50_ms']} | {row['p95_ms']} | {row['errors'] or 0} |")
    report["kill"] = kill_one_mid_checkout(cluster, app, seconds * 2, clients, products)
    print_check(f"instance {report['kill']['killed']} killed mid-checkout: nothing lost, doubled or half-made",
                report["kill"])
    report["replica_stopped"] = replica_stopped(cluster, seconds, clients, slug)
    print_check("replica stopped under load: public pages from the primary, no errors", report["replica_stopped"])
    report["workers"] = rq_workers()
    print(f"\nRQ workers listening on the kopz queue: {report['workers']}")
    (cluster.dir / "check.json").write_text(json.dumps(report, indent=2, default=str))
    checks = [report[name]["ok"] for name in ("sessions_and_carts", "rate_limit", "kill", "replica_stopped")]
    print(f"\n{'All checks passed' if all(checks) else 'SOME CHECKS FAILED'}; the report: {cluster.dir / 'check.json'}")
    return 0 if all(checks) else 1


def print_check(title: str, result: dict) -> None:
    print(f"\n[{'ok' if result['ok'] else 'FAILED'}] {title}")
    for name, value in result.items():
        if name != "ok":
            print(f"    {name}: {value}")
