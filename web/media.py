"""The media folder (``MEDIA_DIR``): private folders, and the public one served at ``/media/``.

Private uploaded files (legal documents, KTP photos, the RAT's PDFs) live in folders under
``MEDIA_DIR`` and are only sent by a view that checked who asks (``private_file``).

Public files (product photos) live under ``MEDIA_DIR/public`` (``models.storage``) with
content-addressed names, so they are served as static files with a one-year immutable cache:
by nginx in production (README, "Media files"), and by WhiteNoise in the embedded server
(``MediaWhiteNoise``). WhiteNoise indexes its folders once, at start-up, and its
``autorefresh`` (a scan per request) is for development only; a photo uploaded after start-up
must still be served, so ``MediaWhiteNoise`` looks a public media file up on demand, by its
exact name: one stat, no scan, never a directory listing, and only names of the stored shape.
"""

from __future__ import annotations

import os
import re

from flask import current_app, send_file
from whitenoise import WhiteNoise
from whitenoise.responders import IsDirectoryError, MissingFileError
from whitenoise.string_utils import decode_path_info

from models.storage import PUBLIC_FOLDER, PUBLIC_URL, FileStore
from web.security import HSTS

PHOTOS = "p"  # product photos: /media/p/<sha256>.webp
IMMUTABLE = "public, max-age=31536000, immutable"
# Only stored names of pictures: nothing else under the public folder is ever answered.
_PUBLIC_NAME = re.compile(re.escape(PUBLIC_URL) + r"[a-z]{1,8}/[0-9a-f]{64}\.(?:webp|avif|jpg|png)")


def folder(name: str) -> str:
    """The media folder's sub-folder ``name`` (models.documents names them)."""
    return os.path.join(current_app.config["MEDIA_DIR"], name)


def public_root(media_dir: str) -> str:
    return os.path.join(media_dir, PUBLIC_FOLDER)


def public_store(kind: str = PHOTOS, media_dir: str | None = None) -> FileStore:
    """The public store of one kind of file (product photos by default), served at /media/<kind>/."""
    root = public_root(media_dir or current_app.config["MEDIA_DIR"])
    return FileStore(os.path.join(root, kind), f"{PUBLIC_URL}{kind}/")


class MediaWhiteNoise(WhiteNoise):
    """WhiteNoise for static/ (indexed at start-up) that also answers public media files on demand."""

    KNOWN_MAX = 20_000  # media files remembered after a first look-up (~1 KB each); then forgotten at once

    def __init__(self, application, media_dir: str, **kwargs):
        super().__init__(application, **kwargs)
        self.media_root = public_root(media_dir)
        self.known: dict[str, object] = {}  # url → StaticFile; a name's content never changes

    def __call__(self, environ, start_response):
        path = decode_path_info(environ.get("PATH_INFO", ""))
        static_file = self.files.get(path)
        if static_file is None and _PUBLIC_NAME.fullmatch(path):
            static_file = self.media_file(path)
        if static_file is None:
            return self.application(environ, start_response)
        try:
            return self.serve(static_file, environ, start_response)
        except FileNotFoundError:  # removed since it was looked up: the app answers 404
            self.known.pop(path, None)
            return self.application(environ, start_response)

    def serve(self, static_file, environ, start_response):
        """A file as WhiteNoise answers it, with HSTS when the request came over https (as pages get it)."""
        if environ.get("wsgi.url_scheme") != "https":
            return super().serve(static_file, environ, start_response)

        def start(status, headers, exc_info=None):
            return start_response(status, [*headers, ("Strict-Transport-Security", HSTS)], exc_info)

        return super().serve(static_file, environ, start)

    def media_file(self, url: str):
        """The StaticFile of a public media URL (remembered, or looked up now); None when there is none."""
        found = self.known.get(url)
        if found is None:
            try:
                found = self.get_static_file(os.path.join(self.media_root, url[len(PUBLIC_URL):]), url)
            except (MissingFileError, IsDirectoryError, FileNotFoundError):
                return None  # not remembered: a file uploaded a moment later is found
            if len(self.known) >= self.KNOWN_MAX:
                self.known.clear()
            self.known[url] = found
        return found

    def add_cache_headers(self, headers, path, url):
        if url.startswith(PUBLIC_URL):
            headers["Cache-Control"] = IMMUTABLE
            headers["X-Content-Type-Options"] = "nosniff"
        else:
            super().add_cache_headers(headers, path, url)


def private_file(path: str, mimetype: str, download_name: str, *, no_store: bool = False):
    """A private file as a download: its own type, never sniffed, never shown inline by the browser's
    viewer in our origin; ``no_store`` for personal data (a KTP) that no cache may keep."""
    response = send_file(path, mimetype=mimetype, download_name=download_name, as_attachment=mimetype == "application/pdf",
                         max_age=0, conditional=False, etag=False)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store" if no_store else "private, max-age=300"
    if no_store:
        response.headers["Content-Disposition"] = f'inline; filename="{download_name}"'
    return response
