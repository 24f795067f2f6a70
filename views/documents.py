"""Private documents in the office: the koperasi's legal PDFs (its board) and applicants' KTP
photos (those who decide applications)."""

from __future__ import annotations

from flask import Blueprint, abort

from models import documents
from models.membership import Membership
from web.access import office
from web.media import folder, private_file

bp = Blueprint("documents", __name__, url_prefix="/k/<slug>/office")


@bp.get("/documents/<int:document_id>")
def koperasi_document(slug, document_id):
    """One of the koperasi's legal documents (a PDF): for its board (pengurus, admin) only."""
    here = office(slug, "manage_settings")
    found = documents.document_file(here.koperasi.id, document_id, folder(documents.DOCUMENTS_FOLDER))
    if found is None:
        abort(404)
    row, path = found
    return private_file(path, "application/pdf", row.filename)


@bp.get("/applications/<int:membership_id>/ktp")
def ktp_photo(slug, membership_id):
    """The KTP photo sent with an application: personal data (UU PDP), so only for those who decide
    applications (the board), never kept in a cache; gone once purged."""
    here = office(slug, "approve_member")
    membership = here.get(Membership, membership_id)
    path = documents.ktp_file(membership, folder(documents.KTP_FOLDER))
    if path is None:
        abort(404)
    return private_file(path, "image/webp", f"ktp-{membership.id}.webp", no_store=True)
