"""the health rating of each closed book year, kept once computed (the trend's cache)

Revision ID: 0029_gaps
Revises: 0028_search
"""

import sqlalchemy as sa
from alembic import op

revision = "0029_gaps"
down_revision = "0028_search"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "health_rating",
        sa.Column("koperasi_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("closed_event_id", sa.Integer(), nullable=False),
        sa.Column("inputs", sa.String(length=80), nullable=False),
        sa.Column("total_centi", sa.Integer(), nullable=False),
        sa.Column("rated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["closed_event_id"], ["period_event.id"],
                                name=op.f("fk_health_rating_closed_event_id_period_event")),
        sa.ForeignKeyConstraint(["koperasi_id"], ["koperasi.id"],
                                name=op.f("fk_health_rating_koperasi_id_koperasi"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("koperasi_id", "year", name=op.f("pk_health_rating")),
    )


def downgrade():
    op.drop_table("health_rating")
