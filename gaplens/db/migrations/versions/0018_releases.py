"""releases: published, disclosure-controlled survey figures

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06

Every figure a page, API, export or report shows about survey answers is read from a
release: classes of at least k responses, the responses in each (for the next release and
the auditor), and per-question answer counts over unions of classes.
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def code_columns() -> list[sa.Column]:
    return [
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("function", sa.String(length=100), nullable=True),
        sa.Column("role", sa.String(length=32), nullable=True),
        sa.Column("tenure", sa.String(length=16), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "release",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset", sa.String(length=120), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("built_at", sa.DateTime(), nullable=False),
        sa.Column("cutoff", sa.Date(), nullable=False),
        sa.Column("answers_through", sa.Date(), nullable=False),
        sa.Column("min_group_size", sa.Integer(), nullable=False),
        sa.Column("included", sa.Integer(), nullable=False),
        sa.Column("withheld", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release")),
        sa.UniqueConstraint("dataset", "seq", name=op.f("uq_release_dataset")),
    )
    op.create_index(op.f("ix_release_dataset"), "release", ["dataset"])
    op.create_table(
        "release_class",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        *code_columns(),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["release.id"],
            name=op.f("fk_release_class_release_id_release"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_class")),
    )
    op.create_index(op.f("ix_release_class_release_id"), "release_class", ["release_id"])
    op.create_table(
        "release_member",
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.String(length=32), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["release.id"],
            name=op.f("fk_release_member_release_id_release"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["release_class.id"],
            name=op.f("fk_release_member_class_id_release_class"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("release_id", "response_id", name=op.f("pk_release_member")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "release_histogram",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=64), nullable=False),
        *code_columns(),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("classes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["release.id"],
            name=op.f("fk_release_histogram_release_id_release"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_histogram")),
    )
    op.create_index(op.f("ix_release_histogram_release_id"), "release_histogram", ["release_id"])
    op.create_table(
        "release_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["release.id"],
            name=op.f("fk_release_note_release_id_release"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_note")),
        sa.UniqueConstraint("release_id", "question", name=op.f("uq_release_note_release_id")),
    )

    op.create_table(
        "release_comment_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        *code_columns(),
        sa.Column("commenters", sa.Integer(), nullable=False),
        sa.Column("classes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["release.id"],
            name=op.f("fk_release_comment_group_release_id_release"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_comment_group")),
    )
    op.create_index(
        op.f("ix_release_comment_group_release_id"), "release_comment_group", ["release_id"]
    )
    op.create_table(
        "release_comment",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["release_comment_group.id"],
            name=op.f("fk_release_comment_group_id_release_comment_group"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_comment")),
        sqlite_with_rowid=False,
    )
    op.create_index(op.f("ix_release_comment_group_id"), "release_comment", ["group_id"])


def downgrade() -> None:
    op.drop_table("release_comment")
    op.drop_table("release_comment_group")
    op.drop_table("release_note")
    op.drop_table("release_histogram")
    op.drop_table("release_member")
    op.drop_table("release_class")
    op.drop_table("release")
