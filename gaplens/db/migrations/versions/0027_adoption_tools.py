"""adoption release members record the AI tools they hold

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-08

An adoption release now also publishes, per tool, how many licensed persons hold it (over
unions of whole classes, like trained and certified); each member row keeps the tools the
person counted as holding, for the auditor. Members of releases built before keep none
(NULL): those months read as "tool mix not released".
"""

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("adoption_release_member") as batch:
        batch.add_column(sa.Column("tools", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("adoption_release_member") as batch:
        batch.drop_column("tools")
