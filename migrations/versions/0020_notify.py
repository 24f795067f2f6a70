"""announcements, and the notification list's index

A koperasi's announcements to its members; the notification list read newest first
per user (the badge's count keeps ix_notification_user_unread).

Revision ID: 0020_notify
Revises: 0019_shu
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0020_notify"
down_revision = "0019_shu"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('announcement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('koperasi_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('posted_by_id', sa.Integer(), nullable=True),
    sa.Column('posted_at', sa.DateTime(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=True),
    sa.Column('idempotency_fingerprint', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['koperasi_id'], ['koperasi.id'], name=op.f('fk_announcement_koperasi_id_koperasi'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['posted_by_id'], ['user_account.id'], name=op.f('fk_announcement_posted_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_announcement')),
    sa.UniqueConstraint('koperasi_id', 'idempotency_key', name='uq_announcement_key')
    )
    with op.batch_alter_table('announcement', schema=None) as batch_op:
        batch_op.create_index('ix_announcement_koperasi', ['koperasi_id', 'id'], unique=False)
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index('ix_notification_user_id', ['user_id', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_user_id')
    with op.batch_alter_table('announcement', schema=None) as batch_op:
        batch_op.drop_index('ix_announcement_koperasi')
    op.drop_table('announcement')
