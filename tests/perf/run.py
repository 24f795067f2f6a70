"""The benchmark at Indonesia's scale (not part of `make test`; see tests/perf/README.md).

    python -m tests.perf.run --db postgresql+psycopg://postgres@127.0.0.1:5432/bench_small --scale small

On a database filled by ``flask --app wsgi bench-data --scale <scale>``, for every key page (tests/perf/pages.py):

1. in-process, with the Flask test client on the same database: the SQL queries the page runs (the
   counter of tests/budget.py), its compressed size as served (brotli, else gzip), and the query plan of
   each of its SELECTs (EXPLAIN): sequential scans of big tables, sorts of big inputs;
2. under load: Kopz under gunicorn (production config) driven by locust with 32 concurrent clients:
   p50, p95, p99 and requests per second per page.

Writes ``bench-<scale>.json`` into --out (default instance/perf/), then rebuilds the report from every
``bench-*.json`` there: ``report.md``, ``report.json`` and ``p95.svg`` (p95 per page against data size),
with ``oscar.json`` and ``lighthouse.json`` when other runners left them in instance/perf/.
``--report-only`` just rebuilds the report.
"""

from __future__ import annotations

import argparse
import contextvars
import csv
import json
import math
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from web.config import development_data_keys

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
BIG_TABLE = 10_000  # rows: a sequential scan or sort above this is flagged


# ---------------------------------------------------------------- 1. queries, bytes and plans, in-process

def measure_pages(db_url: str, manifest: dict, solo_runs: int = 5) -> dict:
    import sqlalchemy as sa

    from tests.perf.pages import pages
    from web import create_app
    from web.extensions import db

    os.environ.setdefault("SECRET_KEY", secrets.token_hex(32))  # production config, as gunicorn runs it
    os.environ.update(development_data_keys())
    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "WTF_CSRF_ENABLED": False, "REDIS_URL": None},
                     env="production")
    random.seed(13)
    table, results = pages(manifest), {}
    # Each request in a context of its own, as in production (not the app context opened here, whose ``g``
    # would keep the first logged-in user for every client): the same as tests/conftest.py's IsolatedClient.
    with app.app_context():
        sizes = dict(db.session.execute(sa.text(
            "SELECT relname, reltuples::bigint FROM pg_class "
            "WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace")).all())
        clients = {}
        logins = {"member": manifest["members"][0], "seller": manifest["sellers"][0], "office": manifest["office"][0],
                  "big": {"mobile": manifest["big_koperasi"]["admin_mobile"], "slug": manifest["big_koperasi"]["slug"]}}
        for kind, who in logins.items():
            client = app.test_client()
            response = contextvars.Context().run(client.post, "/login", base_url="https://localhost",
                                                 data={"login": who["mobile"], "password": manifest["password"]})
            if response.status_code != 303:
                raise SystemExit(f"login of {kind} {who['mobile']} failed: HTTP {response.status_code}")
            clients[kind] = (client, who.get("slug", ""))
        clients["anon"] = (app.test_client(), "")
        for name, (kind, url) in table.items():
            client, slug = clients[kind]
            path = url().format(slug=slug)
            statements = []

            def record(conn, cursor, statement, parameters, context, executemany, into=statements):
                if not statement.startswith("BEGIN"):
                    into.append((statement, parameters))

            sa.event.listen(db.engine, "before_cursor_execute", record)
            try:
                response = contextvars.Context().run(client.get, path, headers={"Accept-Encoding": "br, gzip"}, base_url="https://localhost")
            finally:
                sa.event.remove(db.engine, "before_cursor_execute", record)
            flags, plans = explain(db, statements, sizes)
            solo = []  # one client alone: the page's own time, without the queue of a loaded machine
            for _ in range(solo_runs):
                started = time.perf_counter()
                contextvars.Context().run(client.get, path, headers={"Accept-Encoding": "br, gzip"},
                                          base_url="https://localhost")
                solo.append((time.perf_counter() - started) * 1000)
            results[name] = {"url": path, "who": kind, "status": response.status_code, "queries": len(statements),
                             "bytes": len(response.get_data()), "encoding": response.headers.get("Content-Encoding", ""),
                             "plan_flags": flags, "plans": plans,
                             "solo_ms": round(statistics.median(solo), 1)}
            print(f"  {name}: HTTP {response.status_code}, {len(statements)} queries, {len(response.get_data()):,} B "
                  f"{statistics.median(solo):.0f} ms alone, "
                  f"{response.headers.get('Content-Encoding', '')}; {'; '.join(flags) or 'plans clean'}", flush=True)
    return results


def explain(db, statements, sizes: dict) -> tuple[list[str], list[dict]]:
    """EXPLAIN each SELECT as it ran (same parameters); flag sequential scans of big tables and big sorts."""
    flags, plans = [], []
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        for statement, parameters in statements:
            if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            try:
                cursor.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
                plan = cursor.fetchone()[0][0]["Plan"]
            except Exception as error:  # noqa: BLE001 (a plan we cannot get is reported, not fatal)
                raw.rollback()
                plans.append({"sql": statement[:300], "error": str(error)[:200]})
                continue
            found = []
            walk(plan, sizes, found)
            plans.append({"sql": " ".join(statement.split())[:400], "cost": plan.get("Total Cost"),
                          "rows": plan.get("Plan Rows"), "flags": found})
            flags += [f for f in found if f not in flags]
        raw.rollback()
    finally:
        raw.close()
    return flags, plans


def walk(node: dict, sizes: dict, found: list[str]) -> None:
    kind = node.get("Node Type", "")
    relation = node.get("Relation Name")
    if kind == "Seq Scan" and sizes.get(relation, 0) > BIG_TABLE:
        found.append(f"seq scan on {relation} ({sizes[relation]:,} rows)")
    if kind in ("Sort", "Incremental Sort"):
        rows = max((child.get("Plan Rows", 0) for child in node.get("Plans", [])), default=0)
        if rows > BIG_TABLE:
            found.append(f"sort of ~{rows:,} rows")
    for child in node.get("Plans", []):
        walk(child, sizes, found)


# ---------------------------------------------------------------- 2. the load, on gunicorn

def start_gunicorn(db_url: str, port: int, workers: int) -> subprocess.Popen:
    env = dict(os.environ, KOPZ_ENV="production", DATABASE_URL=db_url, SECRET_KEY=secrets.token_hex(32),
               **development_data_keys())
    env.pop("REDIS_URL", None)
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}",
                               "--access-logfile", "/dev/null", "--log-level", "warning", "wsgi:app"],
                              cwd=ROOT, env=env, start_new_session=True)
    for _ in range(120):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.5)
    stop(server)
    raise SystemExit("gunicorn did not answer on / within a minute")


def stop(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)  # its own session: the master and its workers
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)


def run_load(locust: str, manifest_path: Path, port: int, users: int, seconds: int, warmup: int, out: Path,
             scale: str, wait: tuple[float, float]) -> dict:
    """Locust, headless: the statistics restart once every client has logged in (within ``warmup`` s)."""
    prefix = out.resolve() / f"locust-{scale}"
    env = dict(os.environ, KOPZ_BENCH_MANIFEST=str(manifest_path), KOPZ_BENCH_USERS=str(users),
               KOPZ_BENCH_WAIT_MIN=str(wait[0]), KOPZ_BENCH_WAIT_MAX=str(wait[1]))
    subprocess.run([locust, "-f", str(HERE / "locustfile.py"), "--headless", "-u", str(users), "-r", str(users),
                    "-t", f"{seconds + warmup}s", "--host", f"http://127.0.0.1:{port}", "--csv", str(prefix), "--only-summary",
                    "--loglevel", "WARNING", "--stop-timeout", "10"], check=False, env=env, cwd=HERE)
    for extra in ("_stats_history.csv", "_exceptions.csv", "_failures.csv"):  # the JSON keeps what matters
        Path(f"{prefix}{extra}").unlink(missing_ok=True)
    stats = {}
    with open(f"{prefix}_stats.csv", encoding="utf-8") as source:
        for row in csv.DictReader(source):
            stats[row["Name"]] = {"requests": int(row["Request Count"]), "failures": int(row["Failure Count"]),
                                  "p50": _ms(row["50%"]), "p95": _ms(row["95%"]), "p99": _ms(row["99%"]),
                                  "rps": round(float(row["Requests/s"]), 2)}
    return stats


def _ms(value: str) -> float | None:
    return None if value in ("", "N/A") else float(value)


# ---------------------------------------------------------------- 3. the report

def data_size(manifest: dict) -> dict:
    rows = manifest.get("rows", {})
    return {k: rows.get(t, 0) for k, t in (("koperasi", "koperasi"), ("users", "user_account"), ("stores", "store"),
                                           ("products", "product"), ("journal lines", "line"), ("orders", "market_order"))}


def build_report(out: Path) -> None:
    runs = sorted((json.loads(p.read_text()) for p in out.glob("bench-*.json")),
                  key=lambda r: r["size"].get("journal lines", 0))
    if not runs:
        raise SystemExit(f"no bench-*.json in {out}")
    extras = {}
    for name in ("oscar", "lighthouse"):
        for folder in (out, ROOT / "instance" / "perf"):
            if (folder / f"{name}.json").exists():
                extras[name] = json.loads((folder / f"{name}.json").read_text())
                break
    (out / "report.json").write_text(json.dumps({"runs": runs, **extras}, indent=1))
    (out / "p95.svg").write_text(chart(runs))
    names = list(runs[-1]["pages"])
    smallest, largest = runs[0], runs[-1]
    lines = ["# Kopz benchmark", "",
             f"Made by `python -m tests.perf.run` ({', '.join(r['scale'] for r in runs)}); "
             f"{largest['users']} concurrent clients (locust, {largest.get('wait', '?')} s think time between pages), "
             f"gunicorn with {largest['workers']} workers, "
             f"production config, PostgreSQL, on this machine (2 cores shared with other work: times are noisy).", ""]
    lines += ["## Data", "", "| | " + " | ".join(r["scale"] for r in runs) + " |", "|---|" + "---:|" * len(runs)]
    for key in runs[0]["size"]:
        lines.append(f"| {key} | " + " | ".join(f"{r['size'][key]:,}" for r in runs) + " |")
    lines.append("| generation time | " + " | ".join(f"{r.get('generation_seconds') or '-'} s" for r in runs) + " |")
    lines += ["", f"## p95 per page: {smallest['scale']} against {largest['scale']}", "",
              "![p95 against data size](p95.svg)", "",
              f"| page | p95 {smallest['scale']} (ms) | p95 {largest['scale']} (ms) | ratio | target ≤ 1.5× "
              f"| alone {smallest['scale']} (ms) | alone {largest['scale']} (ms) | ratio alone |",
              "|---|---:|---:|---:|---|---:|---:|---:|"]
    for name in names:
        a, b = smallest["load"].get(name, {}).get("p95"), largest["load"].get(name, {}).get("p95")
        ratio = b / a if a and b else None
        sa_, sb = smallest["pages"].get(name, {}).get("solo_ms"), largest["pages"].get(name, {}).get("solo_ms")
        lines.append(f"| {name} | {_n(a)} | {_n(b)} | {f'{ratio:.1f}×' if ratio else '-'} | "
                     f"{'met' if ratio and ratio <= 1.5 else 'NOT met' if ratio else '-'} | {_n(sa_)} | {_n(sb)} | "
                     f"{f'{sb / sa_:.1f}×' if sa_ and sb else '-'} |")
    lines += ["", "Read with care: once gunicorn's workers are saturated (slow pages hold them, or the shared machine "
              "is loaded: see each run's load average), p95 under load is mostly the queue, for every page alike, "
              "and with about 25-40 requests per page and run it is near the maximum; the \"alone\" columns are "
              "each page's own cost and show what grows with the data.",
              "", "p95 under load is the 32 clients' experience on this shared machine (its 1-minute load average "
              "before and after each run is in the run's section); \"alone\" is the median of "
              f"{runs[-1].get('solo_runs', 5)} requests by one client with nothing else of the benchmark running (in-process, no "
              "network): the page's own cost, less disturbed by the queue."]
    for run in reversed(runs):
        lines += ["", f"## {run['scale']}: every page", "",
                  f"Machine load average (1 min) before and after the load: {run.get('machine_load', '?')}.", "",
                  "| page | p50 | p95 | p99 (ms) | req/s | failures | alone (ms) | SQL queries | bytes (encoding) "
                  "| plan flags |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
        for name in names:
            load, page = run["load"].get(name, {}), run["pages"].get(name, {})
            lines.append(f"| {name} | {_n(load.get('p50'))} | {_n(load.get('p95'))} | {_n(load.get('p99'))} | "
                         f"{load.get('rps', '-')} | {load.get('failures', '-')} | {_n(page.get('solo_ms'))} | "
                         f"{page.get('queries', '-')} | "
                         f"{page.get('bytes', 0):,} ({page.get('encoding') or 'none'}) | "
                         f"{'; '.join(page.get('plan_flags', [])) or 'clean'} |")
        total = run["load"].get("Aggregated", {})
        lines.append(f"\nAll pages: {total.get('requests', 0):,} requests, {total.get('rps', 0)} req/s, "
                     f"p95 {total.get('p95')} ms, {total.get('failures', 0)} failures, {run['seconds']} s of load.")
    if "oscar" in extras:
        lines += _oscar_section(extras["oscar"])
    if "lighthouse" in extras:
        lines += _lighthouse_section(extras["lighthouse"])
    lines += ["", "Plan flags: a sequential scan of a table over 10,000 rows, or a sort of over 10,000 rows "
              "(EXPLAIN estimates of each SELECT the page ran, with its own parameters). Each query plan is in "
              "report.json."]
    (out / "report.md").write_text("\n".join(lines) + "\n")
    print(f"report: {out / 'report.md'}")


def chart(runs: list[dict]) -> str:
    """p95 (log) per page against data size (journal lines, log): one line per page, SVG by hand."""
    width, height, left, right, top, bottom = 900, 560, 70, 300, 30, 60
    xs = [max(1, r["size"].get("journal lines", 1)) for r in runs]
    names = list(runs[-1]["pages"])
    values = [r["load"].get(n, {}).get("p95") for r in runs for n in names]
    values = [v for v in values if v]
    if not values:
        return '<svg xmlns="http://www.w3.org/2000/svg"/>'
    lo_y, hi_y = math.log10(max(1, min(values))), math.log10(max(values)) + 0.1
    lo_x, hi_x = math.log10(min(xs)), math.log10(max(xs)) + 1e-9
    hi_x = hi_x if hi_x > lo_x else lo_x + 1

    def px(x):
        return left + (math.log10(x) - lo_x) / (hi_x - lo_x) * (width - left - right)

    def py(y):
        return height - bottom - (math.log10(max(1, y)) - lo_y) / max(1e-9, hi_y - lo_y) * (height - top - bottom)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
           f'font-size="11"><rect width="100%" height="100%" fill="#fff"/>',
           f'<text x="{left}" y="18" font-size="14">p95 per page (ms, log) against data size (journal lines, log)</text>',
           f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" stroke="#333"/>',
           f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="#333"/>']
    for r, x in zip(runs, xs, strict=True):
        out.append(f'<text x="{px(x):.0f}" y="{height - bottom + 16}" text-anchor="middle">{r["scale"]} ({x:,})</text>')
    for tick in (1, 3, 10, 30, 100, 300, 1000, 3000, 10000, 30000):
        if lo_y <= math.log10(tick) <= hi_y:
            out.append(f'<text x="{left - 6}" y="{py(tick) + 4:.0f}" text-anchor="end">{tick}</text>'
                       f'<line x1="{left}" y1="{py(tick):.0f}" x2="{width - right}" y2="{py(tick):.0f}" stroke="#eee"/>')
    for i, name in enumerate(names):
        color = f"hsl({i * 360 // max(1, len(names))},70%,40%)"
        points = [(px(x), py(r["load"][name]["p95"])) for r, x in zip(runs, xs, strict=True)
                  if r["load"].get(name, {}).get("p95")]
        if points:
            out.append(f'<polyline fill="none" stroke="{color}" stroke-width="1.5" points="'
                       + " ".join(f"{a:.1f},{b:.1f}" for a, b in points) + '"/>')
            out += [f'<circle cx="{a:.1f}" cy="{b:.1f}" r="2.5" fill="{color}"/>' for a, b in points]
        out.append(f'<text x="{width - right + 10}" y="{top + 12 + i * 17}" fill="{color}">{_xml(name)}</text>')
    return "\n".join([*out, "</svg>"]) + "\n"


def _n(value) -> str:
    return "-" if value is None else f"{value:,.0f}"


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# ---------------------------------------------------------------- entry point


def _oscar_section(oscar: dict) -> list[str]:
    """tests/perf/oscar.py's results as tables: time per page on both sides, bytes of a first load."""
    load = oscar.get("load_average", {})
    lines = ["", "## Side by side with django-oscar", "", oscar.get("setup", ""), "",
             f"Load average before {load.get('before')}, after {load.get('after')}; {oscar.get('rounds')} "
             f"alternating rounds, measured {oscar.get('measured_at')}.", "",
             "| page | Kopz median / p95 (ms) | Oscar median / p95 (ms) | × faster (median) | target |",
             "|---|---:|---:|---:|---|"]
    for name, t in oscar.get("timing", {}).items():
        target = oscar.get("targets", {}).get(name)
        met = "met" if oscar.get("meets", {}).get(name) else "NOT met"
        lines.append(f"| {name} | {t['kopz']['median_ms']} / {t['kopz']['p95_ms']} | {t['oscar']['median_ms']} / "
                     f"{t['oscar']['p95_ms']} | {t['ratio_median']}× | ≥ {target}×: {met} |")
    lines += ["", "| first load | Kopz KB (requests) | Oscar KB (requests) | fraction | target ≤ "
              f"{oscar.get('targets', {}).get('first_load_fraction')} |", "|---|---:|---:|---:|---|"]
    for name, f in oscar.get("first_load", {}).items():
        met = "met" if f["fraction"] <= oscar.get("targets", {}).get("first_load_fraction", 0) else "NOT met"
        lines.append(f"| {name} | {f['kopz']['bytes'] / 1024:.1f} ({f['kopz']['requests']}) | "
                     f"{f['oscar']['bytes'] / 1024:.1f} ({f['oscar']['requests']}) | {f['fraction']} | {met} |")
    return lines


def _lighthouse_section(lighthouse: dict) -> list[str]:
    """tests/perf/lighthouse.py's results as a table: scores, LCP, TBT and bytes per page."""
    lines = ["", "## Lighthouse 12, mobile", "",
             f"Measured {lighthouse.get('measured_at')}, load average {lighthouse.get('load_average')}. "
             "Targets: performance ≥ 98, accessibility and best practices 100, LCP ≤ 1.5 s.", "",
             "| page | performance | accessibility | best practices | LCP (ms) | TBT (ms) | KB | targets |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    for name, page in lighthouse.get("pages", {}).items():
        scores = page.get("scores", {})
        met = (scores.get("performance", 0) >= 98 and scores.get("accessibility") == 100
               and scores.get("best-practices") == 100 and page.get("lcp_ms", 1e9) <= 1500)
        lines.append(f"| {name} | {scores.get('performance')} | {scores.get('accessibility')} | "
                     f"{scores.get('best-practices')} | {page.get('lcp_ms')} | {page.get('tbt_ms')} | "
                     f"{page.get('total_bytes', 0) / 1024:.1f} | {'met' if met else 'NOT met'} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="the benchmark database (filled by `flask --app wsgi bench-data`)")
    parser.add_argument("--scale", help="its scale: names the run (small, mid, national)")
    parser.add_argument("--manifest", type=Path, help="default: instance/perf/manifest-<scale>.json")
    parser.add_argument("--out", type=Path, default=ROOT / "instance" / "perf")
    parser.add_argument("--users", type=int, default=32, help="concurrent clients")
    parser.add_argument("--seconds", type=int, default=90, help="length of the load")
    parser.add_argument("--wait", default="1,3", help="each client's think time between pages: min,max seconds")
    parser.add_argument("--solo-runs", type=int, default=5, help="timed requests per page by one client alone")
    parser.add_argument("--warmup", type=int, default=45, help="seconds for the clients to log in (not measured)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--port", type=int, default=8731)
    parser.add_argument("--locust", default=str(ROOT / ".venv-perf" / "bin" / "locust"))
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.report_only:
        if not (args.db and args.scale):
            parser.error("--db and --scale are needed (or --report-only)")
        wait = tuple(float(v) for v in args.wait.split(","))
        manifest_path = args.manifest or ROOT / "instance" / "perf" / f"manifest-{args.scale}.json"
        manifest = json.loads(manifest_path.read_text())
        print(f"{args.scale}: queries, bytes and plans per page ...", flush=True)
        pages = measure_pages(args.db, manifest, args.solo_runs)
        print(f"{args.scale}: {args.users} clients for {args.seconds} s on gunicorn ...", flush=True)
        server = start_gunicorn(args.db, args.port, args.workers)
        load_before = os.getloadavg()[0]
        try:
            load = run_load(args.locust, manifest_path, args.port, args.users, args.seconds, args.warmup, args.out,
                            args.scale, wait)
        finally:
            stop(server)
        run = {"scale": args.scale, "size": data_size(manifest), "generation_seconds": manifest.get("seconds", {}).get("total"),
               "users": args.users, "wait": args.wait, "solo_runs": args.solo_runs, "seconds": args.seconds,
               "workers": args.workers,
               "pages": pages, "load": load,
               "machine_load": [round(load_before, 1), round(os.getloadavg()[0], 1)],
               "at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
        (args.out / f"bench-{args.scale}.json").write_text(json.dumps(run, indent=1))
    build_report(args.out)


if __name__ == "__main__":
    main()
