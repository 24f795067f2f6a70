"""The neraca on a 360 px phone: every figure readable without sideways scrolling,
with and without JavaScript, and the letterhead only on paper."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import WIDTH
from tests.test_books import example  # noqa: F401  (the hand-computed koperasi)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_neraca_fits_a_phone(actor, example, make_staff, make_user, javascript):  # noqa: F811
    pengawas = make_staff(example, "pengawas", user=make_user(full_name="Ibu Pengawas Koperasi Sejahtera Bersama"))
    page = actor(pengawas, js=javascript)
    page.goto(f"/k/{example.slug}/office/books/neraca?at=2026-01-31")
    expect(page.get_by_role("heading", name="Neraca", exact=True)).to_be_visible()
    expect(page.get_by_text("Piutang pinjaman anggota")).to_be_visible()
    expect(page.get_by_text("Rp1.732.000").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    expect(page.locator(".letterhead")).to_be_hidden()  # on paper only
    page.emulate_media(media="print")
    expect(page.locator(".letterhead")).to_be_visible()
    expect(page.locator(".books-period")).to_be_hidden()
