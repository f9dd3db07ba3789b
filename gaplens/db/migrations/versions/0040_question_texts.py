"""custom questions: their wording per language

Revision ID: 0040
Revises: 0031
Create Date: 2026-12-07

A custom question's text in other languages than its default, as {"de": "...", ...}; the
respondent pages show the one for the page's language and fall back to `text`. Answers stay
language-free values, so nothing else changes.
"""

import sqlalchemy as sa
from alembic import op

revision = "0040"
down_revision = "0039"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("bank_question", sa.Column("texts", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bank_question") as batch:
        batch.drop_column("texts")
