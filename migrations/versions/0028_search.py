"""search at national size: ordered indexes for price and name, trigram name search,
a stored tsvector, KNN position indexes

Both databases: the catalogue's price order walks (active, price_idr, id) or
(active, category, price_idr, id) and stops after a page; the directory's name order
walks (status, search_name, id), or the same within a province or regency. PostgreSQL only (raw SQL, listed in
models.catalogue.SEARCH_OBJECTS so the models comparison leaves them alone): pg_trgm
GIN index on koperasi.search_name (substring search) with a finer histogram, a stored generated tsvector
column on product with its GIN index (the recheck reads the column instead of
re-tokenising; replaces the expression index of 0005), and GiST indexes on
point(lng, lat) of koperasi and store for nearest-first (ORDER BY <-> LIMIT n).

Revision ID: 0028_search
Revises: 0027_claims
"""

from alembic import op

revision = "0028_search"
down_revision = "0027_claims"
branch_labels = None
depends_on = None

PG_UP = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_koperasi_search_trgm ON koperasi USING gin (search_name gin_trgm_ops)",
    # A finer histogram, so that a rare name ('%miangas%') is estimated rare (down to 1 in 1,000,
    # not 1 in 100) and found through the trigram index rather than by walking every name.
    "ALTER TABLE koperasi ALTER COLUMN search_name SET STATISTICS 1000",
    "ALTER TABLE product ADD COLUMN search_tsv tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', name || ' ' || description)) STORED",
    "CREATE INDEX ix_product_search_tsv ON product USING gin (search_tsv)",
    "DROP INDEX IF EXISTS ix_product_search",
    "CREATE INDEX ix_koperasi_position ON koperasi USING gist (point(lng, lat))",
    "CREATE INDEX ix_store_position ON store USING gist (point(lng, lat))",
]
PG_DOWN = [
    "DROP INDEX IF EXISTS ix_store_position",
    "DROP INDEX IF EXISTS ix_koperasi_position",
    "CREATE INDEX ix_product_search ON product USING gin (to_tsvector('simple', name || ' ' || description))",
    "DROP INDEX IF EXISTS ix_product_search_tsv",
    "ALTER TABLE product DROP COLUMN IF EXISTS search_tsv",
    "DROP INDEX IF EXISTS ix_koperasi_search_trgm",
    "ALTER TABLE koperasi ALTER COLUMN search_name SET STATISTICS -1",
]


def upgrade():
    # Plain index operations (no batch): on SQLite a batch would rebuild product and lose its FTS triggers.
    op.drop_index("ix_product_listing", table_name="product")
    op.create_index("ix_product_listing", "product", ["active", "category", "price_idr", "id"])
    op.create_index("ix_product_price", "product", ["active", "price_idr", "id"])
    op.drop_index("ix_koperasi_search_name", table_name="koperasi")
    op.create_index("ix_koperasi_status_name", "koperasi", ["status", "search_name", "id"])
    op.drop_index("ix_koperasi_status_regency", table_name="koperasi")
    op.create_index("ix_koperasi_status_regency", "koperasi", ["status", "regency_code", "search_name", "id"])
    op.create_index("ix_koperasi_status_province", "koperasi", ["status", "province_code", "search_name", "id"])
    if op.get_bind().dialect.name == "postgresql":
        for statement in PG_UP:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in PG_DOWN:
            op.execute(statement)
    op.drop_index("ix_koperasi_status_province", table_name="koperasi")
    op.drop_index("ix_koperasi_status_regency", table_name="koperasi")
    op.create_index("ix_koperasi_status_regency", "koperasi", ["status", "regency_code"])
    op.drop_index("ix_koperasi_status_name", table_name="koperasi")
    op.create_index("ix_koperasi_search_name", "koperasi", ["search_name"])
    op.drop_index("ix_product_price", table_name="product")
    op.drop_index("ix_product_listing", table_name="product")
    op.create_index("ix_product_listing", "product", ["active", "category", "price_idr"])
