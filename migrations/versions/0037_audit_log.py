"""the audit log: where each koperasi event came from, and the table append-only in the database

Revision ID: 0037_audit_log
Revises: 0036_staff_security

The koperasi's history (``koperasi_event``) becomes its audit log (issue 14): every staff reveal
of personal data, money action, period close and setting change, with who, what, when and now
from where (IP address, browser, sign-in session). Triggers refuse UPDATE and DELETE on it, on
SQLite and PostgreSQL (and TRUNCATE there): a row once written stays as written. A koperasi with
events can therefore no longer be deleted (the CASCADE to its events is refused): the law keeps
a koperasi's records, and Kopz has no way to delete one anyway.

A later migration that rebuilds this table on SQLite (``batch_alter_table`` with a column change)
drops its triggers: it must create them again (``TRIGGERS`` below).
"""

import sqlalchemy as sa
from alembic import op

revision = "0037_audit_log"
down_revision = "0036_staff_security"
branch_labels = None
depends_on = None

REFUSED = "koperasi_event is append-only: a recorded event is never changed or deleted"
TRIGGERS = {
    "sqlite": [
        f"CREATE TRIGGER koperasi_event_no_update BEFORE UPDATE ON koperasi_event "
        f"BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END",
        f"CREATE TRIGGER koperasi_event_no_delete BEFORE DELETE ON koperasi_event "
        f"BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END",
    ],
    "postgresql": [
        f"CREATE FUNCTION koperasi_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN RAISE EXCEPTION '{REFUSED}' USING ERRCODE = 'restrict_violation'; END $$",
        "CREATE TRIGGER koperasi_event_no_change BEFORE UPDATE OR DELETE ON koperasi_event "
        "FOR EACH ROW EXECUTE FUNCTION koperasi_event_append_only()",
        "CREATE TRIGGER koperasi_event_no_truncate BEFORE TRUNCATE ON koperasi_event "
        "FOR EACH STATEMENT EXECUTE FUNCTION koperasi_event_append_only()",
    ],
}
DROP = {
    "sqlite": ["DROP TRIGGER koperasi_event_no_update", "DROP TRIGGER koperasi_event_no_delete"],
    "postgresql": ["DROP TRIGGER koperasi_event_no_truncate ON koperasi_event",
                   "DROP TRIGGER koperasi_event_no_change ON koperasi_event",
                   "DROP FUNCTION koperasi_event_append_only()"],
}


def upgrade():
    with op.batch_alter_table("koperasi_event") as batch_op:  # plain ADD COLUMNs: no rebuild on SQLite
        batch_op.add_column(sa.Column("ip", sa.String(length=45), nullable=True))
        batch_op.add_column(sa.Column("user_agent", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("session_id", sa.Integer(), nullable=True))
    # The log newest first, and filtered by kind or by staff member, a page at a time.
    op.create_index("ix_koperasi_event_koperasi_created", "koperasi_event", ["koperasi_id", "created_at", "id"])
    op.create_index("ix_koperasi_event_koperasi_action", "koperasi_event", ["koperasi_id", "action", "created_at"])
    op.create_index("ix_koperasi_event_koperasi_actor", "koperasi_event", ["koperasi_id", "actor_id", "created_at"])
    op.drop_index("ix_koperasi_event_koperasi_id", table_name="koperasi_event")
    for statement in TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade():
    for statement in DROP[op.get_bind().dialect.name]:
        op.execute(statement)
    op.create_index("ix_koperasi_event_koperasi_id", "koperasi_event", ["koperasi_id"])
    op.drop_index("ix_koperasi_event_koperasi_actor", table_name="koperasi_event")
    op.drop_index("ix_koperasi_event_koperasi_action", table_name="koperasi_event")
    op.drop_index("ix_koperasi_event_koperasi_created", table_name="koperasi_event")
    with op.batch_alter_table("koperasi_event") as batch_op:
        batch_op.drop_column("session_id")
        batch_op.drop_column("user_agent")
        batch_op.drop_column("ip")
