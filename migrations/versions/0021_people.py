"""a member's gender, birth date and region, as on the KTP

The regulator's report counts members by gender; an imported member brings all three.

Revision ID: 0021_people
Revises: 0020_notify
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0021_people"
down_revision = "0020_notify"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("membership") as batch_op:
        batch_op.add_column(sa.Column("gender", sa.String(length=1), nullable=True))
        batch_op.add_column(sa.Column("birth_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("region_code", sa.String(length=13), nullable=True))


def downgrade():
    with op.batch_alter_table("membership") as batch_op:
        batch_op.drop_column("region_code")
        batch_op.drop_column("birth_date")
        batch_op.drop_column("gender")
