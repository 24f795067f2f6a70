"""a member's gender, birth date and region; imported members and placeholder accounts

The regulator's report counts members by gender; an imported member brings all three, and
waits for the koperasi to confirm whoever claims it (membership.claimed_at); an imported
member without an account gets a placeholder account its owner takes over by registering.

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
        batch_op.add_column(sa.Column("imported", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("claimed_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("user_account") as batch_op:
        batch_op.add_column(sa.Column("placeholder", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table("user_account") as batch_op:
        batch_op.drop_column("placeholder")
    with op.batch_alter_table("membership") as batch_op:
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("imported")
        batch_op.drop_column("region_code")
        batch_op.drop_column("birth_date")
        batch_op.drop_column("gender")
