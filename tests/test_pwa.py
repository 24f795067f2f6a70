"""The installable app: manifest, service worker, static files."""

from __future__ import annotations

import re

import pytest


def test_manifest_has_what_chromium_needs_to_install(client):
    response = client.get("/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    m = response.json
    assert m["short_name"] == "Kopz" and m["name"]
    assert (m["start_url"], m["scope"], m["display"], m["lang"]) == ("/?source=pwa", "/", "standalone", "id")
    assert m["theme_color"] and m["background_color"] and m["categories"]
    sizes = {(i["sizes"], i["purpose"]) for i in m["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in m["icons"]:
        png = client.get(icon["src"])
        assert png.status_code == 200 and png.data[:8] == b"\x89PNG\r\n\x1a\n"
        width = int.from_bytes(png.data[16:20], "big")
        assert f"{width}x{width}" == icon["sizes"]


def test_manifest_name_follows_the_language(client):
    client.set_cookie("lang", "en")
    assert client.get("/manifest.webmanifest").json["name"] == "Kopz: koperasi in your pocket"


def test_worker_is_served_at_root_scope_uncached(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "application/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response.headers["Cache-Control"]


def test_worker_precaches_files_that_exist(client):
    js = client.get("/sw.js").text
    precache = re.search(r"const PRECACHE = (\[.*?\]);", js).group(1)
    urls = re.findall(r'"(/static/[^"]+)"', precache)
    assert len(urls) >= 4 and any(u.endswith(".css") for u in urls)
    for url in urls:
        assert client.get(url).status_code == 200
    assert client.get("/offline").status_code == 200


def test_the_worker_fetches_the_offline_page_without_cookies(client, user):
    """The install's background request must not carry or set the session cookie: the offline page
    answered to a cookie holding a flash message sets that cookie again, and arriving after a login
    page it undid that page's CSRF token (the next login was refused "session ended")."""
    js = client.get("/sw.js").text
    assert 'c.add(new Request(OFFLINE_URL, { credentials: "omit" }))' in js
    assert "c.add(OFFLINE_URL)" not in js
    assert client.get("/offline").headers.get("Set-Cookie") is None  # and without cookies it sets none


def test_a_fragment_is_marked_so_the_worker_never_keeps_it_as_the_page(client):
    """The worker keeps a page for offline unless the answer says it is a fragment."""
    page = client.get("/koperasi")
    fragment = client.get("/koperasi", headers={"HX-Request": "true", "HX-Target": "results"})
    assert "Kopz-Fragment" not in page.headers and "<html" in page.text
    assert fragment.headers["Kopz-Fragment"] == "results" and "<html" not in fragment.text
    assert {"HX-Request", "HX-Target"} <= set(fragment.vary)  # no HTTP cache answers a page with it either


def test_every_office_and_admin_page_is_one_the_worker_keeps_no_copy_of(app, client):
    """Pages with other people's data are never kept offline: the worker's list of
    private addresses (as served) covers every office and admin route of the app, but for
    the teller's offline collection page (models/offline.py: what collecting needs)."""
    worker = client.get("/sw.js").text
    served = re.search(r"const PRIVATE = \[(.*?)\];", worker).group(1)
    private = [re.compile(rx) for rx in re.findall(r"/(\^.*?)/(?:,|$)", served)]
    assert private
    routes = [re.sub(r"<(?:\w+:)?(\w+)>", "1", rule.rule) for rule in app.url_map.iter_rules()
              if rule.rule.startswith(("/k/<slug>/office", "/admin"))]
    assert len(routes) > 10
    assert [path for path in routes if not any(rx.search(path) for rx in private)] == []
    kept = re.compile(re.search(r"const KEPT_OFFICE = /(.*?)/;", worker).group(1))
    assert [path for path in routes if kept.search(path)] == ["/k/1/office/teller/offline"]
    assert not any(rx.search("/k/1/me") or rx.search("/cards") for rx in private)  # the member's own, for offline


def test_logout_tells_the_browser_to_drop_its_kept_pages(app, make_user):
    from tests.conftest import login

    client = login(app.test_client(), make_user())
    response = client.post("/logout")
    assert response.status_code == 303 and response.headers["Clear-Site-Data"] == '"cache", "storage"'


def test_worker_version_changes_with_the_static_files(app, client):
    version = re.search(r"const VERSION = \"(\w+)\"", client.get("/sw.js").text).group(1)
    manifest = app.extensions["kopz_assets"]
    original = manifest["css/kopz.css"]
    manifest["css/kopz.css"] = "css/kopz.000000000000.css"
    try:
        assert re.search(r"const VERSION = \"(\w+)\"", client.get("/sw.js").text).group(1) != version
    finally:
        manifest["css/kopz.css"] = original


def test_hashed_static_files_are_cached_for_a_year_and_compressed(client):
    html = client.get("/").text
    css = re.search(r'href="(/static/css/kopz\.[0-9a-f]{12}\.css)"', html).group(1)
    response = client.get(css, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert "immutable" in response.headers["Cache-Control"] and "max-age=315360000" in response.headers["Cache-Control"]
    assert response.headers["Content-Encoding"] == "gzip"


def test_plain_static_names_get_a_short_cache(client):
    response = client.get("/static/css/kopz.css")
    assert response.status_code == 200 and "immutable" not in response.headers["Cache-Control"]


@pytest.mark.parametrize("name", ["htmx-2.0.11.min.js", "htmx-LICENSE.txt", "README.md"])
def test_vendored_htmx_has_version_and_licence(client, name):
    assert client.get(f"/static/vendor/{name}").status_code == 200
