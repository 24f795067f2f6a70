"""The budget guard: every key page within 10 SQL queries and 14 KB of gzipped HTML.

Later issues add their pages to PAGES (anonymous) or MEMBER_PAGES (logged in).
"""

from __future__ import annotations

import pytest

from tests.budget import MAX_HTML_GZIP, MAX_QUERIES, measure

PAGES = ["/", "/login", "/register", "/offline", "/market", "/koperasi", "/cards"]
MEMBER_PAGES = ["/", "/account"]


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
