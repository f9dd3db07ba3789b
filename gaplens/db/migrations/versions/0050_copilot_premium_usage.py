"""copilot_premium_usage: GitHub's premium request usage per month, product, SKU and model

Revision ID: 0050
Revises: 0049
Create Date: 2026-12-07

A Copilot connection pulls the billing report of premium requests (docs/sync.md) for its
organisation or enterprise, without a user filter; the cost section shows the measured spend
beside the seat prices (docs/report-json.md).
"""

import sqlalchemy as sa
from alembic import op

revision = "0050"
down_revision = "0049"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "copilot_premium_usage",
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("product", sa.String(length=100), nullable=False),
        sa.Column("sku", sa.String(length=200), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("unit_type", sa.String(length=50), nullable=False),
        sa.Column("price_per_unit", sa.Float(), nullable=False),
        sa.Column("gross_quantity", sa.Float(), nullable=False),
        sa.Column("gross_amount", sa.Float(), nullable=False),
        sa.Column("discount_quantity", sa.Float(), nullable=False),
        sa.Column("discount_amount", sa.Float(), nullable=False),
        sa.Column("net_quantity", sa.Float(), nullable=False),
        sa.Column("net_amount", sa.Float(), nullable=False),
        sa.Column("import_run_id", sa.Integer(), nullable=False),
        sa.Column("source_row", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_run_id"],
            ["import_run.id"],
            name=op.f("fk_copilot_premium_usage_import_run_id_import_run"),
        ),
        sa.PrimaryKeyConstraint(
            "scope", "month", "product", "sku", "model", name=op.f("pk_copilot_premium_usage")
        ),
    )
    op.create_index(
        op.f("ix_copilot_premium_usage_import_run_id"),
        "copilot_premium_usage",
        ["import_run_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_copilot_premium_usage_import_run_id"), table_name="copilot_premium_usage"
    )
    op.drop_table("copilot_premium_usage")
