"""The books stay flat at national size on PostgreSQL: each statement of the office's books
(neraca, trial balance, hasil usaha, cash flow, changes in equity, an account's general ledger),
exactly as the code sends it, reaches a koperasi's day totals through its own accounts and its lines
through its own accounts or its own entries by index: no sequential scan of the journal or of the
day totals, no sort of more than one koperasi's lines.

The rows (2,000 koperasi with the standard chart, 60 entries of two lines each) are made once
for this module by PostgreSQL itself and VACUUM ANALYZEd, so the planner sees a journal shaped
like the national one (many koperasi, few lines each); counts of rows and plan nodes, never times.
"""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from models import books, books_flows, dashboard, health
from models.koperasi import Koperasi
from models.ledger import CHART, day_totals_from_lines
from tests.search_data import fill
from tests.test_search_plans import explained, nodes, shape
from web.extensions import db as _db

pytestmark = pytest.mark.postgres_only

KOPERASI, ENTRIES = 2_000, 60
LARGEST = 3_000  # more entries for the first koperasi: a few percent of the journal, as the largest at national size
BIG = {"line", "entry", "account", "account_day"}
MAX_SORTED = 500  # a sort takes in at most one koperasi's rows of the period, never the journal's


@pytest.fixture(scope="module")
def journal(app):
    with app.app_context():
        with _db.engine.begin() as conn:
            fill(conn, koperasi=KOPERASI, stores=10, products=10)
            chart = ", ".join(f"('{purpose}', '{code}', '{kind}')" for purpose, code, kind, _label in CHART)
            conn.execute(sa.text(f"""
                INSERT INTO account (koperasi_id, purpose, code, kind, closed, balance)
                SELECT k.id, c.purpose, c.code, c.kind, false, 0 FROM koperasi k
                CROSS JOIN (VALUES {chart}) AS c(purpose, code, kind)"""))
            conn.execute(sa.text(f"""
                INSERT INTO entry (koperasi_id, ref, kind, memo, posted_at)
                SELECT k.id, 'R-' || n, 'deposit', '', timestamp '2026-06-30' - n * interval '3 days'
                FROM koperasi k CROSS JOIN generate_series(1, {ENTRIES}) AS n"""))
            conn.execute(sa.text(f"""
                INSERT INTO entry (koperasi_id, ref, kind, memo, posted_at)
                SELECT k.id, 'R-' || n, 'deposit', '', timestamp '2026-06-30' - (n % 300) * interval '1 day'
                FROM (SELECT min(id) AS id FROM koperasi) k
                CROSS JOIN generate_series({ENTRIES + 1}, {ENTRIES + LARGEST}) AS n"""))
            # Each entry debits one account and credits another, by turns: deposits of sukarela and wajib,
            # a loan paid out, its interest received (cash stays positive).
            pairs = "(0, 'cash', 'savings_sukarela'), (1, 'cash', 'savings_wajib'), " \
                    "(2, 'loans_receivable', 'cash'), (3, 'cash', 'interest_income')"
            conn.execute(sa.text(f"""
                INSERT INTO line (entry_id, account_id, amount)
                SELECT e.id, a.id, CASE WHEN a.purpose = p.debit THEN 10000 ELSE -10000 END
                FROM entry e JOIN (VALUES {pairs}) AS p(turn, debit, credit)
                  ON p.turn = substr(e.ref, 3)::int % 4
                JOIN account a ON a.koperasi_id = e.koperasi_id AND a.purpose IN (p.debit, p.credit)
                ORDER BY e.id"""))
            conn.execute(sa.text(day_totals_from_lines()))  # what post() keeps: each account's totals per day
        with _db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in ("koperasi", "account", "entry", "line", "account_day"):
                conn.execute(sa.text(f"VACUUM ANALYZE {table}"))
        yield
        _db.session.remove()
        with _db.engine.begin() as conn:  # one TRUNCATE: deleting the journal row by row takes minutes
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")  # the audit log's guards stand aside
            conn.execute(sa.text("TRUNCATE " + ", ".join(t.name for t in _db.metadata.sorted_tables) + " CASCADE"))


@pytest.fixture(autouse=True)
def _clean(app, journal):
    """Overrides conftest's: the rows are made once for the module, emptied after it."""
    with app.app_context():
        yield
        _db.session.remove()


def problems(plan: dict) -> list[str]:
    found = []
    for node in nodes(plan):
        if node["Node Type"] == "Seq Scan" and node.get("Relation Name") in BIG:
            found.append(f"Seq Scan on {node['Relation Name']}")
        if node["Node Type"] in ("Sort", "Incremental Sort"):
            taken = sum(child.get("Actual Rows", 0) * child.get("Actual Loops", 1) for child in node["Plans"])
            if taken > MAX_SORTED:
                found.append(f"{node['Node Type']} of {taken:.0f} rows")
    return found


def _koperasi(which: str = "typical") -> Koperasi:
    """A koperasi of the usual size, or the largest (the first)."""
    return _db.session.scalars(sa.select(Koperasi).order_by(Koperasi.id)
                               .offset(KOPERASI // 2 if which == "typical" else 0).limit(1)).one()


STATEMENTS = {
    "neraca": lambda k: books.neraca(k, date(2026, 6, 30)),
    "trial balance": lambda k: books.trial_balance(k, date(2026, 6, 1), date(2026, 6, 30)),
    "hasil usaha": lambda k: books.hasil_usaha(k, date(2026, 1, 1), date(2026, 6, 30)),
    "cash flow": lambda k: books_flows.cash_flow(k, date(2026, 6, 1), date(2026, 6, 30)),
    "changes in equity": lambda k: books_flows.equity_changes(k, date(2026, 6, 1), date(2026, 6, 30)),
    "general ledger": lambda k: books.general_ledger(k, "1101", date(2026, 6, 1), date(2026, 6, 30), page=1),
    "dashboard balances": lambda k: dashboard._balances_at_month_ends(k, dashboard.month_starts(date(2026, 6, 30))),
    "health: loans disbursed": lambda k: health.disbursed(k, date(2026, 1, 1), date(2026, 6, 30)),
}


@pytest.mark.parametrize("label", STATEMENTS)
@pytest.mark.parametrize("which", ["typical", "largest"])
def test_books_query_plans_stay_flat(label, which):
    """No scan of the whole journal; a sort takes in at most one usual koperasi's rows (the largest
    may sort its own lines: its page grows with its own books, never with the others')."""
    koperasi = _koperasi(which)
    plans = explained(lambda: STATEMENTS[label](koperasi))
    assert plans
    for statement, plan in plans:
        found = [p for p in problems(plan) if which == "typical" or p.startswith("Seq Scan")]
        assert found == [], f"{label} ({which}): {statement[:200]}\n{shape(plan)}"


DAY_TOTALS = ("neraca", "trial balance", "hasil usaha", "changes in equity", "dashboard balances")
# The lines of the partial days at the windows' edges (the dashboard's twelve month ends: twelve of them, of
# about 20 lines a day), never the largest koperasi's 6,120.
EDGE_LINES = 400


@pytest.mark.parametrize("label", DAY_TOTALS)
def test_sums_read_day_totals_and_only_the_edge_days_lines(label):
    """The statements that add up accounts read each account's day totals, and lines only at the partial
    days at their windows' edges: the largest koperasi's books do not make them read its whole journal."""
    plans = explained(lambda: STATEMENTS[label](_koperasi("largest")))
    relations = {node.get("Relation Name") for _statement, plan in plans for node in nodes(plan)}
    read = sum(node.get("Actual Rows", 0) * node.get("Actual Loops", 1) for _statement, plan in plans
               for node in nodes(plan) if node.get("Relation Name") == "line")
    assert "account_day" in relations and read <= EDGE_LINES, "\n".join(shape(plan) for _statement, plan in plans)


def test_the_journal_is_there():
    """The plans above mean something only over a journal of many koperasi; and they add up."""
    count = _db.session.scalar(sa.select(sa.func.count()).select_from(sa.table("line")))
    koperasi = _db.session.scalar(sa.select(sa.func.count()).select_from(Koperasi))
    assert koperasi >= KOPERASI and count == (koperasi * ENTRIES + LARGEST) * 2
    sheet = books.neraca(_koperasi(), date(2026, 6, 30))
    # Per 4 entries: +20,000 cash from deposits and interest, -10,000 paid out as a loan (+10,000 loans).
    assert sheet.balanced and sheet.assets.total == ENTRIES // 4 * 30000
