"""Pictures with too many pixels are refused from their header, before any pixel is
decoded; real photos are decoded once, at reduced size (issue 9: pictures of 40 to 80
megapixels passed, Pillow only warning, at seconds and ~600 MB an upload)."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
import sqlalchemy as sa
from PIL import Image, ImageFile

from models import images
from models.errors import DomainError
from models.koperasi import Koperasi, KoperasiLogo
from models.market import Product
from tests.conftest import koperasi_data, login
from tests.test_seller import product_form

TOO_MANY = "Gambar ini terlalu banyak pikselnya (paling banyak 24 megapiksel)."


def png_header(width: int, height: int) -> bytes:
    """A PNG of a few dozen bytes that claims ``width`` × ``height`` pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def jpeg_header(width: int, height: int) -> bytes:
    """A real 16 × 16 JPEG whose frame header is rewritten to claim ``width`` × ``height``."""
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 120, 40)).save(out, "JPEG")
    data = bytearray(out.getvalue())
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def photo(size=(4000, 3000), orientation: int | None = None) -> bytes:
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    out = io.BytesIO()
    Image.new("RGB", size, (30, 140, 90)).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


@pytest.fixture
def decodes(monkeypatch):
    """The sizes at which picture data was actually decoded."""
    seen, load = [], ImageFile.ImageFile.load

    def spy(self):
        if self.tile:  # data still to decode
            seen.append(self.size)
        return load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    return seen


@pytest.mark.parametrize("upload", [
    png_header(10_000, 5_000),  # 50 MP: passed before, with a warning
    png_header(9_000, 9_000),  # 81 MP
    png_header(60_000, 60_000),  # 3.6 gigapixels, in 80 bytes
    png_header(6_000, 4_001),  # just over 24 MP
    jpeg_header(8_000, 6_000),  # a 48 MP phone mode
    jpeg_header(30_000, 30_000),
], ids=["png-50MP", "png-81MP", "png-3600MP", "png-24MP+1row", "jpeg-48MP", "jpeg-900MP"])
def test_too_many_pixels_are_refused_from_the_header_without_decoding(app, decodes, upload):
    assert len(upload) < 1000
    with pytest.raises(DomainError) as refused:
        images.reencode(io.BytesIO(upload), images.LOGO_MAX_BYTES, (256, 256), "logo")
    assert refused.value.field == "logo" and "24 megapiksel" in str(refused.value.message)
    assert decodes == []


def test_a_phone_photo_is_decoded_once_at_reduced_size_and_turned_upright(app, decodes):
    out = images.reencode(io.BytesIO(photo(orientation=6)), 10 * 1024 * 1024, (1080, 1080), "photos")
    assert decodes == [(2000, 1500)]  # the JPEG decoded at half size, once
    with Image.open(io.BytesIO(out)) as image:
        assert image.format == "WEBP" and image.size == (810, 1080)  # portrait, as it was taken


def test_a_png_logo_still_works(app, decodes):
    out = io.BytesIO()
    Image.new("RGBA", (1200, 800), (0, 90, 160, 255)).save(out, "PNG")
    logo = images.reencode(io.BytesIO(out.getvalue()), images.LOGO_MAX_BYTES, (256, 256), "logo")
    assert len(decodes) == 1 and Image.open(io.BytesIO(logo)).size == (256, 171)


# ---------------------------------------------------------------- through the forms

def test_a_logo_with_too_many_pixels_is_refused_at_registration_and_nothing_saved(user_client, db):
    data = {k: ("" if v is None else v if isinstance(v, list) else str(v))
            for k, v in koperasi_data(name="Koperasi Logo Raksasa").items()}
    response = user_client.post("/koperasi/new", content_type="multipart/form-data",
                                data={**data, "logo": (io.BytesIO(png_header(10_000, 5_000)), "logo.png")})
    assert response.status_code == 422 and TOO_MANY in response.text
    assert 'value="Koperasi Logo Raksasa"' in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Koperasi)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(KoperasiLogo)) == 0


def test_a_product_photo_with_too_many_pixels_is_refused_in_english_too(app, make_koperasi, make_store, db):
    store = make_store(make_koperasi())
    from models.accounts import User
    seller = login(app.test_client(), db.session.get(User, store.owner_id))
    seller.set_cookie("lang", "en")
    response = seller.post(f"/seller/products/new?store={store.id}", content_type="multipart/form-data",
                           data={**product_form(), "photos": (io.BytesIO(jpeg_header(8_000, 6_000)), "foto.jpg")})
    assert response.status_code == 422 and "This picture has too many pixels (at most 24 megapixels)." in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Product)) == 0
