"""loan products: a smallest loan

A product lends from its minimum amount to its maximum: a tiny loan spread over many
months made instalments of Rp0 that were still charged late fees. Existing products
lend from Rp100.000 (the smallest maximum a product may have, so min ≤ max holds).

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('loan_product', schema=None) as batch_op:
        batch_op.add_column(sa.Column('min_amount_idr', sa.BigInteger(), server_default=sa.text('100000'),
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('loan_product', schema=None) as batch_op:
        batch_op.drop_column('min_amount_idr')
