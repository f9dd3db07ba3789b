"""single sign-on: staff accounts linked to an OpenID provider's subject; logins under way

Revision ID: 0039
Revises: 0031
Create Date: 2026-12-07

`staff_user` gains the provider's issuer and subject (unique together; empty for password
accounts), and `sso_login` holds each sign-in under way (state, nonce, PKCE verifier).
"""

import sqlalchemy as sa
from alembic import op

revision = "0039"
down_revision = "0038"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sso_issuer", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("sso_subject", sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint("uq_staff_user_sso_issuer", ["sso_issuer", "sso_subject"])
    op.create_table(
        "sso_login",
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=128), nullable=False),
        sa.Column("nonce", sa.String(length=128), nullable=False),
        sa.Column("code_verifier", sa.String(length=128), nullable=False),
        sa.Column("next", sa.String(length=500), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key_hash", name=op.f("pk_sso_login")),
    )
    with op.batch_alter_table("sso_login", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sso_login_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sso_login", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sso_login_expires_at"))
    op.drop_table("sso_login")
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.drop_constraint("uq_staff_user_sso_issuer", type_="unique")
        batch_op.drop_column("sso_subject")
        batch_op.drop_column("sso_issuer")
