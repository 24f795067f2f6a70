"""The books' pages and CSVs in the office: the figures of the hand-computed example
(tests/test_books.py), the columns tools rely on, who may read them, and bad dates."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date

import openpyxl
import pytest
import sqlalchemy as sa

from models import ledger
from models.ledger import Leg, Purpose
from models.membership import Membership
from tests.conftest import login
from tests.test_books import at_wib, example  # noqa: F401  (the hand-computed koperasi)

EN = {"Accept-Language": "en"}


@pytest.fixture
def pengawas(app, example, make_staff, make_user):  # noqa: F811
    return login(app.test_client(), make_staff(example, "pengawas", user=make_user(full_name="Pak Pengawas")))


def url(koperasi, path: str) -> str:
    return f"/k/{koperasi.slug}/office/books{path}"


def rows_of(response) -> list[list[str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "private, no-store"
    return list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))


def test_the_trial_balance_csv(example, pengawas):  # noqa: F811
    rows = rows_of(pengawas.get(url(example, "/trial-balance?from=2026-01-01&to=2026-01-31&format=csv"), headers=EN))
    assert rows[0] == ["code", "name", "kind", "debit", "credit"]
    assert len(rows) == 1 + 41 + 1  # every account, then the total
    assert ["1101", "Cash on hand", "asset", "1700000", "1188000"] in rows
    assert ["4102", "Loan fees (provisi)", "income", "0", "12000"] in rows
    assert ["5201", "Salaries", "expense", "0", "0"] in rows
    assert rows[-1] == ["", "Total", "", "2920000", "2920000"]


def test_the_neraca_csv(example, pengawas):  # noqa: F811
    rows = rows_of(pengawas.get(url(example, "/neraca?at=2026-01-31&format=csv"), headers=EN))
    assert rows[0] == ["code", "name", "kind", "amount"]
    assert ["1101", "Cash on hand", "asset", "512000"] in rows and ["1102", "Bank", "asset", "20000"] in rows
    assert ["2101", "Simpanan sukarela", "liability", "1500000"] in rows
    assert ["3401", "SHU of the current year", "equity", "12000"] in rows
    totals = [row for row in rows[1:] if row[0] == ""]
    assert totals == [["", "Total assets", "asset", "1732000"], ["", "Total liabilities", "liability", "1500000"],
                      ["", "Total equity", "equity", "232000"], ["", "Total liabilities and equity", "", "1732000"]]
    assert len(rows) == 1 + 26 + 4


def test_the_hasil_usaha_csv_in_indonesian(example, pengawas):  # noqa: F811
    rows = rows_of(pengawas.get(url(example, "/hasil-usaha?from=2026-01-01&to=2099-12-31&format=csv")))
    assert rows[0] == ["code", "name", "kind", "amount"]
    assert ["4201", "Penjualan toko koperasi", "income", "50000"] in rows
    assert ["5201", "Beban gaji", "expense", "0"] in rows
    assert [row for row in rows[1:] if row[0] == ""] == [
        ["", "Total pendapatan", "income", "74000"], ["", "Total beban", "expense", "0"],
        ["", "Sisa hasil usaha (SHU)", "", "74000"]]


def test_the_general_ledger_page_and_csv(example, pengawas):  # noqa: F811
    page = pengawas.get(url(example, "/accounts/1101?from=2026-02-01&to=2026-02-28"), headers=EN)
    assert page.status_code == 200
    assert "Rp512,000" in page.text and "Rp724,000" in page.text  # opening and closing
    assert f"/k/{example.slug}/office/receipts/" in page.text  # each line links to its entry
    rows = rows_of(pengawas.get(url(example, "/accounts/1101?from=2026-02-01&to=2026-02-28&format=csv"), headers=EN))
    assert rows[0] == ["date", "ref", "description", "debit", "credit", "balance"]
    assert rows[1][2:] == ["Opening balance", "", "", "512000"]
    assert rows[2][0] == "2026-02-10 12:00" and rows[2][2:] == ["Loan repayment", "212000", "", "724000"]
    assert rows[-1][2:] == ["Closing balance", "", "", "724000"]
    assert pengawas.get(url(example, "/accounts/9999")).status_code == 404


def test_the_pages_show_the_figures_a_letterhead_and_links(example, pengawas):  # noqa: F811
    neraca = pengawas.get(url(example, "/neraca?at=2026-01-31"), headers=EN).text
    assert "Rp1,732,000" in neraca and example.legal_number in neraca and "Treasurer" in neraca
    assert "at=2026-01-31&amp;format=csv" in neraca or "format=csv&amp;at=2026-01-31" in neraca
    ledger = pengawas.get(url(example, "/accounts/1101?from=2026-01-01&amp;to=2026-01-31").replace("&amp;", "&"))
    assert url(example, "/accounts/1101?from=2026-01-01&amp;to=2026-01-31") in neraca and ledger.status_code == 200
    assert pengawas.get(url(example, "/accounts/1101?to=2026-01-31")).status_code == 200  # that month
    hasil = pengawas.get(url(example, "/hasil-usaha?from=2026-02-01&to=2026-02-28"), headers=EN).text
    assert "Loan interest (jasa)" in hasil and "Rp12,000" in hasil and "Store sales" not in hasil
    trial = pengawas.get(url(example, "/trial-balance?from=2026-01-01&to=2026-01-31"), headers=EN).text
    assert "Rp2,920,000" in trial
    index = pengawas.get(url(example, ""), headers=EN).text
    assert "Accumulated depreciation" in index and url(example, "/accounts/5301") in index
    dashboard = pengawas.get(f"/k/{example.slug}/office", headers=EN).text
    assert url(example, "") in dashboard


@pytest.mark.parametrize("query", ["/neraca?at=2026-02-30", "/neraca?at=31-01-2026", "/neraca?at=0001-01-01",
                                   "/trial-balance?from=2026-03-01&to=2026-02-01", "/hasil-usaha?from=kemarin",
                                   "/accounts/1101?to=99999-01-01"])
def test_a_bad_date_is_refused_with_a_message_and_what_was_typed(example, pengawas, query):  # noqa: F811
    response = pengawas.get(url(example, query), headers=EN)
    assert response.status_code == 422
    assert "Enter a date as YYYY-MM-DD" in response.text or "before its start" in response.text
    typed = query.split("=")[-1]
    assert f'value="{typed}"' in response.text
    as_csv = pengawas.get(url(example, query + "&format=csv"), headers=EN)
    assert as_csv.status_code == 422 and as_csv.mimetype == "text/plain"


def test_no_dates_mean_this_month_and_today(example, pengawas):  # noqa: F811
    for path in ("/trial-balance", "/neraca", "/hasil-usaha", "/accounts/2101", ""):
        assert pengawas.get(url(example, path)).status_code == 200, path


def test_only_this_koperasis_staff_read_its_books(app, db, example, make_koperasi, make_staff):  # noqa: F811
    other = login(app.test_client(), make_staff(make_koperasi(name="Koperasi Tetangga"), "admin"))
    siti = db.session.scalar(sa.select(Membership).where(Membership.koperasi_id == example.id).limit(1))
    member = login(app.test_client(), siti.user)
    for path in ("", "/trial-balance", "/neraca?format=csv", "/hasil-usaha", "/accounts/1101"):
        assert other.get(url(example, path)).status_code == 404, path
        assert member.get(url(example, path)).status_code == 404, path
    assert app.test_client().get(url(example, "/neraca")).status_code in (302, 303)  # to the login page


# ---------------------------------------------------------------- previous period, cash flow, equity, xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook_rows(response) -> list[tuple]:
    """The cells of an .xlsx download, row by row, as the spreadsheet app reads them."""
    assert response.status_code == 200 and response.mimetype == XLSX
    assert response.headers["Cache-Control"] == "private, no-store"
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    return [tuple(cell for cell in row) for row in sheet.iter_rows(values_only=True)]


def money_formats(response) -> set[str]:
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    return {cell.number_format for row in sheet.iter_rows() for cell in row if isinstance(cell.value, int)}


def test_the_hasil_usaha_has_the_previous_month_beside_it(example, pengawas):  # noqa: F811
    page = pengawas.get(url(example, "/hasil-usaha?from=2026-02-01&to=2026-02-28"), headers=EN).text
    assert '<th scope="col" class="num">Feb 2026</th>' in page and '<th scope="col" class="num previous">Jan 2026</th>' in page
    fees = page.split("Loan fees (provisi)")[1].split("</tr>")[0]  # nothing in February, Rp12.000 in January
    assert fees.count("Rp0") == 1 and "Rp12,000" in fees
    year = pengawas.get(url(example, "/hasil-usaha?from=2026-01-01&to=2026-12-31"), headers=EN).text
    assert '<th scope="col" class="num">2026</th>' in year and '<th scope="col" class="num previous">2025</th>' in year
    neraca = pengawas.get(url(example, "/neraca?at=2026-01-31")).text  # in Indonesian
    assert '<th scope="col" class="num">31 Jan 26</th>' in neraca and '<th scope="col" class="num previous">2025</th>' in neraca


def test_the_cash_flow_page_and_csv(example, pengawas):  # noqa: F811
    page = pengawas.get(url(example, "/arus-kas?from=2026-02-01&to=2026-02-28"), headers=EN)
    assert page.status_code == 200
    text = page.text
    assert "Operating activities" in text and "Simpanan sukarela deposited" in text and "Loan principal repaid" in text
    closing = text.split("Closing balance")[1].split("</tr>")[0]
    assert "Rp1,044,000" in closing and "Rp532,000" in closing  # February, then January beside it
    assert example.legal_number in text and "Treasurer" in text
    rows = rows_of(pengawas.get(url(example, "/arus-kas?from=2026-01-01&to=2026-01-31&format=csv"), headers=EN))
    assert rows[0] == ["activity", "code", "name", "amount"]
    assert rows[1] == ["", "", "Opening balance", "0"]
    assert ["operating", "1301", "Loans to members", "-1200000"] in rows
    assert ["financing", "3101", "Simpanan pokok", "200000"] in rows
    assert rows[-1] == ["", "", "Closing balance", "532000"]


def test_the_changes_in_equity_page_and_csv(example, pengawas):  # noqa: F811
    page = pengawas.get(url(example, "/perubahan-ekuitas?from=2026-02-01&to=2026-02-28"), headers=EN).text
    assert "Surplus of the period" in page and "Rp244,000" in page and "Rp232,000" in page  # closing now, before
    rows = rows_of(pengawas.get(url(example, "/perubahan-ekuitas?from=2026-02-01&to=2026-02-28&format=csv"),
                                headers=EN))
    assert rows[0] == ["code", "name", "opening", "increases", "decreases", "surplus", "closing"]
    assert ["3401", "SHU of the current year", "12000", "0", "0", "12000", "24000"] in rows
    assert rows[-1] == ["", "Total equity", "232000", "0", "0", "12000", "244000"]


def test_the_xlsx_downloads_equal_the_pages(example, pengawas):  # noqa: F811
    response = pengawas.get(url(example, "/neraca?at=2026-01-31&format=xlsx"), headers=EN)
    rows = workbook_rows(response)
    assert rows[0][0] == "Balance sheet (neraca)" and rows[1][0] == example.name
    assert rows[2][0] == f"Legal entity number: {example.legal_number}" and "January 31, 2026" in rows[3][0]
    assert rows[5] == ("Code", "Account", "31 Jan 26", "2025")
    assert ("1101", "Cash on hand", 512_000, 0) in rows and (None, "Total assets", 1_732_000, 0) in rows
    assert money_formats(response) == {'"Rp"#,##0;-"Rp"#,##0'}  # numbers, shown as Rupiah
    page = pengawas.get(url(example, "/neraca?at=2026-01-31"), headers=EN).text
    for value in (512_000, 1_732_000, 1_500_000):
        assert f"Rp{value:,}" in page
    hasil = workbook_rows(pengawas.get(url(example, "/hasil-usaha?from=2026-02-01&to=2026-02-28&format=xlsx")))
    assert hasil[5] == ("Kode", "Akun", "Feb 2026", "Jan 2026")  # the user's language
    assert ("4102", "Pendapatan provisi", 0, 12_000) in hasil and hasil[-1][2:] == (12_000, 12_000)
    trial = workbook_rows(pengawas.get(url(example, "/trial-balance?from=2026-01-01&to=2026-01-31&format=xlsx"),
                                       headers=EN))
    assert trial[-1] == (None, "Total", None, 2_920_000, 2_920_000, 0, 0)
    flow = workbook_rows(pengawas.get(url(example, "/arus-kas?from=2026-02-01&to=2026-02-28&format=xlsx"), headers=EN))
    assert flow[-1] == (None, "Closing balance", 1_044_000, 532_000)
    equity = workbook_rows(pengawas.get(url(example, "/perubahan-ekuitas?from=2026-02-01&to=2026-02-28&format=xlsx"),
                                        headers=EN))
    assert (None, "Total equity", 232_000, 0, 0, 12_000, 244_000) in equity
    ledger = workbook_rows(pengawas.get(url(example, "/accounts/1101?from=2026-02-01&to=2026-02-28&format=xlsx"),
                                        headers=EN))
    assert ledger[5] == ("Date", "Receipt number", "Description", "Debit", "Credit", "Balance")
    assert ledger[6][2:] == ("Opening balance", None, None, 512_000) and ledger[-1][5] == 724_000


def test_a_name_that_looks_like_a_formula_stays_text_in_the_xlsx(example, pengawas, db):  # noqa: F811
    example.name = "=HYPERLINK(\"http://x\")"
    db.session.commit()
    response = pengawas.get(url(example, "/neraca?at=2026-01-31&format=xlsx"))
    with zipfile.ZipFile(io.BytesIO(response.data)) as xlsx:
        assert "<f>" not in xlsx.read("xl/worksheets/sheet1.xml").decode()  # no cell is a formula
    assert workbook_rows(response)[1][0] == example.name  # the text as typed


def test_the_statement_pages_print_with_a_letterhead_and_signatures(example, pengawas):  # noqa: F811
    for path in ("/arus-kas", "/perubahan-ekuitas", "/trial-balance", "/hasil-usaha", "/neraca", "/accounts/1101"):
        page = pengawas.get(url(example, path), headers=EN).text
        assert 'class="print-only letterhead"' in page and example.legal_number in page and example.address in page, path
        assert "Chair (ketua)" in page and "Treasurer (bendahara)" in page and "Bandung, " in page, path
        assert "data-print hidden" in page and "format=xlsx" in page, path


def test_the_new_statements_only_for_this_koperasis_staff(app, db, example, make_koperasi, make_staff):  # noqa: F811
    other = login(app.test_client(), make_staff(make_koperasi(name="Koperasi Sebelah"), "admin"))
    siti = db.session.scalar(sa.select(Membership).where(Membership.koperasi_id == example.id).limit(1))
    member = login(app.test_client(), siti.user)
    for path in ("/arus-kas", "/perubahan-ekuitas?format=xlsx", "/neraca?format=xlsx", "/accounts/1101?format=xlsx"):
        assert other.get(url(example, path)).status_code == 404, path
        assert member.get(url(example, path)).status_code == 404, path


@pytest.mark.parametrize("query", ["/arus-kas?from=2026-03-01&to=2026-02-01", "/perubahan-ekuitas?to=2026-13-01"])
def test_a_bad_period_for_the_new_statements(example, pengawas, query):  # noqa: F811
    assert pengawas.get(url(example, query), headers=EN).status_code == 422
    assert pengawas.get(url(example, query + "&format=xlsx"), headers=EN).status_code == 422


def test_a_contra_account_is_positive_in_the_csv_and_deducted_in_the_total(example, pengawas, db):  # noqa: F811
    """PPAP has a credit balance: Rp100.000 in its own normal balance; the assets' total deducts it."""
    ledger.post(example, "provision", [Leg(Purpose.LOAN_LOSS, 100_000), Leg(Purpose.ALLOWANCE, -100_000)], by=None,
                at=at_wib(date(2026, 1, 31), 9))
    db.session.commit()
    rows = rows_of(pengawas.get(url(example, "/neraca?at=2026-01-31&format=csv"), headers=EN))
    assert ["1309", "Allowance for loan losses (PPAP)", "asset", "100000"] in rows
    assert ["", "Total assets", "asset", "1632000"] in rows  # 1.732.000 − 100.000
    assert all(int(row[3]) >= 0 for row in rows[1:] if row[2] == "asset")
    assert ["3401", "SHU of the current year", "equity", "-88000"] in rows  # a deficit stays negative
    page = pengawas.get(url(example, "/neraca?at=2026-01-31"), headers=EN).text
    assert "(Rp100,000)" in page  # shown as a deduction on the page


def test_a_busy_general_ledger_comes_in_pages_and_its_running_balance_carries_on(example, pengawas, db):  # noqa: F811
    """250 store sales in one March day: the phone gets 100 lines a page (not one 600 KB page),
    and the running balance on page 2 continues from page 1; the CSV still has every line."""
    from models import books

    for n in range(250):
        ledger.post(example, "cash_in", [Leg(Purpose.CASH, 1_000 + n), Leg(Purpose.SALES, -(1_000 + n))], by=None,
                    at=at_wib(date(2026, 3, 2), 8) + (n + 1) * (at_wib(date(2026, 3, 2), 9) - at_wib(date(2026, 3, 2), 8)) / 300)
    db.session.commit()
    march = {"from": "2026-03-01", "to": "2026-03-31"}
    whole = books.general_ledger(example, "1101", date(2026, 3, 1), date(2026, 3, 31))
    assert len(whole.lines) == 250 and whole.pages == 1
    second = books.general_ledger(example, "1101", date(2026, 3, 1), date(2026, 3, 31), page=2)
    assert (second.page, second.pages, len(second.lines)) == (2, 3, 100)
    assert [line.balance for line in second.lines] == [line.balance for line in whole.lines[100:200]]
    assert len(books.general_ledger(example, "1101", date(2026, 3, 1), date(2026, 3, 31), page=9).lines) == 50

    page = pengawas.get(url(example, "/accounts/1101"), query_string={**march, "page": "2"})
    assert page.status_code == 200 and page.text.count('class="books-amount"') <= 102
    assert 'rel="next"' in page.text and 'rel="prev"' in page.text
    assert "<span>Saldo akhir</span>" not in page.text  # the period's closing balance is on the last page
    assert books.general_ledger(example, "1101", date(2026, 3, 1), date(2026, 3, 31), page=3).lines[-1].balance \
        == whole.closing
    assert len(rows_of(pengawas.get(url(example, "/accounts/1101"), query_string={**march, "format": "csv"}))) > 250


def test_the_ketua_and_bendahara_named_on_the_profile_sign_the_printed_statements(app, example, pengawas):  # noqa: F811
    from tests.conftest import board
    from tests.test_duties import profile_form

    admin = login(app.test_client(), board(example))
    form = profile_form(example, chair_name="  Ibu Sri   Wahyuni ", treasurer_name="Pak Bambang Sutrisno")
    assert admin.post(f"/k/{example.slug}/office/profile", data=form).status_code == 303
    page = pengawas.get(url(example, "/neraca"), query_string={"at": "2026-01-31"}).text
    assert "(Ibu Sri Wahyuni)" in page and "(Pak Bambang Sutrisno)" in page
    assert "Ibu Sri Wahyuni" in admin.get(f"/k/{example.slug}/office/profile").text
