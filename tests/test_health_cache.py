"""The health trend keeps each closed year's rating: the page's queries stay the same however many
years are closed; reopening a year drops its kept rating; a later questionnaire is not shown stale."""

from __future__ import annotations

import sqlalchemy as sa

from models import health, periods
from models.health_cache import HealthRating
from tests.budget import MAX_HTML_GZIP, measure
from tests.conftest import board, login
from tests.health_setup import year_of_books, yes_codes
from tests.test_health import kop, member, teller  # noqa: F401  (the same koperasi and people)


def kept_years(db, kop) -> list[int]:  # noqa: F811
    db.session.expire_all()
    return sorted(db.session.scalars(sa.select(HealthRating.year).where(HealthRating.koperasi_id == kop.id)))


def test_the_trend_pages_queries_do_not_grow_with_the_closed_years(app, kop, member, teller, db):  # noqa: F811
    year = year_of_books(kop, member, teller, db)
    client = login(app.test_client(), board(kop))
    url = f"/k/{kop.slug}/office/health"  # the newest closed year in full, and the trend
    client.get(url)  # the first view rates the closed year and keeps it
    one = measure(client, url)
    assert one.status == 200 and one.html_gzip <= MAX_HTML_GZIP
    for older in (year - 1, year - 2, year - 3, year - 4):
        periods.close_year(kop, older, board(kop))
    db.session.commit()
    first = measure(client, url)  # rates the four years newly closed, once
    assert len(first.queries) > len(one.queries)
    assert kept_years(db, kop) == [year - 4, year - 3, year - 2, year - 1, year]
    five = measure(client, url)
    assert five.status == 200 and len(five.queries) == len(one.queries), five.queries
    for y in range(year - 4, year + 1):
        assert f">{y}</a>" in five.body  # each year in the trend
    assert [(p.year, p.total_centi) for p in health.trend(kop)] == [
        (y, health.rate(kop, y).total_centi) for y in range(year - 4, year + 1)]


def test_reopening_a_year_drops_its_kept_rating(kop, member, teller, db, make_user):  # noqa: F811
    year = year_of_books(kop, member, teller, db)
    periods.close_year(kop, year - 1, board(kop))
    health.trend(kop)
    db.session.commit()
    assert kept_years(db, kop) == [year - 1, year]
    periods.reopen_year(kop, year, make_user(full_name="Admin Koperasi"), "Koreksi beban gaji Desember")
    db.session.commit()
    assert kept_years(db, kop) == [year - 1]
    assert [p.year for p in health.trend(kop)] == [year - 1]


def test_a_questionnaire_saved_after_the_close_is_in_the_trend(kop, member, teller, db):  # noqa: F811
    year = year_of_books(kop, member, teller, db)
    without = health.trend(kop)[0].total_centi
    db.session.commit()
    health.save_questionnaire(kop, year, yes_codes(), board(kop))
    db.session.commit()
    (point,) = health.trend(kop)
    assert point.total_centi == health.rate(kop, year).total_centi == 7185  # the hand-computed total
    assert point.total_centi > without
