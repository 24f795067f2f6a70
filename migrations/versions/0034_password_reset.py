"""password reset: e-mailed one-time codes (their keyed hashes), and a password the member must change

Revision ID: 0034_password_reset
Revises: 0033_sessions

``password_reset`` holds each code sent by e-mail (models.password_reset): its HMAC, when it expires,
its failed tries and when it was used (or voided by a newer one). ``user_account.must_change_password``
is set when a koperasi's staff gave the member a temporary password: the next login asks for a new one.
"""

import sqlalchemy as sa
from alembic import op

revision = "0034_password_reset"
down_revision = "0033_sessions"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "password_reset",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_password_reset_user_id_user_account"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_reset")),
    )
    op.create_index(op.f("ix_password_reset_user_id"), "password_reset", ["user_id"])
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("must_change_password")
    op.drop_index(op.f("ix_password_reset_user_id"), table_name="password_reset")
    op.drop_table("password_reset")
