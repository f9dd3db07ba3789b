"""What leaves the sync capability: connection views (never a secret) and sync outcomes."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, Field, SecretStr, model_validator

GITHUB_API = "https://api.github.com"


class ConnectionKind(StrEnum):
    """Sources that can be connected; Microsoft 365 and Jira Cloud are not built yet."""

    COPILOT = "copilot"
    ZENDESK = "zendesk"


class ConnectionIn(BaseModel):
    """A new connection. The token is a `SecretStr`: its repr and any dump show asterisks."""

    kind: ConnectionKind = ConnectionKind.COPILOT
    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    org: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    """The organisation's login, as in github.com/<org> (Zendesk: the subdomain)."""
    base_url: str = Field(
        default="https://api.github.com", max_length=500, pattern=r"^https?://[^\s?#]+$"
    )
    interval_minutes: int = Field(default=1440, ge=15, le=10080)
    token: SecretStr = Field(min_length=1, max_length=2000)
    email: str | None = Field(default=None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    """Zendesk: the agent whose API token `token` is (Basic auth); None for an OAuth token."""

    @model_validator(mode="after")
    def _zendesk_host(self) -> ConnectionIn:
        """A Zendesk connection's API root is its subdomain's unless one was given."""
        if self.kind == ConnectionKind.ZENDESK and self.base_url == GITHUB_API:
            self.base_url = f"https://{self.org}.zendesk.com"
        return self


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
