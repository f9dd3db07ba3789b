"""copilot org day weekly and monthly active users

Revision ID: 0009
Revises: 0012
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0012"
branch_labels = None
depends_on = None

COLUMNS = (
    "weekly_active_users",
    "monthly_active_users",
    "monthly_active_chat_users",
    "monthly_active_agent_users",
)


def upgrade() -> None:
    with op.batch_alter_table("copilot_org_day", schema=None) as batch_op:
        for name in COLUMNS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("copilot_org_day", schema=None) as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
