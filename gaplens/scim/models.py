"""SCIM bearer tokens. Only a hash of each token is stored; the token is shown once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from gaplens.db.base import Base


class ScimToken(Base):
    """A token an admin issued to one identity provider; revoking deletes the row."""

    __tablename__ = "scim_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
