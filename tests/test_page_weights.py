"""What a phone downloads besides a page's HTML (tests/test_budgets.py guards that): the
stylesheets and scripts the page links, as served compressed, and htmx fragments.

Budgets (issue 13, a slow phone connection): JS <= 30 KB and CSS <= 15 KB per page, an htmx
fragment <= 10 KB, all compressed as they go out. The files measured are the ones each page
actually links (its <link rel=stylesheet> and <script src>), fetched through the app like a browser.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import login

MAX_JS = 30 * 1024
MAX_CSS = 15 * 1024
MAX_FRAGMENT = 10 * 1024
BROWSER = {"Accept-Encoding": "gzip, deflate, br, zstd"}
STYLESHEET = re.compile(r'<link\b[^>]*\brel="stylesheet"[^>]*\bhref="([^"]+)"'
                        r'|<link\b[^>]*\bhref="([^"]+)"[^>]*\brel="stylesheet"')
SCRIPT = re.compile(r'<script\b[^>]*\bsrc="([^"]+)"')


def _wire_size(client, url: str) -> int:
    """Bytes on the wire for a same-site file, compressed the way it is served to a browser."""
    assert url.startswith("/"), f"{url}: a page links only its own files"
    response = client.get(url, headers=BROWSER)
    assert response.status_code == 200, url
    assert response.headers.get("Content-Encoding") in ("gzip", "br"), f"{url} goes out uncompressed"
    return len(response.data)


def _weights(client, url: str) -> dict:
    response = client.get(url, headers={"Accept": "text/html"})
    assert response.status_code == 200, url
    html = response.text
    css = [a or b for a, b in STYLESHEET.findall(html)]
    js = SCRIPT.findall(html)
    return {"css": sum(_wire_size(client, u) for u in css), "js": sum(_wire_size(client, u) for u in js),
            "css_files": css, "js_files": js}


@pytest.fixture
def shop(make_koperasi, make_store, make_product, db):
    koperasi = make_koperasi(name="Koperasi Serba Usaha Maju Bersama")
    store = make_store(koperasi)
    products = [make_product(store, name=f"Keripik Singkong Pedas {n}", price_idr=10_000 + n * 500) for n in range(30)]
    return koperasi, store, products


def _check(weights: dict, url: str) -> None:
    assert weights["js"] <= MAX_JS, f"{url}: {weights['js']} bytes of JS ({weights['js_files']})"
    assert weights["css"] <= MAX_CSS, f"{url}: {weights['css']} bytes of CSS ({weights['css_files']})"


def test_public_pages_link_little_css_and_js(client, shop):
    koperasi, store, products = shop
    for url in ["/", "/koperasi", f"/k/{koperasi.slug}", "/market", f"/market/{products[0].id}",
                f"/toko/{store.slug}", "/login", "/register"]:
        _check(_weights(client, url), url)


def test_logged_in_pages_link_little_css_and_js(app, shop, make_staff):
    koperasi, store, _products = shop
    from models.accounts import User
    from web.extensions import db

    seller = login(app.test_client(), db.session.get(User, store.owner_id))
    for url in ["/cards", f"/k/{koperasi.slug}/me", "/seller", "/account"]:
        _check(_weights(seller, url), url)
    office = login(app.test_client(), make_staff(koperasi, role="pengurus"))
    _check(_weights(office, f"/k/{koperasi.slug}/office"), "office")


def test_the_guard_measures_the_files_a_page_really_links(client):
    weights = _weights(client, "/")
    # htmx and the app's script, and the one stylesheet: without them the sums above prove nothing.
    assert any("htmx" in u for u in weights["js_files"]) and any("kopz" in u for u in weights["js_files"])
    assert weights["css_files"] and weights["css"] > 1024 and weights["js"] > 10 * 1024


@pytest.mark.parametrize("url", ["/market?q=keripik", "/market?sort=cheapest", "/koperasi?q=koperasi"])
def test_htmx_search_fragments_stay_small(client, shop, make_koperasi, url):
    for n in range(25):
        make_koperasi(name=f"Koperasi Simpan Pinjam Sejahtera Bersama Nomor {n}")
    response = client.get(url, headers={**BROWSER, "HX-Request": "true", "HX-Target": "results"})
    assert response.status_code == 200
    assert response.headers.get("Kopz-Fragment") == "results"  # the block alone, not the page
    assert response.headers.get("Content-Encoding") in ("gzip", "br")
    assert len(response.data) <= MAX_FRAGMENT, f"{url}: fragment of {len(response.data)} bytes"


def test_a_list_gets_small_logos_and_the_profile_a_sharp_one(client, make_koperasi, db):
    """The directory shows 20 logos at 40 px: each comes at 80 px (sharp on a 2x screen), not
    the stored 256 px one that weighed ~8 KB apiece (Lighthouse: 155 KB to save on /koperasi)."""
    import io

    from PIL import Image, ImageDraw

    from models.koperasi import set_logo

    koperasi = make_koperasi(name="Koperasi Logo Besar")
    picture = Image.new("RGB", (600, 600), (11, 110, 79))
    ImageDraw.Draw(picture).ellipse((60, 60, 540, 540), fill=(240, 200, 40))
    upload = io.BytesIO()
    picture.save(upload, "PNG")
    upload.seek(0)
    set_logo(koperasi, None, upload)
    db.session.commit()
    page = client.get("/koperasi").text
    listed = re.search(r'src="(/k/[^"]+/logo\.webp[^"]*)"', page).group(1).replace("&amp;", "&")
    profile = re.search(r'src="(/k/[^"]+/logo\.webp[^"]*)"', client.get(f"/k/{koperasi.slug}").text).group(1)
    stored = client.get(f"/k/{koperasi.slug}/logo.webp?v={koperasi.logo_version}")
    small, sharp = client.get(listed), client.get(profile.replace("&amp;", "&"))
    sizes = {name: Image.open(io.BytesIO(r.data)).size for name, r in
             (("stored", stored), ("small", small), ("sharp", sharp))}
    assert sizes == {"stored": (256, 256), "small": (80, 80), "sharp": (144, 144)}
    assert len(small.data) * 2 < len(stored.data)
    assert small.headers["Cache-Control"] == stored.headers["Cache-Control"]  # versioned: kept a year
