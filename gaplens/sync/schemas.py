"""What leaves the sync capability: connection views (never a secret) and sync outcomes."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, Field, SecretStr, model_validator

from gaplens.sync.jira import parse_projects


class ConnectionKind(StrEnum):
    """Sources that can be connected."""

    COPILOT = "copilot"
    COPILOT_ENTERPRISE = "copilot-enterprise"
    """GitHub Copilot of a whole enterprise: `org` holds the enterprise's slug."""
    JIRA = "jira"
    M365 = "m365"
    """Microsoft 365 Copilot through Microsoft Graph (`org` is the tenant)."""
    ZENDESK = "zendesk"
    """Zendesk Support's incremental ticket export (`org` is the subdomain)."""
    CURSOR = "cursor"
    """Cursor's Admin API daily usage (`org` is a label for the team the key belongs to)."""
    CLAUDE_CODE = "claude-code"
    """Claude Code analytics of the Anthropic Admin API (`org`: a label for the organisation)."""


GITHUB_API = "https://api.github.com"
GRAPH_API = "https://graph.microsoft.com/v1.0"
ENTRA_AUTHORITY = "https://login.microsoftonline.com"
CURSOR_API = "https://api.cursor.com"
ANTHROPIC_API = "https://api.anthropic.com"
DEFAULT_ROOTS = {"cursor": CURSOR_API, "claude-code": ANTHROPIC_API}
"""API roots of kinds whose root is the vendor's own (the default `base_url` is GitHub's)."""


class ConnectionIn(BaseModel):
    """A new connection. The token is a `SecretStr`: its repr and any dump show asterisks."""

    kind: ConnectionKind = ConnectionKind.COPILOT
    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    org: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9._,-]*$")
    """The organisation's login, as in github.com/<org> (an enterprise's
    slug for `copilot-enterprise`); for Jira, the project keys `KEY,KEY`;
    for Microsoft 365, the tenant; for Zendesk, the subdomain; for Cursor and Claude Code a
    label of the team or organisation (the admin key alone decides whose data it is)."""
    base_url: str = Field(default=GITHUB_API, max_length=500, pattern=r"^https?://[^\s?#]+$")
    interval_minutes: int = Field(default=1440, ge=15, le=10080)
    token: SecretStr = Field(min_length=1, max_length=2000)
    """GitHub: the token. Jira: the API token. Microsoft 365: the app's client secret.
    Cursor and Claude Code: the admin API key."""
    email: str | None = Field(default=None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    """Jira: the Atlassian account's email, sent with the API token (Basic auth). Zendesk: the
    agent whose API token `token` is (Basic auth); None for an OAuth token (Bearer)."""
    client_id: str = Field(default="", max_length=100, pattern=r"^[A-Za-z0-9._-]*$")
    """Microsoft 365: the app registration's application (client) id."""
    authority: str = Field(default="", max_length=500, pattern=r"^(https?://[^\s?#]+)?$")
    """Microsoft 365: where tokens are asked for (default login.microsoftonline.com)."""

    @model_validator(mode="after")
    def _fits_its_kind(self) -> ConnectionIn:
        """What each kind needs: Jira its site, an email and project keys; Microsoft 365 a
        client id (its API root defaults to Graph v1.0); an organisation has no comma."""
        if self.kind == ConnectionKind.JIRA:
            if not self.email:
                raise ValueError("a Jira connection needs the account's email")
            if GITHUB_API.removeprefix("https://") in self.base_url:
                raise ValueError(
                    "a Jira connection needs its site, like https://acme.atlassian.net"
                )
            self.org = ",".join(parse_projects(self.org))
            return self
        if "," in self.org:
            raise ValueError("org: one organisation login or tenant (no comma)")
        if self.kind == ConnectionKind.M365:
            if not self.client_id:
                raise ValueError("a Microsoft 365 connection needs the app's client id")
            if self.base_url.rstrip("/") in ("", GITHUB_API):
                self.base_url = GRAPH_API
            self.authority = self.authority.rstrip("/") or ENTRA_AUTHORITY
        if self.kind.value in DEFAULT_ROOTS and self.base_url.rstrip("/") == GITHUB_API:
            self.base_url = DEFAULT_ROOTS[self.kind.value]
        if self.kind == ConnectionKind.ZENDESK and self.base_url.rstrip("/") == GITHUB_API:
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
