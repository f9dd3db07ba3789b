"""adoption dates derived from telemetry

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-09

People with AI usage but no adoption date in the directory get one derived from the
telemetry (the first day of sustained use), stored once with the rule it was derived with
and the last telemetry day it read, so every later release uses the same date.
"""

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "telemetry_adoption",
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("adopted_on", sa.Date(), nullable=False),
        sa.Column("weeks", sa.Integer(), nullable=False),
        sa.Column("days_per_week", sa.Integer(), nullable=False),
        sa.Column("data_through", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_telemetry_adoption_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_telemetry_adoption")),
    )


def downgrade() -> None:
    op.drop_table("telemetry_adoption")
