"""Reading connections as views: no query here returns a credential."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.sync.models import Connection
from gaplens.sync.schemas import ConnectionView


def view_of(connection: Connection) -> ConnectionView:
    state = json.loads(connection.state or "{}")
    return ConnectionView(
        id=connection.id,
        kind=connection.kind,
        name=connection.name,
        base_url=connection.base_url,
        org=connection.org,
        interval_minutes=connection.interval_minutes,
        cursors={str(k): str(v) for k, v in sorted(state.items())},
        last_success=connection.last_success,
        last_error=connection.last_error,
        last_error_at=connection.last_error_at,
        next_due=connection.next_due,
    )


def connection_views(session: Session) -> list[ConnectionView]:
    """Every connection, by name."""
    return [view_of(c) for c in session.scalars(select(Connection).order_by(Connection.name))]
