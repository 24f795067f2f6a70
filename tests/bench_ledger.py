"""Benchmark: posting many entries through the real domain function, and a member's
statement with thousands of lines (not collected by pytest).

    python -m tests.bench_ledger [--entries 100000] [--statement 5000] [--members 200] [--runs 5]

Uses the database in TEST_DATABASE_URL (default: a temporary SQLite file), which it
EMPTIES first (on PostgreSQL the whole public schema is dropped: use a database of
its own, e.g. ``kopz_bench_ledger``), builds it with the migrations, creates one
koperasi with members, then:

1. posts ``--entries`` deposits with ``savings.deposit`` (one balanced entry each,
   commit every 500) spread over two years; ``--statement`` of them go to one member;
2. times that member's statement: GET ``/k/<slug>/me`` and ``/k/<slug>/me/statement.csv``
   through the test client logged in as the member when those views exist, else the
   underlying statement queries (median of ``--runs``);
3. times ``books_check.check()`` over the whole ledger.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

PASSWORD = "bench-sandi-123"
BATCH = 500


def _app(url: str, tmp: Path):
    from web import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "STATIC_BUILD_DIR": str(tmp / "static-build"),
                       "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "WTF_CSRF_ENABLED": False,
                       "RATELIMIT_ENABLED": False}, env="testing")


def _reset(db) -> None:
    from flask_migrate import upgrade

    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    upgrade()


def timed(label: str, work):
    """Run ``work`` and print how long it took."""
    began = time.perf_counter()
    result = work()
    print(f"  {label}: {time.perf_counter() - began:.2f} s")
    return result


def bench_koperasi(name: str, legal_number: str, prefix: str, services: list[str], wajib_idr: int = 25_000):
    """A verified savings-and-loans koperasi and its board (the benchmarks' shared start)."""
    from models.accounts import register_user
    from models.koperasi import register_koperasi, verify

    admin = register_user("Admin Bench", "081100009999", PASSWORD, None)
    admin.is_platform_admin = True
    board = register_user("Pengurus Bench", "081300009999", PASSWORD, None)
    koperasi = register_koperasi(board, dict(
        name=name, legal_number=legal_number, nik_koperasi=None, jenis="simpan_pinjam",
        description=f"{name}: data untuk benchmark.", address="Jl. Merdeka No. 1", province_code="32",
        regency_code="32.73", district_code="32.73.01", lat=-6.9147, lng=107.6098, whatsapp="081234500001",
        pokok_idr=100_000, wajib_idr=wajib_idr, requirements="KTP.", member_prefix=prefix, services=services))
    verify(koperasi, admin)
    return koperasi, board


def _setup(db, members: int):
    """One verified koperasi, a teller, ``members`` active members (pokok paid)."""
    from models.accounts import register_user
    from models.membership import apply, approve
    from models.savings import deposit, pokok_due

    koperasi, board = bench_koperasi("Koperasi Simpan Pinjam Bench", "AHU-0999999.AH.01.26", "BEN", ["savings", "loans"])
    result = []
    for i in range(members):
        user = register_user(f"Anggota Bench {i + 1:04d}", f"0857{i:08d}", PASSWORD, None)
        membership = apply(user, koperasi, full_name=user.full_name, nik=f"327301150895{i + 1:04d}",
                           address="Jl. Dago No. 10, Bandung", occupation="Pedagang", is_umkm=False,
                           business_name=None, agreed=True, consented=True)
        db.session.flush()
        approve(membership, board)
        deposit(membership, "pokok", pokok_due(membership), "cash", board)
        result.append(membership)
    db.session.commit()
    return koperasi, board, result


def _post(db, board, members, entries: int, statement: int) -> float:
    """Post ``entries`` deposits; the first member gets ``statement`` of them."""
    from models.base import utcnow
    from models.savings import deposit

    first_day = utcnow() - timedelta(days=730)
    step = timedelta(days=730) / max(entries, 1)
    rest = members[1:] or members
    began = time.perf_counter()
    for i in range(entries):
        membership = members[0] if i < statement else rest[i % len(rest)]
        kind = "wajib" if i % 4 == 0 else "sukarela"
        amount = 25_000 if kind == "wajib" else 10_000 + (i % 97) * 1_000
        deposit(membership, kind, amount, "cash" if i % 3 else "bank", board, at=first_day + step * i)
        if (i + 1) % BATCH == 0:
            db.session.commit()
            if (i + 1) % (BATCH * 20) == 0:
                rate = (i + 1) / (time.perf_counter() - began)
                print(f"  … {i + 1:>7} entries, {rate:,.0f}/s", flush=True)
    db.session.commit()
    return time.perf_counter() - began


def _median(runs: int, fn) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        began = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--statement", type=int, default=5_000)
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kopz-bench-ledger-"))
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp / 'bench.sqlite'}"
    app = _app(url, tmp)

    from models import books_check, ledger
    from models import statement as mutasi
    from web.extensions import db

    with app.app_context():
        dialect = db.engine.dialect.name
        print(f"Database: {dialect} ({url.split('@')[-1]})")
        _reset(db)
        began = time.perf_counter()
        koperasi, board, members = _setup(db, args.members)
        print(f"Setup: 1 koperasi, {len(members)} active members in {time.perf_counter() - began:.1f} s")
        member_id, slug, mobile = members[0].id, koperasi.slug, members[0].user.mobile

        seconds = _post(db, board, members, args.entries, args.statement)
        print(f"Posting: {args.entries:,} entries through savings.deposit in {seconds:.1f} s "
              f"= {args.entries / seconds:,.0f} entries/s ({seconds / args.entries * 1000:.2f} ms each)")
        lines = db.session.scalar(sa.select(sa.func.count()).select_from(ledger.Line))
        mine = mutasi.count(member_id)
        print(f"Ledger: {lines:,} lines; the statement member has {mine:,} savings lines")
        db.session.remove()

    views = app.view_functions
    if "membership.me" in views and "membership.statement_csv" in views:
        client = app.test_client()
        response = client.post("/login", data={"login": mobile, "password": PASSWORD})
        assert response.status_code == 303, response.status_code
        for path in (f"/k/{slug}/me", f"/k/{slug}/me/statement.csv"):
            def get(path=path):
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code)
                return response

            median, response = _median(args.runs, get)
            newlines = response.data.count(b"\n")
            print(f"GET {path}: median {median * 1000:.0f} ms of {args.runs} "
                  f"({len(response.data) / 1024:,.0f} KiB, {newlines:,} lines)")
    else:
        print("The member statement views are not there yet: timing the statement queries instead.")
        with app.app_context():
            median, rows = _median(args.runs, lambda: mutasi.page(member_id, 1))
            print(f"statement page 1 query: median {median * 1000:.1f} ms ({len(rows)} rows)")

    with app.app_context():
        median, rows = _median(args.runs, lambda: mutasi.page(member_id, 1))
        print(f"statement first page query (models.statement.page): median {median * 1000:.1f} ms")
        median, problems = _median(max(1, args.runs // 2), books_check.check)
        print(f"books_check.check() over the whole ledger: median {median * 1000:.0f} ms, "
              f"{'clean' if not problems else f'{len(problems)} PROBLEMS'}")


if __name__ == "__main__":
    main()
