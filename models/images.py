"""Uploaded pictures: only real images, re-encoded small with no metadata."""

from __future__ import annotations

import io

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
