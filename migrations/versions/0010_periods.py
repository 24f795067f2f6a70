"""periods: closed months and book years, with their history

A koperasi closes a month (postings dated in it are refused) and its book year (a closing
entry moves the year's income and expenses into SHU of the current year); an admin may
reopen either with a reason. Each close and reopen is one row, never changed.

Revision ID: 0010
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('period_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('koperasi_id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=5), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=True),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['user_account.id'], name=op.f('fk_period_event_by_id_user_account')),
    sa.ForeignKeyConstraint(['entry_id'], ['entry.id'], name=op.f('fk_period_event_entry_id_entry')),
    sa.ForeignKeyConstraint(['koperasi_id'], ['koperasi.id'], name=op.f('fk_period_event_koperasi_id_koperasi'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_period_event'))
    )
    with op.batch_alter_table('period_event', schema=None) as batch_op:
        batch_op.create_index('ix_period_event_koperasi_start', ['koperasi_id', 'start', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('period_event', schema=None) as batch_op:
        batch_op.drop_index('ix_period_event_koperasi_start')
    op.drop_table('period_event')
