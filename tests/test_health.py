"""The health rating (Perdep 06/Per/Dep.6/IV/2016), computed by hand: every ratio of a koperasi
whose books hold known figures (tests/health_setup.py), its score, the total and the category;
the category's boundaries; the questionnaire; publishing; who sees what."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sqlalchemy as sa

from models import health
from models.errors import DomainError
from models.koperasi import Koperasi
from tests.conftest import board, login
from tests.health_setup import year_of_books, yes_codes


@pytest.fixture
def kop(make_koperasi):
    return make_koperasi(name="KSP Contoh Sehat", member_prefix="KCS")


@pytest.fixture
def member(kop, make_member, make_user):
    return make_member(kop, user=make_user(full_name="Siti Anggota", mobile="081299990001"))


@pytest.fixture
def teller(kop, make_staff):
    return make_staff(kop, "teller")


@pytest.fixture
def year(kop, member, teller, db):
    return year_of_books(kop, member, teller, db)


# ---------------------------------------------------------------- the hand computation
# The year-end balance sheet, by hand (tests/health_setup.py):
CASH = 20_000_000 + 2_000_000 + 3_000_000 + 30_000_000 - 10_000_000 - 15_200_000 + 9_500_000 - 2_200_000
assert CASH == 37_100_000
BANK = 10_000_000
LOANS = 8_000_000 + 4_000_000 + 2_000_000 + 1_200_000  # 15.200.000, also what was lent in the year
ALLOWANCE = 40_000 + 400_000 + 1_000_000 + 1_200_000  # 2.640.000
ASSETS = CASH + BANK + LOANS - ALLOWANCE  # 59.660.000
INCOME = 9_000_000 + 200_000 + 300_000  # 9.500.000
EXPENSES = 600_000 + 1_200_000 + 400_000 + ALLOWANCE  # 4.840.000
SHU = INCOME - EXPENSES  # 4.660.000
EQUITY = 20_000_000 + 2_000_000 + 3_000_000 + SHU  # 29.660.000
SUKARELA = 30_000_000
assert (ASSETS, SHU, EQUITY) == (59_660_000, 4_660_000, 29_660_000) and ASSETS == SUKARELA + EQUITY

# (ratio, numerator, denominator, nilai, weight) — the table row named in each comment
EXPECTED = {
    # permodalan (15)
    "modal_aset": (29_660_000, 59_660_000, 100, 6),  # 49,72 %: 40 ≤ x < 60 → 100
    "modal_berisiko": (29_660_000, 15_200_000, 100, 6),  # 195,1 %: x ≥ 100 → 100
    # modal tertimbang 25.000.000 + 50 % of SHU 2.330.000; ATMR bank 20 % 2.000.000 + loans net 12.560.000
    "kecukupan_modal": (27_330_000, 14_560_000, 100, 3),  # 187,7 %: x ≥ 8 → 100
    # kualitas aktiva produktif (25)
    "pinjaman_anggota": (15_200_000, 15_200_000, 100, 10),  # 100 %: x ≥ 75 → 100
    # risk 50 % × 4.000.000 + 75 % × 2.000.000 + 100 % × 1.200.000 = 4.700.000
    "npl": (4_700_000, 15_200_000, 20, 5),  # 30,92 %: 30 < x ≤ 40 → 20
    "cadangan": (2_640_000, 4_700_000, 60, 5),  # 56,17 %: 50 < x ≤ 60 → 60
    "berisiko": (15_200_000, 15_200_000, 25, 5),  # 100 %: x > 30 → 25
    # efisiensi (10): participation 9.200.000; operating costs 4.840.000 - 600.000 = 4.240.000
    "beban_partisipasi": (600_000 + 4_240_000, 9_200_000, 100, 4),  # 52,61 %: x < 70 → 100
    "beban_shu_kotor": (4_240_000, 9_500_000 - 600_000, 75, 4),  # 47,64 %: 40 < x ≤ 60 → 75
    "efisiensi_pelayanan": (1_200_000, 15_200_000, 75, 2),  # 7,89 %: 5 ≤ x < 10 → 75
    # likuiditas (15)
    "kas": (47_100_000, 30_000_000, 25, 10),  # 157 %: x > 20 → 25
    "pinjaman_dana": (15_200_000, 55_000_000, 25, 5),  # 27,64 %: x < 50 → 25
    # kemandirian dan pertumbuhan (10); members' SHU 40 % × 4.660.000 = 1.864.000
    "rentabilitas_aset": (4_660_000, 59_660_000, 75, 3),  # 7,81 %: 7,5 ≤ x < 10 → 75
    "rentabilitas_modal": (1_864_000, 29_660_000, 50, 3),  # 6,28 %: 5 ≤ x < 7,5 → 50
    "kemandirian": (9_200_000 - 600_000, 4_240_000, 100, 4),  # 202,8 %: x > 150 → 100
    # jatidiri koperasi (10)
    "partisipasi_bruto": (9_200_000, 9_500_000, 100, 7),  # 96,84 %: x ≥ 75 → 100
    "promosi": (1_864_000 + 600_000, 5_000_000, 100, 3),  # 49,28 %: x ≥ 10 → 100
}
# Aspect scores in hundredths of a point: nilai × weight.
ASPECTS = {"permodalan": 600 + 600 + 300, "kap": 1000 + 100 + 300 + 125, "efisiensi": 400 + 300 + 150,
           "likuiditas": 250 + 125, "kemandirian": 225 + 150 + 400, "jatidiri": 700 + 300,
           # 10 of 12 × 0,25 + 5 of 6 × 0,5 + 4 of 5 × 0,6 + 8 of 10 × 0,3 + 3 of 5 × 0,6
           "manajemen": 250 + 250 + 240 + 240 + 180}
TOTAL = 1500 + 1525 + 850 + 375 + 775 + 1000 + 1160  # 7185: 71,85
assert sum(ASPECTS.values()) == TOTAL == 7185


def test_every_ratio_its_inputs_its_row_and_score_as_computed_by_hand(kop, year, db):
    health.save_questionnaire(kop, year, yes_codes(), board(kop))
    rating = health.rate(kop, year)
    for key, (numerator, denominator, nilai, weight) in EXPECTED.items():
        ratio = rating.ratio(key)
        assert (ratio.numerator[1], ratio.denominator[1]) == (numerator, denominator), key
        assert ratio.value == Fraction(numerator * 100, denominator), key
        assert (ratio.nilai, ratio.weight, ratio.score_centi) == (nilai, weight, nilai * weight), key
        assert ratio.band.holds(ratio.value) and ratio.inputs, key
    assert {a.key: a.score_centi for a in rating.aspects} == ASPECTS
    assert rating.total_centi == 7185 and rating.total == 71.85
    assert rating.category == health.CUKUP  # 66 ≤ 71,85 < 80


def test_the_command_prints_the_rating_with_its_inputs(app, kop, year, db):
    health.save_questionnaire(kop, year, yes_codes(), board(kop))
    db.session.commit()
    out = app.test_cli_runner().invoke(args=["health", kop.slug, "--year", str(year)]).output
    assert f"book year {year}: 71.85 / 100, Cukup sehat" in out  # the category as a person reads it
    assert "Permodalan: 15.00 / 15" in out and "Modal sendiri: Rp" in out


def test_without_the_questionnaire_management_scores_nothing(kop, year):
    rating = health.rate(kop, year)
    assert rating.questionnaire is None
    assert rating.total_centi == TOTAL - ASPECTS["manajemen"]  # 60,25: dalam pengawasan
    assert rating.category == health.PENGAWASAN


def test_every_closed_year_is_in_the_trend(kop, year):
    assert [r.year for r in health.trend(kop)] == [year]
    assert health.years_of(kop)[0] == year + 1  # the current year, rated to date, comes first


@pytest.mark.parametrize("centi, category", [(10000, health.SEHAT), (8000, health.SEHAT), (7999, health.CUKUP),
                                             (6600, health.CUKUP), (6599, health.PENGAWASAN),
                                             (5100, health.PENGAWASAN), (5099, health.KHUSUS), (0, health.KHUSUS)])
def test_the_category_boundaries(centi, category):
    assert health.category_of(centi) == category


@pytest.mark.parametrize("table, x, nilai", [
    ("modal_aset", "19.99", 25), ("modal_aset", "20", 50), ("modal_aset", "40", 100), ("modal_aset", "59.99", 100),
    ("modal_aset", "60", 50), ("modal_aset", "80", 25),
    ("npl", "0", 100), ("npl", "0.01", 80), ("npl", "10", 80), ("npl", "45", 10), ("npl", "45.01", 0),
    ("berisiko", "20.99", 100), ("berisiko", "21", 75), ("berisiko", "30", 50), ("berisiko", "30.01", 25),
    ("cadangan", "0", 0), ("cadangan", "10", 10), ("cadangan", "10.01", 20), ("cadangan", "100", 100),
    ("kas", "10", 25), ("kas", "10.01", 100), ("kas", "15", 100), ("kas", "20", 50), ("kas", "20.01", 25),
    ("kemandirian", "100", 25), ("kemandirian", "150.01", 100), ("beban_shu_kotor", "40", 100),
])
def test_table_rows_at_their_edges(table, x, nilai):
    assert health.band_of(table, Fraction(x)).nilai == nilai


def test_the_questionnaire_keeps_the_yes_answers_and_refuses_unknown_ones(kop, year, db):
    row = health.save_questionnaire(kop, year, ["u1", "k2"], board(kop))
    assert row.answers == ["u1", "k2"]
    health.save_questionnaire(kop, year, ["a1"], board(kop))  # answered again: replaced
    assert health.questionnaire_of(kop, year).answers == ["a1"]
    with pytest.raises(DomainError):
        health.save_questionnaire(kop, year, ["u1", "=cmd()"], board(kop))
    with pytest.raises(DomainError):
        health.save_questionnaire(kop, year + 5, [], board(kop))


def test_publishing_freezes_a_closed_years_category_for_members(kop, year, db):
    assert health.published_category(kop) is None
    with pytest.raises(DomainError):  # the questionnaire first
        health.publish(kop, year, board(kop))
    with pytest.raises(DomainError):  # the current year is not closed
        health.publish(kop, year + 1, board(kop))
    health.save_questionnaire(kop, year, yes_codes(), board(kop))
    health.publish(kop, year, board(kop))
    shown_year, label = health.published_category(kop)
    assert shown_year == year and str(label).startswith("Cukup sehat")
    assert (kop.health_score_centi, kop.health_category) == (7185, health.CUKUP)
    health.unpublish(kop, board(kop))
    assert health.published_category(kop) is None


def test_a_consumer_koperasi_is_not_rated(make_koperasi):
    store = make_koperasi(name="Koperasi Konsumen Warga", member_prefix="KKW", jenis="konsumen", services=["store"])
    assert not health.applies(store)
    with pytest.raises(DomainError):
        health.publish(store, 2020, None)


# ---------------------------------------------------------------- the pages

def _page(client, kop, suffix=""):
    return client.get(f"/k/{kop.slug}/office/health{suffix}")


def test_the_board_fills_the_questionnaire_sees_the_score_and_publishes(app, kop, year, db):
    client = login(app.test_client(), board(kop))
    form = client.get(f"/k/{kop.slug}/office/health/questionnaire?year={year}")
    assert form.status_code == 200 and form.text.count('type="checkbox"') == 38  # 12 + 6 + 5 + 10 + 5
    sent = client.post(f"/k/{kop.slug}/office/health/questionnaire?year={year}",
                       data={"year": str(year), **dict.fromkeys(yes_codes(), "y")})
    assert sent.status_code == 303
    page = _page(client, kop, f"?year={year}")
    assert page.status_code == 200 and "71,85" in page.text and "Cukup sehat" in page.text
    assert "29.660.000" in page.text and "59.660.000" in page.text  # the inputs of own capital to assets
    published = client.post(f"/k/{kop.slug}/office/health", data={"form": "publish", "year": str(year)})
    assert published.status_code == 303
    db.session.expire_all()
    assert db.session.get(Koperasi, kop.id).health_published


def test_the_page_downloads_as_csv_and_xlsx(app, kop, year):
    client = login(app.test_client(), board(kop))
    csv = _page(client, kop, f"?year={year}&format=csv")
    assert csv.status_code == 200 and "29660000" in csv.text and "7185" not in csv.text
    xlsx = _page(client, kop, f"?year={year}&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"


@pytest.mark.parametrize("role, status", [("pengawas", 200), ("pengurus", 200), ("admin", 200), ("teller", 403)])
def test_who_sees_the_health_page(app, kop, year, make_staff, role, status):
    client = login(app.test_client(), make_staff(kop, role))
    assert _page(client, kop).status_code == status


def test_the_supervisor_reads_but_cannot_answer_or_publish(app, kop, year, make_staff, db):
    client = login(app.test_client(), make_staff(kop, "pengawas"))
    assert client.post(f"/k/{kop.slug}/office/health/questionnaire?year={year}", data={"u1": "y"}).status_code == 403
    assert client.post(f"/k/{kop.slug}/office/health", data={"form": "publish", "year": str(year)}).status_code == 403
    assert health.questionnaire_of(kop, year) is None


def test_another_koperasis_staff_and_members_find_no_health_page(app, kop, year, make_koperasi, make_staff, member):
    other = make_koperasi(name="Koperasi Tetangga", member_prefix="KTG")
    stranger = login(app.test_client(), make_staff(other, "admin"))
    assert _page(stranger, kop).status_code == 404
    own = login(app.test_client(), member.user)
    assert _page(own, kop).status_code == 404


def test_members_see_only_the_published_category(app, kop, year, member, db):
    client = login(app.test_client(), member.user)
    assert "Kesehatan koperasi" not in client.get(f"/k/{kop.slug}/me").text
    health.save_questionnaire(kop, year, yes_codes(), board(kop))
    health.publish(kop, year, board(kop))
    db.session.commit()
    me = client.get(f"/k/{kop.slug}/me").text
    profile = client.get(f"/k/{kop.slug}").text
    for text in (me, profile):
        assert "Cukup sehat" in text and str(year) in text
        assert "71,85" not in text and "29.660.000" not in text  # the category, not the details


def test_bad_input_never_breaks_the_page(app, kop, year):
    client = login(app.test_client(), board(kop))
    for query in ("?year=abc", "?year=99999", "?year=1800", "?year=-1"):
        assert _page(client, kop, query).status_code in (200, 404)
    bad = client.post(f"/k/{kop.slug}/office/health", data={"form": "publish", "year": "20x"})
    assert bad.status_code == 422
    assert client.post(f"/k/{kop.slug}/office/health", data={"form": "nope"}).status_code == 400


def test_the_page_is_small_and_its_queries_do_not_grow_with_the_books(app, kop, year, member, teller, db):
    """A rating is a fixed handful of aggregate queries (the statements, the classes, the year's
    disbursements, the split, the questionnaire), whatever the number of entries or loans."""
    from models import loans
    from models.ledger import Leg, Purpose, post
    from tests.budget import MAX_HTML_GZIP, MAX_QUERIES, measure

    client = login(app.test_client(), board(kop))
    url = f"/k/{kop.slug}/office/health?year={year + 1}"  # this year, to date
    client.get(url)  # the first view rates the closed year for the trend and keeps it (models.health_cache)
    before = measure(client, url)
    assert before.status == 200 and before.html_gzip <= MAX_HTML_GZIP
    assert len(before.queries) <= MAX_QUERIES, before.queries  # the page budget (tests/budget.py)
    product = db.session.scalar(sa.select(loans.LoanProduct).where(loans.LoanProduct.koperasi_id == kop.id))
    for n in range(4):  # more entries and loans this year
        post(kop, "journal", [Leg(Purpose.CASH, 100_000), Leg(Purpose.OTHER_INCOME, -100_000)], by=None, memo="Sewa")
        loan = loans.apply(member, product, 500_000 + n, 6, "Modal usaha tambahan")
        loans.approve(loan, board(kop))
        loans.disburse(loan, teller, "cash")
    db.session.commit()
    after = measure(client, url)
    assert after.status == 200 and len(after.queries) == len(before.queries), after.queries


def test_a_consumer_koperasis_office_is_told_the_rating_is_for_savings_and_loans(app, make_koperasi):
    store = make_koperasi(name="Koperasi Konsumen Warga", member_prefix="KKW", jenis="konsumen", services=["store"])
    client = login(app.test_client(), board(store))
    page = _page(client, store)
    assert page.status_code == 200 and "KSPPS" in page.text and 'id="health-total"' not in page.text
    assert client.get(f"/k/{store.slug}/office/health/questionnaire").status_code == 404


def test_hostile_answers_keep_only_the_known_questions(app, kop, year):
    client = login(app.test_client(), board(kop))
    sent = client.post(f"/k/{kop.slug}/office/health/questionnaire?year={year}",
                       data={"u1": "y", "u99": "y", "=HYPERLINK(1)": "y", "a1": "x" * 100_000})
    assert sent.status_code == 303
    assert health.questionnaire_of(kop, year).answers == ["u1", "a1"]
