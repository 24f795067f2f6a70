"""Tiny valid PDFs for the tests that register a koperasi (models.documents requires two)."""

from __future__ import annotations

import io

from web.demo.documents import tiny_pdf

AKTA_PDF = tiny_pdf("Akta Pendirian Koperasi")
CERTIFICATE_PDF = tiny_pdf("Sertifikat NIK Koperasi")


def pdfs() -> dict:
    """The two documents as a multipart form posts them (fresh streams each call)."""
    return {"akta": (io.BytesIO(AKTA_PDF), "akta.pdf"), "nik_certificate": (io.BytesIO(CERTIFICATE_PDF), "nik.pdf")}
