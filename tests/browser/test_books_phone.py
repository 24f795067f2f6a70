"""The books on a 360 px phone: every statement readable with both amount columns (this period
and the previous one) without sideways scrolling, with and without JavaScript; the cash flow and
the changes in equity reached from the books' index; and the A4 print: letterhead and
signatures on paper, no navigation."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import WIDTH
from tests.browser.guard import check_layout
from tests.test_books import example  # noqa: F401  (the hand-computed koperasi)

A4_POINTS = (595.92, 842.88)  # 210 × 297 mm, as Chromium writes the page box


@pytest.fixture
def pengawas(example, make_staff, make_user):  # noqa: F811
    return make_staff(example, "pengawas", user=make_user(full_name="Ibu Pengawas Koperasi Sejahtera Bersama"))


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_neraca_fits_a_phone(actor, example, pengawas, javascript):  # noqa: F811
    page = actor(pengawas, js=javascript)
    page.goto(f"/k/{example.slug}/office/books/neraca?at=2026-01-31")
    expect(page.get_by_role("heading", name="Neraca", exact=True)).to_be_visible()
    expect(page.get_by_text("Piutang pinjaman anggota")).to_be_visible()
    expect(page.get_by_text("Rp1.732.000").first).to_be_visible()
    expect(page.get_by_role("columnheader", name="2025").first).to_be_visible()  # the previous year beside it
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    check_layout(page)
    expect(page.locator(".letterhead")).to_be_hidden()  # on paper only
    page.emulate_media(media="print")
    expect(page.locator(".letterhead")).to_be_visible()
    expect(page.locator(".books-period")).to_be_hidden()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_cash_flow_and_the_changes_in_equity_on_a_phone(actor, example, pengawas, javascript):  # noqa: F811
    page = actor(pengawas, js=javascript)
    page.goto(f"/k/{example.slug}/office/books")
    page.get_by_role("link", name="Laporan arus kas").tap()
    expect(page.get_by_role("heading", name="Laporan arus kas", exact=True)).to_be_visible()
    page.fill("#period-from", "2026-02-01")
    page.fill("#period-to", "2026-02-28")
    page.get_by_role("button", name="Tampilkan").tap()
    page.wait_for_url(re.compile(r"from=2026-02-01"))
    expect(page.get_by_role("columnheader", name="Feb 2026").first).to_be_visible()
    expect(page.get_by_role("columnheader", name="Jan 2026").first).to_be_visible()
    closing = page.get_by_role("row", name=re.compile("^Saldo akhir"))
    expect(closing).to_contain_text("Rp1.044.000")  # cash + bank at the end of February
    expect(closing).to_contain_text("Rp532.000")  # and at the end of January, beside it
    expect(page.get_by_text("Setoran simpanan sukarela")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    check_layout(page)
    with page.expect_download() as download:  # a file, not a page swapped in by htmx
        page.get_by_role("link", name="Excel (XLSX)").tap()
    assert download.value.suggested_filename == f"arus-kas-{example.slug}-2026-02-01-2026-02-28.xlsx"
    if javascript:  # the Print button in place of the hint
        expect(page.get_by_role("button", name="Cetak")).to_be_visible()
        expect(page.get_by_text("gunakan menu Cetak", exact=False)).to_be_hidden()
    else:
        expect(page.get_by_role("button", name="Cetak")).to_be_hidden()
        expect(page.locator("[data-print-hint]")).to_be_visible()

    page.goto(f"/k/{example.slug}/office/books/perubahan-ekuitas?from=2026-02-01&to=2026-02-28")
    expect(page.get_by_role("heading", name="Laporan perubahan ekuitas", exact=True)).to_be_visible()
    total = page.locator("table").last.get_by_role("row", name=re.compile("^Saldo akhir"))
    expect(total).to_contain_text("Rp244.000")  # equals the neraca's equity at 28 February
    expect(total).to_contain_text("Rp232.000")
    expect(page.get_by_text("SHU periode ini").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    check_layout(page)


def test_a_statement_prints_on_a4_with_letterhead_and_signatures(actor, example, pengawas):  # noqa: F811
    page = actor(pengawas)
    page.goto(f"/k/{example.slug}/office/books/hasil-usaha?from=2026-01-01&to=2026-12-31")
    expect(page.get_by_role("button", name="Cetak")).to_be_visible()
    page.emulate_media(media="print")
    letterhead = page.locator(".letterhead")
    expect(letterhead).to_be_visible()
    expect(letterhead).to_contain_text(example.name)
    expect(letterhead).to_contain_text(example.legal_number)
    expect(letterhead).to_contain_text("1 Januari 2026 s.d. 31 Desember 2026")
    expect(page.get_by_text("Bendahara", exact=True).or_(page.get_by_text(re.compile("^Bendahara")))).to_be_visible()
    expect(page.locator(".signatures-date")).to_contain_text("Bandung, ")
    for hidden in (".nav", ".top", ".books-period", ".books-downloads", "[data-print]"):
        for element in page.locator(hidden).all():
            expect(element).to_be_hidden()
    pdf = page.pdf(format="A4", print_background=False)
    assert pdf.startswith(b"%PDF")
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert boxes and all(abs(float(w) - A4_POINTS[0]) < 0.5 and abs(float(h) - A4_POINTS[1]) < 0.5 for w, h in boxes)
    assert len(boxes) == 1  # the year's income statement fits one A4 page


