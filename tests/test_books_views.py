"""The books' pages and CSVs in the office: the figures of the hand-computed example
(tests/test_books.py), the columns tools rely on, who may read them, and bad dates."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

from models.membership import Membership
from tests.conftest import login
from tests.test_books import example  # noqa: F401  (the hand-computed koperasi)

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
    assert len(rows) == 1 + 39 + 1  # every account, then the total
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
    assert len(rows) == 1 + 24 + 4


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
