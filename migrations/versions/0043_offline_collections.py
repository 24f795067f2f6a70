"""the offline teller: collections made on a teller's phone without signal, as the server answered them

Revision ID: 0043_offline_collections
Revises: 0042_topups

Each collection (a cash deposit or loan repayment recorded offline, models/offline.py) is posted once by
its key; the row keeps the phone's provisional number beside the final receipt (``entry_id``), or the
reason it was refused, so a resent key gets the same answer.
"""

import sqlalchemy as sa
from alembic import op

revision = "0043_offline_collections"
down_revision = "0042_topups"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "offline_collection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("koperasi_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("teller_id", sa.Integer(), nullable=False),
        sa.Column("provisional", sa.String(length=24), nullable=False),
        sa.Column("membership_id", sa.Integer(), nullable=True),
        sa.Column("loan_id", sa.Integer(), nullable=True),
        sa.Column("what", sa.String(length=10), nullable=False),
        sa.Column("amount_idr", sa.BigInteger(), nullable=False),
        sa.Column("collected_at", sa.DateTime(), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.Column("refusal", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(["entry_id"], ["entry.id"], name=op.f("fk_offline_collection_entry_id_entry")),
        sa.ForeignKeyConstraint(["koperasi_id"], ["koperasi.id"], name=op.f("fk_offline_collection_koperasi_id_koperasi"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["loan_id"], ["loan.id"], name=op.f("fk_offline_collection_loan_id_loan")),
        sa.ForeignKeyConstraint(["membership_id"], ["membership.id"],
                                name=op.f("fk_offline_collection_membership_id_membership")),
        sa.ForeignKeyConstraint(["teller_id"], ["user_account.id"],
                                name=op.f("fk_offline_collection_teller_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offline_collection")),
        sa.UniqueConstraint("entry_id", name=op.f("uq_offline_collection_entry_id")),
        sa.UniqueConstraint("koperasi_id", "key", name=op.f("uq_offline_collection_koperasi_id")),
    )
    op.create_index("ix_offline_collection_teller", "offline_collection", ["koperasi_id", "teller_id", "id"])


def downgrade():
    op.drop_index("ix_offline_collection_teller", table_name="offline_collection")
    op.drop_table("offline_collection")
