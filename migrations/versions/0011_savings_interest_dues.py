"""savings interest and simpanan wajib billing

The koperasi's sukarela interest settings (rate in hundredths of a percent a year, capped
at 9 %, the base method, the PP 15/2009 withholding tax on or off) and the day wajib is
due; the member's choice to pay wajib from sukarela; one dues bill per membership and month.

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('koperasi', schema=None) as batch_op:
        batch_op.add_column(sa.Column('savings_rate_bp', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('interest_method', sa.String(length=10), server_default='minimum',
                                      nullable=False))
        batch_op.add_column(sa.Column('interest_tax', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('wajib_due_day', sa.Integer(), server_default='10', nullable=False))
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wajib_autopay', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        'dues_bill',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('koperasi_id', sa.Integer(), nullable=False),
        sa.Column('membership_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('amount', sa.BigInteger(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('paid_idr', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['koperasi_id'], ['koperasi.id'], name=op.f('fk_dues_bill_koperasi_id_koperasi'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['membership_id'], ['membership.id'],
                                name=op.f('fk_dues_bill_membership_id_membership')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_dues_bill')),
        sa.UniqueConstraint('membership_id', 'month', name='uq_dues_bill_membership_month'),
    )
    op.create_index('ix_dues_bill_koperasi_month', 'dues_bill', ['koperasi_id', 'month'], unique=False)


def downgrade():
    op.drop_index('ix_dues_bill_koperasi_month', table_name='dues_bill')
    op.drop_table('dues_bill')
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_column('wajib_autopay')
    with op.batch_alter_table('koperasi', schema=None) as batch_op:
        batch_op.drop_column('wajib_due_day')
        batch_op.drop_column('interest_tax')
        batch_op.drop_column('interest_method')
        batch_op.drop_column('savings_rate_bp')
