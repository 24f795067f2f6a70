"""the loan lifecycle: rebate rules, percentage late fees, corrections, collectability, write-off

Loan products state their rebate rule for paying a flat loan off early and may charge a
late fee as a percentage of the overdue instalment with a cap; loans keep those terms as
approved and, once written off (hapus buku), when and how much principal left the books.
Each repayment keeps the instalments' state before it, so a correction restores them
exactly. Each koperasi has its provisioning (PPAP) rates per collectability class.

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('loan_product', schema=None) as batch_op:
        batch_op.add_column(sa.Column('late_fee_bp', sa.Integer(), server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('late_fee_cap_idr', sa.BigInteger(), server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('rebate_rule', sa.String(length=12), server_default='none', nullable=False))
    with op.batch_alter_table('loan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('late_fee_bp', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('late_fee_cap_idr', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('rebate_rule', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('written_off_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('written_off_idr', sa.BigInteger(), nullable=True))
    with op.batch_alter_table('koperasi', schema=None) as batch_op:
        for name, default in (('provision_lancar_bp', 50), ('provision_kurang_bp', 1000),
                              ('provision_diragukan_bp', 5000), ('provision_macet_bp', 10000)):
            batch_op.add_column(sa.Column(name, sa.Integer(), server_default=sa.text(str(default)), nullable=False))
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.add_column(sa.Column('offset_consent', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        'instalment_snapshot',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('entry_id', sa.Integer(), nullable=False),
        sa.Column('instalment_id', sa.Integer(), nullable=False),
        sa.Column('principal_paid', sa.BigInteger(), nullable=False),
        sa.Column('interest_paid', sa.BigInteger(), nullable=False),
        sa.Column('late_fee_paid', sa.BigInteger(), nullable=False),
        sa.Column('interest_due', sa.BigInteger(), nullable=False),
        sa.Column('settled_on', sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(['entry_id'], ['entry.id'], name=op.f('fk_instalment_snapshot_entry_id_entry')),
        sa.ForeignKeyConstraint(['instalment_id'], ['instalment.id'],
                                name=op.f('fk_instalment_snapshot_instalment_id_instalment')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_instalment_snapshot')),
    )
    with op.batch_alter_table('instalment_snapshot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_instalment_snapshot_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_instalment_snapshot_instalment_id'), ['instalment_id'], unique=False)


def downgrade():
    op.drop_table('instalment_snapshot')
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_column('offset_consent')
    with op.batch_alter_table('koperasi', schema=None) as batch_op:
        for name in ('provision_lancar_bp', 'provision_kurang_bp', 'provision_diragukan_bp', 'provision_macet_bp'):
            batch_op.drop_column(name)
    with op.batch_alter_table('loan', schema=None) as batch_op:
        for name in ('late_fee_bp', 'late_fee_cap_idr', 'rebate_rule', 'written_off_at', 'written_off_idr'):
            batch_op.drop_column(name)
    with op.batch_alter_table('loan_product', schema=None) as batch_op:
        for name in ('late_fee_bp', 'late_fee_cap_idr', 'rebate_rule'):
            batch_op.drop_column(name)
