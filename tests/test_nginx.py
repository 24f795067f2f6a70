"""The nginx configuration production uses (deploy/nginx.conf.template), run by a real nginx in front of
the tests' app: static files from disk with a year's cache, the app's own compression passed through,
private media never served, and an instance that refuses connections skipped for the next."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

from deploy import nginx
from tests.conftest import require
from web.config import HOST_SESSION_COOKIE, ROOT
from web.security import every_answer

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def proxy(app, live_server, tmp_path_factory):
    """nginx on a free port; its first upstream refuses connections, its second is the tests' app."""
    require(os.path.exists(NGINX), "nginx is not installed (apt-get install -y nginx)")
    run_dir = tmp_path_factory.mktemp("nginx")
    user = "root" if os.geteuid() == 0 else None  # workers must read the tests' (root-only) folders
    nginx.prepare(run_dir, user)
    port, dead = _free_port(), _free_port()
    media = Path(app.config["MEDIA_DIR"])
    (media / "public" / "p").mkdir(parents=True, exist_ok=True)
    (media / "ktp").mkdir(parents=True, exist_ok=True)
    conf = run_dir / "nginx.conf"
    conf.write_text(nginx.render([f"127.0.0.1:{dead}", live_server.removeprefix("http://")], f"127.0.0.1:{port}",
                                 run_dir, Path(app.config["STATIC_BUILD_DIR"]), media, user=user))
    subprocess.run([NGINX, "-t", "-q", "-c", str(conf)], check=True)
    subprocess.run([NGINX, "-c", str(conf)], check=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            requests.get(base + "/healthz", timeout=2)
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    try:
        yield base, media
    finally:
        subprocess.run([NGINX, "-c", str(conf), "-s", "quit"], check=False)


def test_pages_come_through_even_when_an_instance_refuses_connections(proxy):
    base, _media = proxy
    for _ in range(4):  # round robin would send every other request to the dead one
        response = requests.get(base + "/koperasi", headers={"Accept-Encoding": "gzip"}, timeout=10)
        assert response.status_code == 200
        assert response.headers["Content-Encoding"] == "gzip"  # the app's flask-compress, passed through once
        assert "<html" in response.text


def test_hashed_static_files_come_from_disk_compressed_and_cached_for_a_year(proxy):
    base, _media = proxy
    page = requests.get(base + "/", timeout=10).text
    stylesheet = re.search(r'href="(/static/[^"]+\.[0-9a-f]{12}\.css)"', page).group(1)
    response = requests.get(base + stylesheet, headers={"Accept-Encoding": "gzip"}, timeout=10)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["Content-Encoding"] == "gzip"  # the .gz copy made at start-up
    assert (ROOT / "static" / "css" / "kopz.css").read_text()[:200] in response.text


def test_public_media_is_served_and_private_media_never(proxy):
    base, media = proxy
    name = "ab" * 32
    (media / "public" / "p" / f"{name}.webp").write_bytes(b"RIFF-picture")
    (media / "ktp" / f"{name}.jpg").write_bytes(b"a KTP photo")
    photo = requests.get(f"{base}/media/p/{name}.webp", timeout=10)
    assert photo.status_code == 200 and photo.content == b"RIFF-picture"
    assert "immutable" in photo.headers["Cache-Control"]
    assert requests.get(f"{base}/media/ktp/{name}.jpg", timeout=10).status_code == 404
    assert requests.get(f"{base}/media/../ktp/{name}.jpg", timeout=10).status_code in (400, 404)


def test_the_page_cache_keeps_only_what_the_app_calls_public_and_never_for_a_session(proxy):
    base, _media = proxy
    first = requests.get(base + "/koperasi", timeout=10)
    second = requests.get(base + "/koperasi", timeout=10)
    shared = "public" in first.headers["Cache-Control"] and "Set-Cookie" not in first.headers
    assert (second.headers["X-Cache"] == "HIT") == shared  # the app's Cache-Control decides, nothing else
    for name in ("session", HOST_SESSION_COOKIE):  # development's session cookie, and production's
        with_session = requests.get(base + "/koperasi", cookies={"lang": "id", name: "anything"}, timeout=10)
        assert with_session.headers["X-Cache"] == "BYPASS", name
    for name in ("kopz_primary", "__Host-kopz_primary"):
        after_a_write = requests.get(base + "/koperasi", cookies={name: "1"}, timeout=10)
        assert after_a_write.headers["X-Cache"] == "BYPASS", name


def test_the_page_cache_keeps_one_copy_per_chosen_language(proxy):
    """The language cookie is part of the key: under development's name, and production's ("__Host-lang")."""
    base, _media = proxy
    for lang, words in (("en", "Find a koperasi"), ("id", "Cari koperasi")) * 2:  # the second time from the cache
        page = requests.get(base + "/koperasi", cookies={"lang": lang}, headers={"Accept-Language": "id"}, timeout=10)
        assert words in page.text, (lang, page.headers.get("X-Cache"))
    seen = [requests.get(base + "/koperasi", cookies={"__Host-lang": lang}, headers={"Accept-Language": "en-GB"},
                         timeout=10).headers["X-Cache"] for lang in ("en", "id", "en")]
    assert seen == ["MISS", "MISS", "HIT"]  # "id" is not answered with the copy kept for "en"

def test_files_nginx_serves_itself_carry_the_pages_security_headers(proxy):
    """Static files and public media come from disk, not through the app: the same headers as WhiteNoise's
    (web/security.py: CSP, nosniff, frame and referrer rules, Permissions-Policy); no HSTS over plain http."""
    base, media = proxy
    name = "cd" * 32
    (media / "public" / "p" / f"{name}.webp").write_bytes(b"RIFF-picture")
    page = requests.get(base + "/", timeout=10)
    stylesheet = re.search(r'href="(/static/[^"]+\.[0-9a-f]{12}\.css)"', page.text).group(1)
    for url in (stylesheet, "/static/css/kopz.css", f"/media/p/{name}.webp"):
        response = requests.get(base + url, timeout=10)
        assert response.status_code == 200, url
        assert {header: response.headers.get(header) for header in every_answer()} == every_answer(), url
        assert "Strict-Transport-Security" not in response.headers
    assert "Strict-Transport-Security" not in page.headers
    missing = requests.get(f"{base}/media/p/{'ef' * 32}.webp", timeout=10)
    assert missing.status_code == 404 and missing.headers["X-Content-Type-Options"] == "nosniff"
