"""The benchmark's load: every key page, by anonymous visitors and by logged-in members, sellers and
office staff (real logins from the generator's manifest). Run by tests/perf/run.py with
``locust -f tests/perf/locustfile.py --headless``; KOPZ_BENCH_MANIFEST names the manifest.

Each simulated client keeps three sessions (a member, a seller, an office admin) and requests the pages
in random order, each page the same share of the requests, a short think time between them.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re

from locust import HttpUser, between, task
from locust.clients import HttpSession
from pages import pages  # tests/perf/pages.py: locust puts this folder on the path

MANIFEST = json.loads(open(os.environ["KOPZ_BENCH_MANIFEST"], encoding="utf-8").read())  # noqa: SIM115
PASSWORD = MANIFEST["password"]
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_turn = itertools.count()
LOGINS = 8  # distinct people per kind (each login hashes a password: scrypt in production)
_cookies: dict = {}  # mobile -> cookies of its logged-in session
_ready: list = []


def plain_http(session) -> None:
    """Production marks cookies Secure; the benchmark talks plain HTTP on loopback, so unmark them (requests
    copies the jar into a fresh one for each request, so a cookie policy would not stick)."""
    for cookie in session.cookies:
        cookie.secure = False


PAGES = pages(MANIFEST)


class Visitor(HttpUser):
    wait_time = between(float(os.environ.get("KOPZ_BENCH_WAIT_MIN", "0.2")),
                        float(os.environ.get("KOPZ_BENCH_WAIT_MAX", "1.0")))

    def on_start(self):
        n = next(_turn)
        member = MANIFEST["members"][n % LOGINS]
        office = MANIFEST["office"][n % min(LOGINS, len(MANIFEST["office"]))]
        seller = MANIFEST["sellers"][n % min(LOGINS, len(MANIFEST["sellers"]))]
        big = MANIFEST["big_koperasi"]
        self.sessions = {"anon": (self.client, "")}
        for kind, mobile, slug in (("member", member["mobile"], member["slug"]), ("seller", seller["mobile"], ""),
                                   ("office", office["mobile"], office["slug"]), ("big", big["admin_mobile"], big["slug"])):
            session = HttpSession(self.host, self.environment.events.request, self)
            self._login(session, mobile)
            self.sessions[kind] = (session, slug)
        _ready.append(self)
        if len(_ready) == int(os.environ.get("KOPZ_BENCH_USERS", "0")):
            # Every client is logged in: measure from here (logins hash passwords: not a page's time).
            self.environment.stats.reset_all()
            print(f"all {len(_ready)} clients logged in: statistics start now", flush=True)

    def _login(self, session, mobile: str) -> None:
        if mobile in _cookies:  # a login shared by the clients that act as the same person
            session.cookies.update(_cookies[mobile])
            return
        form = session.get("/login", name="(login form)")
        plain_http(session)
        token = CSRF.search(form.text)
        session.post("/login", name="(login)", allow_redirects=False,
                     data={"login": mobile, "password": PASSWORD, "csrf_token": token[1] if token else ""},
                     headers={"Referer": f"{self.host}/login"})
        plain_http(session)
        _cookies[mobile] = session.cookies.copy()

    @task
    def page(self):
        name, (kind, url) = random.choice(list(PAGES.items()))
        session, slug = self.sessions[kind]
        with session.get(url().format(slug=slug), name=name, catch_response=True, allow_redirects=False,
                         headers={"Accept-Encoding": "br, gzip"}) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
        plain_http(session)
