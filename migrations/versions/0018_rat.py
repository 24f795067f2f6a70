"""the RAT: agenda, documents, attendance, minutes, the bylaws' quorum

Revision ID: 0018_rat
Revises: 0017_push
"""
import sqlalchemy as sa
from alembic import op

revision = "0018_rat"
down_revision = "0017_push"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("koperasi", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rat_quorum_bp", sa.Integer(), server_default=sa.text("5000"), nullable=False))
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("published_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("held_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("minutes", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("minutes_published_at", sa.DateTime(), nullable=True))

    op.create_table("agenda_item",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("meeting_id", sa.Integer(), nullable=False),
    sa.Column("position", sa.Integer(), nullable=False),
    sa.Column("title", sa.String(length=200), nullable=False),
    sa.Column("note", sa.String(length=1000), nullable=False),
    sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"], name=op.f("fk_agenda_item_meeting_id_meeting"),
                            ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_agenda_item"))
    )
    with op.batch_alter_table("agenda_item", schema=None) as batch_op:
        batch_op.create_index("ix_agenda_item_meeting", ["meeting_id", "position"], unique=False)

    op.create_table("meeting_document",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("meeting_id", sa.Integer(), nullable=False),
    sa.Column("title", sa.String(length=160), nullable=False),
    sa.Column("sha256", sa.String(length=64), nullable=False),
    sa.Column("size", sa.Integer(), nullable=False),
    sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
    sa.Column("uploaded_at", sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"], name=op.f("fk_meeting_document_meeting_id_meeting"),
                            ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["uploaded_by_id"], ["user_account.id"],
                            name=op.f("fk_meeting_document_uploaded_by_id_user_account")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_document"))
    )
    with op.batch_alter_table("meeting_document", schema=None) as batch_op:
        batch_op.create_index("ix_meeting_document_meeting", ["meeting_id"], unique=False)

    op.create_table("attendance",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("meeting_id", sa.Integer(), nullable=False),
    sa.Column("membership_id", sa.Integer(), nullable=False),
    sa.Column("mode", sa.String(length=6), nullable=False),
    sa.Column("at", sa.DateTime(), nullable=False),
    sa.Column("by_id", sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(["by_id"], ["user_account.id"], name=op.f("fk_attendance_by_id_user_account")),
    sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"], name=op.f("fk_attendance_meeting_id_meeting"),
                            ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["membership_id"], ["membership.id"], name=op.f("fk_attendance_membership_id_membership"),
                            ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance")),
    sa.UniqueConstraint("meeting_id", "membership_id", name="uq_attendance_member")
    )


def downgrade():
    op.drop_table("attendance")
    with op.batch_alter_table("meeting_document", schema=None) as batch_op:
        batch_op.drop_index("ix_meeting_document_meeting")
    op.drop_table("meeting_document")
    with op.batch_alter_table("agenda_item", schema=None) as batch_op:
        batch_op.drop_index("ix_agenda_item_meeting")
    op.drop_table("agenda_item")
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_column("minutes_published_at")
        batch_op.drop_column("minutes")
        batch_op.drop_column("held_at")
        batch_op.drop_column("published_at")
    with op.batch_alter_table("koperasi", schema=None) as batch_op:
        batch_op.drop_column("rat_quorum_bp")
