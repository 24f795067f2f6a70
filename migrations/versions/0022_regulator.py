"""the office's employees and the public transparency setting (the regulator's report)

Revision ID: 0022_regulator
Revises: 0021_people
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0022_regulator"
down_revision = "0021_people"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("koperasi") as batch_op:
        batch_op.add_column(sa.Column("employees_men", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("employees_women", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("transparency_public", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table("koperasi") as batch_op:
        batch_op.drop_column("transparency_public")
        batch_op.drop_column("employees_women")
        batch_op.drop_column("employees_men")
