"""The build lease: a row that says a release build is running, and until when."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from gaplens.db.base import Base


class ReleaseBuildLease(Base):
    """Held while one process builds releases, so another (a second server process, a
    scheduled build beside a cron one) skips instead of building the same data twice.

    A lease that outlives its expiry (its process died mid-build) is taken over.
    """

    __tablename__ = "release_build_lease"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
