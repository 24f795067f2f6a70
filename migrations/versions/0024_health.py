"""the health rating: the pengurus' management questionnaire per book year, the published rating

Revision ID: 0024_health
Revises: 0023_documents
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0024_health"
down_revision = "0023_documents"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "health_questionnaire",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("koperasi_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["answered_by_id"], ["user_account.id"],
                                name=op.f("fk_health_questionnaire_answered_by_id_user_account")),
        sa.ForeignKeyConstraint(["koperasi_id"], ["koperasi.id"],
                                name=op.f("fk_health_questionnaire_koperasi_id_koperasi"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_questionnaire")),
        sa.UniqueConstraint("koperasi_id", "year", name="uq_health_questionnaire_year"),
    )
    with op.batch_alter_table("koperasi") as batch_op:
        batch_op.add_column(sa.Column("health_published", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("health_year", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("health_score_centi", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("health_category", sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table("koperasi") as batch_op:
        batch_op.drop_column("health_category")
        batch_op.drop_column("health_score_centi")
        batch_op.drop_column("health_year")
        batch_op.drop_column("health_published")
    op.drop_table("health_questionnaire")
