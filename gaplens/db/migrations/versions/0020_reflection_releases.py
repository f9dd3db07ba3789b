"""reflection releases: participation, confidence, themes and later usage, published

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06

The reflections page, API and report section read these tables only: classes of at least
k invitations (with a used count never 0 nor all) or entries, their members (for the
auditor), and groups over unions of classes (confidence counts, texts for themes, later
usage in day bins). The `release` row is the shared one, data set `reflections`.
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def code_columns() -> list[sa.Column]:
    return [
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("step", sa.String(length=8), nullable=True),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("function", sa.String(length=100), nullable=True),
        sa.Column("n", sa.Integer(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "reflection_release_class",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        *code_columns(),
        sa.Column("used", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["release.id"],
            name=op.f("fk_reflection_release_class_release_id_release"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reflection_release_class")),
    )
    op.create_index(
        op.f("ix_reflection_release_class_release_id"), "reflection_release_class", ["release_id"]
    )
    op.create_table(
        "reflection_release_member",
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("member", sa.String(length=36), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["release.id"],
            name=op.f("fk_reflection_release_member_release_id_release"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["reflection_release_class.id"],
            name=op.f("fk_reflection_release_member_class_id_reflection_release_class"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("release_id", "member", name=op.f("pk_reflection_release_member")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "reflection_release_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        *code_columns(),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("classes", sa.JSON(), nullable=False),
        sa.Column("texts", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["release.id"],
            name=op.f("fk_reflection_release_group_release_id_release"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reflection_release_group")),
    )
    op.create_index(
        op.f("ix_reflection_release_group_release_id"), "reflection_release_group", ["release_id"]
    )


def downgrade() -> None:
    op.drop_table("reflection_release_group")
    op.drop_table("reflection_release_member")
    op.drop_table("reflection_release_class")
