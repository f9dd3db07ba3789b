"""ai tools: Cursor and Claude Code usage tool tables

Revision ID: 0046
Revises: 0042
Create Date: 2026-12-07

Cursor's Admin API daily usage and the Claude Code analytics report are kept as exported
(`cursor_user_day`, `claude_code_user_day`) and normalised into `ai_usage_day`, so a team
using several assistants is one population in the funnel and the metrics.
"""

import sqlalchemy as sa
from alembic import op

revision = "0046"
down_revision = "0042"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cursor_user_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=True),
        sa.Column("total_lines_added", sa.Integer(), nullable=True),
        sa.Column("total_lines_deleted", sa.Integer(), nullable=True),
        sa.Column("accepted_lines_added", sa.Integer(), nullable=True),
        sa.Column("accepted_lines_deleted", sa.Integer(), nullable=True),
        sa.Column("total_applies", sa.Integer(), nullable=True),
        sa.Column("total_accepts", sa.Integer(), nullable=True),
        sa.Column("total_rejects", sa.Integer(), nullable=True),
        sa.Column("total_tabs_shown", sa.Integer(), nullable=True),
        sa.Column("total_tabs_accepted", sa.Integer(), nullable=True),
        sa.Column("composer_requests", sa.Integer(), nullable=True),
        sa.Column("chat_requests", sa.Integer(), nullable=True),
        sa.Column("agent_requests", sa.Integer(), nullable=True),
        sa.Column("cmdk_usages", sa.Integer(), nullable=True),
        sa.Column("bugbot_usages", sa.Integer(), nullable=True),
        sa.Column("most_used_model", sa.String(length=100), nullable=True),
        sa.Column("client_version", sa.String(length=50), nullable=True),
        sa.Column("import_run_id", sa.Integer(), nullable=False),
        sa.Column("source_row", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_run_id"],
            ["import_run.id"],
            name=op.f("fk_cursor_user_day_import_run_id_import_run"),
        ),
        sa.PrimaryKeyConstraint("day", "email", name=op.f("pk_cursor_user_day")),
    )
    with op.batch_alter_table("cursor_user_day", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cursor_user_day_import_run_id"), ["import_run_id"], unique=False
        )
    op.create_table(
        "claude_code_user_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("actor_type", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("terminal_type", sa.String(length=100), nullable=False),
        sa.Column("organization_id", sa.String(length=100), nullable=True),
        sa.Column("customer_type", sa.String(length=32), nullable=True),
        sa.Column("sessions", sa.Integer(), nullable=True),
        sa.Column("lines_added", sa.Integer(), nullable=True),
        sa.Column("lines_removed", sa.Integer(), nullable=True),
        sa.Column("commits", sa.Integer(), nullable=True),
        sa.Column("pull_requests", sa.Integer(), nullable=True),
        sa.Column("actions_accepted", sa.Integer(), nullable=True),
        sa.Column("actions_rejected", sa.Integer(), nullable=True),
        sa.Column("tool_actions", sa.Text(), nullable=True),
        sa.Column("model_breakdown", sa.Text(), nullable=True),
        sa.Column("import_run_id", sa.Integer(), nullable=False),
        sa.Column("source_row", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_run_id"],
            ["import_run.id"],
            name=op.f("fk_claude_code_user_day_import_run_id_import_run"),
        ),
        sa.PrimaryKeyConstraint(
            "day", "actor_type", "actor", "terminal_type", name=op.f("pk_claude_code_user_day")
        ),
    )
    with op.batch_alter_table("claude_code_user_day", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_claude_code_user_day_import_run_id"), ["import_run_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("claude_code_user_day", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claude_code_user_day_import_run_id"))
    op.drop_table("claude_code_user_day")
    with op.batch_alter_table("cursor_user_day", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cursor_user_day_import_run_id"))
    op.drop_table("cursor_user_day")
