"""The budget guard: every key page within 10 SQL queries and 14 KB of gzipped HTML.

Later issues add their pages to PAGES (anonymous) or MEMBER_PAGES (logged in).
"""

from __future__ import annotations

import pytest

from tests.budget import MAX_HTML_GZIP, MAX_QUERIES, measure

PAGES = ["/", "/login", "/register", "/offline", "/market", "/koperasi", "/cards"]
MEMBER_PAGES = ["/", "/account", "/notifications"]


def _check(result, url):
    assert result.status == 200, url
    assert len(result.queries) <= MAX_QUERIES, f"{url}: {len(result.queries)} queries"
    assert result.html_gzip <= MAX_HTML_GZIP, f"{url}: {result.html_gzip} bytes gzipped"


@pytest.mark.parametrize("url", PAGES)
def test_public_page_budget(client, url):
    _check(measure(client, url), url)


@pytest.mark.parametrize("url", MEMBER_PAGES)
def test_member_page_budget(user_client, url):
    _check(measure(user_client, url), url)


def test_the_guard_counts_queries(user_client):
    # A logged-in page loads the user: the counter must see it, or it proves nothing.
    assert len(measure(user_client, "/account").queries) >= 1


def test_fragment_is_smaller_than_its_page(client):
    page = measure(client, "/register")
    fragment = client.post("/register", data={"mobile": "1"},
                           headers={"HX-Request": "true", "HX-Target": "register_form"})
    assert len(fragment.data) < len(page.body.encode()) / 2


def test_member_home_with_several_cards_stays_within_budget(app, make_user, make_koperasi, make_member, make_store,
                                                           make_product, db):
    """The home gathers cards, loans, orders, stores and offices in aggregate queries:
    more cards or offices must not mean more queries (no query per card)."""
    from models import loans, savings
    from models.orders import Choice, add_to_cart, checkout
    from tests.conftest import fund, login

    person = make_user(full_name="Dewi Lestari")
    client = login(app.test_client(), person)

    def add_koperasi(n: int) -> None:
        kop = make_koperasi(admin=person if n % 2 else None, name=f"Koperasi Nomor {n}", member_prefix=f"K{n}")
        kop.single_person_loans = True  # its one pengurus approves and pays out
        fund(kop)
        membership = make_member(kop, user=person, nik=f"3273011508950{n:03d}")
        savings.deposit(membership, "sukarela", 50_000 * n, "cash", None)
        product = loans.save_product(kop, {
            "name": "Modal", "method": "flat", "monthly_rate_bp": 100, "fee_bp": 0, "fee_mode": "deducted",
            "max_amount_idr": 10_000_000, "min_tenor": 3, "max_tenor": 24, "late_fee_mode": "per_instalment",
            "late_fee_idr": 0, "requires_guarantor": False, "requires_documents": False, "active": True})
        loan = loans.apply(membership, product, 1_200_000, 12, "Modal warung")
        loans.approve(loan, db.session.get(type(person), kop.created_by_id))
        loans.disburse(loan, db.session.get(type(person), kop.created_by_id), "cash")
        item = make_product(make_store(kop, name=f"Warung {n}"))
        add_to_cart(person, item, 1)
        checkout(person, {item.store_id: Choice()}, key=f"budget-{n}")
        db.session.commit()

    for n in range(1, 3):
        add_koperasi(n)
    few = measure(client, "/")
    for n in range(3, 7):
        add_koperasi(n)
    many = measure(client, "/")
    _check(many, "/ (member with six cards, loans, orders and offices)")
    assert many.body.count('class="home-line"') >= 6 + 3  # the cards and the offices are all there
    assert len(many.queries) == len(few.queries)


# Each catalogue page's queries, once the koperasi's services (never shown there) stopped loading
# with every koperasi: the catalogue 1 (was 2), a product 2 (was 3), a store 2 (was 4).
CATALOGUE_QUERIES = {"market": 1, "product": 2, "store": 2}


def test_catalogue_pages_load_no_koperasi_services(client, make_koperasi, make_user, make_store, make_product):
    first, second = make_koperasi(name="Koperasi Satu"), make_koperasi(name="Koperasi Dua")
    store = make_store(first, owner=make_user(full_name="Siti"), name="Warung Siti")
    product = make_product(store, name="Gula Aren 1 kg")
    make_product(make_store(second, owner=make_user(full_name="Budi"), name="Toko Budi"), name="Kopi Robusta")
    pages = {"market": "/market", "product": f"/market/{product.id}", "store": f"/toko/{store.slug}"}
    for name, url in pages.items():
        result = measure(client, url)
        _check(result, url)
        assert "Gula Aren 1 kg" in result.body, url
        assert not any("koperasi_service" in q for q in result.queries), url
        assert len(result.queries) <= CATALOGUE_QUERIES[name], f"{url}: {len(result.queries)} queries"
