"""measured releases: metric figures per month end over classes of people

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07

/metrics, its API and the report's metric figures read only these: per month end, each
metric's classes of at least k people (current values; AI users and non-users before and
after their pivot), the overview of every released scope, and the people admitted to each
metric's before/after figures with the group code and values they were admitted with.
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "measured_release_class",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=40), nullable=False),
        sa.Column("lineage", sa.String(length=8), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("function", sa.String(length=100), nullable=True),
        sa.Column("band", sa.String(length=16), nullable=True),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["release.id"],
            name=op.f("fk_measured_release_class_release_id_release"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measured_release_class")),
    )
    op.create_index(
        op.f("ix_measured_release_class_release_id"), "measured_release_class", ["release_id"]
    )
    op.create_table(
        "measured_release_figure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("function", sa.String(length=100), nullable=True),
        sa.Column("metric", sa.String(length=40), nullable=False),
        sa.Column("overview", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["release.id"],
            name=op.f("fk_measured_release_figure_release_id_release"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measured_release_figure")),
    )
    op.create_index(
        op.f("ix_measured_release_figure_release_id"), "measured_release_figure", ["release_id"]
    )
    op.create_table(
        "measured_lineage",
        sa.Column("dataset", sa.String(length=120), nullable=False),
        sa.Column("metric", sa.String(length=40), nullable=False),
        sa.Column("lineage", sa.String(length=8), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("function", sa.String(length=100), nullable=True),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("before", sa.Float(), nullable=False),
        sa.Column("after", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint(
            "dataset", "metric", "lineage", "person_id", name=op.f("pk_measured_lineage")
        ),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("measured_lineage")
    op.drop_index(
        op.f("ix_measured_release_figure_release_id"), table_name="measured_release_figure"
    )
    op.drop_table("measured_release_figure")
    op.drop_index(op.f("ix_measured_release_class_release_id"), table_name="measured_release_class")
    op.drop_table("measured_release_class")
