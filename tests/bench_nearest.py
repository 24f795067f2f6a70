"""Benchmark: the nearest query over many koperasi (not collected by pytest).

    python -m tests.bench_nearest [--n 100000] [--runs 5]

Uses the database in TEST_DATABASE_URL (default: a temporary SQLite file), which it
empties first, bulk-inserts N verified koperasi spread over Indonesia (clustered
around towns, plus a thin rural scatter), times ``directory.search`` from ten
positions and prints median / p95 and the plans of the statements it sends.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from tests.search_data import TOWNS  # where koperasi cluster

POSITIONS = [
    ("Jakarta (dense)", -6.20, 106.82), ("Bandung", -6.92, 107.60), ("Surabaya", -7.26, 112.74),
    ("Medan", 3.60, 98.68), ("Makassar", -5.15, 119.43), ("Denpasar", -8.66, 115.21),
    ("Jayapura", -2.54, 140.71), ("rural Central Kalimantan", -1.5, 113.9),
    ("rural Flores", -8.6, 121.0), ("Banda Sea (nothing near)", -5.5, 127.0),
]
JENIS = ["simpan_pinjam", "konsumen", "produsen", "pemasaran", "jasa", "serba_usaha", "syariah"]


def _app(url: str, tmp: Path):
    from web import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "STATIC_BUILD_DIR": str(tmp / "static-build"),
                       "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"}, env="testing")


def _reset(db) -> None:
    from flask_migrate import upgrade

    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    upgrade()


def _rows(n: int, user_id: int, rng: random.Random):
    for i in range(n):
        name, province, regency, lat, lng = rng.choice(TOWNS)
        if rng.random() < 0.2:  # rural: anywhere within ~3 degrees of a town
            lat, lng = lat + rng.uniform(-3, 3), lng + rng.uniform(-3, 3)
        else:
            lat, lng = lat + rng.gauss(0, 0.25), lng + rng.gauss(0, 0.25)
        title = f"Koperasi {name} {i:06d}"
        yield dict(slug=f"koperasi-{i:06d}", name=title, search_name=title.lower(), legal_number=f"AHU-{i:07d}",
                   jenis=rng.choice(JENIS), description="", address="Jl. Contoh", province_code=province,
                   regency_code=regency, lat=max(-11, min(6, lat)), lng=max(95, min(141, lng)),
                   pokok_idr=100_000, wajib_idr=20_000, requirements="", member_prefix="K",
                   last_member_seq=0, status="verified", created_by_id=user_id)


def _insert(db, n: int, chunk: int = 5000) -> float:
    from models.accounts import register_user
    from models.koperasi import Koperasi

    started = time.perf_counter()
    user = register_user("Bench Admin", "081200000000", "rahasia-123")
    db.session.commit()
    rng, batch = random.Random(42), []
    for row in _rows(n, user.id, rng):
        batch.append(row)
        if len(batch) == chunk:
            db.session.execute(sa.insert(Koperasi), batch)
            batch = []
    if batch:
        db.session.execute(sa.insert(Koperasi), batch)
    db.session.commit()
    with db.engine.begin() as conn:
        conn.execute(sa.text("ANALYZE koperasi" if db.engine.dialect.name == "postgresql" else "ANALYZE"))
    return time.perf_counter() - started


def _explain(db, statement) -> str:
    sql = str(statement.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))
    prefix = "EXPLAIN ANALYZE " if db.engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
    with db.engine.connect() as conn:
        rows = conn.execute(sa.text(prefix + sql)).all()
    return "\n".join("    " + " | ".join(str(v) for v in row) for row in rows)


def _explain_run(db, run) -> str:
    """The plans of the statements ``run()`` sends (EXPLAIN ANALYZE on PostgreSQL), with their parameters."""
    from tests.budget import statements_sent

    with statements_sent(db.engine) as sent:
        run()
    prefix = "EXPLAIN ANALYZE " if db.engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
    out = []
    with db.engine.connect() as conn:
        for statement, parameters in sent:
            out += ["    " + " | ".join(str(v) for v in row)
                    for row in conn.exec_driver_sql(prefix + statement, parameters).all()]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5, help="timed runs per position")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="kopz-bench-"))
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp / 'bench.sqlite'}"
    app = _app(url, tmp)
    from models import directory
    from web.extensions import db

    with app.app_context():
        _reset(db)
        print(f"database: {db.engine.dialect.name}; inserting {args.n:,} verified koperasi ...")
        print(f"  inserted in {_insert(db, args.n):.1f} s")
        timings = []
        for label, lat, lng in POSITIONS:
            criteria = directory.criteria(position=(lat, lng))
            mine = []
            for _ in range(args.runs + 1):  # the first run warms the cache and is not counted
                db.session.expunge_all()
                started = time.perf_counter()
                page = directory.search(criteria)
                mine.append((time.perf_counter() - started) * 1000)
            timings += mine[1:]
            first = page.hits[0]
            print(f"  {label:28} {statistics.median(mine[1:]):7.2f} ms  nearest {first.distance_km:8.1f} km, "
                  f"20th {page.hits[-1].distance_km:8.1f} km")
        timings.sort()
        p95 = timings[min(len(timings) - 1, int(round(0.95 * (len(timings) - 1))))]
        print(f"all positions: median {statistics.median(timings):.2f} ms, p95 {p95:.2f} ms "
              f"({len(timings)} runs, page of 20 incl. loading the rows)")
        for label, lat, lng in (POSITIONS[0], POSITIONS[-1]):
            criteria = directory.criteria(position=(lat, lng))
            print(f"plans at {label} (KNN on PostgreSQL, boxes on SQLite):")
            print(_explain_run(db, lambda criteria=criteria: directory.search(criteria)))
        db.session.remove()


if __name__ == "__main__":
    main()
