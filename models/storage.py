"""Content-addressed file storage: the one place that names, writes, finds and removes stored files.

A file is stored under ``<sha256 of its bytes>.<ext>``: the same bytes uploaded twice are
stored once, a name can be checked by its shape alone (so a name taken from the database or
a URL can never point outside its folder), and a name never changes meaning, so its URL may
be cached for good.

``FileStore`` is the filesystem backend: a folder (and, for public files, the URL prefix
under which the web server serves that folder). Another backend (an object store) only has
to offer the same five methods: ``put``, ``path``, ``exists``, ``delete``, ``url``.

Two kinds of folders live under the media folder (``MEDIA_DIR``):
- private ones (``models.private_files``: legal documents, KTP photos, RAT PDFs, imports),
  which have no URL and are only sent by a view that checked who asks;
- the public folder (``PUBLIC_FOLDER``), served as static files at ``/media/`` (WhiteNoise in
  the embedded server, nginx in production). Nothing private is ever written there.

Public means public. A product photo is a public file from its upload on: anyone holding its
URL can fetch it, also while the product is hidden or its store is not yet approved (before
issue 13 such a photo was sent by Python to its seller only). This is accepted, as most shops
and CDNs do: the URL is the SHA-256 of the re-encoded image, so it cannot be guessed or counted
through; it is printed only on the pages that show the product (the listing rule still decides
those); and no folder is ever listed (WhiteNoise answers exact names only, nginx runs with
``autoindex off``). A photo once seen may stay in a cache after the product is hidden, as it
always could with a one-year immutable cache. A picture that must stay private (a KTP, a
receipt, a legal document) goes to a private folder instead, never here.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import time
from typing import Protocol

PUBLIC_FOLDER = "public"  # under MEDIA_DIR; served at PUBLIC_URL, never listed
PUBLIC_URL = "/media/"
_EXT = re.compile(r"[a-z]{2,5}")
_NAME = re.compile(r"([0-9a-f]{64})\.([a-z]{2,5})")


def content_name(data: bytes, ext: str) -> str:
    """The stored name of these bytes: ``<sha256>.<ext>``."""
    if not _EXT.fullmatch(ext):
        raise ValueError(f"not a file extension: {ext!r}")
    return f"{hashlib.sha256(data).hexdigest()}.{ext}"


def valid_name(name: str | None) -> bool:
    """Whether ``name`` has the shape of a stored name (and so stays inside its folder)."""
    return bool(_NAME.fullmatch(name or ""))


class Storage(Protocol):
    """What a place for content-addressed files offers (a folder here; an object store could)."""

    def put(self, data: bytes, ext: str) -> str: ...

    def path(self, name: str) -> str | None: ...

    def exists(self, name: str) -> bool: ...

    def delete(self, name: str) -> bool: ...

    def age(self, name: str) -> float | None: ...

    def url(self, name: str) -> str: ...


class FileStore:
    """Content-addressed files in one folder on disk; ``url_prefix`` when the folder is served."""

    def __init__(self, folder: str, url_prefix: str | None = None):
        self.folder = folder
        self.url_prefix = url_prefix

    def put(self, data: bytes, ext: str) -> str:
        """Write the bytes under their content name (once: the same bytes are not written again);
        return the name. Written to a temporary file and renamed, so no reader sees half a file."""
        name = content_name(data, ext)
        path = os.path.join(self.folder, name)
        try:
            os.utime(path)  # there already: written again now, as far as ``age`` can tell
        except FileNotFoundError:
            os.makedirs(self.folder, exist_ok=True)
            tmp = f"{path}.{os.getpid()}.tmp"
            with open(tmp, "wb") as out:
                out.write(data)
            if self.url_prefix is not None:
                os.chmod(tmp, 0o644)  # public: the web server (another user) reads it
            os.replace(tmp, path)
        return name

    def path(self, name: str) -> str | None:
        """The file of that name, or None (not such a name, or gone)."""
        if not valid_name(name):
            return None
        path = os.path.join(self.folder, name)
        return path if os.path.isfile(path) else None

    def exists(self, name: str) -> bool:
        return self.path(name) is not None

    def delete(self, name: str) -> bool:
        """Remove the file of that name; True when it was there. The caller decides that no row
        refers to it any more (the same bytes may be stored for two owners)."""
        path = self.path(name)
        if path is None:
            return False
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)
        return True

    def age(self, name: str) -> float | None:
        """Seconds since the file was last put, or None when there is no such file."""
        path = self.path(name)
        try:
            return time.time() - os.path.getmtime(path) if path else None
        except FileNotFoundError:
            return None

    def url(self, name: str) -> str:
        if self.url_prefix is None:
            raise ValueError("a private store has no URL")
        if not valid_name(name):
            raise ValueError(f"not a stored name: {name!r}")
        return self.url_prefix + name

