"""drivers release: what goes with the frontline's perceived gains, per scope

Revision ID: 0033
Revises: 0031
Create Date: 2026-12-07

Written by the survey release builder with each release: per scope of enough respondents,
each factor's share of the differences in perceived gains, in whole percent with intervals.
"""

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "driver_scope",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("function", sa.String(length=100), nullable=True),
        sa.Column("respondents", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("explained", sa.Integer(), nullable=False),
        sa.Column("explained_low", sa.Integer(), nullable=False),
        sa.Column("explained_high", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["release.id"],
            name=op.f("fk_driver_scope_release_id_release"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_driver_scope")),
    )
    op.create_index(
        op.f("ix_driver_scope_release_id"), "driver_scope", ["release_id"], unique=False
    )
    op.create_table(
        "driver_factor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope_id", sa.Integer(), nullable=False),
        sa.Column("factor", sa.String(length=32), nullable=False),
        sa.Column("share", sa.Integer(), nullable=False),
        sa.Column("low", sa.Integer(), nullable=False),
        sa.Column("high", sa.Integer(), nullable=False),
        sa.Column("direction", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["scope_id"],
            ["driver_scope.id"],
            name=op.f("fk_driver_factor_scope_id_driver_scope"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_driver_factor")),
    )
    op.create_index(op.f("ix_driver_factor_scope_id"), "driver_factor", ["scope_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_driver_factor_scope_id"), table_name="driver_factor")
    op.drop_table("driver_factor")
    op.drop_index(op.f("ix_driver_scope_release_id"), table_name="driver_scope")
    op.drop_table("driver_scope")
