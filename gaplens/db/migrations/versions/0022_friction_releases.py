"""friction releases: classes of entries over whole ISO weeks, per use case and team

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-09

/friction/summary and its API read only these: classes of at least k entries (a use case
or any, a team or any, a week, month or quarter) with their outcome counts, corrections and
minutes sums, and which entry sat in which class (for the next release and the auditor).
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "friction_release_class",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("use_case", sa.String(length=100), nullable=True),
        sa.Column("label", sa.String(length=100), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("outcomes", sa.JSON(), nullable=False),
        sa.Column("corrected", sa.Integer(), nullable=False),
        sa.Column("minutes_lost", sa.Integer(), nullable=True),
        sa.Column("minutes_saved", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["release.id"],
            name=op.f("fk_friction_release_class_release_id_release"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_friction_release_class")),
    )
    op.create_index(
        op.f("ix_friction_release_class_release_id"), "friction_release_class", ["release_id"]
    )
    op.create_table(
        "friction_release_member",
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.String(length=36), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["friction_release_class.id"],
            name=op.f("fk_friction_release_member_class_id_friction_release_class"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["release.id"],
            name=op.f("fk_friction_release_member_release_id_release"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("release_id", "entry_id", name=op.f("pk_friction_release_member")),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("friction_release_member")
    op.drop_index(op.f("ix_friction_release_class_release_id"), table_name="friction_release_class")
    op.drop_table("friction_release_class")
