"""real exports: Copilot CLI and code-review signals per user-day, M365 per-period counts

Revision ID: 0035
Revises: 0031
Create Date: 2026-12-07

`copilot_user_day` keeps `totals_by_cli` (sessions, requests, prompts) and whether a Copilot
code review that day was active or passive; `m365_usage_period` keeps the prompts and active
days a version-2 Microsoft 365 Copilot export gives per trailing period.
"""

import sqlalchemy as sa
from alembic import op

revision = "0035"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("copilot_user_day") as batch:
        batch.add_column(sa.Column("cli_sessions", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("cli_requests", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("cli_prompts", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("code_review", sa.String(length=8), nullable=True))
    op.create_table(
        "m365_usage_period",
        sa.Column("refresh_date", sa.Date(), nullable=False),
        sa.Column("upn", sa.String(length=320), nullable=False),
        sa.Column("period_days", sa.Integer(), nullable=False),
        sa.Column("prompts", sa.Integer(), nullable=True),
        sa.Column("chat_work_prompts", sa.Integer(), nullable=True),
        sa.Column("chat_web_prompts", sa.Integer(), nullable=True),
        sa.Column("active_days", sa.Integer(), nullable=True),
        sa.Column("import_run_id", sa.Integer(), nullable=False),
        sa.Column("source_row", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_run_id"],
            ["import_run.id"],
            name=op.f("fk_m365_usage_period_import_run_id_import_run"),
        ),
        sa.PrimaryKeyConstraint(
            "refresh_date", "upn", "period_days", name=op.f("pk_m365_usage_period")
        ),
    )
    op.create_index(
        op.f("ix_m365_usage_period_import_run_id"),
        "m365_usage_period",
        ["import_run_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_m365_usage_period_import_run_id"), table_name="m365_usage_period")
    op.drop_table("m365_usage_period")
    with op.batch_alter_table("copilot_user_day") as batch:
        batch.drop_column("code_review")
        batch.drop_column("cli_prompts")
        batch.drop_column("cli_requests")
        batch.drop_column("cli_sessions")
