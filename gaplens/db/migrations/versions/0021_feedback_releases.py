"""feedback releases: classes of whole ISO weeks, kind counts, monthly themes and comments

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-08

The feedback digest reads only these: classes of at least k items over a week, the weeks
of a month or of a quarter (with their counts per kind), which item sat in which class (for
the next release and the auditor), and per completed month and kind the themes and sample
comments.
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feedback_release_class",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["release.id"],
            name=op.f("fk_feedback_release_class_release_id_release"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_release_class")),
    )
    op.create_index(
        op.f("ix_feedback_release_class_release_id"), "feedback_release_class", ["release_id"]
    )
    op.create_table(
        "feedback_release_member",
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["feedback_release_class.id"],
            name=op.f("fk_feedback_release_member_class_id_feedback_release_class"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["release.id"],
            name=op.f("fk_feedback_release_member_release_id_release"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("release_id", "item_id", name=op.f("pk_feedback_release_member")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "feedback_release_text",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("classes", sa.JSON(), nullable=False),
        sa.Column("themes", sa.JSON(), nullable=False),
        sa.Column("comments", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["release.id"],
            name=op.f("fk_feedback_release_text_release_id_release"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_release_text")),
    )
    op.create_index(
        op.f("ix_feedback_release_text_release_id"), "feedback_release_text", ["release_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_feedback_release_text_release_id"), table_name="feedback_release_text")
    op.drop_table("feedback_release_text")
    op.drop_table("feedback_release_member")
    op.drop_index(op.f("ix_feedback_release_class_release_id"), table_name="feedback_release_class")
    op.drop_table("feedback_release_class")
