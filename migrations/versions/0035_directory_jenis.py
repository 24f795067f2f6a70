"""the directory's jenis filter in name order: alone and with a province

Revision ID: 0035_directory_jenis
Revises: 0034_password_reset

The directory lists koperasi by name. With a jenis (and a province), the (status, province, name)
index was read in name order and the jenis filtered: at national size 16,500 rows of West Java passed
before 21 simpan pinjam matched (31 ms warm, 121 ms cold); with the jenis in the index, 0.1 ms.
"""

from alembic import op

revision = "0035_directory_jenis"
down_revision = "0034_password_reset"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_koperasi_status_jenis", "koperasi", ["status", "jenis", "search_name", "id"])
    op.create_index("ix_koperasi_status_province_jenis", "koperasi", ["status", "province_code", "jenis", "search_name", "id"])


def downgrade():
    op.drop_index("ix_koperasi_status_province_jenis", table_name="koperasi")
    op.drop_index("ix_koperasi_status_jenis", table_name="koperasi")
