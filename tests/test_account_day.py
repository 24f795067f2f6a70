"""Each account's totals per UTC day (``models.ledger.AccountDay``): kept by ``post()``, proven by
``books_check``, and the statements read from them (``books.account_sums``) exactly what a plain sum over
the lines says, whatever the windows, the koperasi's zone and the moments posted at.

The property posts random entries at random moments (on and around UTC midnight and the midnights of WIB,
WITA and WIT; in the past with ``at=``, or now), year-closing entries and reversals of them, then asks for
random windows: a koperasi's days (in a zone that may differ from the one it had when posting: a province
can change) and bare UTC windows of any length, closing entries in or out."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import books, books_check
from models.base import utcnow
from models.errors import DomainError
from models.ledger import YEAR_CLOSE, Account, AccountDay, Entry, Leg, Purpose, post, refill_day_totals
from models.zones import zone_of
from tests.conftest import empty_tables
from web.extensions import db as _db

BASE = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# Not cash or bank (they may not go below zero): any of these takes a debit or a credit.
PURPOSES = (Purpose.LOANS, Purpose.SUKARELA, Purpose.INTEREST, Purpose.SALARIES, Purpose.SHU_CURRENT,
            Purpose.OTHER_INCOME)
DAYS = [date(2025, 12, 30) + timedelta(days=n) for n in range(4)]  # around a year's end
PROVINCES = ("32", "51", "91")  # WIB (UTC+7), WITA (UTC+8), WIT (UTC+9)
TICK = timedelta(microseconds=1)
# Moments within a UTC day that matter: UTC midnight, the zones' midnights (17:00, 16:00, 15:00 UTC), either side.
SPECIAL = [timedelta(0), TICK, timedelta(days=1) - TICK,
           *(timedelta(hours=h) + d for h in (15, 16, 17) for d in (-TICK, timedelta(0), TICK))]
moments = st.builds(lambda day, offset: datetime.combine(day, time()) + offset, st.sampled_from(DAYS),
                    st.one_of(st.sampled_from(SPECIAL), st.integers(0, 86_399).map(lambda s: timedelta(seconds=s))))
amounts = st.integers(1, 10**9).flatmap(lambda n: st.sampled_from([n, -n]))
postings = st.lists(st.tuples(
    st.sampled_from(["journal", "journal", YEAR_CLOSE, "reverse a close"]),
    st.one_of(st.none(), moments),  # None: posted now
    st.lists(st.tuples(st.sampled_from(PURPOSES), amounts), min_size=1, max_size=3),
    st.sampled_from(PURPOSES),  # the leg that balances the entry
), min_size=1, max_size=10)
koperasi_days = st.tuples(st.just("days"), st.one_of(st.none(), st.sampled_from(DAYS)), st.integers(0, 3), st.booleans())
utc_windows = st.tuples(st.just("utc"), st.one_of(st.none(), moments), moments, st.booleans())
windows = st.lists(st.one_of(koperasi_days, utc_windows), min_size=1, max_size=4)


def _post_all(kop, steps) -> None:
    closes: list[Entry] = []
    for kind, at, legs, balancing in steps:
        legs = [Leg(purpose, amount) for purpose, amount in legs]
        total = sum(leg.amount for leg in legs)
        if total == 0:
            continue
        legs.append(Leg(balancing, -total))
        if kind == "reverse a close":
            if not closes:
                continue
            original = closes.pop(0)
            post(kop, "reversal", [Leg(line.account.purpose, -line.amount) for line in original.lines], by=None,
                 reverses=original, at=at or original.posted_at)
        else:
            entry = post(kop, kind, legs, by=None, at=at)
            if kind == YEAR_CLOSE:
                closes.append(entry)
    _db.session.commit()


def _naive(kop, spans: list[books.Window]) -> dict[int, list[tuple[int, int]]]:
    """The same sums, the plain way: every line of the koperasi's entries, in Python."""
    entries = _db.session.scalars(sa.select(Entry).where(Entry.koperasi_id == kop.id)).all()
    closing_ids = {entry.id for entry in entries if entry.kind == YEAR_CLOSE}
    accounts = _db.session.scalars(sa.select(Account.id).where(Account.koperasi_id == kop.id)).all()
    sums = {account_id: [[0, 0] for _ in spans] for account_id in accounts}
    for entry in entries:
        closing = entry.kind == YEAR_CLOSE or entry.reverses_id in closing_ids
        for n, span in enumerate(spans):
            inside = ((span.since is None or entry.posted_at >= span.since) and entry.posted_at < span.until
                      and (span.closing or not closing))
            for line in entry.lines if inside else ():
                sums[line.account_id][n][0 if line.amount > 0 else 1] += abs(line.amount)
    return {account_id: [tuple(pair) for pair in pairs] for account_id, pairs in sums.items()}


@settings(BASE, max_examples=40)
@given(steps=postings, asked=windows, posted_in=st.sampled_from(PROVINCES), read_in=st.sampled_from(PROVINCES))
def test_statements_from_day_totals_equal_the_sum_of_the_lines(steps, asked, posted_in, read_in, make_koperasi):
    """account_sums (every statement) and balances_by_purpose (the dashboard, the cash flow) equal the lines."""
    empty_tables()
    kop, other = make_koperasi(), make_koperasi()
    post(other, "journal", [Leg(Purpose.LOANS, 7_000), Leg(Purpose.SUKARELA, -7_000)], by=None,  # never counted
         at=datetime(2025, 12, 31, 17))
    kop.province_code = posted_in
    try:
        _post_all(kop, steps)
    except DomainError:  # e.g. the balancing leg cancels the others to nothing: not what is tested here
        _db.session.rollback()
    kop.province_code = read_in  # the zone may change after posting: days are UTC, the windows the koperasi's
    _db.session.commit()
    today = zone_of(kop).today()
    spans = []
    for shape, *args in asked:
        if shape == "days":
            start, length, closing = args
            spans.append(books.window(kop, start, start + timedelta(days=length) if start else today, closing))
        else:
            since, until, closing = args
            spans.append(books.Window(since, until, closing))
    found = {ref.id: totals for ref, totals in books.account_sums(kop, spans) if ref.id is not None}
    assert found == _naive(kop, spans)
    # The dashboard's balances at moments: per purpose, only the purposes posted to before the last moment.
    untils = [span.until for span in spans]
    before = _naive(kop, [books.Window(None, until) for until in untils])
    purposes = dict(_db.session.execute(sa.select(Account.id, Account.purpose).where(Account.koperasi_id == kop.id)).all())
    balances: dict[str, list[int]] = {}
    for account_id, pairs in before.items():
        if purposes[account_id] in PURPOSES and pairs[untils.index(max(untils))] != (0, 0):
            values = balances.setdefault(purposes[account_id], [0] * len(untils))
            for n, (debit, credit) in enumerate(pairs):
                values[n] += debit - credit
    assert books.balances_by_purpose(kop, untils, PURPOSES) == balances
    assert books_check.check_account_days() == []


def test_posting_keeps_a_row_per_account_and_utc_day_closing_entries_apart(make_koperasi, db):
    kop = make_koperasi(province_code="32")
    evening = datetime(2025, 12, 31, 16, 59, 59)  # 23:59:59 WIB on 31 December: still 31 December in UTC
    post(kop, "journal", [Leg(Purpose.SALARIES, 500), Leg(Purpose.SUKARELA, -500)], by=None, at=evening)
    post(kop, "journal", [Leg(Purpose.SALARIES, 200), Leg(Purpose.SALARIES, -50), Leg(Purpose.SUKARELA, -150)],
         by=None, at=evening + timedelta(hours=7))  # 31 December 23:59:59 UTC
    close = post(kop, YEAR_CLOSE, [Leg(Purpose.SHU_CURRENT, 650), Leg(Purpose.SALARIES, -650)], by=None, at=evening)
    post(kop, "reversal", [Leg(Purpose.SHU_CURRENT, -650), Leg(Purpose.SALARIES, 650)], by=None, reverses=close,
         at=evening + timedelta(hours=8))  # 1 January UTC
    db.session.commit()
    rows = db.session.execute(sa.select(Account.purpose, AccountDay.day, AccountDay.closing, AccountDay.debit,
                                        AccountDay.credit).join(Account, Account.id == AccountDay.account_id)
                              .order_by(Account.purpose, AccountDay.day, AccountDay.closing)).all()
    assert [tuple(row) for row in rows] == [
        ("salaries", date(2025, 12, 31), False, 700, 50),
        ("salaries", date(2025, 12, 31), True, 0, 650),
        ("salaries", date(2026, 1, 1), True, 650, 0),
        ("savings_sukarela", date(2025, 12, 31), False, 0, 650),
        ("shu_current", date(2025, 12, 31), True, 650, 0),
        ("shu_current", date(2026, 1, 1), True, 0, 650),
    ]
    # A posting now lands on today's UTC day.
    post(kop, "journal", [Leg(Purpose.RENT, 1), Leg(Purpose.SUKARELA, -1)], by=None)
    assert db.session.scalar(sa.select(AccountDay.day).join(Account, Account.id == AccountDay.account_id)
                             .where(Account.purpose == Purpose.RENT)) == utcnow().date()
    assert books_check.check() == []


def test_books_check_names_a_tampered_or_missing_day(make_koperasi, db):
    kop = make_koperasi(province_code="32")
    post(kop, "journal", [Leg(Purpose.SALARIES, 500), Leg(Purpose.SUKARELA, -500)], by=None,
         at=datetime(2026, 3, 4, 10))
    db.session.commit()
    assert books_check.check() == []
    salaries = db.session.scalar(sa.select(Account.id).where(Account.koperasi_id == kop.id,
                                                             Account.purpose == Purpose.SALARIES))
    db.session.execute(sa.update(AccountDay).where(AccountDay.account_id == salaries).values(debit=400))
    problems = books_check.check()
    assert problems[0] == f"account {salaries} on 2026-03-04: day totals say debit/credit 400/0, lines say 500/0"
    # The statements read the day rows, so they are off too (the check is what proves them).
    assert books.trial_balance(kop, date(2026, 3, 1), date(2026, 3, 31)).debit == 400
    assert any("trial balance debits 400 != credits 500" in problem for problem in problems[1:])
    db.session.rollback()
    db.session.execute(sa.delete(AccountDay).where(AccountDay.account_id == salaries))
    assert books_check.check_account_days() == [
        f"account {salaries} on 2026-03-04: day totals say debit/credit none/none, lines say 500/0"]
    db.session.rollback()
    assert books_check.check() == []


def test_day_totals_made_from_the_lines_equal_those_post_keeps(make_koperasi, db):
    """The INSERT … SELECT that fills the table from lines (the migration's backfill, bulk loads) gives the
    rows ``post()`` keeps, closing entries and their reversals included, on either database."""
    kop, other = make_koperasi(), make_koperasi()
    close = post(kop, YEAR_CLOSE, [Leg(Purpose.SHU_CURRENT, 650), Leg(Purpose.SALARIES, -650)], by=None,
                 at=datetime(2025, 12, 31, 16, 59, 59, 999_999))
    post(kop, "reversal", [Leg(Purpose.SHU_CURRENT, -650), Leg(Purpose.SALARIES, 650)], by=None, reverses=close,
         at=datetime(2026, 1, 1, 0, 0, 0, 1))
    for n, at in enumerate((datetime(2025, 12, 31, 23, 59, 59), datetime(2026, 1, 1), None)):
        post(kop, "journal", [Leg(Purpose.SALARIES, 100 + n), Leg(Purpose.SUKARELA, -100 - n)], by=None, at=at)
    post(other, "journal", [Leg(Purpose.RENT, 5), Leg(Purpose.SUKARELA, -5)], by=None, at=datetime(2026, 1, 1))
    db.session.commit()
    kept = db.session.execute(sa.select(AccountDay.__table__).order_by(*AccountDay.__table__.primary_key)).all()
    refill_day_totals(kop.id)
    assert db.session.execute(sa.select(AccountDay.__table__).order_by(*AccountDay.__table__.primary_key)).all() == kept
    assert books_check.check() == []
