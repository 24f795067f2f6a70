"""The catalogue and directory stay flat at national size on PostgreSQL: every main
query, exactly as the code sends it, walks an index, reads about a page of rows from
the big tables, and sorts nothing big.

The rows (30,000 koperasi, 10,000 stores, 50,000 products, tests/search_data.py) are
made once for this module by PostgreSQL itself and VACUUM ANALYZEd, so the planner sees a
table shaped like the national one; each query is then run under EXPLAIN ANALYZE and
its plan read. Counts of rows, never times.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from models import catalogue, directory
from tests.budget import statements_sent
from tests.conftest import empty_tables
from tests.search_data import CATALOGUE, DIRECTORY, MIANGAS, fill, vacuum
from web.extensions import db as _db

pytestmark = pytest.mark.postgres_only

KOPERASI, STORES, PRODUCTS = 30_000, 10_000, 50_000
BIG = {"product", "koperasi", "store", "koperasi_service"}
# Rows a query may read from the big tables (scanned, whether kept or filtered out),
# and rows a Sort may take in: a few pages' worth, a small fraction of any big table.
# A search of several words first reads the newest catalogue.WINDOW products (a fixed number).
MAX_READ = 1_500
MAX_SORTED = 500


@pytest.fixture(scope="module")
def national(app):
    with app.app_context():
        with _db.engine.begin() as conn:
            fill(conn, koperasi=KOPERASI, stores=STORES, products=PRODUCTS)
        vacuum(_db.engine)
        yield
        empty_tables()


@pytest.fixture(autouse=True)
def _clean(app, national):
    """Overrides conftest's: the rows are made once for the module, emptied after it."""
    with app.app_context():
        yield
        _db.session.remove()


def explained(run) -> list[tuple[str, dict]]:
    """(SQL, EXPLAIN ANALYZE plan) of every statement ``run()`` sends, with its own parameters."""
    with statements_sent() as sent:
        run()
    with _db.engine.connect() as conn:
        return [(statement, conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement,
                                                 parameters).scalar_one()[0]["Plan"])
                for statement, parameters in sent]


def nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


def _rows(node: dict, *keys: str) -> float:
    return sum(node.get(key, 0) for key in keys) * node.get("Actual Loops", 1)


def problems(statement: str, plan: dict) -> list[str]:
    """What would make the query grow with the table: a sequential scan of a big table,
    too many rows read from the big tables, a sort of many rows."""
    max_read = MAX_READ + (catalogue.WINDOW if "''::tsvector" in statement else 0)
    found, read = [], 0.0
    for node in nodes(plan):
        kind, relation = node["Node Type"], node.get("Relation Name")
        if kind == "Seq Scan" and relation in BIG:
            found.append(f"Seq Scan on {relation}")
        if relation in BIG and kind != "Bitmap Heap Scan":  # a bitmap heap scan's rows come from its index scan
            read += _rows(node, "Actual Rows", "Rows Removed by Filter")
        if kind == "Bitmap Heap Scan" and relation in BIG:
            read += _rows(node, "Rows Removed by Index Recheck", "Rows Removed by Filter", "Actual Rows")
        if kind in ("Sort", "Incremental Sort"):
            taken = sum(_rows(child, "Actual Rows") for child in node["Plans"])
            if taken > MAX_SORTED:
                found.append(f"{kind} of {taken:.0f} rows")
    if read > max_read:
        found.append(f"{read:.0f} rows read from the big tables")
    return found


def shape(plan: dict, depth: int = 0) -> str:
    """The plan as indented node types, for the failure message."""
    line = "  " * depth + plan["Node Type"] + "".join(
        f" {key}={plan[key]}" for key in ("Relation Name", "Index Name", "Actual Rows", "Actual Loops",
                                           "Rows Removed by Filter", "Rows Removed by Index Recheck") if key in plan)
    return "\n".join([line, *(shape(child, depth + 1) for child in plan.get("Plans", []))])


@pytest.mark.parametrize("label", CATALOGUE)
def test_catalogue_query_plans_stay_flat(label):
    plans = explained(lambda: catalogue.search(catalogue.criteria(**CATALOGUE[label])))
    assert plans
    for statement, plan in plans:
        assert problems(statement, plan) == [], f"{label}:\n{shape(plan)}"


@pytest.mark.parametrize("label", DIRECTORY)
def test_directory_query_plans_stay_flat(label):
    plans = explained(lambda: directory.search(directory.criteria(**DIRECTORY[label])))
    assert plans
    for statement, plan in plans:
        assert problems(statement, plan) == [], f"{label}:\n{shape(plan)}"


def test_the_rows_are_there():
    """The plans above mean something only over a table of national shape."""
    count = _db.session.scalar(sa.select(sa.func.count()).select_from(sa.table("product")))
    assert count == PRODUCTS
    far = directory.search(directory.criteria(position=MIANGAS)).hits
    assert far[0].distance_km < 1 and far[-1].distance_km > 100  # the island has few neighbours
