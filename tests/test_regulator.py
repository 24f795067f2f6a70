"""The regulator's report and the public transparency page.

The koperasi of these tests, last year (LY) in its books:
  grant (hibah) 50.000.000 in January; a bank loan (borrowing) 10.000.000;
  simpanan pokok 100.000 × 6 (Andi, Bunga, Citra, Umar joined in LY; Dodi and Rudi earlier);
  wajib 240.000 (Andi); sukarela 1.000.000 (Bunga);
  a loan to Andi paid out in May: 2.000.000, provisi 1 % = 20.000 deducted;
  store sales 3.000.000, other income 500.000, salaries 1.200.000; the year closed.
  income 20.000 + 3.000.000 + 500.000 = 3.520.000, expenses 1.200.000 → SHU 2.320.000
  own capital 600.000 + 240.000 + 50.000.000 + 2.320.000 = 53.160.000
  external capital 1.000.000 + 10.000.000 = 11.000.000 → total assets 64.160.000
  business volume: loans 2.000.000 + store sales and other income 3.500.000 = 5.500.000
Members at the end of LY: Andi (L), Dodi (L), Bunga (P), Citra (P), Umar (gender unknown) = 5;
Rudi resigned in LY; Nina joined this year; Oki only applied.
This year: other income 777.777 (not LY's).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from models import loans, periods, regulator, savings
from models.base import utcnow
from models.ledger import Leg, Purpose, post
from models.meetings import Meeting
from models.months import midnight
from models.shu import ShuPlan
from models.zones import zone_of
from tests.budget import MAX_HTML_GZIP, MAX_QUERIES, measure
from tests.conftest import board, login
from web.extensions import db as _db

README = Path(__file__).resolve().parent.parent / "README.md"
MEN = ["3273011508950001", "3273011508950002", "3273011508950003", "3273011508950004"]
WOMEN = ["3273015508950001", "3273015508950002", "3273015508950003", "3273015508950004"]
PRODUCT = {"name": "Modal Usaha", "method": "flat", "monthly_rate_bp": 100, "fee_bp": 100, "fee_mode": "deducted",
           "max_amount_idr": 10_000_000, "min_tenor": 3, "max_tenor": 24, "late_fee_mode": "per_instalment",
           "late_fee_idr": 5_000, "requires_guarantor": False, "requires_documents": False, "active": True}


def text(response) -> str:
    return response.get_data(as_text=True)


def at(k, year: int, month: int, day: int = 10) -> datetime:
    return midnight(k, date(year, month, day)).replace(hour=5)


@pytest.fixture
def world(app, db, make_koperasi, make_member, make_user, make_staff):
    k = make_koperasi(name="Koperasi Laporan Jaya", member_prefix="KLJ", admin=make_user(full_name="Asep Hidayat"))
    ly = zone_of(k).today().year - 1
    k.chair_name, k.treasurer_name = "Asep  Hidayat", "Rina Bendahara"  # the chair is also the admin: once
    k.employees_men, k.employees_women = 2, 3
    pengurus = make_staff(k, "pengurus", user=make_user(full_name="Wawan Setiawan"))
    make_staff(k, "pengawas", user=make_user(full_name="Nining Suryani"))
    teller = make_staff(k, "teller", user=make_user(full_name="Yayan Kasir"))
    approver = board(k)
    post(k, "journal", [Leg(Purpose.CASH, 50_000_000), Leg(Purpose.GRANTS, -50_000_000)], by=None, memo="Hibah",
         at=at(k, ly, 1, 2))
    post(k, "journal", [Leg(Purpose.CASH, 10_000_000), Leg(Purpose.BORROWINGS, -10_000_000)], by=None,
         memo="Pinjaman bank", at=at(k, ly, 2))

    def member(name, nik, joined_on, pokok_at):
        m = make_member(k, user=make_user(full_name=name), status="approved", nik=nik)
        savings.deposit(m, "pokok", 100_000, "cash", teller, at=pokok_at)
        m.joined_on = joined_on
        return m

    andi = member("Andi", MEN[0], date(ly, 2, 1), at(k, ly, 2))
    bunga = member("Bunga", WOMEN[0], date(ly, 3, 1), at(k, ly, 3))
    member("Citra", WOMEN[1], date(ly, 12, 31), at(k, ly, 12, 31))
    umar = member("Umar", MEN[1], date(ly, 6, 1), at(k, ly, 6))
    umar.gender = None  # e.g. imported without it
    member("Dodi", MEN[2], date(ly - 1, 5, 1), at(k, ly, 1, 3))
    rudi = member("Rudi", MEN[3], date(ly - 1, 5, 1), at(k, ly, 1, 3))
    rudi.status, rudi.resigned_at = "resigned", at(k, ly, 9)
    make_member(k, user=make_user(full_name="Nina"), nik=WOMEN[2])  # joins and pays today: this year
    make_member(k, user=make_user(full_name="Oki"), status="applied", nik=WOMEN[3])
    savings.deposit(andi, "wajib", 240_000, "cash", teller, at=at(k, ly, 4))
    savings.deposit(bunga, "sukarela", 1_000_000, "cash", teller, at=at(k, ly, 4))
    product = loans.save_product(k, dict(PRODUCT))
    loan = loans.apply(andi, product, 2_000_000, 6, "Gerobak dagang")
    loans.approve(loan, approver)
    loans.disburse(loan, teller, "cash", today=date(ly, 5, 2))
    post(k, "journal", [Leg(Purpose.CASH, 3_000_000), Leg(Purpose.SALES, -3_000_000)], by=None, memo="Penjualan toko",
         at=at(k, ly, 7))
    post(k, "journal", [Leg(Purpose.CASH, 500_000), Leg(Purpose.OTHER_INCOME, -500_000)], by=None, memo="Lain-lain",
         at=at(k, ly, 8))
    post(k, "journal", [Leg(Purpose.SALARIES, 1_200_000), Leg(Purpose.CASH, -1_200_000)], by=None, memo="Gaji",
         at=at(k, ly, 11))
    _db.session.commit()
    periods.close_year(k, ly, approver)
    post(k, "journal", [Leg(Purpose.CASH, 777_777), Leg(Purpose.OTHER_INCOME, -777_777)], by=None, memo="Tahun ini")
    rat = Meeting(koperasi_id=k.id, title=f"RAT Tahun Buku {ly}", book_year=ly, record_date=date(ly + 1, 3, 1),
                  starts_at=midnight(k, date(ly + 1, 3, 15)) + timedelta(hours=2), place="Balai desa", status="held")
    _db.session.add(rat)
    _db.session.commit()
    return dict(k=k, ly=ly, pengurus=pengurus, teller=teller, rat=rat)


EXPECTED = {
    "members_total": 5, "members_men": 2, "members_women": 2, "members_gender_unknown": 1, "members_joined": 4,
    "members_resigned": 1, "pengurus_count": 3, "pengurus_names": "Asep Hidayat; Rina Bendahara; Wawan Setiawan",
    "pengawas_count": 1, "pengawas_names": "Nining Suryani", "employees_total": 5, "employees_men": 2,
    "employees_women": 3, "simpanan_pokok": 600_000, "simpanan_wajib": 240_000, "reserve": 0, "grants": 50_000_000,
    "other_equity": 2_320_000, "own_capital": 53_160_000, "simpanan_sukarela": 1_000_000, "borrowings": 10_000_000,
    "other_liabilities": 0, "external_capital": 11_000_000, "total_assets": 64_160_000, "loans_disbursed": 2_000_000,
    "other_business": 3_500_000, "business_volume": 5_500_000, "revenue": 3_520_000, "expenses": 1_200_000,
    "shu": 2_320_000, "book_year_closed": True, "shu_distributed": False,
}


def test_the_figures_of_the_book_year(world):
    report = regulator.report(world["k"], world["ly"])
    for name, value in EXPECTED.items():
        assert report[name] == value, name
    assert report["rat_date"] == f"{world['ly'] + 1}-03-15"
    assert report["koperasi_name"] == "Koperasi Laporan Jaya" and report["regency"] == "Kota Bandung"
    assert report.balanced and not report.to_date
    assert report["own_capital"] + report["external_capital"] == report["total_assets"]


def test_shu_distributed_once_the_plan_is_posted(world):
    _db.session.add(ShuPlan(koperasi_id=world["k"].id, year=world["ly"], reserve_bp=10_000, posted_at=utcnow()))
    _db.session.commit()
    assert regulator.report(world["k"], world["ly"])["shu_distributed"] is True


def test_a_corrected_disbursement_is_not_volume(world):
    from models.loan_corrections import reverse
    from models.loans import Loan

    loan = _db.session.query(Loan).one()
    entry = next(e for e in loan_entries(loan) if e.kind == "disbursement")
    reverse(entry, board(world["k"]), "Salah pencairan")
    _db.session.commit()
    this_year = zone_of(world["k"]).today().year
    assert regulator.loans_disbursed(world["k"], date(world["ly"], 1, 1), date(world["ly"], 12, 31)) == 2_000_000
    assert regulator.loans_disbursed(world["k"], date(this_year, 1, 1), date(this_year, 12, 31)) == -2_000_000


def loan_entries(loan):
    from models.ledger import Entry

    return _db.session.query(Entry).filter(Entry.loan_id == loan.id).all()


def test_this_year_to_date(world):
    report = regulator.report(world["k"], world["ly"] + 1)
    assert report.to_date and not report["book_year_closed"]
    assert report["revenue"] == 777_777 and report["members_joined"] == 1 and report["rat_date"] == ""
    assert report["members_total"] == 6  # Nina too


def readme_columns() -> list[str]:
    section = README.read_text().split("## Regulator's report", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.M)


def test_the_downloads_have_the_readme_columns(app, world):
    assert readme_columns() == regulator.COLUMN_NAMES
    client = login(app.test_client(), world["pengurus"])
    url = f"/k/{world['k'].slug}/office/report?year={world['ly']}"
    response = client.get(url + "&format=csv")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "private, no-store"
    header, row = list(csv.reader(io.StringIO(text(response).lstrip("\ufeff"))))
    assert header == readme_columns()
    figures = dict(zip(header, row, strict=True))
    assert figures["members_women"] == "2" and figures["own_capital"] == "53160000"
    assert figures["jenis"] == "simpan_pinjam" and figures["book_year_closed"] == "yes"
    assert figures["shu_distributed"] == "no"
    sheet = load_workbook(io.BytesIO(client.get(url + "&format=xlsx").data)).active
    rows = list(sheet.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r[0] == "book_year")
    assert [r[0] for r in rows[start:]] == readme_columns()
    values = {r[0]: r[2] for r in rows[start:]}
    assert values["total_assets"] == 64_160_000 and values["members_total"] == 5
    assert values["book_year_closed"] == "Ya"  # in the reader's language
    cells = {r[0]: c for r, c in zip(rows[start:], list(sheet.iter_rows(min_row=start + 1)), strict=False)}
    assert cells["members_total"][2].number_format == "0" and "Rp" in cells["total_assets"][2].number_format


def test_the_page_on_the_phone(app, world):
    client = login(app.test_client(), world["teller"])
    result = measure(client, f"/k/{world['k'].slug}/office/report?year={world['ly']}")
    assert result.status == 200
    assert len(result.queries) <= MAX_QUERIES, result.queries
    assert result.html_gzip < MAX_HTML_GZIP
    page = result.body
    assert "Rp53.160.000" in page and "Rp5.500.000" in page and "Nining Suryani" in page
    assert "15 Maret" in page  # the RAT's day, in Indonesian
    assert "3273" not in page  # no NIK
    assert client.get(f"/k/{world['k'].slug}/office/report").status_code == 200  # last year by default


@pytest.mark.parametrize("year", ["1800", "99999", "NEXT"])
def test_a_year_the_books_do_not_span_is_not_found(app, world, year):
    year = str(world["ly"] + 2) if year == "NEXT" else year
    client = login(app.test_client(), world["pengurus"])
    for tail in ("", "&format=csv", "&format=xlsx"):
        assert client.get(f"/k/{world['k'].slug}/office/report?year={year}{tail}").status_code == 404


@pytest.mark.parametrize("year", ["abc", "٢٠٢٥", "-1", "2025.0", ""])
def test_an_unreadable_year_shows_last_year(app, world, year):
    client = login(app.test_client(), world["pengurus"])
    response = client.get(f"/k/{world['k'].slug}/office/report?year={year}")
    assert response.status_code == 200 and f'value="{world["ly"]}" selected' in text(response)


def test_who_may_see_the_office_report(app, world, make_koperasi, make_staff, make_member, make_user):
    url = f"/k/{world['k'].slug}/office/report"
    other = make_koperasi(name="Koperasi Lain")
    assert login(app.test_client(), make_staff(other, "admin")).get(url).status_code == 404
    member = make_member(world["k"], user=make_user(full_name="Anggota Biasa"), nik="3273012001900001")
    assert login(app.test_client(), member.user).get(url).status_code == 404
    assert login(app.test_client(), member.user).get(url + "?format=csv").status_code == 404
    anonymous = app.test_client().get(url + "?format=csv")
    assert anonymous.status_code in (302, 303) and "/login" in anonymous.headers["Location"]
    for role in ("pengawas", "teller", "pengurus", "admin"):
        client = login(app.test_client(), make_staff(world["k"], role, user=make_user(full_name=f"Staf {role}")))
        assert client.get(url).status_code == 200, role


# ---------------------------------------------------------------- transparency

def test_the_public_page_is_off_until_the_board_turns_it_on(app, world):
    k, client = world["k"], app.test_client()
    assert client.get(f"/k/{k.slug}/transparansi").status_code == 404
    assert "transparansi" not in text(client.get(f"/k/{k.slug}"))
    board_client = login(app.test_client(), world["pengurus"])
    form = profile_form(k, transparency_public="y")
    assert board_client.post(f"/k/{k.slug}/office/profile", data=form).status_code == 303
    _db.session.expire_all()
    assert k.transparency_public and k.employees_men == 4 and k.employees_women == 1
    assert f"/k/{k.slug}/transparansi" in text(client.get(f"/k/{k.slug}"))
    response = client.get(f"/k/{k.slug}/transparansi")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=300" and "Set-Cookie" not in response.headers
    page = text(response)
    assert "Di bawah Rp100 juta" in page  # 64.937.777 in the books: a band, never the figure
    assert re.search(r'id="t-members">6<', page)  # active today: Andi, Bunga, Citra, Umar, Dodi and Nina
    for private in ("Andi", "Bunga", "Umar", "3273", "64.937.777", "Nining"):  # no person, no NIK, no figure
        assert private not in page, private
    result = measure(client, f"/k/{k.slug}/transparansi")
    assert len(result.queries) <= 5 and result.html_gzip < 2 * 1024  # tiny: a few queries, one packet
    again = client.get(f"/k/{k.slug}/transparansi", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304  # a cache asking again gets "not modified"
    assert "t-health" not in page  # no rating published yet: no row for it
    k.health_published, k.health_year, k.health_category, k.health_score_centi = True, 2025, "cukup_sehat", 7185
    _db.session.commit()
    assert re.search(r"id=\"t-health\">Cukup sehat[^<]*\(tahun buku 2025\)", client.get(f"/k/{k.slug}/transparansi").text)
    board_client.post(f"/k/{k.slug}/office/profile", data=profile_form(k))
    assert client.get(f"/k/{k.slug}/transparansi").status_code == 404


def profile_form(k, **extra) -> dict:
    from tests.conftest import koperasi_data

    data = koperasi_data(name=k.name, legal_number=k.legal_number, member_prefix=k.member_prefix)
    form = {key: ("" if v is None else v if isinstance(v, list) else str(v)) for key, v in data.items()}
    form.update(savings_rate_bp="0", interest_method="minimum", wajib_due_day="10", employees_men="4",
                employees_women="1", **extra)
    return form
