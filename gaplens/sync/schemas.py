"""What leaves the sync capability: connection views (never a secret) and sync outcomes."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, Field, SecretStr


class ConnectionKind(StrEnum):
    """Sources that can be connected; Microsoft 365, Jira Cloud and Zendesk are not built yet."""

    COPILOT = "copilot"
    COPILOT_ENTERPRISE = "copilot-enterprise"
    """GitHub Copilot of a whole enterprise: `org` holds the enterprise's slug."""


class ConnectionIn(BaseModel):
    """A new connection. The token is a `SecretStr`: its repr and any dump show asterisks."""

    kind: ConnectionKind = ConnectionKind.COPILOT
    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    org: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    """The organisation's login, as in github.com/<org> (an enterprise's slug for
    `copilot-enterprise`)."""
    base_url: str = Field(
        default="https://api.github.com", max_length=500, pattern=r"^https?://[^\s?#]+$"
    )
    interval_minutes: int = Field(default=1440, ge=15, le=10080)
    token: SecretStr = Field(min_length=1, max_length=2000)


class ConnectionView(BaseModel):
    """A connection as admins see it: where it points and how its syncs went."""

    id: int
    kind: str
    name: str
    base_url: str
    org: str
    interval_minutes: int
    cursors: dict[str, str]
    """Per stream, the last day (or pull) stored."""
    last_success: dt.datetime | None
    last_error: str | None
    last_error_at: dt.datetime | None
    next_due: dt.datetime | None


class SyncOutcome(BaseModel):
    """What one connection's sync did, in words for the CLI, the log and the admin page."""

    name: str
    kind: str
    ok: bool
    units_stored: int
    notes: list[str]
    error: str | None = None
    releases: list[str] = Field(default_factory=list)

    def describe(self) -> str:
        head = f"{self.name} ({self.kind}): "
        head += "ok" if self.ok else f"FAILED: {self.error}"
        lines = [head, *(f"  {note}" for note in self.notes)]
        lines += [f"  release: {line}" for line in self.releases]
        return "\n".join(lines)
