"""claiming an imported membership: the holder's request and the koperasi's refusal

Revision ID: 0027_claims
Revises: 0026_capital
"""

import sqlalchemy as sa
from alembic import op

revision = "0027_claims"
down_revision = "0026_capital"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("membership") as batch_op:
        batch_op.add_column(sa.Column("claim_requested_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("claim_refusal", sa.Text(), nullable=True))
        batch_op.create_index("ix_membership_claims", ["koperasi_id", "claim_requested_at"], unique=False)


def downgrade():
    with op.batch_alter_table("membership") as batch_op:
        batch_op.drop_index("ix_membership_claims")
        batch_op.drop_column("claim_refusal")
        batch_op.drop_column("claim_requested_at")
