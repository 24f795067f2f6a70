"""koperasi: who signs the statements

The ketua and the bendahara of the pengurus sign the printed statements (neraca, hasil
usaha…): their names, when the koperasi gives them, are printed under the signature lines.

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("koperasi", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chair_name", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("treasurer_name", sa.String(length=120), nullable=True))


def downgrade():
    with op.batch_alter_table("koperasi", schema=None) as batch_op:
        batch_op.drop_column("treasurer_name")
        batch_op.drop_column("chair_name")
