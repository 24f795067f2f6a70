"""a koperasi's legal documents (PDFs) and applicants' KTP photos, with the koperasi's KTP settings

Registering a koperasi attaches its deed of establishment and NIK koperasi certificate
(koperasi_document, every upload kept); a koperasi may require a KTP photo with a join
application (ktp_photo, deleted ktp_keep_days after the decision by `flask purge-documents`).

Revision ID: 0023_documents
Revises: 0022_regulator
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0023_documents"
down_revision = "0022_regulator"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("koperasi") as batch_op:
        batch_op.add_column(sa.Column("ktp_photo_required", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("ktp_keep_days", sa.Integer(), server_default="30", nullable=False))
    op.create_table("koperasi_document",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("koperasi_id", sa.Integer(), nullable=False),
    sa.Column("kind", sa.String(length=20), nullable=False),
    sa.Column("sha256", sa.String(length=64), nullable=False),
    sa.Column("size", sa.Integer(), nullable=False),
    sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
    sa.Column("uploaded_at", sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(["koperasi_id"], ["koperasi.id"], name=op.f("fk_koperasi_document_koperasi_id_koperasi"),
                            ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["uploaded_by_id"], ["user_account.id"],
                            name=op.f("fk_koperasi_document_uploaded_by_id_user_account")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_koperasi_document"))
    )
    with op.batch_alter_table("koperasi_document", schema=None) as batch_op:
        batch_op.create_index("ix_koperasi_document_koperasi", ["koperasi_id", "kind", "id"], unique=False)
    op.create_table("ktp_photo",
    sa.Column("membership_id", sa.Integer(), nullable=False),
    sa.Column("sha256", sa.String(length=64), nullable=False),
    sa.Column("created_at", sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(["membership_id"], ["membership.id"], name=op.f("fk_ktp_photo_membership_id_membership"),
                            ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("membership_id", name=op.f("pk_ktp_photo"))
    )
    with op.batch_alter_table("ktp_photo", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ktp_photo_sha256"), ["sha256"], unique=False)


def downgrade():
    with op.batch_alter_table("ktp_photo", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ktp_photo_sha256"))
    op.drop_table("ktp_photo")
    with op.batch_alter_table("koperasi_document", schema=None) as batch_op:
        batch_op.drop_index("ix_koperasi_document_koperasi")
    op.drop_table("koperasi_document")
    with op.batch_alter_table("koperasi") as batch_op:
        batch_op.drop_column("ktp_keep_days")
        batch_op.drop_column("ktp_photo_required")
