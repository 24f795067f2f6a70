"""Lighthouse 12, mobile, on every key page of Kopz with the demo data, logged-in pages included.

    python -m tests.perf.lighthouse                 # serves the demo itself (gunicorn, one worker)
    python -m tests.perf.lighthouse --base URL      # or a Kopz already running with the demo data
    python -m tests.perf.lighthouse --only catalogue,product

Lighthouse is installed once with npm into ~/.cache/kopz-perf/lighthouse (outside the repository;
Lighthouse 13 needs Node 22, this machine has 20). Pages run one after the other (about 10 s each).
Logged-in pages get the session cookie through ``--extra-headers``. Mobile defaults: Slow 4G
(150 ms RTT, 1.6 Mbps), 4x CPU slowdown, a Moto G Power sized screen.

Writes instance/perf/lighthouse.json (scores, LCP, byte weights and the audits that fail, per page)
and prints a table (cpu: Lighthouse's benchmark index of the machine while it ran; a
busy shared machine inflates TBT and LCP, so ``--runs 3`` keeps each page's median run).
Targets (issue 13): performance >= 98, accessibility and best practices 100,
LCP <= 1.5 s on every page.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.perf.serve import CACHE, CHROMIUM, CHROMIUM_ARGS, REPO, RESULTS, demo_instance, gunicorn, kopz_env, login

LIGHTHOUSE_DIR = CACHE / "lighthouse"
LIGHTHOUSE = LIGHTHOUSE_DIR / "node_modules" / ".bin" / "lighthouse"
OFFICE_SLUG = "koperasi-simpan-pinjam-mitra-sejahtera-bandung"
# name, path, who is logged in (None: anonymous). Siti: member with cards and the seller of Warung
# Bu Siti; Wawan: pengurus (board) of the first Bandung koperasi.
SITI, WAWAN = "081200000001", "081300009903"
PAGES = [
    ("home", "/", None),
    ("directory", "/koperasi", None),
    ("koperasi", f"/k/{OFFICE_SLUG}", None),
    ("catalogue", "/market", None),
    ("product", "/market/1", None),
    ("store", "/toko/warung-bu-siti", None),
    ("login", "/login", None),
    ("cards", "/cards", SITI),
    ("member", f"/k/{OFFICE_SLUG}/me", SITI),
    ("seller", "/seller", SITI),
    ("office", f"/k/{OFFICE_SLUG}/office", WAWAN),
]
TARGETS = {"performance": 98, "accessibility": 100, "best-practices": 100, "lcp_ms": 1500}


def install() -> Path:
    if not LIGHTHOUSE.exists():
        LIGHTHOUSE_DIR.mkdir(parents=True, exist_ok=True)
        print(f"Installing lighthouse@12 into {LIGHTHOUSE_DIR} …", flush=True)
        if not (LIGHTHOUSE_DIR / "package.json").exists():
            (LIGHTHOUSE_DIR / "package.json").write_text('{"name": "kopz-perf-lighthouse", "private": true}\n')
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "lighthouse@12"], cwd=LIGHTHOUSE_DIR,
                       check=True)
    return LIGHTHOUSE


def run_lighthouse(url: str, cookie: str | None, report: Path) -> dict:
    command = [str(install()), url, "--form-factor=mobile", "--output=json", f"--output-path={report}",
               "--only-categories=performance,accessibility,best-practices", "--quiet",
               "--chrome-flags=" + " ".join(["--headless=new", *CHROMIUM_ARGS])]
    if cookie:
        command.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
    subprocess.run(command, check=True, env={"CHROME_PATH": CHROMIUM, "PATH": "/usr/bin:/bin"}, timeout=180)
    return json.loads(report.read_text())


def summarise(lhr: dict) -> dict:
    audits = lhr["audits"]
    weights = {item["resourceType"]: {"requests": item["requestCount"], "bytes": item["transferSize"]}
               for item in audits["resource-summary"]["details"]["items"]}
    failing = {}
    for key, category in lhr["categories"].items():
        for ref in category["auditRefs"]:
            audit = audits[ref["id"]]
            score = audit.get("score")
            mode = audit.get("scoreDisplayMode")
            if mode in ("notApplicable", "manual", "informative") or score is None:
                continue
            if score >= (0.9 if key == "performance" else 1):  # a passed audit, or a metric in the green
                continue
            failing[ref["id"]] = {"category": key, "score": score, "title": audit["title"],
                                  "display": audit.get("displayValue", "")}
    return {
        "url": lhr["finalDisplayedUrl"],
        "scores": {key: round(category["score"] * 100) for key, category in lhr["categories"].items()},
        "lcp_ms": round(audits["largest-contentful-paint"]["numericValue"]),
        "fcp_ms": round(audits["first-contentful-paint"]["numericValue"]),
        "tbt_ms": round(audits["total-blocking-time"]["numericValue"]),
        "cls": round(audits["cumulative-layout-shift"]["numericValue"], 3),
        "total_bytes": audits["total-byte-weight"]["numericValue"],
        "weights": weights,
        "failing": failing,
        "lighthouse": lhr["lighthouseVersion"],
        # Lighthouse's own measure of the CPU it ran on (a quiet desktop scores ~1500-2500; a busy
        # shared machine far less, and its CPU times, hence TBT and LCP, are inflated).
        "benchmark_index": round(lhr["environment"]["benchmarkIndex"]),
    }


def meets(page: dict) -> bool:
    scores = page["scores"]
    return (scores["performance"] >= TARGETS["performance"] and scores["accessibility"] >= TARGETS["accessibility"]
            and scores["best-practices"] >= TARGETS["best-practices"] and page["lcp_ms"] <= TARGETS["lcp_ms"])


def table(pages: dict) -> str:
    rows = [f"{'page':<10} {'perf':>4} {'a11y':>4} {'bp':>4} {'LCP ms':>7} {'TBT':>4} {'CLS':>5} {'KB':>6} "
            f"{'html':>5} {'css':>5} {'js':>5} {'img':>5} {'font':>5} {'cpu':>4}  ok  failing audits"]
    for name, page in pages.items():
        s, w = page["scores"], page["weights"]

        def kb(kind: str, w=w) -> str:
            return f"{w.get(kind, {}).get('bytes', 0) / 1024:.1f}"

        rows.append(f"{name:<10} {s['performance']:>4} {s['accessibility']:>4} {s['best-practices']:>4} "
                    f"{page['lcp_ms']:>7} {page['tbt_ms']:>4} {page['cls']:>5} {page['total_bytes'] / 1024:>6.1f} "
                    f"{kb('document'):>5} {kb('stylesheet'):>5} {kb('script'):>5} {kb('image'):>5} {kb('font'):>5} "
                    f"{page.get('benchmark_index', 0):>4}  "
                    f"{'yes' if meets(page) else 'NO ':<3} {', '.join(page['failing'])}")
    return "\n".join(rows)


def measure(base: str, only: set[str] | None, runs: int = 1) -> dict:
    reports = RESULTS / "lighthouse-reports"
    reports.mkdir(parents=True, exist_ok=True)
    cookies: dict[str, str] = {}
    pages = {}
    for name, path, who in PAGES:
        if only and name not in only:
            continue
        if who and who not in cookies:
            cookies[who] = login(base, who)
        started = time.monotonic()
        tries = []
        for n in range(runs):
            lhr = run_lighthouse(base + path, cookies.get(who), reports / f"{name}-{n}.json")
            if who and lhr["finalDisplayedUrl"].rstrip("/").endswith("/login"):
                raise RuntimeError(f"{name}: Lighthouse was sent to the login page (cookie not accepted)")
            tries.append(summarise(lhr))
        # The median run (by performance score, then LCP), as Lighthouse's docs advise on a noisy machine.
        tries.sort(key=lambda t: (t["scores"]["performance"], -t["lcp_ms"]))
        pages[name] = {**tries[len(tries) // 2], "runs": len(tries),
                       "performance_runs": [t["scores"]["performance"] for t in tries]}
        print(f"  {name:<10} {pages[name]['scores']}  LCP {pages[name]['lcp_ms']} ms  "
              f"({time.monotonic() - started:.0f} s)", flush=True)
    return pages


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", help="a running Kopz with the demo data (default: serve one here)")
    parser.add_argument("--only", help="comma-separated page names: " + ",".join(p[0] for p in PAGES))
    parser.add_argument("--runs", type=int, default=1, help="runs per page; the median one is kept")
    parser.add_argument("--output", type=Path, default=RESULTS / "lighthouse.json")
    args = parser.parse_args()
    only = set(args.only.split(",")) if args.only else None
    install()
    if args.base:
        pages = measure(args.base.rstrip("/"), only, args.runs)
    else:
        instance = demo_instance()
        with gunicorn(sys.executable, "wsgi:app", REPO, kopz_env(instance), ready_path="/healthz",
                      log=RESULTS / "lighthouse-gunicorn.log") as base:
            pages = measure(base, only, args.runs)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    previous = json.loads(args.output.read_text()).get("pages", {}) if args.output.exists() and only else {}
    result = {"tool": "lighthouse 12 mobile (Slow 4G, 4x CPU)", "targets": TARGETS,
              "load_average": [round(x, 2) for x in os.getloadavg()], "cpus": os.cpu_count(),
              "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "pages": {**previous, **pages}}
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(table(result["pages"]))
    print(f"Written: {args.output.relative_to(REPO) if args.output.is_relative_to(REPO) else args.output}")
    return 0 if all(meets(page) for page in result["pages"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
