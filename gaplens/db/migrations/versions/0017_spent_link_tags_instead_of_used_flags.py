"""spent link tags instead of used flags

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-08

Using a single-use link (survey invitation, reflection link, task-map invitation) no longer
sets `used` on the invitation's row, which named the person in the same commit as the
answers. It inserts a tag into `spent_link` instead: HMAC-SHA256 under the server's key
(gaplens.keys, never in the database) of "<kind>:<token hash>". Existing used flags become
tags here, then the columns go. On SQLite the response and answer tables are rebuilt
`WITHOUT ROWID`, so their rows sit in random-id order rather than the order of arrival.

The tag formula is frozen in this file (a migration must not change behaviour when the
application's code does later); the key is the application's, as it must be.
"""

import hashlib
import hmac

import sqlalchemy as sa
from alembic import op

from gaplens.keys import secret_key

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

FLAGGED = (
    ("survey_link", "survey"),
    ("reflection_invitation", "reflection"),
    ("task_link", "task"),
)
ROW_ORDER_TABLES = ("survey_response", "survey_answer", "task_response", "task_answer")
CHUNK = 500


def tag(key: bytes, kind: str, token_hash: str) -> str:
    return hmac.new(key, f"{kind}:{token_hash}".encode(), hashlib.sha256).hexdigest()


def upgrade() -> None:
    bind = op.get_bind()
    op.create_table(
        "spent_link",
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("tag", name=op.f("pk_spent_link")),
        # SQLite: tags are stored in tag order, not in the order links were used.
        sqlite_with_rowid=False,
    )
    spent = sa.table("spent_link", sa.column("tag", sa.String()))
    key: bytes | None = None
    for table_name, kind in FLAGGED:
        table = sa.table(
            table_name, sa.column("token_hash", sa.String()), sa.column("used", sa.Boolean())
        )
        hashes = bind.scalars(
            sa.select(table.c.token_hash).where(
                table.c.used.is_(True), table.c.token_hash.is_not(None)
            )
        ).all()
        if hashes:
            key = key or secret_key()
            tags = sorted({tag(key, kind, h) for h in hashes})
            for start in range(0, len(tags), CHUNK):
                bind.execute(spent.insert(), [{"tag": t} for t in tags[start : start + CHUNK]])
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            batch_op.drop_column("used")
    if bind.dialect.name == "sqlite":
        _refuse_with_foreign_keys_on(bind)
        for table_name in ROW_ORDER_TABLES:
            with op.batch_alter_table(
                table_name, recreate="always", table_kwargs={"sqlite_with_rowid": False}
            ):
                pass


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _refuse_with_foreign_keys_on(bind)
        for table_name in ROW_ORDER_TABLES:
            with op.batch_alter_table(
                table_name, recreate="always", table_kwargs={"sqlite_with_rowid": True}
            ):
                pass
    spent = sa.table("spent_link", sa.column("tag", sa.String()))
    stored = set(bind.scalars(sa.select(spent.c.tag)))
    key = secret_key() if stored else b""
    for table_name, kind in FLAGGED:
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("used", sa.Boolean(), nullable=False, server_default=sa.false())
            )
        table = sa.table(
            table_name, sa.column("token_hash", sa.String()), sa.column("used", sa.Boolean())
        )
        hashes = bind.scalars(sa.select(table.c.token_hash).where(table.c.token_hash.is_not(None)))
        used = sorted(h for h in hashes if stored and tag(key, kind, h) in stored)
        for start in range(0, len(used), CHUNK):
            bind.execute(
                table.update()
                .where(table.c.token_hash.in_(used[start : start + CHUNK]))
                .values(used=True)
            )
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            batch_op.alter_column("used", server_default=None)
    op.drop_table("spent_link")


def _refuse_with_foreign_keys_on(bind: sa.Connection) -> None:
    """Rebuilding a table drops the old one, which with foreign keys on would cascade-delete
    the answers of every response; gaplens runs migrations on a connection without them."""
    if bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError("run this migration with SQLite foreign keys off (gaplens db upgrade)")
