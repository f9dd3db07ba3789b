"""cost inputs: seat prices and loaded hourly cost for the report's cost section; viewed
members up to 64 characters ('person:' and 'friction:' ids are longer than 32)

Revision ID: 0014
Revises: 0012
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cost_input",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("updated_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_cost_input")),
    )
    with op.batch_alter_table("viewed_member", schema=None) as batch_op:
        batch_op.alter_column(
            "member",
            existing_type=sa.String(length=32),
            type_=sa.String(length=64),
            existing_nullable=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("viewed_member", schema=None) as batch_op:
        batch_op.alter_column(
            "member",
            existing_type=sa.String(length=64),
            type_=sa.String(length=32),
            existing_nullable=False,
        )
    op.drop_table("cost_input")
