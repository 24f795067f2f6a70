"""sign-in sessions kept on the server; accounts a platform admin disabled

Revision ID: 0033_sessions
Revises: 0032_account_day

``user_session`` holds one row per sign-in (only the sha256 of the cookie's secret): logout, a
password change and an admin disabling the account end rows, so a copied cookie stops working.
``user_account.disabled_at`` marks a disabled account. ``session_version`` (a password change
bumped it, signing out other devices) is dropped: ending the rows does that now. Every browser
signed in before this migration logs in again (its cookie names no session).
"""

import sqlalchemy as sa
from alembic import op

revision = "0033_sessions"
down_revision = "0032_account_day"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "user_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("ended_reason", sa.String(length=12), nullable=True),
        sa.Column("user_agent", sa.String(length=120), nullable=False),
        sa.Column("created_from", sa.String(length=45), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_user_session_user_id_user_account"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_session_token_hash")),
    )
    op.create_index(op.f("ix_user_session_user_id"), "user_session", ["user_id"], unique=False)
    with op.batch_alter_table("user_account") as batch_op:
        batch_op.add_column(sa.Column("disabled_at", sa.DateTime(), nullable=True))
        batch_op.drop_column("session_version")


def downgrade():
    with op.batch_alter_table("user_account") as batch_op:
        batch_op.add_column(sa.Column("session_version", sa.Integer(), nullable=False, server_default="1"))
        batch_op.drop_column("disabled_at")
    op.drop_index(op.f("ix_user_session_user_id"), table_name="user_session")
    op.drop_table("user_session")
