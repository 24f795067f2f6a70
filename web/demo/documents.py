"""The demo koperasi's legal documents (a deed and a NIK certificate each, tiny valid PDFs made
here) and the KTP photo rule: the second Bandung koperasi asks applicants for one (the first
keeps its plain join form), with one applicant waiting whose drawn KTP the board can see."""

from __future__ import annotations

import io
from collections import Counter

import sqlalchemy as sa
from PIL import Image, ImageDraw

from models import documents
from models.accounts import User
from models.documents import KoperasiDocument
from models.koperasi import Koperasi
from models.membership import Membership, apply
from web.demo.people import home_address, nik, person
from web.extensions import db
from web.media import folder

KTP_APPLICANT = ("Intan Permatasari", "081377700001")


def tiny_pdf(*lines: str) -> bytes:
    """A one-page A4 PDF with these lines (ASCII), with a correct cross-reference table."""
    text = " ".join(f"BT /F1 {16 if i == 0 else 11} Tf 72 {770 - i * 24} Td ({_escape(line)}) Tj ET"
                    for i, line in enumerate(lines)).encode()
    objects = [b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
               b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>",
               b"<</Length %d>>stream\n%s\nendstream" % (len(text), text),
               b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _escape(line: str) -> str:
    return line.encode("ascii", "replace").decode().replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def legal_documents(added: Counter) -> None:
    """Every demo koperasi without documents gets its deed and NIK certificate."""
    have = sa.select(KoperasiDocument.koperasi_id)
    missing = db.session.scalars(sa.select(Koperasi).where(Koperasi.id.not_in(have)).order_by(Koperasi.id)).all()
    store = folder(documents.DOCUMENTS_FOLDER)
    for koperasi in missing:
        by = db.session.get(User, koperasi.created_by_id)
        documents.attach(koperasi, {
            documents.AKTA: tiny_pdf(f"Akta Pendirian {koperasi.name}", f"Nomor badan hukum {koperasi.legal_number}",
                                     "Dokumen contoh (demo Kopz)"),
            documents.NIK_CERTIFICATE: tiny_pdf(f"Sertifikat NIK Koperasi - {koperasi.name}",
                                                f"NIK koperasi: {koperasi.nik_koperasi or '-'}",
                                                "Dokumen contoh (demo Kopz)"),
        }, store, by)
        added["documents"] += 2
    db.session.commit()


def ktp_picture(name: str, number: str) -> io.BytesIO:
    """A drawn KTP (clearly a demo): the blue card, the NIK and the name."""
    card = Image.new("RGB", (856, 540), "#9fc5e8")
    draw = ImageDraw.Draw(card)
    draw.rectangle((0, 0, 855, 70), fill="#1f5fa8")
    draw.text((300, 25), "PROVINSI JAWA BARAT - CONTOH DEMO", fill="white")
    for i, (label, value) in enumerate((("NIK", number), ("Nama", name.upper()), ("Pekerjaan", "WIRASWASTA"))):
        draw.text((40, 120 + i * 50), f"{label:<12}: {value}", fill="#1b1b1b")
    draw.rectangle((620, 110, 800, 340), fill="#dfe8f1", outline="#1f5fa8")
    draw.text((660, 220), "FOTO", fill="#1f5fa8")
    out = io.BytesIO()
    card.save(out, "PNG")
    out.seek(0)
    return out


def ktp_rule(added: Counter, koperasi: Koperasi) -> None:
    """``koperasi`` asks applicants for a KTP photo; one applicant waits with theirs (once)."""
    user = person(added, *KTP_APPLICANT)
    if db.session.scalar(sa.select(Membership.id).where(Membership.koperasi_id == koperasi.id,
                                                        Membership.user_id == user.id)):
        return
    koperasi.ktp_photo_required = True
    number = nik(user, koperasi.district_code)
    membership = apply(user, koperasi, full_name=user.full_name, nik=number,
                       address=home_address(user, "Kota Bandung"), occupation="Penjahit", is_umkm=False,
                       business_name=None, agreed=True, consented=True)
    documents.keep_ktp(membership, documents.read_ktp(ktp_picture(user.full_name, number)),
                       folder(documents.KTP_FOLDER))
    added["ktp photos"] += 1
    db.session.commit()
