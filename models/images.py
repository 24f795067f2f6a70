"""Uploaded pictures: only real images, re-encoded small with no metadata."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import time

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from models.errors import DomainError

LOGO_MAX_BYTES = 2 * 1024 * 1024
Image.MAX_IMAGE_PIXELS = 40_000_000  # refuse decompression bombs


def reencode(upload, max_bytes: int, size: tuple[int, int], field: str, quality: int = 80) -> bytes:
    """Read a file-like upload; return WebP bytes at most ``size``, EXIF and all else dropped."""
    raw = upload.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise DomainError(_l("The picture is larger than %(mb)s MB.", mb=max_bytes // (1024 * 1024)), field=field)
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            probe.verify()
        image = Image.open(io.BytesIO(raw))
        image = ImageOps.exif_transpose(image)
        image.thumbnail(size)
        image = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError, ValueError):
        raise DomainError(_l("This file is not a picture. Choose a JPG, PNG or WebP image."), field=field) from None
    out = io.BytesIO()
    image.save(out, "WEBP", quality=quality, method=4)
    return out.getvalue()


# ---------------------------------------------------------------- kept across a failed submit

KEEP_SECONDS = 24 * 3600
_KEPT_NAME = re.compile(r"[0-9a-f]{64}")


def keep(data: bytes, folder: str) -> str:
    """Put re-encoded picture bytes aside (content-addressed) until the form goes through;
    return the name. Leftovers older than a day are removed on the way."""
    os.makedirs(folder, exist_ok=True)
    name = hashlib.sha256(data).hexdigest()
    path = os.path.join(folder, name + ".webp")
    if not os.path.exists(path):
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    old = time.time() - KEEP_SECONDS
    for entry in os.scandir(folder):
        if entry.name.endswith(".webp") and entry.stat().st_mtime < old:
            with contextlib.suppress(OSError):
                os.remove(entry.path)
    return name


def kept(name: str, folder: str) -> bytes | None:
    """The bytes put aside under ``name``, or None when gone (or not such a name)."""
    if not _KEPT_NAME.fullmatch(name or ""):
        return None
    try:
        with open(os.path.join(folder, name + ".webp"), "rb") as data:
            return data.read()
    except OSError:
        return None


def preview(data: bytes, size: tuple[int, int] = (96, 96)) -> bytes:
    """A small WebP of a kept picture, to show it beside the form."""
    image = Image.open(io.BytesIO(data))
    image.thumbnail(size)
    out = io.BytesIO()
    image.save(out, "WEBP", quality=70)
    return out.getvalue()
