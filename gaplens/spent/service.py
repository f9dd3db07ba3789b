"""Spending a link inside the answer's transaction, and asking whether links were spent."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from gaplens.keys import keyed_tag, secret_key
from gaplens.spent.models import SpentLink

Kind = Literal["survey", "reflection", "task"]
SURVEY: Kind = "survey"
REFLECTION: Kind = "reflection"
TASK: Kind = "task"
CHUNK = 500


def spent_tag(kind: Kind, token_hash: str, key: bytes | None = None) -> str:
    """The tag stored when the link with this token hash is used (domain-separated by kind)."""
    return keyed_tag(kind, token_hash, key)


def spend(connection: Connection | Session, kind: Kind, token_hash: str) -> bool:
    """Record the link as used, in the caller's transaction; False if it already was.

    `INSERT ... ON CONFLICT DO NOTHING RETURNING tag` (a row back means it was inserted) on
    the primary key: of two concurrent transactions
    spending one link, the second waits for the first and then inserts nothing (PostgreSQL),
    or cannot start writing until the first has committed (SQLite), so exactly one succeeds.
    """
    bind = connection.get_bind() if isinstance(connection, Session) else connection
    dialect = postgresql if bind.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(SpentLink)
        .values(tag=spent_tag(kind, token_hash))
        .on_conflict_do_nothing(index_elements=["tag"])
        .returning(SpentLink.tag)
    )
    return connection.execute(statement).first() is not None


def is_spent(connection: Connection | Session, kind: Kind, token_hash: str) -> bool:
    tag = spent_tag(kind, token_hash)
    return connection.execute(select(SpentLink.tag).where(SpentLink.tag == tag)).first() is not None


def spent_among(
    connection: Connection | Session, kind: Kind, token_hashes: Iterable[str | None]
) -> set[str]:
    """The token hashes, of those given, whose links were used (tags computed in memory)."""
    key = secret_key()
    by_tag = {spent_tag(kind, h, key): h for h in token_hashes if h}
    tags = sorted(by_tag)
    found: set[str] = set()
    for start in range(0, len(tags), CHUNK):
        chunk = tags[start : start + CHUNK]
        found.update(connection.scalars(select(SpentLink.tag).where(SpentLink.tag.in_(chunk))))
    return {by_tag[tag] for tag in found}
