"""the books flat in a koperasi's own history: each account's debits and credits per UTC day

Revision ID: 0032_account_day
Revises: 0031_books_scale

``account_day`` holds, per account and UTC calendar day, the sum of the debits and of the credits
posted (the lines of a year's closing entry and of its reversal apart, ``closing``): ``ledger.post()``
keeps it beside the account's cached balance, ``books_check`` proves it, and the statements
(``books.account_sums``) add up days instead of lines. Filled here from the lines already posted.
"""

import sqlalchemy as sa
from alembic import op

revision = "0032_account_day"
down_revision = "0031_books_scale"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "account_day",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("closing", sa.Boolean(), nullable=False),
        sa.Column("debit", sa.BigInteger(), nullable=False),
        sa.Column("credit", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("debit >= 0 AND credit >= 0", name=op.f("ck_account_day_not_negative")),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("fk_account_day_account_id_account"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("account_id", "day", "closing", name=op.f("pk_account_day")),
    )
    # One INSERT … SELECT over the lines (the same SQL on PostgreSQL and SQLite): date() of a naive UTC
    # timestamp is its UTC day; a line is closing when its entry is a year's closing entry or reverses one.
    op.execute("""
        INSERT INTO account_day (account_id, day, closing, debit, credit)
        SELECT l.account_id, date(e.posted_at),
               e.kind = 'year_close' OR COALESCE(r.kind = 'year_close', false),
               SUM(CASE WHEN l.amount > 0 THEN l.amount ELSE 0 END),
               SUM(CASE WHEN l.amount < 0 THEN -l.amount ELSE 0 END)
        FROM line l JOIN entry e ON e.id = l.entry_id LEFT JOIN entry r ON r.id = e.reverses_id
        GROUP BY 1, 2, 3""")


def downgrade():
    op.drop_table("account_day")
