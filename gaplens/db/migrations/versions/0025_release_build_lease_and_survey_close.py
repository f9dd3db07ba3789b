"""release build lease (one build at a time across processes); survey.closed_on

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07

`release_build_lease` holds one row while a release build runs: a second server process,
or a cron build beside the in-process schedule, hits its primary key and skips.
`survey.closed_on`: a closed survey's links accept no more answers.
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "release_build_lease",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_release_build_lease")),
    )
    with op.batch_alter_table("survey") as batch:
        batch.add_column(sa.Column("closed_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("survey") as batch:
        batch.drop_column("closed_on")
    op.drop_table("release_build_lease")
