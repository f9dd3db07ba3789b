"""person language: the language a person reads their invitations in

Revision ID: 0049
Revises: 0046
Create Date: 2026-12-07

Invitations, reminders and reflection prompts go out in each person's language (SCIM
`preferredLanguage`, else `locale`; the people CSV's `language` column), falling back to the
organisation's default (docs/mail.md). It is directory data, like the address: nothing that
holds an answer gains a column.
"""

import sqlalchemy as sa
from alembic import op

revision = "0049"
down_revision = "0046"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("person") as batch:
        batch.add_column(sa.Column("language", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("person") as batch:
        batch.drop_column("language")
