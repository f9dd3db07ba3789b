"""task map releases: the labels and persona methods a task-map release publishes

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07

Task-map figures are read from releases (data set `tasks:<round id>`) in the shared release
tables; this table holds what is not a count: released free-task labels and, per function,
how its personas were found.
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "task_release_text",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("function", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("text", sa.String(length=400), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["release.id"],
            name=op.f("fk_task_release_text_release_id_release"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_release_text")),
    )
    op.create_index(op.f("ix_task_release_text_release_id"), "task_release_text", ["release_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_task_release_text_release_id"), table_name="task_release_text")
    op.drop_table("task_release_text")
