"""Where private uploaded files live: folders under ``MEDIA_DIR`` (never under static/)."""

from __future__ import annotations

import os

from flask import current_app, send_file


def folder(name: str) -> str:
    """The media folder's sub-folder ``name`` (models.documents names them)."""
    return os.path.join(current_app.config["MEDIA_DIR"], name)


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
