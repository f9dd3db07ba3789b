"""feedback release classes per use case

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07

A feedback release class now also has a use case (its grouping key, or none) and the
spelling shown for it: the scorecard reads feedback per use case from these classes. Classes
of earlier releases keep no use case, and their items stay without one in later releases.
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feedback_release_class") as batch:
        batch.add_column(sa.Column("use_case", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("label", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("feedback_release_class") as batch:
        batch.drop_column("label")
        batch.drop_column("use_case")
