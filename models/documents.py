"""A koperasi's legal documents (for its verification) and applicants' KTP photos.

Rules kept here:
- A koperasi registers with two PDFs: its deed of establishment (akta pendirian / SK badan
  hukum) and its NIK koperasi certificate; registering without either is refused.
- The board replaces a document by uploading a new one (at a resubmit or any time later):
  every upload is kept as a row (the history the platform admin may need), the newest of
  each kind is the current one. Files are private (``models.private_files``).
- A koperasi may require a photo of the applicant's KTP with a join application
  (``Koperasi.ktp_photo_required``). The photo is re-encoded (metadata stripped) and kept
  privately; ``keep_days`` (``Koperasi.ktp_keep_days``) after the decision, ``purge_ktp``
  deletes the file and its row (UU PDP: personal data only as long as it is needed).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from models import private_files
from models.accounts import User
from models.base import db, utcnow
from models.errors import Checks, DomainError
from models.images import reencode
from models.koperasi import KTP_KEEP_DAYS, Koperasi, record, register_koperasi
from models.membership import Membership

AKTA = "akta"
NIK_CERTIFICATE = "nik_certificate"
KINDS = {
    AKTA: _l("Deed of establishment (akta pendirian / SK badan hukum)"),
    NIK_CERTIFICATE: _l("NIK koperasi certificate"),
}
DOCUMENT_MAX_BYTES = 4 * 1024 * 1024  # two of them and a logo fit in one request (MAX_CONTENT_LENGTH 12 MB)
KTP_MAX_BYTES = 8 * 1024 * 1024  # a phone camera's photo
KTP_SIZE = (1600, 1600)  # the NIK and the name stay readable
DOCUMENTS_FOLDER = "koperasi"  # under the media folder
KTP_FOLDER = "ktp"


class KoperasiDocument(db.Model):
    __table_args__ = (sa.Index("ix_koperasi_document_koperasi", "koperasi_id", "kind", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    koperasi_id: Mapped[int] = mapped_column(sa.ForeignKey("koperasi.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(20))  # KINDS
    sha256: Mapped[str] = mapped_column(sa.String(64))
    size: Mapped[int]
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def label(self):
        return KINDS.get(self.kind, self.kind)

    @property
    def filename(self) -> str:
        return f"{self.kind.replace('_', '-')}-{self.koperasi_id}-{self.id}.pdf"


class KtpPhoto(db.Model):
    """The KTP photo sent with one application, until ``purge_ktp`` removes it."""

    membership_id: Mapped[int] = mapped_column(sa.ForeignKey("membership.id", ondelete="CASCADE"), primary_key=True)
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# ---------------------------------------------------------------- the koperasi's documents

def read_document(kind: str, upload) -> bytes:
    """One uploaded document, checked to be a PDF within the size limit (refused on its field)."""
    return private_files.read_pdf(upload, field=kind, max_bytes=DOCUMENT_MAX_BYTES)


def require(found: dict) -> None:
    """Both documents are there; every missing one is reported on its own field."""
    missing = Checks()
    for kind in KINDS:
        if not found.get(kind):
            missing.fail(_l("Attach this document as a PDF."), kind)
    missing.done()


def attach(koperasi: Koperasi, documents: dict[str, bytes], folder: str, by: User) -> list[KoperasiDocument]:
    """Keep each PDF as the koperasi's current document of its kind (the earlier ones stay, as history)."""
    rows = []
    for kind, data in documents.items():
        if kind not in KINDS:
            raise DomainError(_l("Choose a document from the list."))
        row = KoperasiDocument(koperasi_id=koperasi.id, kind=kind, sha256=private_files.store(data, folder),
                               size=len(data), uploaded_by_id=by.id)
        db.session.add(row)
        rows.append(row)
        record(koperasi, by, "document", {"kind": kind})
    db.session.flush()
    return rows


def register_with_documents(user: User, data: dict, documents: dict[str, bytes], folder: str) -> Koperasi:
    """Register a koperasi with its two documents (both required)."""
    require(documents)
    koperasi = register_koperasi(user, data)
    attach(koperasi, documents, folder, user)
    return koperasi


def current_and_earlier(koperasi_id: int) -> tuple[dict[str, KoperasiDocument], int]:
    """The newest document of each kind, and how many replaced ones the history keeps (one query)."""
    rows = db.session.scalars(sa.select(KoperasiDocument).where(KoperasiDocument.koperasi_id == koperasi_id)
                              .order_by(KoperasiDocument.id)).all()
    newest = {row.kind: row for row in rows}
    return newest, len(rows) - len(newest)


def current(koperasi_id: int) -> dict[str, KoperasiDocument]:
    """The newest document of each kind."""
    return current_and_earlier(koperasi_id)[0]


def earlier_count(koperasi_id: int) -> int:
    """How many replaced documents the koperasi's history keeps."""
    return current_and_earlier(koperasi_id)[1]


def document_file(koperasi_id: int, document_id: int, folder: str) -> tuple[KoperasiDocument, str] | None:
    """A document of this koperasi and its stored file, or None (another koperasi's, or gone)."""
    row = db.session.get(KoperasiDocument, document_id)
    if row is None or row.koperasi_id != koperasi_id:
        return None
    path = private_files.path_of(row.sha256, folder)
    return (row, path) if path else None


# ---------------------------------------------------------------- KTP photos of applications

def read_ktp(upload) -> bytes:
    """A KTP photo re-encoded to WebP, EXIF (place, camera, time) and all else dropped."""
    return reencode(upload, max_bytes=KTP_MAX_BYTES, size=KTP_SIZE, field="ktp_photo", quality=85)


def check_ktp(koperasi: Koperasi, photo: bytes | None) -> None:
    """The koperasi asks for a KTP photo and none came."""
    if koperasi.ktp_photo_required and not photo:
        raise DomainError(_l("This koperasi asks for a photo of your KTP. Take or choose one."), field="ktp_photo")


def keep_ktp(membership: Membership, photo: bytes | None, folder: str) -> KtpPhoto | None:
    """Keep the photo sent with an application (required where the koperasi says so)."""
    check_ktp(membership.koperasi, photo)
    if not photo:
        return None
    row = KtpPhoto(membership_id=membership.id, sha256=private_files.store(photo, folder, "webp"))
    db.session.add(row)
    db.session.flush()
    return row


def ktp_of(membership: Membership) -> KtpPhoto | None:
    return db.session.get(KtpPhoto, membership.id)


def ktp_file(membership: Membership, folder: str) -> str | None:
    """The stored KTP photo of an application, or None (none sent, or deleted)."""
    photo = ktp_of(membership)
    return private_files.path_of(photo.sha256, folder, "webp") if photo else None


def purge_due(membership: Membership) -> datetime | None:
    """When the photo of a decided application goes (None while undecided)."""
    if membership.decided_at is None:
        return None
    return membership.decided_at + timedelta(days=membership.koperasi.ktp_keep_days)


def purge_ktp(now: datetime, folder: str) -> int:
    """Delete every KTP photo whose application was decided more than its koperasi's keep days
    before ``now``: the row, and the file unless another application still uses the same one.
    Running it again deletes nothing more. Returns how many photos went."""
    rows = db.session.execute(
        sa.select(KtpPhoto, Membership.decided_at, Koperasi.ktp_keep_days)
        .join(Membership, Membership.id == KtpPhoto.membership_id)
        .join(Koperasi, Koperasi.id == Membership.koperasi_id)
        .where(Membership.decided_at.is_not(None), Membership.decided_at <= now - timedelta(days=KTP_KEEP_DAYS[0]))).all()
    expired = [photo for photo, decided_at, keep_days in rows if decided_at + timedelta(days=keep_days) <= now]
    return _delete_photos(expired, folder)


def forget_ktp(membership_ids: list[int], folder: str) -> int:
    """Delete the KTP photos of these memberships now (a person's data erased: models.personal_data)."""
    photos = list(db.session.scalars(sa.select(KtpPhoto).where(KtpPhoto.membership_id.in_(membership_ids))))
    return _delete_photos(photos, folder)


def _delete_photos(photos: list[KtpPhoto], folder: str) -> int:
    """The rows, and each file unless another application still uses the same one."""
    for photo in photos:
        db.session.delete(photo)
    db.session.flush()
    names = {photo.sha256 for photo in photos}
    still_used = set(db.session.scalars(sa.select(KtpPhoto.sha256).where(KtpPhoto.sha256.in_(names)))) if names else set()
    for name in names - still_used:
        private_files.remove(name, folder, "webp")
    return len(photos)
