"""accounts: sub-accounts, closing, cached balances; the cash book, cash counts

An account gains a name (a sub-account's own, e.g. a second bank), its parent (the
standard account it belongs under), ``closed`` (no new postings) and ``balance``, the
cached signed balance (debit positive) that ``post()`` keeps, back-filled here from the
lines. Codes are unique per koperasi; a purpose is unique among the standard accounts
only (a partial unique index, on SQLite and PostgreSQL alike).

A cash-book entry keeps its counterparty, note and an optional photo of its receipt; a cash count records the expected and
counted cash, who counted, who decided and the entry that posted the difference.

Revision ID: 0013
Revises: 0012 (written as 0009 on 0008; renumbered after the loan lifecycle when this branch merged main)
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = "0012"
branch_labels = None
depends_on = None

STANDARD = sa.text("parent_id IS NULL")


def upgrade():
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('parent_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('closed', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('balance', sa.BigInteger(), server_default=sa.text('0'), nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_account_parent_id_account'), 'account', ['parent_id'], ['id'])
        batch_op.drop_constraint('uq_account_koperasi_id', type_='unique')
        batch_op.create_unique_constraint('uq_account_code', ['koperasi_id', 'code'])
    op.create_index('uq_account_standard_purpose', 'account', ['koperasi_id', 'purpose'], unique=True,
                    sqlite_where=STANDARD, postgresql_where=STANDARD)
    op.execute("UPDATE account SET balance = COALESCE((SELECT SUM(line.amount) FROM line "
               "WHERE line.account_id = account.id), 0)")

    op.create_table('cash_book_detail',
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('counterparty', sa.String(length=80), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('photo', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['entry_id'], ['entry.id'], name=op.f('fk_cash_book_detail_entry_id_entry'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('entry_id', name=op.f('pk_cash_book_detail'))
    )
    op.create_table('cash_count',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('koperasi_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('expected_idr', sa.BigInteger(), nullable=False),
    sa.Column('counted_idr', sa.BigInteger(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('counted_by_id', sa.Integer(), nullable=True),
    sa.Column('counted_at', sa.DateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_cash_count_account_id_account')),
    sa.ForeignKeyConstraint(['counted_by_id'], ['user_account.id'], name=op.f('fk_cash_count_counted_by_id_user_account')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_cash_count_decided_by_id_user_account')),
    sa.ForeignKeyConstraint(['entry_id'], ['entry.id'], name=op.f('fk_cash_count_entry_id_entry')),
    sa.ForeignKeyConstraint(['koperasi_id'], ['koperasi.id'], name=op.f('fk_cash_count_koperasi_id_koperasi'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cash_count'))
    )
    with op.batch_alter_table('cash_count', schema=None) as batch_op:
        batch_op.create_index('ix_cash_count_koperasi_status', ['koperasi_id', 'status'], unique=False)


def downgrade():
    with op.batch_alter_table('cash_count', schema=None) as batch_op:
        batch_op.drop_index('ix_cash_count_koperasi_status')
    op.drop_table('cash_count')
    op.drop_table('cash_book_detail')
    op.drop_index('uq_account_standard_purpose', table_name='account')
    op.execute("DELETE FROM account WHERE parent_id IS NOT NULL AND id NOT IN (SELECT account_id FROM line)")
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_constraint('uq_account_code', type_='unique')
        batch_op.create_unique_constraint('uq_account_koperasi_id', ['koperasi_id', 'purpose'])
        batch_op.drop_constraint(batch_op.f('fk_account_parent_id_account'), type_='foreignkey')
        batch_op.drop_column('balance')
        batch_op.drop_column('closed')
        batch_op.drop_column('parent_id')
        batch_op.drop_column('name')
