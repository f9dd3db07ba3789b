"""drop the per-viewer history of viewed respondent sets

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07

Every figure is now read from a release, the same for every viewer, so nothing is refused
per viewer and the history the old differencing check kept (which staff member saw which
sets of anonymous response ids and hashed person ids) is no longer needed: it goes, and
with it a table that tied staff to sets of contributors.
"""

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("viewed_member")
    with op.batch_alter_table("viewed_set") as batch:
        batch.drop_index(batch.f("ix_viewed_set_viewer"))
        batch.drop_index(batch.f("ix_viewed_set_fingerprint"))
    op.drop_table("viewed_set")


def downgrade() -> None:
    op.create_table(
        "viewed_set",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("viewer", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_viewed_set")),
    )
    with op.batch_alter_table("viewed_set") as batch:
        batch.create_index(batch.f("ix_viewed_set_fingerprint"), ["fingerprint"], unique=False)
        batch.create_index(batch.f("ix_viewed_set_viewer"), ["viewer"], unique=False)
    op.create_table(
        "viewed_member",
        sa.Column("set_id", sa.Integer(), nullable=False),
        sa.Column("member", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["set_id"],
            ["viewed_set.id"],
            name=op.f("fk_viewed_member_set_id_viewed_set"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("set_id", "member", name=op.f("pk_viewed_member")),
    )
