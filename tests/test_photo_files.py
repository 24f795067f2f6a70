"""Product photos are content-addressed public files in the media folder, served at /media/ by
WhiteNoise (issue 13), not database blobs sent by Python: stored once however often uploaded,
removed when no photo uses them, never listed, and nothing private is reachable there."""

from __future__ import annotations

import io
import itertools
import os

import pytest
import sqlalchemy as sa
from flask import request_started
from PIL import Image

from models import market, private_files
from models.market import Product, ProductPhoto
from tests.budget import MAX_QUERIES, count_queries, measure
from tests.conftest import login
from tests.test_seller import product_form
from web.extensions import db as _db
from web.media import public_store


@pytest.fixture
def store(make_koperasi, make_store):
    return make_store(make_koperasi())


@pytest.fixture
def seller(app, store, db):
    from models.accounts import User
    return login(app.test_client(), db.session.get(User, store.owner_id))


_shades = itertools.count(1)


def jpeg(colour=None, size=(900, 700)) -> bytes:
    """A picture no other test uploads (the media folder lasts the whole session)."""
    shade = next(_shades)
    out = io.BytesIO()
    Image.new("RGB", size, colour or (shade * 53 % 256, shade * 101 % 256, shade * 29 % 256)).save(out, "JPEG")
    return out.getvalue()


def photos_folder(app) -> str:
    return os.path.join(app.config["MEDIA_DIR"], "public", "p")


def stored(app) -> set[str]:
    folder = photos_folder(app)
    return set(os.listdir(folder)) if os.path.isdir(folder) else set()


def add(seller, store, picture: bytes, name="Keripik Pedas"):
    response = seller.post(f"/seller/products/new?store={store.id}", content_type="multipart/form-data",
                           data={**product_form(name=name), "photos": (io.BytesIO(picture), "foto.jpg")})
    assert response.status_code == 303, response.text
    return _db.session.scalar(sa.select(Product).where(Product.name == name))


def rows(db, product) -> list[ProductPhoto]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(ProductPhoto).where(ProductPhoto.product_id == product.id)
                                   .order_by(ProductPhoto.position)))


def test_an_upload_is_a_file_the_pages_link_and_whitenoise_serves_for_good(app, store, seller, db):
    before = stored(app)
    product = add(seller, store, jpeg())
    (photo,) = rows(db, product)
    assert stored(app) - before == {photo.thumb, photo.detail}  # written after the app started
    html = app.test_client().get(f"/market/{product.id}").text
    assert f'src="/media/p/{photo.detail}"' in html
    assert f'src="/media/p/{photo.thumb}"' in app.test_client().get("/market").text
    assert f'src="/media/p/{photo.thumb}"' in app.test_client().get(f"/toko/{store.slug}").text
    with open(os.path.join(photos_folder(app), photo.detail), "rb") as file:
        on_disk = file.read()
    served = app.test_client().get(f"/media/p/{photo.detail}")
    assert served.status_code == 200 and served.data == on_disk
    assert served.headers["Content-Type"] == "image/webp"
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    again = app.test_client().get(f"/media/p/{photo.detail}", headers={"If-None-Match": served.headers["ETag"]})
    assert again.status_code == 304  # a revalidation (a reload) costs no bytes


def test_a_catalogue_page_of_photos_asks_python_for_none_of_them(app, store, seller, db):
    """The photos of a page are static files: fetching them runs no SQL and no view."""
    product = add(seller, store, jpeg())
    (photo,) = rows(db, product)
    page = measure(app.test_client(), "/market")
    assert page.status == 200 and f"/media/p/{photo.thumb}" in page.body and len(page.queries) <= MAX_QUERIES
    views = []
    with count_queries() as queries, request_started.connected_to(lambda sender, **kw: views.append(1), app):
        fetched = app.test_client().get(f"/media/p/{photo.thumb}")
    assert fetched.status_code == 200 and queries == [] and views == []


def test_the_same_picture_uploaded_twice_is_stored_once(app, store, seller, db):
    before = stored(app)
    picture = jpeg()
    first = add(seller, store, picture, name="Keripik Pedas")
    second = add(seller, store, picture, name="Keripik Manis")
    (a,), (b,) = rows(db, first), rows(db, second)
    assert (a.thumb, a.detail) == (b.thumb, b.detail)
    assert len(stored(app) - before) == 2  # one thumbnail, one detail


def test_replaced_photos_are_removed_when_no_product_uses_them(app, store, seller, db):
    picture = jpeg()
    kept_by_other = add(seller, store, picture, name="Sambal")
    product = add(seller, store, picture, name="Keripik Pedas")  # the same picture as Sambal's
    own = add(seller, store, jpeg(), name="Kopi")
    (shared,), (mine,) = ((p.thumb, p.detail) for p in rows(db, product)), ((p.thumb, p.detail) for p in rows(db, own))
    files = public_store()
    for name in (*shared, *mine):
        os.utime(files.path(name), (1, 1))  # uploaded long ago
    assert app.test_client().get(f"/media/p/{mine[0]}").status_code == 200  # served (and remembered) before
    for item in (product, own):
        response = seller.post(f"/seller/products/{item.id}", content_type="multipart/form-data",
                               data={**product_form(name=item.name), "photos": (io.BytesIO(jpeg()), "b.jpg")})
        assert response.status_code == 303
    assert not any(files.exists(name) for name in mine)  # Kopi's old photo: gone
    assert all(files.exists(name) for name in shared)  # still Sambal's photo
    assert rows(db, kept_by_other)[0].thumb == shared[0]
    assert app.test_client().get(f"/media/p/{mine[0]}").status_code == 404
    (new,) = rows(db, own)
    assert files.exists(new.thumb) and app.test_client().get(f"/media/p/{new.thumb}").status_code == 200


def test_a_file_just_written_is_not_removed_an_upload_may_still_commit(app, db):
    files = public_store()
    name = files.put(b"RIFF-fresh", "webp")
    assert market.prune_photos([name], files) == [] and files.exists(name)
    os.utime(files.path(name), (1, 1))
    assert market.prune_photos([name], files) == [name] and not files.exists(name)
    assert files.put(b"RIFF-fresh", "webp") == name and files.exists(name)  # written again when needed


def test_a_refused_upload_writes_no_public_file(app, store, seller, db):
    before = stored(app)
    response = seller.post(f"/seller/products/new?store={store.id}", content_type="multipart/form-data",
                           data={**product_form(), "photos": (io.BytesIO(b"%PDF-1.4 bukan gambar"), "a.jpg")})
    assert response.status_code == 422 and "bukan gambar" in response.text
    assert stored(app) == before


@pytest.mark.parametrize(("data", "name"), [
    (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "foto.svg"),
    (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "foto.png"),
    (b"<!doctype html><script>alert(document.cookie)</script>", "foto.jpg"),
    (b"GIF89a/*<html>*/=1;alert(1)//", "foto.webp"),  # a picture's magic bytes, then a script
])
def test_a_page_or_script_named_as_a_picture_is_refused_and_never_served(app, store, seller, db, data, name):
    """Only pictures Pillow decodes are kept, re-encoded as WebP: no upload is ever served as a page or script."""
    before = stored(app)
    response = seller.post(f"/seller/products/new?store={store.id}", content_type="multipart/form-data",
                           data={**product_form(), "photos": (io.BytesIO(data), name)})
    assert response.status_code == 422 and "bukan gambar" in response.text
    assert stored(app) == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProductPhoto)) == 0


def test_nothing_but_a_stored_picture_is_answered_under_media(app, db):
    """No folder listing; no other kind of file even if one were put there; no private file."""
    files = public_store()
    name = files.put(b"RIFF-x", "webp")
    client = app.test_client()
    for url in ("/media/", "/media/p/", "/media/p", f"/media/p/{name[:-5]}", f"/media/p/{name}.gz",
                f"/media/p/../p/{name}", f"/media/P/{name}"):
        assert client.get(url).status_code == 404, url
    html = files.put(b"<script>alert(1)</script>", "html")  # never written there by the app; still not served
    assert client.get(f"/media/p/{html}").status_code == 404
    secret = private_files.store(b"%PDF-1.4 akta %%EOF", os.path.join(app.config["MEDIA_DIR"], "koperasi"))
    for url in (f"/media/koperasi/{secret}.pdf", f"/media/../koperasi/{secret}.pdf"):
        assert client.get(url).status_code == 404, url
    assert client.get(f"/media/p/{name}").status_code == 200


def test_the_migration_moves_photo_blobs_to_files(app, store, make_product, db):
    from flask_migrate import downgrade, upgrade

    product_id = make_product(store).id
    db.session.commit()
    db.session.remove()
    downgrade(revision="0029_gaps")  # photos as they were: blobs in the table
    thumb, detail = b"RIFF-old-thumb-WEBP", b"RIFF-old-detail-WEBP"
    with db.engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO product_photo (product_id, position, version, thumb, detail) "
                             "VALUES (:p, 0, 'v1', :t, :d)"), {"p": product_id, "t": thumb, "d": detail})
    upgrade()
    (photo,) = db.session.scalars(sa.select(ProductPhoto)).all()
    files = public_store()
    for name, data in ((photo.thumb, thumb), (photo.detail, detail)):
        with open(files.path(name), "rb") as file:
            assert file.read() == data
    assert app.test_client().get(f"/media/p/{photo.detail}").data == detail
    columns = {c["name"]: c for c in sa.inspect(db.engine).get_columns("product_photo")}
    assert not columns["thumb"]["nullable"] and "CHAR" in str(columns["thumb"]["type"]).upper()
