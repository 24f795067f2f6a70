"""Uploaded pictures: only real images, re-encoded small with no metadata.

Rules kept here:
- A file over its byte limit is refused before it is read further.
- A picture of more than ``MAX_PIXELS`` is refused from its header, before any pixel
  is decoded (a small file can claim 80 megapixels: seconds and ~600 MB to decode).
- A picture is decoded once, at reduced size where the format allows it (JPEG decodes
  at 1/2, 1/4 or 1/8 scale), then turned upright and shrunk.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import time
import warnings

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from models import private_files
from models.errors import DomainError

LOGO_MAX_BYTES = 2 * 1024 * 1024
MAX_PIXELS = 24_000_000  # 6000 × 4000, a phone camera's full size; more is refused, not decoded
# Pillow's own guard, for every opening of a picture in the app: above this it only warns
# (refusing at twice this), so its warning is made an error, as Pillow's documentation advises.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
warnings.simplefilter("error", Image.DecompressionBombWarning)


def _too_large(field: str) -> DomainError:
    return DomainError(_l("This picture has too many pixels (at most %(mp)s megapixels). Choose a smaller one, "
                          "or take the photo again at a normal size.", mp=MAX_PIXELS // 1_000_000), field=field)


def _not_a_picture(field: str) -> DomainError:
    return DomainError(_l("This file is not a picture. Choose a JPG, PNG or WebP image."), field=field)


def reencode(upload, max_bytes: int, size: tuple[int, int], field: str, quality: int = 80) -> bytes:
    """Read a file-like upload; return WebP bytes at most ``size``, EXIF and all else dropped.
    Refuses too many bytes or too many pixels before decoding; decodes once, reduced."""
    raw = upload.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise DomainError(_l("The picture is larger than %(mb)s MB.", mb=max_bytes // (1024 * 1024)), field=field)
    try:
        image = Image.open(io.BytesIO(raw))  # reads the header only
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise _too_large(field) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise _not_a_picture(field) from None
    if image.width * image.height > MAX_PIXELS:  # whatever Pillow's own limit was set to
        raise _too_large(field)
    try:
        side = max(size)  # the box before turning upright: a sideways photo fits either way
        scale = min(side / image.width, side / image.height, 1)
        # The one decode: a JPEG at 1/2, 1/4 or 1/8 scale (still at least the size needed);
        # other formats whole, then reduced in one fast step.
        image.draft(None, (max(1, round(image.width * scale)), max(1, round(image.height * scale))))
        image.thumbnail((side, side))
        image = ImageOps.exif_transpose(image)
        image.thumbnail(size)
        image = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise _not_a_picture(field) from None
    out = io.BytesIO()
    image.save(out, "WEBP", quality=quality, method=4)
    return out.getvalue()


# ---------------------------------------------------------------- kept across a failed submit

KEEP_SECONDS = 24 * 3600
_KEPT_NAME = re.compile(r"[0-9a-f]{64}")


def keep(data: bytes, folder: str, ext: str = "webp") -> str:
    """Put re-encoded picture bytes (or a checked PDF: ``ext="pdf"``) aside, content-addressed,
    until the form goes through; return the name. Leftovers older than a day are removed on the way."""
    name = private_files.store(data, folder, ext)
    old = time.time() - KEEP_SECONDS
    for entry in os.scandir(folder):
        if entry.name.endswith(f".{ext}") and entry.stat().st_mtime < old:
            with contextlib.suppress(OSError):
                os.remove(entry.path)
    return name


def kept(name: str, folder: str, ext: str = "webp") -> bytes | None:
    """The bytes put aside under ``name``, or None when gone (or not such a name)."""
    if not _KEPT_NAME.fullmatch(name or "") or ext not in ("webp", "pdf"):
        return None
    try:
        with open(os.path.join(folder, f"{name}.{ext}"), "rb") as data:
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


def shrink(data: bytes, side: int, quality: int = 80) -> bytes:
    """A stored WebP picture (ours, already checked) made at most ``side`` pixels wide and high:
    a 40 px logo in a list need not carry the 256 px one."""
    image = Image.open(io.BytesIO(data))
    if max(image.size) <= side:
        return data
    image.thumbnail((side, side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "WEBP", quality=quality, method=4)
    return out.getvalue()
