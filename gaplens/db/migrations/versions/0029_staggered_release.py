"""staggered-adoption estimate on the measured release

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-08

The measured release publishes the staggered-adoption effect per metric and scope. Its
inputs are frozen when first released (who is in the panel, with which function and
adoption cohort; each month's per-person values), so a published group-time cell never
changes; the published figures are stored whole per release.
"""

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "measured_panel_person",
        sa.Column("dataset", sa.String(length=120), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("function", sa.String(length=100), nullable=True),
        sa.Column("cohort", sa.Integer(), nullable=True),
        sa.Column("stopped", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("dataset", "person_id", name=op.f("pk_measured_panel_person")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "measured_panel_month",
        sa.Column("dataset", sa.String(length=120), nullable=False),
        sa.Column("metric", sa.String(length=40), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("values", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("dataset", "metric", "month", name=op.f("pk_measured_panel_month")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "measured_release_staggered",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=40), nullable=False),
        sa.Column("function", sa.String(length=100), nullable=True),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["release.id"],
            name=op.f("fk_measured_release_staggered_release_id_release"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measured_release_staggered")),
    )
    op.create_index(
        op.f("ix_measured_release_staggered_release_id"),
        "measured_release_staggered",
        ["release_id"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_measured_release_staggered_release_id"), table_name="measured_release_staggered"
    )
    op.drop_table("measured_release_staggered")
    op.drop_table("measured_panel_month")
    op.drop_table("measured_panel_person")
