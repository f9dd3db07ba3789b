"""Web settings from the environment, read once when the app is built."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from gaplens.accounts.sso import OidcSettings, oidc_settings_from, password_login_from
from gaplens.config import BASE_URL_ENV, base_url_from, database_url
from gaplens.errors import InputError
from gaplens.i18n import DEFAULT_LANGUAGE, DEFAULT_LANGUAGE_ENV, organisation_language
from gaplens.web.schedule import (
    DEFAULT_MAIL_SCHEDULE,
    DEFAULT_RELEASE_SCHEDULE,
    DEFAULT_SYNC_SCHEDULE,
    OFF,
)

MAX_BODY_BYTES = 64 * 1024
MAX_IMPORT_BYTES = 2 * 1024**3
UPLOAD_PREFIX = "/api/v1/admin/imports/"
"""Tool exports are uploaded here: streamed to a temporary file, never held in memory, and
only after the admin's session has been checked."""


@dataclass(frozen=True)
class WebSettings:
    database_url: str
    secure_cookies: bool
    """Send cookies only over HTTPS; on by default, off for plain-HTTP local use."""
    slack_signing_secret: str | None
    max_body_bytes: int = MAX_BODY_BYTES
    feedback_per_hour: int = 20
    """Anonymous feedback submissions per client per hour (counted by a keyed hash)."""
    responses_per_hour: int = 30
    """Survey answers per client per hour: several people may share one office address."""
    max_import_bytes: int = MAX_IMPORT_BYTES
    allowed_origins: tuple[str, ...] = ()
    """Origins besides the request's own (e.g. "https://gaplens.example.com" behind a proxy
    that rewrites Host) from which browsers may send state-changing requests."""
    release_schedule: str = OFF
    """When the server builds releases itself (`gaplens/web/schedule.py`). Off unless set:
    `from_environment` (what `gaplens serve` uses) turns it on, every hour at minute 5."""
    mail_schedule: str = OFF
    """When the server sends the mail rounds due (docs/mail.md). Off unless set:
    `from_environment` turns it on (every 15 minutes) when SMTP or Slack is configured."""

    sync_schedule: str = OFF
    """How often the server looks for connections due a sync (each has its own interval);
    off unless set: `from_environment` turns it on, every 5 minutes."""
    oidc: OidcSettings | None = None
    """Single sign-on through one OpenID provider (`GAPLENS_OIDC_*`, docs/sso.md)."""
    sso_starts_per_hour: int = 300
    """Single sign-ins started per client address per hour (an office shares one address)."""
    password_login: bool = True
    """False (`GAPLENS_PASSWORD_LOGIN=off`): staff sign in only through the provider."""
    teams_security_tokens: tuple[str, ...] = field(default=(), repr=False)
    """The Teams outgoing webhooks' security tokens (`GAPLENS_TEAMS_SECURITY_TOKENS`, comma
    separated: one per webhook, or old and new while replacing one); never in a repr or log."""
    teams_tenant_ids: tuple[str, ...] = ()
    """When set (`GAPLENS_TEAMS_TENANT_IDS`), only activities from these tenants are taken."""
    default_language: str = DEFAULT_LANGUAGE
    """The organisation's language (`GAPLENS_DEFAULT_LANGUAGE`): Slack's slash command carries
    no language, so its replies are in this one."""
    base_url: str | None = None
    """Where gaplens is served (`GAPLENS_BASE_URL`), for links in chat replies; unset, the
    request's own address."""

    @classmethod
    def from_environment(cls, db: str | None = None) -> WebSettings:
        oidc = oidc_settings_from(os.environ)
        return cls(
            database_url=database_url(db),
            secure_cookies=os.environ.get("GAPLENS_INSECURE_COOKIES", "") not in ("1", "true"),
            slack_signing_secret=os.environ.get("GAPLENS_SLACK_SIGNING_SECRET") or None,
            responses_per_hour=int(os.environ.get("GAPLENS_RESPONSES_PER_HOUR", "30")),
            max_import_bytes=int(os.environ.get("GAPLENS_MAX_IMPORT_BYTES", MAX_IMPORT_BYTES)),
            release_schedule=os.environ.get("GAPLENS_RELEASE_SCHEDULE", DEFAULT_RELEASE_SCHEDULE),
            sync_schedule=os.environ.get("GAPLENS_SYNC_SCHEDULE", DEFAULT_SYNC_SCHEDULE),
            mail_schedule=os.environ.get(
                "GAPLENS_MAIL_SCHEDULE",
                DEFAULT_MAIL_SCHEDULE
                if os.environ.get("GAPLENS_SMTP_HOST") or os.environ.get("GAPLENS_SLACK_BOT_TOKEN")
                else OFF,
            ),
            allowed_origins=tuple(
                origin.strip()
                for origin in os.environ.get("GAPLENS_ALLOWED_ORIGINS", "").split(",")
                if origin.strip()
            ),
            oidc=oidc,
            password_login=password_login_from(os.environ, oidc),
            teams_security_tokens=_listed(os.environ.get("GAPLENS_TEAMS_SECURITY_TOKENS", "")),
            teams_tenant_ids=_listed(os.environ.get("GAPLENS_TEAMS_TENANT_IDS", "")),
            default_language=_default_language(),
            base_url=_base_url(),
        )


def _default_language() -> str:
    try:
        return organisation_language(os.environ)
    except ValueError as error:
        raise InputError.single(str(error), column=DEFAULT_LANGUAGE_ENV) from None


def _base_url() -> str | None:
    try:
        return base_url_from(os.environ)
    except ValueError as error:
        raise InputError.single(str(error), column=BASE_URL_ENV) from None


def _listed(value: str) -> tuple[str, ...]:
    """Comma-separated values, blanks dropped (base64 tokens and tenant ids have no comma)."""
    return tuple(item.strip() for item in value.split(",") if item.strip())
