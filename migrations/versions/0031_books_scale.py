"""the books at national size: an account's lines by (account, entry), carrying the amount

Revision ID: 0031_books_scale
Revises: 0030_photo_files

The statements (models.books, models.books_flows) reach a koperasi's lines through its own accounts.
``ix_line_account_entry`` (account_id, entry_id), on PostgreSQL with the amount included so the sums
are index-only scans, replaces the single-column ``ix_line_account_id`` it makes redundant.
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op

revision = "0031_books_scale"
down_revision = "0030_photo_files"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_line_account_entry", "line", ["account_id", "entry_id"], postgresql_include=["amount"])
    op.drop_index("ix_line_account_id", table_name="line")


def downgrade():
    op.create_index("ix_line_account_id", "line", ["account_id"])
    op.drop_index("ix_line_account_entry", table_name="line")
