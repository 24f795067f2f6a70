"""personal data under UU PDP: NIK, birth date and addresses encrypted; the NIK's keyed hash; consents

Revision ID: 0038_personal_data
Revises: 0037_audit_log

A member's NIK, address and birth date and an order's delivery address become Fernet tokens
(models.crypto, keys from KOPZ_DATA_KEYS); the NIK is found through its keyed hash (nik_hash).
Each column is replaced without rebuilding its table (SQLite would drop and recreate membership,
which every entry and loan refers to): a text column is added, filled row by row from the plain
one, the plain one dropped and the new one renamed. Both ways, in batches.
"""

import sqlalchemy as sa
from alembic import op

from models.crypto import decrypt, encrypt, keyed_hash, reseal

revision = "0038_personal_data"
down_revision = "0037_audit_log"
branch_labels = None
depends_on = None

# table → {column: (its plain type, nullable)}
SEALED = {
    "membership": {"nik": (sa.String(16), False), "address": (sa.String(300), False), "birth_date": (sa.Date(), True)},
    "market_order": {"delivery_address": (sa.String(300), True)},
}


def _swap(table: str, columns: dict, new_type, change, extra=lambda values: {}) -> None:
    """Each column replaced by one of ``new_type`` holding ``change``'s values (NULL stays NULL);
    ``extra(plain values)`` gives other columns to write in the same pass."""
    for name, (_plain, nullable) in columns.items():
        op.add_column(table, sa.Column(f"{name}_new", new_type, nullable=nullable,
                                       server_default=None if nullable else ""))
    conn = op.get_bind()
    names = list(columns)
    reseal(conn, table, names, lambda values: {**extra(values), **{
        f"{c}_new": None if v is None else change(c, v) for c, v in values.items()}})
    for name, (_plain, nullable) in columns.items():
        op.drop_column(table, name)
        op.execute(f"ALTER TABLE {table} RENAME COLUMN {name}_new TO {name}")
        if not nullable and conn.dialect.name == "postgresql":  # the default only served the ADD COLUMN
            op.alter_column(table, name, server_default=None)


def _hash_nik(values: dict) -> dict:
    """A membership's nik_hash, from its plain NIK (written in the same pass as the tokens)."""
    if "nik" not in values:
        return {}
    return {"nik_hash": keyed_hash(values["nik"]) if values["nik"] else None}


def upgrade():
    op.add_column("membership", sa.Column("nik_hash", sa.String(length=64), nullable=True))
    for table, columns in SEALED.items():
        _swap(table, columns, sa.Text(), lambda _c, value: encrypt(str(value)), extra=_hash_nik)
    op.create_index("ix_membership_nik_hash", "membership", ["koperasi_id", "nik_hash"], unique=False)
    op.create_table(
        "consent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("membership_id", sa.Integer(), nullable=True),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("version", sa.String(length=10), nullable=False),
        sa.Column("given_at", sa.DateTime(), nullable=False),
        sa.Column("given_from", sa.String(length=45), nullable=False),
        sa.ForeignKeyConstraint(["membership_id"], ["membership.id"], name=op.f("fk_consent_membership_id_membership")),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_consent_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent")),
    )
    op.create_index(op.f("ix_consent_membership_id"), "consent", ["membership_id"], unique=False)
    op.create_index(op.f("ix_consent_user_id"), "consent", ["user_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_consent_user_id"), table_name="consent")
    op.drop_index(op.f("ix_consent_membership_id"), table_name="consent")
    op.drop_table("consent")
    for table, columns in SEALED.items():
        for name, (plain, nullable) in columns.items():
            _swap(table, {name: (plain, nullable)}, plain, lambda _c, token: decrypt(token))
    op.drop_index("ix_membership_nik_hash", table_name="membership")
    op.drop_column("membership", "nik_hash")
