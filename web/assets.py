"""Static files: content-hashed names, gzip copies, served by WhiteNoise with the pages' security headers.

At start-up every file under ``static/`` gets a copy named ``name.<hash>.ext`` (and
``.br`` and ``.gz`` beside it: WhiteNoise sends brotli to browsers that take it, ~10 % fewer
bytes than gzip for htmx and the stylesheet) in ``STATIC_BUILD_DIR``. Templates link the hashed
names through ``asset()``, so those URLs are cached for a year and never go stale; the plain names
stay served (short cache) for files that are linked relatively, such as images
inside a vendored stylesheet. No front-end build step: it is a few file copies.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
from pathlib import Path

from flask import Flask

from web.media import MediaWhiteNoise
from web.security import every_answer

try:  # brought by flask-compress (its brotli dependency); without it, gzip copies only
    import brotli
except ImportError:  # pragma: no cover - the locked install has it
    brotli = None

STATIC_URL = "/static/"
HASHED = re.compile(r"\.[0-9a-f]{12}\.[A-Za-z0-9]+$")
COMPRESSIBLE = {".css", ".js", ".svg", ".json", ".txt", ".webmanifest", ".html"}


def _hashed_name(rel: str, digest: str) -> str:
    stem, dot, ext = rel.rpartition(".")
    return f"{stem}.{digest}.{ext}" if dot else f"{rel}.{digest}"


def _write_once(path: Path, data: bytes) -> None:
    """Write atomically; several server processes may start at once."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def build(static_dir: Path, build_dir: Path) -> dict[str, str]:
    """Copy each static file to its hashed name (plus .gz); return {name: hashed name}."""
    manifest: dict[str, str] = {}
    for path in sorted(static_dir.rglob("*")):
        if not path.is_file() or path.name.startswith("."):
            continue
        rel = path.relative_to(static_dir).as_posix()
        data = path.read_bytes()
        hashed = _hashed_name(rel, hashlib.sha256(data).hexdigest()[:12])
        manifest[rel] = hashed
        _write_once(build_dir / hashed, data)
        if path.suffix in COMPRESSIBLE:
            _write_once(build_dir / (hashed + ".gz"), gzip.compress(data, 9, mtime=0))
            packed = build_dir / (hashed + ".br")
            if brotli is not None and not packed.exists():  # brotli's best is slow: once per version
                _write_once(packed, brotli.compress(data, quality=11))
    return manifest


def init_app(app: Flask, static_dir: Path) -> None:
    """Serve static files through WhiteNoise and expose ``asset(name)`` to templates."""
    build_dir = Path(app.config["STATIC_BUILD_DIR"])
    manifest = build(static_dir, build_dir)
    app.extensions["kopz_assets"] = manifest

    def immutable(path: str, url: str) -> bool:
        return bool(HASHED.search(url))

    # Also the public media files (product photos), looked up on demand (web/media.py).
    headers = every_answer(app.config.get("MAP_TILES_URL", ""))

    def same_as_pages(file_headers, path: str, url: str) -> None:  # HSTS per request: MediaWhiteNoise.serve
        for name, value in headers.items():
            file_headers.setdefault(name, value)

    wn = MediaWhiteNoise(app.wsgi_app, app.config["MEDIA_DIR"], max_age=3600, immutable_file_test=immutable,
                         add_headers_function=same_as_pages)
    wn.add_files(str(build_dir), prefix=STATIC_URL)
    wn.add_files(str(static_dir), prefix=STATIC_URL)
    app.wsgi_app = wn  # type: ignore[method-assign]
    app.jinja_env.globals["asset"] = asset


def asset(name: str) -> str:
    """URL of a static file under its content-hashed name."""
    from flask import current_app

    return STATIC_URL + current_app.extensions["kopz_assets"][name]
