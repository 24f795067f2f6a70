"""duties: the one-person loan setting

Who may do what is the table in models/duties.py (code, not data): existing staff keep
their role ("admin" and "teller" rows are unchanged). A koperasi may now let one person
approve a loan and pay it out; off for every koperasi until its board turns it on.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('koperasi', schema=None) as batch_op:
        batch_op.add_column(sa.Column('single_person_loans', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('koperasi', schema=None) as batch_op:
        batch_op.drop_column('single_person_loans')
