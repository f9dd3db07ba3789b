"""scim: bearer tokens for provisioning; a person's active flag, external ids

Revision ID: 0042
Revises: 0038
Create Date: 2026-12-07

An identity provider keeps the directory current through SCIM (docs/scim.md): it holds a
token an admin issued (only its hash is stored), and it deactivates people rather than
deleting them, so `person.active` says who still gets invitations while history stays.
"""

import sqlalchemy as sa
from alembic import op

revision = "0042"
down_revision = "0041"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scim_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scim_token")),
        sa.UniqueConstraint("name", name=op.f("uq_scim_token_name")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_scim_token_token_hash")),
    )
    with op.batch_alter_table("person") as batch:
        batch.add_column(
            sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch.add_column(sa.Column("external_id", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("user_name", sa.String(length=320), nullable=True))
        batch.create_unique_constraint(op.f("uq_person_user_name"), ["user_name"])
    with op.batch_alter_table("team") as batch:
        batch.add_column(sa.Column("external_id", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("team") as batch:
        batch.drop_column("external_id")
    with op.batch_alter_table("person") as batch:
        batch.drop_constraint(op.f("uq_person_user_name"), type_="unique")
        batch.drop_column("user_name")
        batch.drop_column("external_id")
        batch.drop_column("active")
    op.drop_table("scim_token")
