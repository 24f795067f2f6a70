"""Documents of a RAT: PDFs staff upload for the members to read before the meeting.

Rules kept here:
- Only a PDF is kept: it starts with ``%PDF-`` and ends (within its last 1 KB) with ``%%EOF``;
  a picture or a text file renamed to .pdf is refused.
- At most ``MAX_BYTES`` (5 MB): a phone on paid data downloads it; refused before it is read further.
- Files are content-addressed (``<sha256>.pdf`` in the media folder): the same file uploaded
  twice is stored once, and a name can never point outside the folder.
- A held meeting's documents no longer change.
"""

from __future__ import annotations

import hashlib
import os
import re
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db, utcnow
from models.errors import DomainError
from models.meetings import HELD, Meeting

MAX_BYTES = 5 * 1024 * 1024
_NAME = re.compile(r"[0-9a-f]{64}")


class MeetingDocument(db.Model):
    __table_args__ = (sa.Index("ix_meeting_document_meeting", "meeting_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meeting.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(sa.String(160))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    size: Mapped[int]
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def filename(self) -> str:
        """A safe download name made of the title: letters, digits and dashes, then .pdf."""
        stem = re.sub(r"[^A-Za-z0-9]+", "-", self.title).strip("-")[:80] or "dokumen"
        return f"{stem}.pdf"


def read_pdf(upload) -> bytes:
    """The bytes of an uploaded PDF, or a clear refusal (too large, not a PDF)."""
    if upload is None:
        raise DomainError(_l("Choose a PDF file."), field="file")
    data = upload.read(MAX_BYTES + 1)
    if not data:
        raise DomainError(_l("Choose a PDF file."), field="file")
    if len(data) > MAX_BYTES:
        raise DomainError(_l("The file is larger than %(mb)s MB. Make it smaller (e.g. print it to PDF again at "
                             "a lower quality) and try again.", mb=MAX_BYTES // (1024 * 1024)), field="file")
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-1024:]:
        raise DomainError(_l("This file is not a PDF. Choose a PDF document."), field="file")
    return data


def store(data: bytes, folder: str) -> str:
    """Write the bytes under their SHA-256 name (once); return the name."""
    name = hashlib.sha256(data).hexdigest()
    path = os.path.join(folder, name + ".pdf")
    if not os.path.exists(path):
        os.makedirs(folder, exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    return name


def path_of(document: MeetingDocument, folder: str) -> str | None:
    if not _NAME.fullmatch(document.sha256):
        return None
    path = os.path.join(folder, document.sha256 + ".pdf")
    return path if os.path.exists(path) else None


def add(meeting: Meeting, title: str | None, upload, folder: str, by) -> MeetingDocument:
    """Attach an uploaded PDF to a meeting not yet held."""
    if meeting.status == HELD:
        raise DomainError(_l("This meeting was held: its documents no longer change."), field="file")
    title = " ".join((title or "").split())
    if len(title) < 3 or len(title) > 160:
        raise DomainError(_l("Enter the document's title (3 to 160 characters)."), field="title")
    data = read_pdf(upload)
    document = MeetingDocument(meeting_id=meeting.id, title=title, sha256=store(data, folder), size=len(data),
                               uploaded_by_id=by.id)
    db.session.add(document)
    db.session.flush()
    return document


def documents(meeting: Meeting) -> list[MeetingDocument]:
    return list(db.session.scalars(sa.select(MeetingDocument).where(MeetingDocument.meeting_id == meeting.id)
                                   .order_by(MeetingDocument.id)))


def remove(meeting: Meeting, document_id: int | None) -> None:
    """Take a document off a meeting not yet held (the file stays: another may share it)."""
    if meeting.status == HELD:
        raise DomainError(_l("This meeting was held: its documents no longer change."))
    document = db.session.get(MeetingDocument, document_id or 0)
    if document is None or document.meeting_id != meeting.id:
        raise DomainError(_l("This document is no longer there."))
    db.session.delete(document)
    db.session.flush()
