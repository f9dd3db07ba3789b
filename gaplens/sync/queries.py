"""Reading connections as views: no query here returns a credential."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.sync.models import Connection
from gaplens.sync.schemas import ConnectionView
from gaplens.sync.tools import CopilotPremiumUsage


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


@dataclass(frozen=True)
class PremiumUsageRow:
    """One stored line of an account's monthly premium request bill (no person in it)."""

    scope: str
    month: dt.date
    model: str
    gross_quantity: float
    net_quantity: float
    gross_amount: float
    discount_amount: float
    net_amount: float


def premium_usage(session: Session, first: dt.date, last: dt.date) -> list[PremiumUsageRow]:
    """Every stored premium request line of the months that overlap [first, last]."""
    query = (
        select(
            CopilotPremiumUsage.scope,
            CopilotPremiumUsage.month,
            CopilotPremiumUsage.model,
            CopilotPremiumUsage.gross_quantity,
            CopilotPremiumUsage.net_quantity,
            CopilotPremiumUsage.gross_amount,
            CopilotPremiumUsage.discount_amount,
            CopilotPremiumUsage.net_amount,
        )
        .where(CopilotPremiumUsage.month >= first.replace(day=1))
        .where(CopilotPremiumUsage.month <= last)
        .order_by(CopilotPremiumUsage.month, CopilotPremiumUsage.scope, CopilotPremiumUsage.model)
    )
    return [PremiumUsageRow(*row) for row in session.execute(query)]
