"""paying at a fellow member's stall: the store's pay code, stall payments, counted for SHU

Revision ID: 0039_stall_payments
Revises: 0038_personal_data

Every store gets a short pay code (7 characters without look-alikes) for its payment QR; existing
stores get one here. A stall payment moves a member's sukarela to the seller's (models/stall.py);
``member_transaction.stall_payment_id`` counts it (and its refund) for SHU like a purchase, and
``sale_deduction.stall_payment_id`` keeps the share a pledged working-capital loan took of it.
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0039_stall_payments"
down_revision = "0038_personal_data"
branch_labels = None
depends_on = None

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def upgrade():
    with op.batch_alter_table("store", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pay_code", sa.String(length=16), nullable=True))
    store = sa.table("store", sa.column("id", sa.Integer), sa.column("pay_code", sa.String))
    bind = op.get_bind()
    used = set()
    for (store_id,) in bind.execute(sa.select(store.c.id)).all():
        code = "".join(secrets.choice(ALPHABET) for _ in range(7))
        while code in used:
            code = "".join(secrets.choice(ALPHABET) for _ in range(7))
        used.add(code)
        bind.execute(sa.update(store).where(store.c.id == store_id).values(pay_code=code))
    with op.batch_alter_table("store", schema=None) as batch_op:
        batch_op.alter_column("pay_code", existing_type=sa.String(length=16), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_store_pay_code"), ["pay_code"])

    op.create_table(
        "stall_payment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=24), nullable=True),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("koperasi_id", sa.Integer(), nullable=False),
        sa.Column("payer_id", sa.Integer(), nullable=False),
        sa.Column("payer_membership_id", sa.Integer(), nullable=False),
        sa.Column("seller_membership_id", sa.Integer(), nullable=False),
        sa.Column("amount_idr", sa.BigInteger(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("refunded_idr", sa.BigInteger(), nullable=False),
        sa.Column("refunded_at", sa.DateTime(), nullable=True),
        sa.Column("refund_reason", sa.String(length=200), nullable=True),
        sa.Column("refund_entry_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["entry_id"], ["entry.id"], name=op.f("fk_stall_payment_entry_id_entry")),
        sa.ForeignKeyConstraint(["koperasi_id"], ["koperasi.id"], name=op.f("fk_stall_payment_koperasi_id_koperasi")),
        sa.ForeignKeyConstraint(["payer_id"], ["user_account.id"], name=op.f("fk_stall_payment_payer_id_user_account")),
        sa.ForeignKeyConstraint(["payer_membership_id"], ["membership.id"],
                                name=op.f("fk_stall_payment_payer_membership_id_membership")),
        sa.ForeignKeyConstraint(["refund_entry_id"], ["entry.id"], name=op.f("fk_stall_payment_refund_entry_id_entry")),
        sa.ForeignKeyConstraint(["seller_membership_id"], ["membership.id"],
                                name=op.f("fk_stall_payment_seller_membership_id_membership")),
        sa.ForeignKeyConstraint(["store_id"], ["store.id"], name=op.f("fk_stall_payment_store_id_store")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stall_payment")),
        sa.UniqueConstraint("entry_id", name=op.f("uq_stall_payment_entry_id")),
        sa.UniqueConstraint("number", name=op.f("uq_stall_payment_number")),
    )
    op.create_index("ix_stall_payment_store", "stall_payment", ["store_id", "id"])
    op.create_index("ix_stall_payment_payer", "stall_payment", ["payer_id", "id"])
    op.create_index(op.f("ix_stall_payment_koperasi_id"), "stall_payment", ["koperasi_id"])
    with op.batch_alter_table("member_transaction", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stall_payment_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_member_transaction_stall_payment_id"), ["stall_payment_id"])
        batch_op.create_foreign_key(batch_op.f("fk_member_transaction_stall_payment_id_stall_payment"),
                                    "stall_payment", ["stall_payment_id"], ["id"])
    with op.batch_alter_table("sale_deduction", schema=None) as batch_op:  # a stall payment's share of a loan
        batch_op.alter_column("order_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("stall_payment_id", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_sale_deduction_stall_payment_id"), ["stall_payment_id"])
        batch_op.create_foreign_key(batch_op.f("fk_sale_deduction_stall_payment_id_stall_payment"),
                                    "stall_payment", ["stall_payment_id"], ["id"])


def downgrade():
    op.execute("DELETE FROM sale_deduction WHERE order_id IS NULL")
    with op.batch_alter_table("sale_deduction", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_sale_deduction_stall_payment_id_stall_payment"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_sale_deduction_stall_payment_id"), type_="unique")
        batch_op.drop_column("stall_payment_id")
        batch_op.alter_column("order_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("member_transaction", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_member_transaction_stall_payment_id_stall_payment"),
                                 type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_member_transaction_stall_payment_id"))
        batch_op.drop_column("stall_payment_id")
    op.drop_index(op.f("ix_stall_payment_koperasi_id"), table_name="stall_payment")
    op.drop_index("ix_stall_payment_payer", table_name="stall_payment")
    op.drop_index("ix_stall_payment_store", table_name="stall_payment")
    op.drop_table("stall_payment")
    with op.batch_alter_table("store", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_store_pay_code"), type_="unique")
        batch_op.drop_column("pay_code")
