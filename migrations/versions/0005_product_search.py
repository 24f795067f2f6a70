"""product search: full-text index on product name and description

PostgreSQL: a GIN expression index on to_tsvector('simple', name || ' ' || description)
(models/catalogue.py queries the same expression). SQLite: an FTS5 table with
external content kept in sync by triggers. Neither is in the models (they are raw
SQL), so autogenerate does not see them.

Revision ID: 0005
Revises: 0004
"""
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

PG_INDEX = ("CREATE INDEX ix_product_search ON product "
            "USING gin (to_tsvector('simple', name || ' ' || description))")

SQLITE = [
    "CREATE VIRTUAL TABLE product_fts USING fts5(name, description, content='product', content_rowid='id')",
    "INSERT INTO product_fts(rowid, name, description) SELECT id, name, description FROM product",
    """CREATE TRIGGER product_fts_insert AFTER INSERT ON product BEGIN
         INSERT INTO product_fts(rowid, name, description) VALUES (new.id, new.name, new.description);
       END""",
    """CREATE TRIGGER product_fts_delete AFTER DELETE ON product BEGIN
         INSERT INTO product_fts(product_fts, rowid, name, description)
         VALUES ('delete', old.id, old.name, old.description);
       END""",
    """CREATE TRIGGER product_fts_update AFTER UPDATE OF name, description ON product BEGIN
         INSERT INTO product_fts(product_fts, rowid, name, description)
         VALUES ('delete', old.id, old.name, old.description);
         INSERT INTO product_fts(rowid, name, description) VALUES (new.id, new.name, new.description);
       END""",
]


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(PG_INDEX)
    elif dialect == "sqlite":
        for statement in SQLITE:
            op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_product_search")
    elif dialect == "sqlite":
        for name in ("product_fts_update", "product_fts_delete", "product_fts_insert"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS product_fts")
