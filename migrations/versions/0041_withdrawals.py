"""withdrawing sukarela to the member's bank account or e-wallet: destinations, withdrawals, the daily limit

Revision ID: 0041_withdrawals
Revises: 0039_stall_payments

A member's saved destinations (the account number encrypted at rest, models/crypto.py) and their
withdrawals: held at once in the liability "withdrawals awaiting payout" (account 2202, created
with the rest of the chart by ``ledger.ensure_chart`` when a koperasi first posts), then paid out
or released by a teller (models/withdrawals.py). ``koperasi.withdraw_daily_limit_idr``: the most a
member may withdraw a day (Rp5.000.000 unless the board changes it).
"""

import sqlalchemy as sa
from alembic import op

revision = "0041_withdrawals"
down_revision = "0039_stall_payments"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("koperasi", schema=None) as batch_op:
        batch_op.add_column(sa.Column("withdraw_daily_limit_idr", sa.BigInteger(), server_default="5000000",
                                      nullable=False))
    op.create_table(
        "withdrawal_destination",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("koperasi_id", sa.Integer(), nullable=False),
        sa.Column("membership_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("holder_name", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("removed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["koperasi_id"], ["koperasi.id"],
                                name=op.f("fk_withdrawal_destination_koperasi_id_koperasi")),
        sa.ForeignKeyConstraint(["membership_id"], ["membership.id"],
                                name=op.f("fk_withdrawal_destination_membership_id_membership")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_withdrawal_destination")),
    )
    op.create_index(op.f("ix_withdrawal_destination_membership_id"), "withdrawal_destination", ["membership_id"])
    op.create_table(
        "withdrawal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=24), nullable=True),
        sa.Column("koperasi_id", sa.Integer(), nullable=False),
        sa.Column("membership_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("destination_id", sa.Integer(), nullable=False),
        sa.Column("amount_idr", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("hold_entry_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("transfer_ref", sa.String(length=60), nullable=True),
        sa.Column("reject_reason", sa.String(length=200), nullable=True),
        sa.Column("close_entry_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["close_entry_id"], ["entry.id"], name=op.f("fk_withdrawal_close_entry_id_entry")),
        sa.ForeignKeyConstraint(["decided_by_id"], ["user_account.id"],
                                name=op.f("fk_withdrawal_decided_by_id_user_account")),
        sa.ForeignKeyConstraint(["destination_id"], ["withdrawal_destination.id"],
                                name=op.f("fk_withdrawal_destination_id_withdrawal_destination")),
        sa.ForeignKeyConstraint(["hold_entry_id"], ["entry.id"], name=op.f("fk_withdrawal_hold_entry_id_entry")),
        sa.ForeignKeyConstraint(["koperasi_id"], ["koperasi.id"], name=op.f("fk_withdrawal_koperasi_id_koperasi")),
        sa.ForeignKeyConstraint(["membership_id"], ["membership.id"],
                                name=op.f("fk_withdrawal_membership_id_membership")),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_withdrawal_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_withdrawal")),
        sa.UniqueConstraint("close_entry_id", name=op.f("uq_withdrawal_close_entry_id")),
        sa.UniqueConstraint("hold_entry_id", name=op.f("uq_withdrawal_hold_entry_id")),
        sa.UniqueConstraint("number", name=op.f("uq_withdrawal_number")),
    )
    op.create_index("ix_withdrawal_queue", "withdrawal", ["koperasi_id", "status", "id"])
    op.create_index("ix_withdrawal_member_day", "withdrawal", ["membership_id", "created_at"])


def downgrade():
    op.drop_index("ix_withdrawal_member_day", table_name="withdrawal")
    op.drop_index("ix_withdrawal_queue", table_name="withdrawal")
    op.drop_table("withdrawal")
    op.drop_index(op.f("ix_withdrawal_destination_membership_id"), table_name="withdrawal_destination")
    op.drop_table("withdrawal_destination")
    with op.batch_alter_table("koperasi", schema=None) as batch_op:
        batch_op.drop_column("withdraw_daily_limit_idr")
