"""Audit log writes: which staff member viewed or exported which aggregate."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from gaplens.audit.models import AuditEvent


def record(
    session: Session, actor: str, action: str, target: str, detail: dict[str, object] | None = None
) -> None:
    """Staff actions only: who viewed or exported which aggregate, never a respondent."""
    session.add(
        AuditEvent(
            at=dt.datetime.now(dt.UTC), actor=actor, action=action, target=target, detail=detail
        )
    )
