"""A property-based walk of every route with hostile input: nothing may answer 5xx.

On the demo data (seeded once), every rule of ``app.url_map`` is visited as each kind of
user (anonymous, member, seller, teller, pengurus, admin pengurus, platform admin), with
real ids and slugs and hostile ones. Every form the pages render (action, fields and
their values, read from the HTML) and every POST route is then sent hostile values:
NUL, very long text, Arabic-Indic and full-width digits, negative and huge numbers,
repeated fields (lists), empty values, SQL and HTML snippets, a file where text is
expected, JSON bodies; GET routes get hostile query strings. Hypothesis draws the
values (``derandomize=True``: the same walk in every CI run, no deadline).

Run on SQLite by default and on PostgreSQL with TEST_DATABASE_URL. The number of
requests is kept as the test's ``requests`` property (``--junitxml``) and printed.
"""

from __future__ import annotations

import io
import math
import re
import traceback
from collections import Counter
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from web.extensions import db
from web.hostile import JSON_ENDPOINTS

MIN_REQUESTS = 10_000
JSON_EXAMPLES = 80  # per role and JSON endpoint
UNSAFE_LAST = ("accounts.logout", "office.staff_remove", "office.staff_role", "membership.resign",
               "office_members.confirm_resignation", "accounts.password")
HUGE = ["2147483647", "2147483648", "9223372036854775808", "9" * 40, "-1", "-2147483649", "0"]
WORDS = [
    "", " ", "\x00", "a\x00b", "A" * 5_000, "é" * 20_001, "Z" * 100_000, "١٢٣٤", "１２３", "𝟏𝟐", "1.5", "1,5", "1.500.000",
    "Rp 1.500.000", "1e309", "nan", "inf", "-0", "0x10", "1_000", "١.٥٠٠", " 12 ", "+5", *HUGE,
    "' OR 1=1 --", "%", "_", "\\", "\"", "<script>alert(1)</script>", "{{7*7}}", "../../etc/passwd",
    "\r\nSet-Cookie: x=1", "\u202e", "\u200b", "😀" * 50, "true", "null", "[]", "{}",
]
hostile_text = st.one_of(st.sampled_from(WORDS), st.text(max_size=40), st.integers().map(str))


class _Forms(HTMLParser):
    """The forms of a page: action, method, and each named control with its first value."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None
        self.links: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and (a.get("href") or "").startswith("/"):
            self.links.add(a["href"])
        if tag == "form":
            self._form = {"action": a.get("action") or "", "method": (a.get("method") or "get").lower(), "fields": {},
                          "files": set()}
            self.forms.append(self._form)
        elif self._form is not None and (name := a.get("name")):
            fields = self._form["fields"]
            if tag == "input":
                kind = (a.get("type") or "text").lower()
                if kind == "file":
                    self._form["files"].add(name)
                elif kind not in ("checkbox", "radio") or "checked" in a:
                    fields.setdefault(name, a.get("value") or "")
                else:
                    fields.setdefault(name, "")
            elif tag == "textarea":
                fields.setdefault(name, "")
            elif tag == "select":
                self._select = name
                fields.setdefault(name, "")
            elif tag == "button" and a.get("value"):
                fields.setdefault(name, a["value"])
        if tag == "option" and self._select and self._form is not None and not self._form["fields"].get(self._select):
            self._form["fields"][self._select] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def _seed():
    """The people who use the demo data."""
    from models.accounts import User
    from models.koperasi import Koperasi, Staff
    from models.market import Store
    from web.demo import DEMO_PASSWORD

    first = db.session.get(Koperasi, db.session.scalar(sa.select(Staff.koperasi_id).where(Staff.role == "teller")))
    seller = db.session.scalar(sa.select(Store).where(Store.membership_id.is_not(None)).order_by(Store.id))
    by_role = {s.role: s.user_id for s in db.session.scalars(sa.select(Staff).where(Staff.koperasi_id == first.id))}
    people = {
        "member": db.session.scalar(sa.select(User).where(User.email == "siti@kopz.example")),
        "seller": db.session.get(User, seller.owner_id),
        "teller": db.session.get(User, by_role["teller"]),
        "pengawas": db.session.get(User, by_role["pengawas"]),
        "pengurus": db.session.get(User, by_role["pengurus"]),
        "admin": db.session.get(User, first.created_by_id),
        "platform": db.session.scalar(sa.select(User).where(User.is_platform_admin)),
    }
    assert all(people.values()), people
    return {role: user.mobile for role, user in people.items()}, DEMO_PASSWORD


def _ids() -> dict[str, list[str]]:
    """Real values for each kind of URL argument, a few of each, plus hostile ones."""
    from models.koperasi import Koperasi, Staff
    from models.ledger import Entry
    from models.loans import Loan, LoanProduct
    from models.market import Product, ProductPhoto, Store
    from models.membership import Membership, card_token
    from models.orders import CartItem, Order

    def some(column, n=3):
        return [str(v) for v in db.session.scalars(sa.select(column).order_by(column).limit(n))]

    first = db.session.scalar(sa.select(Membership).where(Membership.status == "active").order_by(Membership.id))
    values = {
        "koperasi_id": some(Koperasi.id), "loan_id": some(Loan.id, 6), "membership_id": some(Membership.id, 5),
        "product_id": some(LoanProduct.id) + some(Product.id), "staff_id": some(Staff.id, 4),
        "store_id": some(Store.id), "item_id": some(CartItem.id), "order_id": some(Order.id, 6),
        "photo_id": some(ProductPhoto.id, 2), "slug": some(Koperasi.slug, 2) + some(Store.slug, 2),
        "ref": some(Entry.ref, 4), "token": [card_token(first)], "version": ["1", "x"], "size": ["thumb", "detail"],
    }
    hostile_slugs = ["x" * 300, "١٢٣"]
    for name in values:
        values[name] += (["2147483647", "0"] if name.endswith("_id") else hostile_slugs)
    return values


def _urls(rule, ids) -> list[str]:
    """Each argument of a rule with real and hostile values (not every combination)."""
    args = sorted(rule.arguments)
    if not args:
        return [rule.rule]
    width = max(len(ids.get(a, ["x"])) for a in args)
    urls = []
    for i in range(width):
        url = rule.rule
        for a in args:
            choices = ids.get(a, ["x"])
            url = re.sub(rf"<(?:[^:<>]+:)?{a}>", choices[i % len(choices)], url)
            url = re.sub(rf"<any\([^)]*\):{a}>", choices[i % len(choices)], url)
        urls.append(url)
    return urls


class Walk:
    """Clients per role, the request count, and every 5xx seen."""

    def __init__(self, app, logins, password):
        self.app, self.count, self.failures = app, 0, []
        self.statuses: Counter = Counter()
        self.clients = {"anonymous": app.test_client()}
        for role, mobile in logins.items():
            client = app.test_client()
            response = client.post("/login", data={"login": mobile, "password": password})
            assert response.status_code == 303, (role, response.status_code)
            self.clients[role] = client
        self.logins, self.password = logins, password

    def send(self, role, method, url, **kwargs):
        self.count += 1
        client = self.clients[role]
        try:
            response = client.open(url, method=method, **kwargs)
            status = response.status_code
            body = response.get_data() if method == "GET" and status == 200 else b""
        except Exception as error:  # the test app propagates exceptions: each one is a 500
            db.session.rollback()
            status, body = 500, b""
            where = traceback.extract_tb(error.__traceback__)[-1]
            self.failures.append((role, method, url, _short(kwargs), f"{type(error).__name__}: {str(error)[:200]}",
                                  f"{where.filename}:{where.lineno}"))
        else:
            if status >= 500:
                self.failures.append((role, method, url, _short(kwargs), status, ""))
        self.statuses[status] += 1
        return status, body

    def relogin(self, role):
        if role != "anonymous":
            self.clients[role].post("/login", data={"login": self.logins[role], "password": self.password})


def _short(kwargs) -> str:
    return repr({k: (v if len(repr(v)) < 200 else repr(v)[:200] + "…") for k, v in kwargs.items()})[:600]


def _discover(walk, app, ids):
    """GET every route as every role; keep the forms the pages show and the POST-only routes."""
    gets, forms, posts, seen = [], [], [], set()
    rules = [r for r in app.url_map.iter_rules() if r.endpoint != "static"]
    for rule in rules:
        for url in _urls(rule, ids):
            for role in walk.clients:
                if "GET" in rule.methods:
                    gets.append((role, url, rule.endpoint))
                    status, body = walk.send(role, "GET", url)
                    if status == 200 and b"<form" in body:
                        parser = _Forms()
                        parser.feed(body.decode("utf-8", "replace"))
                        for form in parser.forms:
                            action = urlsplit(form["action"]).path or url
                            key = (role, form["method"], action, tuple(sorted(form["fields"])), tuple(sorted(form["files"])))
                            if key not in seen:
                                seen.add(key)
                                forms.append((role, form["method"].upper(), action, form["fields"], form["files"],
                                              rule.endpoint))
                if "POST" in rule.methods:
                    posts.append((role, "POST", url, {}, set(), rule.endpoint))
    return gets, forms, posts


def _batches(targets: list, size: int = 6) -> list[list]:
    return [targets[i:i + size] for i in range(0, len(targets), size)]


def _last(target) -> bool:
    # The office profile too: its hostile values may tick "staff must log in with a second factor",
    # after which every office page sends the walk's staff to set one up.
    return any(name in target[-1] or name in target[2]
               for name in ("logout", "remove", "role", "resign", "password", "office/profile"))


@st.composite
def form_body(draw, fields: dict, files: set):
    """The form's own values with some of them made hostile, sometimes a list, a file or an extra field."""
    data = dict(fields)
    names = sorted(fields) or ["q", "amount", "reason"]
    for name in draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True)):
        kind = draw(st.sampled_from(["text", "text", "text", "list", "file", "drop"]))
        if kind == "text":
            data[name] = draw(hostile_text)
        elif kind == "list":
            data[name] = [draw(hostile_text), draw(hostile_text)]
        elif kind == "file":
            data[name] = (io.BytesIO(draw(st.sampled_from([b"", b"1500", b"\x89PNG\r\n\x1a\n", b"A" * 3000]))), "x.txt")
        else:
            data.pop(name, None)
    for name in files:
        if draw(st.booleans()):
            data[name] = (io.BytesIO(draw(st.sampled_from([b"not a picture", b"GIF89a"]))), "p.jpg")
    if draw(st.booleans()):
        data[draw(st.sampled_from(["q", "page", "next", "form", "key", "amount", "csrf_token"]))] = draw(hostile_text)
    return data


hostile_number = st.one_of(st.integers(), st.sampled_from([2**31 - 1, 2**31, -(2**31) - 1, 2**63, 10**30, -(10**30)]),
                           st.floats(allow_nan=False), st.booleans(), st.none(), hostile_text)
json_value = st.recursive(st.one_of(hostile_number, hostile_text), lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(hostile_text, inner, max_size=3)), max_leaves=8)


@st.composite
def json_body(draw, ids: list[int]):
    """The shape a JSON endpoint expects (``{"changes": [...]}``) with hostile members, or any JSON at all."""
    if draw(st.integers(0, 4)) == 4:
        return draw(json_value)
    huge = st.sampled_from([2**31 - 1, 2**31, -(2**31) - 1, 2**63, 10**30, -(10**30)])
    change = st.fixed_dictionaries({"product_id": st.one_of(st.sampled_from(ids), huge, st.integers()),
                                    "key": st.one_of(st.text(min_size=1, max_size=64), hostile_text)},
                                   optional={"delta": st.one_of(huge, hostile_number), "set_to": st.one_of(huge, hostile_number),
                                             draw(hostile_text): json_value})
    return {"changes": draw(st.lists(change, min_size=1, max_size=2))}


QUERY_KEYS = ["q", "page", "status", "month", "store", "next", "jenis", "service", "province", "regency", "lat", "lng",
              "view", "category", "sort", "koperasi", "product", "amount", "tenor", "loans_page", "entries_page"]


def test_no_hostile_request_is_answered_with_a_5xx(app, demo, record_property):
    logins, password = _seed()
    walk = Walk(app, logins, password)
    ids = _ids()
    for role in ("member", "seller"):  # a cart to check out, so the checkout form is walked too
        for product_id in ids["product_id"][:6]:
            walk.send(role, "POST", "/cart/add", data={"product_id": product_id, "quantity": "1"})
    gets, forms, posts = _discover(walk, app, ids)
    forms.sort(key=_last)  # what logs out or removes staff goes last
    posts.sort(key=_last)
    # What is left of the budget goes to the forms the pages show (their own fields made hostile).
    json_requests = JSON_EXAMPLES * len(walk.clients) * len(JSON_ENDPOINTS)
    per_form = max(4, math.ceil((MIN_REQUESTS - walk.count - len(gets) - len(posts) - json_requests) * 1.1
                                / max(len(forms), 1)))
    quiet = settings(derandomize=True, deadline=None, database=None, max_examples=per_form,
                     suppress_health_check=list(HealthCheck))

    def post(target, data):
        role, method, url, fields, files, _endpoint = target
        if data.draw(st.integers(0, 15)) == 15:  # a JSON body instead of a form
            body = data.draw(st.one_of(st.dictionaries(st.sampled_from(sorted(fields) or ["q"]), hostile_text),
                                       st.lists(st.integers(), max_size=3), st.integers()))
            walk.send(role, method, url, json=body)
            return
        body = data.draw(form_body(fields, files))
        if method == "GET":
            walk.send(role, "GET", url + "?" + urlencode(body if not any(isinstance(v, tuple) for v in body.values())
                                                         else {}, doseq=True))
        elif files:  # as a browser sends it: multipart when the form has a file input, else urlencoded
            walk.send(role, "POST", url, data=body, content_type="multipart/form-data")
        else:  # (the test client still sends multipart when a hostile file was slipped in)
            walk.send(role, "POST", url, data=body)

    post_form = quiet(given(st.data())(post))

    # The routes and pages get one example each: a few targets share a Hypothesis run, whose own
    # set-up (it reads the test's source for its seed) would otherwise cost more than the requests.
    @settings(quiet, max_examples=1)
    @given(st.data())
    def post_routes(targets, data):
        for target in targets:
            post(target, data)
            if _last(target):
                walk.relogin(target[0])

    @settings(quiet, max_examples=1)
    @given(st.data())
    def get_pages(targets, data):
        for role, url, _endpoint in targets:
            query = data.draw(st.dictionaries(st.sampled_from(QUERY_KEYS), st.one_of(hostile_text, st.lists(
                hostile_text, max_size=2)), min_size=1, max_size=4))
            walk.send(role, "GET", url + ("?" + urlencode(query, doseq=True) if query else ""))

    for batch in _batches(gets):
        get_pages(batch)
    for target in forms:
        post_form(target)
        if _last(target):
            walk.relogin(target[0])
    @settings(quiet, max_examples=JSON_EXAMPLES)
    @given(st.data())
    def post_json(role, url, data):
        walk.send(role, "POST", url, json=data.draw(json_body([int(i) for i in ids["product_id"]])))

    for rule in app.url_map.iter_rules():
        if rule.endpoint in JSON_ENDPOINTS:
            for role in walk.clients:
                post_json(role, rule.rule)
    for batch in _batches(posts):  # every POST route with every kind of id, as every role
        post_routes(batch)

    record_property("requests", walk.count)
    print(f"\nhostile walk: {walk.count} requests on {db.engine.dialect.name}, by status {dict(sorted(walk.statuses.items()))}, "
          f"{len(gets)} pages, {len(forms)} forms, {len(posts)} POST routes")
    report = "\n".join(map(repr, walk.failures[:60]))
    assert not walk.failures, f"{len(walk.failures)} requests answered 5xx:\n{report}"
    assert walk.count >= MIN_REQUESTS
