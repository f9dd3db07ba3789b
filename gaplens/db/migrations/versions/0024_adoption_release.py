"""adoption releases: classes of licensed persons per month end

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-10

/adoption, its API and the report's adoption section read only these: classes of at least k
licensed persons (a team or any, a function or any) with their counts by furthest stage,
trained and certified counts over groups of whole classes, and which person sat in which
class with what they counted as (for the next month end and the auditor).
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "adoption_release_class",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("function", sa.String(length=100), nullable=True),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("furthest", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["release.id"],
            name=op.f("fk_adoption_release_class_release_id_release"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adoption_release_class")),
    )
    op.create_index(
        op.f("ix_adoption_release_class_release_id"), "adoption_release_class", ["release_id"]
    )
    op.create_table(
        "adoption_release_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=16), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("function", sa.String(length=100), nullable=True),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("classes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["release.id"],
            name=op.f("fk_adoption_release_group_release_id_release"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adoption_release_group")),
    )
    op.create_index(
        op.f("ix_adoption_release_group_release_id"), "adoption_release_group", ["release_id"]
    )
    op.create_table(
        "adoption_release_member",
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("trained", sa.Boolean(), nullable=False),
        sa.Column("certified", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["adoption_release_class.id"],
            name=op.f("fk_adoption_release_member_class_id_adoption_release_class"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["release.id"],
            name=op.f("fk_adoption_release_member_release_id_release"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("release_id", "person_id", name=op.f("pk_adoption_release_member")),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("adoption_release_member")
    op.drop_index(op.f("ix_adoption_release_group_release_id"), table_name="adoption_release_group")
    op.drop_table("adoption_release_group")
    op.drop_index(op.f("ix_adoption_release_class_release_id"), table_name="adoption_release_class")
    op.drop_table("adoption_release_class")
