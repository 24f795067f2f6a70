"""key fingerprints: an idempotency key is bound to its operation

Beside every stored one-time key (journal entries, checkout orders, stock changes) the
SHA-256 of the operation it was sent with (who, what kind, on what, how much): the same
key with other content is refused. Rows from before have none (taken as a match).

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

TABLES = ('entry', 'market_order', 'stock_change')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('idempotency_fingerprint', sa.String(length=64), nullable=True))


def downgrade():
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('idempotency_fingerprint')
