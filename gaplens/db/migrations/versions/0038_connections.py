"""connections and Copilot seats: live sync from the tools' APIs

Revision ID: 0038
Revises: 0031
Create Date: 2026-12-07

`connection` holds one source to pull from (credentials as a Fernet token, per-stream cursor,
last success and error, next due); `copilot_seat` the seat assignments GitHub lists.
"""

import sqlalchemy as sa
from alembic import op

revision = "0038"
down_revision = "0035"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "connection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("base_url", sa.String(length=500), nullable=False),
        sa.Column("org", sa.String(length=200), nullable=False),
        sa.Column("credentials", sa.LargeBinary(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("interval_minutes", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_success", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_due", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connection")),
        sa.UniqueConstraint("name", name=op.f("uq_connection_name")),
    )
    op.create_table(
        "copilot_seat",
        sa.Column("org", sa.String(length=200), nullable=False),
        sa.Column("user_login", sa.String(length=100), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_activity_editor", sa.String(length=200), nullable=True),
        sa.Column("pending_cancellation_date", sa.Date(), nullable=True),
        sa.Column("plan_type", sa.String(length=32), nullable=True),
        sa.Column("import_run_id", sa.Integer(), nullable=False),
        sa.Column("source_row", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_run_id"],
            ["import_run.id"],
            name=op.f("fk_copilot_seat_import_run_id_import_run"),
        ),
        sa.PrimaryKeyConstraint("org", "user_login", name=op.f("pk_copilot_seat")),
    )
    op.create_index(
        op.f("ix_copilot_seat_import_run_id"), "copilot_seat", ["import_run_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_copilot_seat_import_run_id"), table_name="copilot_seat")
    op.drop_table("copilot_seat")
    op.drop_table("connection")
