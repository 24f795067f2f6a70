"""e-voting at the RAT: proposals, candidates, who voted, secret ballots

The ballot tables carry no sequence, no timestamp and (on SQLite) no rowid: nothing
that follows the order of voting (models/voting.py).

Revision ID: 0016_voting
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op

revision = '0016_voting'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('proposal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('koperasi_id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('topic', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('seats', sa.Integer(), nullable=False),
    sa.Column('opens_at', sa.DateTime(), nullable=False),
    sa.Column('closes_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_proposal_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['koperasi_id'], ['koperasi.id'], name=op.f('fk_proposal_koperasi_id_koperasi'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_proposal_meeting_id_meeting'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal'))
    )
    op.create_index('ix_proposal_meeting', 'proposal', ['meeting_id', 'opens_at'], unique=False)
    op.create_table('candidate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('membership_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['membership_id'], ['membership.id'], name=op.f('fk_candidate_membership_id_membership')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_candidate_proposal_id_proposal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_candidate'))
    )
    op.create_index(op.f('ix_candidate_proposal_id'), 'candidate', ['proposal_id'], unique=False)
    op.create_table('voter_mark',
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('membership_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['membership_id'], ['membership.id'], name=op.f('fk_voter_mark_membership_id_membership'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_voter_mark_proposal_id_proposal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('proposal_id', 'membership_id', name=op.f('pk_voter_mark')),
    sqlite_with_rowid=False
    )
    op.create_table('ballot',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('receipt', sa.String(length=10), nullable=False),
    sa.Column('choice', sa.String(length=10), nullable=True),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_ballot_proposal_id_proposal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot')),
    sa.UniqueConstraint('proposal_id', 'receipt', name=op.f('uq_ballot_proposal_id')),
    sqlite_with_rowid=False
    )
    op.create_table('ballot_choice',
    sa.Column('ballot_id', sa.String(length=32), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['ballot_id'], ['ballot.id'], name=op.f('fk_ballot_choice_ballot_id_ballot'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidate.id'], name=op.f('fk_ballot_choice_candidate_id_candidate'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ballot_id', 'candidate_id', name=op.f('pk_ballot_choice')),
    sqlite_with_rowid=False
    )


def downgrade():
    op.drop_table('ballot_choice')
    op.drop_table('ballot')
    op.drop_table('voter_mark')
    op.drop_index(op.f('ix_candidate_proposal_id'), table_name='candidate')
    op.drop_table('candidate')
    op.drop_index('ix_proposal_meeting', table_name='proposal')
    op.drop_table('proposal')
