"""The spent-link table: a keyed tag, the primary key, and no other column."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from gaplens.db.base import Base


class SpentLink(Base):
    """One used single-use link (survey invitation, reflection link or task-map invitation).

    No kind, survey, day or id: the tag alone, HMAC-SHA256 under the server's key of the
    kind and the link's token hash. On SQLite the table is `WITHOUT ROWID`, so the file
    keeps tags in tag order, not in the order links were used.
    """

    __tablename__ = "spent_link"
    __table_args__ = ({"sqlite_with_rowid": False},)

    tag: Mapped[str] = mapped_column(String(64), primary_key=True)
