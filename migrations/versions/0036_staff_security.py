"""staff security: re-authentication time on each session, TOTP second factor, a koperasi's requirement

Revision ID: 0036_staff_security
Revises: 0035_directory_jenis

``user_session.authenticated_at``: when the password (and code) was last typed in that session;
money posted long after needs the password again (web/reauth.py). Sessions open now count from
their start. ``second_factor`` (one per account: the TOTP secret, encrypted; the last time step
used, so a code is not taken twice) and ``recovery_code`` (ten single-use codes, hashed).
``koperasi.staff_second_factor``: the board requires a second factor of its staff.
"""

import sqlalchemy as sa
from alembic import op

revision = "0036_staff_security"
down_revision = "0035_directory_jenis"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_session") as batch_op:
        batch_op.add_column(sa.Column("authenticated_at", sa.DateTime(), nullable=True))
    op.execute("UPDATE user_session SET authenticated_at = created_at")
    with op.batch_alter_table("user_session") as batch_op:
        batch_op.alter_column("authenticated_at", existing_type=sa.DateTime(), nullable=False)
        batch_op.create_index("ix_user_session_ended_at", ["ended_at"])
        batch_op.create_index("ix_user_session_last_seen_at", ["last_seen_at"])
    with op.batch_alter_table("koperasi") as batch_op:
        batch_op.add_column(sa.Column("staff_second_factor", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "second_factor",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("secret_encrypted", sa.String(length=200), nullable=False),
        sa.Column("last_step", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_second_factor_user_id_user_account"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_second_factor")),
    )
    op.create_table(
        "recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=256), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_recovery_code_user_id_user_account"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_code")),
    )
    op.create_index(op.f("ix_recovery_code_user_id"), "recovery_code", ["user_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_recovery_code_user_id"), table_name="recovery_code")
    op.drop_table("recovery_code")
    op.drop_table("second_factor")
    with op.batch_alter_table("koperasi") as batch_op:
        batch_op.drop_column("staff_second_factor")
    with op.batch_alter_table("user_session") as batch_op:
        batch_op.drop_index("ix_user_session_last_seen_at")
        batch_op.drop_index("ix_user_session_ended_at")
        batch_op.drop_column("authenticated_at")
