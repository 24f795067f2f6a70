"""Documents of a RAT: PDFs staff upload for the members to read before the meeting.

Rules kept here:
- Only a PDF is kept, at most ``MAX_BYTES`` (5 MB: a phone on paid data downloads it), stored
  content-addressed in the media folder (``models.private_files``: the check and the storage).
- A held meeting's documents no longer change.
"""

from __future__ import annotations

import re
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from models import private_files
from models.base import db, utcnow
from models.errors import DomainError
from models.meetings import HELD, Meeting
from models.private_files import read_pdf, store


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


def path_of(document: MeetingDocument, folder: str) -> str | None:
    return private_files.path_of(document.sha256, folder)


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
