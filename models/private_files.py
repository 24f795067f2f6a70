"""Private uploaded files: the PDF check, content-addressed storage in the media folder.

Rules kept here:
- Only a PDF is kept as a document: it starts with ``%PDF-`` and ends (within its last 1 KB)
  with ``%%EOF``; a picture or a text file renamed to .pdf is refused, and so is an empty file.
- A file over its byte limit is refused before it is read further.
- Files are content-addressed (``models.storage``: ``<sha256>.<ext>`` in a private folder under
  the media folder, never under ``static/`` nor the public media folder): the same file uploaded
  twice is stored once, and a name taken from the database can never point outside the folder.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from models import storage
from models.errors import DomainError

PDF_MAX_BYTES = 5 * 1024 * 1024


def read_pdf(upload, field: str = "file", max_bytes: int = PDF_MAX_BYTES) -> bytes:
    """The bytes of an uploaded PDF, or a clear refusal on ``field`` (none, too large, not a PDF)."""
    if upload is None:
        raise DomainError(_l("Choose a PDF file."), field=field)
    data = upload.read(max_bytes + 1)
    if not data:
        raise DomainError(_l("Choose a PDF file."), field=field)
    if len(data) > max_bytes:
        raise DomainError(_l("The file is larger than %(mb)s MB. Make it smaller (e.g. print it to PDF again at "
                             "a lower quality) and try again.", mb=max_bytes // (1024 * 1024)), field=field)
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-1024:]:
        raise DomainError(_l("This file is not a PDF. Choose a PDF document."), field=field)
    return data


def store(data: bytes, folder: str, ext: str = "pdf") -> str:
    """Write the bytes under their SHA-256 name (once); return the name (without its extension)."""
    return storage.FileStore(folder).put(data, ext).rsplit(".", 1)[0]


def path_of(name: str, folder: str, ext: str = "pdf") -> str | None:
    """The stored file of that name, or None (not such a name, or gone)."""
    return storage.FileStore(folder).path(f"{name}.{ext}")


def remove(name: str, folder: str, ext: str) -> bool:
    """Delete the stored file of that name; True when it was there."""
    return storage.FileStore(folder).delete(f"{name}.{ext}")
