"""Kopz side by side with django-oscar on the same 200-product catalogue, same machine, same run.

    python -m tests.perf.oscar                  # sets up what is missing, then measures (a few minutes)
    python -m tests.perf.oscar --rounds 100

Oscar follows the recipe in ../shared/peers/oscar/ (README.md, settings.py, urls.py, products.csv),
installed in its own venv OUTSIDE the repository (~/.cache/kopz-perf/oscar; nothing of Oscar is
committed). Kopz gets the same 200 products (name, category, price, stock) in its own SQLite database
through the domain functions (models.market.open_store/add_product) and the demo helpers, each with a
drawn photo as the demo has.

Both are served by gunicorn, one sync worker each, production settings (Oscar DEBUG off; Kopz
KOPZ_ENV=production). To be fair to Oscar (its recipe uses ``runserver --insecure``, which serves
static files slowly and uncompressed), Oscar also gets WhiteNoise for its static files with gzip
copies (CompressedStaticFilesStorage), Django's GZipMiddleware for its HTML (Kopz compresses with
flask-compress), and its media (the "image not found" placeholder thumbnails) served by Django.

Timing: after a warm-up, rounds of catalogue, search and product page, each asked of both servers
one after the other (who goes first alternates), over a fresh connection with
``Accept-Encoding: gzip, deflate, br`` like a browser; the whole response is read. Median and p95
per side, and the ratio Oscar / Kopz. First load: Chromium (Playwright, a Pixel 5, empty cache,
service workers blocked so only what the page itself loads counts) opens each page; the bytes are
the encoded (compressed, as transferred) sizes of every response: HTML, CSS, JS, images, fonts.

Writes instance/perf/oscar.json and prints a table. Targets (issue 13): catalogue >= 20x, search and
product >= 10x faster; first load <= 1/10 of Oscar's bytes.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.perf.serve import CACHE, CHROMIUM, CHROMIUM_ARGS, REPO, RESULTS, flask, gunicorn, kopz_env
from web.config import development_data_keys

# The recipe: ../shared/peers/oscar beside the checkout (a worktree sits one level deeper), or KOPZ_OSCAR_RECIPE.
PEER = next((path for path in (Path(os.environ.get("KOPZ_OSCAR_RECIPE", "/nonexistent")),
                               REPO.parent / "shared" / "peers" / "oscar",
                               REPO.parent.parent / "shared" / "peers" / "oscar") if (path / "products.csv").exists()),
            REPO.parent / "shared" / "peers" / "oscar")
OSCAR = CACHE / "oscar"
VENV = OSCAR / "venv"
SHOP = OSCAR / "shop"
KOPZ = CACHE / "kopz-oscar200"
SEARCH = "khas"  # every product's title has it ("Produk 7 khas koperasi"): a page of hits on both sides
PRODUCT = "Produk 1 khas koperasi"
TARGETS = {"catalogue": 20, "search": 10, "product": 10, "first_load_fraction": 0.1}
CATEGORY = {"Makanan": "food", "Minuman": "food", "Kerajinan": "crafts"}
PICTURE = {"Sambal": ("jar", "red"), "Keripik": ("snack", "amber"), "Kopi": ("packet", "brown"),
           "Batik": ("cloth", "blue"), "Anyaman": ("basket", "tan")}
FAIRNESS = """
# ---- added by Kopz's tests/perf/oscar.py: production-like serving under gunicorn ----
MIDDLEWARE.insert(0, 'django.middleware.gzip.GZipMiddleware')  # HTML compressed, as Kopz's is
MIDDLEWARE.insert(MIDDLEWARE.index('django.middleware.security.SecurityMiddleware') + 1,
                  'whitenoise.middleware.WhiteNoiseMiddleware')
STORAGES = {'default': {'BACKEND': 'django.core.files.storage.FileSystemStorage'},
            'staticfiles': {'BACKEND': 'whitenoise.storage.CompressedStaticFilesStorage'}}
"""
MEDIA_URLS = """
# ---- added by Kopz's tests/perf/oscar.py: the placeholder thumbnails, served with DEBUG off ----
from django.conf import settings
from django.urls import re_path
from django.views.static import serve
urlpatterns += [re_path(r'^media/(?P<path>.*)$', serve, {'document_root': settings.MEDIA_ROOT})]
"""


def run(*command, **kwargs) -> str:
    done = subprocess.run([str(c) for c in command], check=True, capture_output=True, text=True, **kwargs)
    return done.stdout


def setup_oscar() -> None:
    """The recipe, once: venv, pip install, startproject, migrate, collectstatic, import, index."""
    if (OSCAR / ".ready").exists():
        return
    OSCAR.mkdir(parents=True, exist_ok=True)
    if not (VENV / "bin" / "python").exists():
        print(f"Oscar: venv and pip install into {VENV} …", flush=True)
        run(shutil.which("python3") or sys.executable, "-m", "venv", VENV)
    run(VENV / "bin" / "pip", "install", "-q", "django-oscar[sorl-thumbnail]==4.2.1", "Whoosh", "gunicorn",
        "whitenoise")
    py = VENV / "bin" / "python"
    if SHOP.exists():
        shutil.rmtree(SHOP)
    run(VENV / "bin" / "django-admin", "startproject", "shop", cwd=OSCAR)
    shutil.copy(PEER / "settings.py", SHOP / "shop" / "settings.py")
    shutil.copy(PEER / "urls.py", SHOP / "shop" / "urls.py")
    with open(SHOP / "shop" / "settings.py", "a") as settings:
        settings.write(FAIRNESS)
    with open(SHOP / "shop" / "urls.py", "a") as urls:
        urls.write(MEDIA_URLS)
    print("Oscar: migrate, collectstatic, import the 200 products, build the search index …", flush=True)
    run(py, "manage.py", "migrate", "--noinput", cwd=SHOP)
    run(py, "manage.py", "collectstatic", "--noinput", cwd=SHOP)
    (SHOP / "media").mkdir(exist_ok=True)
    missing = next((VENV / "lib").glob("python3*/site-packages/oscar/static/oscar/img/image_not_found.jpg"))
    shutil.copy(missing, SHOP / "media" / "image_not_found.jpg")  # Oscar's docs: the placeholder lives in media
    run(py, "manage.py", "oscar_import_catalogue", PEER / "products.csv", cwd=SHOP)
    run(py, "manage.py", "rebuild_index", "--noinput", cwd=SHOP)
    (OSCAR / ".ready").write_text("ok\n")


def load_kopz_products() -> dict:
    """Inside the app (``--load-kopz``): one koperasi, one approved store per UMKM seller of the CSV,
    and the 200 products with drawn photos, through the domain functions and the demo helpers."""
    from collections import Counter

    import sqlalchemy as sa

    from models.market import Product, ProductPhoto, add_product
    from web import create_app
    from web.demo.gateway import KINDS, koperasi
    from web.demo.market import store
    from web.demo.people import person
    from web.demo.pictures import product_picture
    from web.extensions import db

    app = create_app()
    with app.app_context():
        if db.session.scalar(sa.select(sa.func.count(Product.id))) >= 200:
            return {"products": 0}
        added: Counter = Counter()
        platform = person(added, "Admin Platform", "081100000001", "admin@kopz.example", True)
        board = person(added, "Asep Hidayat", "081300000001")
        home = koperasi(added, board, platform, "Bandung", 1, "Koperasi Serba Usaha Maju Bersama Bandung", KINDS[1])
        shops = {}
        with open(PEER / "products.csv", newline="") as rows:
            for _cls, category, _upc, title, description, partner, _sku, price, stock in csv.reader(rows):
                if partner not in shops:
                    shops[partner] = store(added, board, home, partner, "kerajinan", 5, "approved", own=True)
                group, kind = (part.strip() for part in category.split(">"))
                product = add_product(shops[partner], {
                    "name": title, "category": CATEGORY[group], "unit": "pcs", "price_idr": int(float(price)),
                    "stock": int(stock), "description": f"{description}. {kind}."})
                version, thumb, detail = product_picture(*PICTURE[kind])
                db.session.add(ProductPhoto(product_id=product.id, position=0, version=version, thumb=thumb,
                                            detail=detail))
                product.photo_version = version
                added["products"] += 1
        db.session.commit()
        return dict(added)


def setup_kopz() -> None:
    if (KOPZ / ".ready").exists():
        flask(KOPZ, "db", "upgrade")  # a database made by older code: brought up to this code's schema
        return
    KOPZ.mkdir(parents=True, exist_ok=True)
    print(f"Kopz: a database with the same 200 products in {KOPZ} …", flush=True)
    flask(KOPZ, "db", "upgrade")
    print(run(sys.executable, "-m", "tests.perf.oscar", "--load-kopz", cwd=REPO,
              env={**os.environ, **kopz_env(KOPZ)}).strip())
    (KOPZ / ".ready").write_text("ok\n")


def fetch(url: str) -> tuple[float, int, bytes]:
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip, deflate, br",
                                                   "User-Agent": "kopz-perf"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as response:
        body = response.read()
        status = response.status
    return (time.perf_counter() - started) * 1000, status, body


def product_urls(kopz: str, oscar: str) -> tuple[str, str]:
    """The same product on both sides, found the way a visitor would: from a search for its title."""
    import gzip
    import re

    _ms, _status, body = fetch(oscar + "/search/?q=" + PRODUCT.replace(" ", "+"))
    page = gzip.decompress(body).decode() if body[:2] == b"\x1f\x8b" else body.decode()
    oscar_path = re.search(r'href="(/catalogue/produk-1-khas-koperasi_\d+/)"', page).group(1)
    kopz_id = run(sys.executable, "-c", "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("
                  "'select id from product where name=?', (sys.argv[2],)).fetchone()[0])",
                  KOPZ / "kopz.sqlite", PRODUCT).strip()
    return f"{kopz}/market/{kopz_id}", oscar + oscar_path


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def time_pages(pages: dict[str, dict[str, str]], rounds: int, warmup: int) -> dict:
    times: dict[str, dict[str, list[float]]] = {page: {"kopz": [], "oscar": []} for page in pages}
    for page, sides in pages.items():
        for side, url in sides.items():
            for _ in range(warmup):
                _ms, status, _body = fetch(url)
                if status != 200:
                    raise RuntimeError(f"{side} {page}: {url} answered {status}")
    for n in range(rounds):
        for page, sides in pages.items():
            order = ["kopz", "oscar"] if n % 2 == 0 else ["oscar", "kopz"]
            for side in order:
                times[page][side].append(fetch(sides[side])[0])
    result = {}
    for page, sides in times.items():
        row = {side: {"median_ms": round(statistics.median(v), 2), "p95_ms": round(percentile(v, 0.95), 2),
                      "n": len(v)} for side, v in sides.items()}
        row["ratio_median"] = round(row["oscar"]["median_ms"] / row["kopz"]["median_ms"], 1)
        row["ratio_p95"] = round(row["oscar"]["p95_ms"] / row["kopz"]["p95_ms"], 1)
        row["urls"] = pages[page]
        result[page] = row
    return result


def first_load(urls: dict[str, str]) -> dict:
    """Everything a fresh phone loads for each URL, as transferred (encoded) bytes, by type."""
    from playwright.sync_api import sync_playwright

    out = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        device = {k: v for k, v in p.devices["Pixel 5"].items() if k != "default_browser_type"}
        for name, url in urls.items():
            context = browser.new_context(**device, service_workers="block")
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            kinds: dict[str, str] = {}
            sizes: dict[str, int] = {}
            cdp.on("Network.responseReceived", lambda e, kinds=kinds: kinds.__setitem__(e["requestId"], e["type"]))
            cdp.on("Network.loadingFinished",
                   lambda e, sizes=sizes: sizes.__setitem__(e["requestId"], int(e["encodedDataLength"])))
            page.goto(url, wait_until="networkidle")
            page.wait_for_timeout(500)
            by_type: dict[str, int] = {}
            for request_id, size in sizes.items():
                kind = kinds.get(request_id, "Other").lower()
                by_type[kind] = by_type.get(kind, 0) + size
            out[name] = {"bytes": sum(sizes.values()), "requests": len(sizes), "by_type": by_type}
            context.close()
        browser.close()
    return out


def table(result: dict) -> str:
    lines = [f"{'page':<10} {'Kopz med':>9} {'p95':>7} {'Oscar med':>10} {'p95':>7} {'ratio':>6} {'target':>6}"]
    for page, row in result["timing"].items():
        lines.append(f"{page:<10} {row['kopz']['median_ms']:>7.1f}ms {row['kopz']['p95_ms']:>5.1f}ms "
                     f"{row['oscar']['median_ms']:>8.1f}ms {row['oscar']['p95_ms']:>5.1f}ms "
                     f"{row['ratio_median']:>5.1f}x {TARGETS[page]:>5}x")
    lines.append("")
    lines.append(f"{'first load':<10} {'Kopz KB':>9} {'req':>4} {'Oscar KB':>9} {'req':>4} {'fraction':>9}")
    for page, row in result["first_load"].items():
        lines.append(f"{page:<10} {row['kopz']['bytes'] / 1024:>9.1f} {row['kopz']['requests']:>4} "
                     f"{row['oscar']['bytes'] / 1024:>9.1f} {row['oscar']['requests']:>4} {row['fraction']:>9.3f}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--load-kopz", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, default=RESULTS / "oscar.json")
    args = parser.parse_args()
    if args.load_kopz:
        print("Kopz loaded:", load_kopz_products())
        return 0
    setup_oscar()
    setup_kopz()
    load_before = os.getloadavg()
    kopz_serving = {**kopz_env(KOPZ), "KOPZ_ENV": "production", "SECRET_KEY": secrets.token_hex(32),
                    **development_data_keys()}
    oscar_serving = {"DJANGO_SETTINGS_MODULE": "shop.settings", "PYTHONPATH": str(SHOP)}
    with gunicorn(sys.executable, "wsgi:app", REPO, kopz_serving, "/healthz", RESULTS / "oscar-kopz.log") as kopz, \
            gunicorn(VENV / "bin" / "python", "shop.wsgi:application", SHOP, oscar_serving, "/catalogue/",
                     RESULTS / "oscar-oscar.log") as oscar:
        kopz_product, oscar_product = product_urls(kopz, oscar)
        pages = {
            "catalogue": {"kopz": kopz + "/market", "oscar": oscar + "/catalogue/"},
            "search": {"kopz": f"{kopz}/market?q={SEARCH}", "oscar": f"{oscar}/search/?q={SEARCH}"},
            "product": {"kopz": kopz_product, "oscar": oscar_product},
        }
        print(f"Timing {args.rounds} alternating rounds of {', '.join(pages)} …", flush=True)
        timing = time_pages(pages, args.rounds, args.warmup)
        print("First load in Chromium …", flush=True)
        loads = first_load({f"{page}/{side}": url for page, sides in pages.items() for side, url in sides.items()})
    first = {}
    for page in pages:
        k, o = loads[f"{page}/kopz"], loads[f"{page}/oscar"]
        first[page] = {"kopz": k, "oscar": o, "fraction": round(k["bytes"] / o["bytes"], 3)}
    result = {
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "setup": "gunicorn, 1 sync worker each, same machine, same run, alternating; Oscar 4.2.1 DEBUG off with "
                 "WhiteNoise (gzip static) + GZipMiddleware + media served by Django; Kopz KOPZ_ENV=production "
                 "on SQLite; 200 products each; first load: Chromium, Pixel 5, empty cache, service workers "
                 "blocked, encoded bytes",
        # The machine is shared: its load average (1, 5, 15 min) before and after says how far to trust times.
        "load_average": {"before": [round(x, 2) for x in load_before], "after": [round(x, 2) for x in os.getloadavg()],
                         "cpus": os.cpu_count()},
        "search_query": SEARCH, "rounds": args.rounds, "targets": TARGETS, "timing": timing, "first_load": first,
        "meets": {**{page: timing[page]["ratio_median"] >= TARGETS[page] for page in timing},
                  "first_load": all(row["fraction"] <= TARGETS["first_load_fraction"] for row in first.values())},
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(table(result))
    print(f"Load average before {result['load_average']['before']}, after {result['load_average']['after']} "
          f"on {os.cpu_count()} CPUs")
    print(f"Written: {args.output}")
    return 0 if all(result["meets"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
