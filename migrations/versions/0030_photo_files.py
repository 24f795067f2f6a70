"""product photos as content-addressed files in the media folder, not database blobs

Revision ID: 0030_photo_files
Revises: 0029_gaps

Every ProductPhoto's thumb and detail bytes are written to ``<MEDIA_DIR>/public/p/<sha256>.webp``
(the folder ``web.media.public_store`` serves at /media/p/); the row keeps the names. The media
folder is the app's: its ``MEDIA_DIR`` when run by ``flask db upgrade``, else ``web.config.media_dir``
(``KOPZ_MEDIA_DIR`` or instance/media), the one function the app's setting comes from.

Downgrade is best-effort: it reads the files back into blobs (a missing file becomes an empty
blob) and leaves the files where they are.
"""

import hashlib
import os

import sqlalchemy as sa
from alembic import op

revision = "0030_photo_files"
down_revision = "0029_gaps"
branch_labels = None
depends_on = None

PHOTOS = os.path.join("public", "p")  # frozen here: where this revision put the files
BATCH = 200


def _folder() -> str:
    from flask import current_app, has_app_context

    from web.config import media_dir

    return os.path.join(current_app.config["MEDIA_DIR"] if has_app_context() else media_dir(), PHOTOS)


def _put(folder: str, data: bytes) -> str:
    name = f"{hashlib.sha256(data).hexdigest()}.webp"
    path = os.path.join(folder, name)
    if not os.path.exists(path):
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "wb") as out:
            out.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    return name


def _batches(conn, table):
    ids = list(conn.scalars(sa.select(table.c.id).order_by(table.c.id)))
    for start in range(0, len(ids), BATCH):
        yield ids[start:start + BATCH]


def upgrade():
    with op.batch_alter_table("product_photo") as batch_op:
        batch_op.add_column(sa.Column("thumb_name", sa.String(length=72), nullable=True))
        batch_op.add_column(sa.Column("detail_name", sa.String(length=72), nullable=True))
    conn = op.get_bind()
    photo = sa.table("product_photo", sa.column("id", sa.Integer), sa.column("thumb", sa.LargeBinary),
                     sa.column("detail", sa.LargeBinary), sa.column("thumb_name", sa.String),
                     sa.column("detail_name", sa.String))
    folder = _folder()
    os.makedirs(folder, exist_ok=True)
    for ids in _batches(conn, photo):
        rows = conn.execute(sa.select(photo.c.id, photo.c.thumb, photo.c.detail).where(photo.c.id.in_(ids))).all()
        for photo_id, thumb, detail in rows:
            conn.execute(photo.update().where(photo.c.id == photo_id).values(
                thumb_name=_put(folder, bytes(thumb or b"")), detail_name=_put(folder, bytes(detail or b""))))
    with op.batch_alter_table("product_photo") as batch_op:
        batch_op.drop_column("thumb")
        batch_op.drop_column("detail")
        batch_op.alter_column("thumb_name", new_column_name="thumb", existing_type=sa.String(length=72),
                              nullable=False)
        batch_op.alter_column("detail_name", new_column_name="detail", existing_type=sa.String(length=72),
                              nullable=False)


def downgrade():
    with op.batch_alter_table("product_photo") as batch_op:
        batch_op.alter_column("thumb", new_column_name="thumb_name", existing_type=sa.String(length=72))
        batch_op.alter_column("detail", new_column_name="detail_name", existing_type=sa.String(length=72))
    with op.batch_alter_table("product_photo") as batch_op:
        batch_op.add_column(sa.Column("thumb", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("detail", sa.LargeBinary(), nullable=True))
    conn = op.get_bind()
    photo = sa.table("product_photo", sa.column("id", sa.Integer), sa.column("thumb", sa.LargeBinary),
                     sa.column("detail", sa.LargeBinary), sa.column("thumb_name", sa.String),
                     sa.column("detail_name", sa.String))
    folder = _folder()

    def read(name):
        try:
            with open(os.path.join(folder, os.path.basename(name or "")), "rb") as data:
                return data.read()
        except OSError:
            return b""

    for ids in _batches(conn, photo):
        rows = conn.execute(sa.select(photo.c.id, photo.c.thumb_name, photo.c.detail_name)
                            .where(photo.c.id.in_(ids))).all()
        for photo_id, thumb, detail in rows:
            conn.execute(photo.update().where(photo.c.id == photo_id).values(thumb=read(thumb), detail=read(detail)))
    with op.batch_alter_table("product_photo") as batch_op:
        batch_op.drop_column("thumb_name")
        batch_op.drop_column("detail_name")
        batch_op.alter_column("thumb", existing_type=sa.LargeBinary(), nullable=False)
        batch_op.alter_column("detail", existing_type=sa.LargeBinary(), nullable=False)
