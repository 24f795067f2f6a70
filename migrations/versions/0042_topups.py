"""top-ups of simpanan sukarela by bank transfer, and the koperasi's bank account for them

Revision ID: 0042_topups
Revises: 0041_withdrawals

A member asks to top up; the request carries a unique amount (the amount plus 1–999 Rupiah, never
the same as another pending request's of the koperasi: a partial unique index) and a reference; the
teller confirms it against the bank statement (one deposit by bank) or rejects it (models/topups.py).
The koperasi's settings say where to transfer and how long a request waits (24 hours unless set).
"""

import sqlalchemy as sa
from alembic import op

revision = "0042_topups"
down_revision = "0041_withdrawals"
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'pending'")


def upgrade():
    with op.batch_alter_table("koperasi", schema=None) as batch_op:
        batch_op.add_column(sa.Column("topup_bank_name", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("topup_bank_account", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("topup_bank_holder", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("topup_expiry_hours", sa.Integer(), server_default="24", nullable=False))
    op.create_table(
        "topup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("koperasi_id", sa.Integer(), nullable=False),
        sa.Column("membership_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=12), nullable=False),
        sa.Column("amount_idr", sa.BigInteger(), nullable=False),
        sa.Column("unique_amount_idr", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("request_key", sa.String(length=64), nullable=True),
        sa.Column("proof_sha256", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["decided_by_id"], ["user_account.id"], name=op.f("fk_topup_decided_by_id_user_account")),
        sa.ForeignKeyConstraint(["entry_id"], ["entry.id"], name=op.f("fk_topup_entry_id_entry")),
        sa.ForeignKeyConstraint(["koperasi_id"], ["koperasi.id"], name=op.f("fk_topup_koperasi_id_koperasi")),
        sa.ForeignKeyConstraint(["membership_id"], ["membership.id"], name=op.f("fk_topup_membership_id_membership")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topup")),
        sa.UniqueConstraint("entry_id", name=op.f("uq_topup_entry_id")),
        sa.UniqueConstraint("reference", name=op.f("uq_topup_reference")),
        sa.UniqueConstraint("membership_id", "request_key", name="uq_topup_request_key"),
    )
    op.create_index("uq_topup_pending_amount", "topup", ["koperasi_id", "unique_amount_idr"], unique=True,
                    sqlite_where=PENDING, postgresql_where=PENDING)
    op.create_index("ix_topup_koperasi_status", "topup", ["koperasi_id", "status", "id"])
    op.create_index("ix_topup_membership", "topup", ["membership_id", "id"])


def downgrade():
    op.drop_index("ix_topup_membership", table_name="topup")
    op.drop_index("ix_topup_koperasi_status", table_name="topup")
    op.drop_index("uq_topup_pending_amount", table_name="topup")
    op.drop_table("topup")
    with op.batch_alter_table("koperasi", schema=None) as batch_op:
        batch_op.drop_column("topup_expiry_hours")
        batch_op.drop_column("topup_bank_holder")
        batch_op.drop_column("topup_bank_account")
        batch_op.drop_column("topup_bank_name")
