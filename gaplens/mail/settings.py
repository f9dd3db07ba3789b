"""Mail and Slack settings from the environment; a bad value is an error naming its variable."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from gaplens.config import BASE_URL_ENV, base_url_from
from gaplens.errors import InputError
from gaplens.i18n import DEFAULT_LANGUAGE, DEFAULT_LANGUAGE_ENV, organisation_language

Security = Literal["starttls", "tls", "none"]
SECURITIES: tuple[Security, ...] = ("starttls", "tls", "none")
DEFAULT_PORTS: dict[Security, int] = {"starttls": 587, "tls": 465, "none": 25}


def _problem(variable: str, message: str) -> InputError:
    """Every message names its variable already (`variable` documents which it is)."""
    del variable
    return InputError.single(message)


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _problem(name, f"{name}={raw!r} is not a whole number") from None
    if not low <= value <= high:
        raise _problem(name, f"{name}={value} must be between {low} and {high}")
    return value


def _float(env: Mapping[str, str], name: str, default: float, high: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise _problem(name, f"{name}={raw!r} is not a number of seconds") from None
    if not 0 <= value <= high:
        raise _problem(name, f"{name}={value} must be between 0 and {high} seconds")
    return value


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: Security
    sender: str
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None
    """A private CA to trust besides the system's (a relay with an internal certificate)."""
    timeout: float = 30.0

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> SmtpSettings | None:
        """None when `GAPLENS_SMTP_HOST` is unset (email is then not a channel)."""
        env = os.environ if env is None else env
        host = env.get("GAPLENS_SMTP_HOST", "").strip()
        if not host:
            return None
        security = env.get("GAPLENS_SMTP_SECURITY", "starttls").strip().lower()
        if security not in SECURITIES:
            raise _problem(
                "GAPLENS_SMTP_SECURITY",
                f"GAPLENS_SMTP_SECURITY={security!r} must be starttls, tls or none",
            )
        sec: Security = security
        sender = env.get("GAPLENS_SMTP_FROM", "").strip()
        if "@" not in sender:
            raise _problem(
                "GAPLENS_SMTP_FROM",
                "GAPLENS_SMTP_FROM must be the sending address, "
                "e.g. 'gaplens <ai-pulse@example.com>'",
            )
        password = env.get("GAPLENS_SMTP_PASSWORD") or None
        password_file = env.get("GAPLENS_SMTP_PASSWORD_FILE", "").strip()
        if password_file:
            try:
                password = Path(password_file).read_text(encoding="utf-8").strip()
            except OSError as error:
                raise _problem(
                    "GAPLENS_SMTP_PASSWORD_FILE", f"cannot read {password_file}: {error.strerror}"
                ) from None
        username = env.get("GAPLENS_SMTP_USERNAME", "").strip() or None
        if password and not username:
            raise _problem(
                "GAPLENS_SMTP_USERNAME", "a password is set but GAPLENS_SMTP_USERNAME is not"
            )
        if username and sec == "none":
            raise _problem(
                "GAPLENS_SMTP_SECURITY",
                "GAPLENS_SMTP_SECURITY=none would send the password in clear: use starttls or tls",
            )
        ca_file = env.get("GAPLENS_SMTP_CA_FILE", "").strip() or None
        if ca_file and not Path(ca_file).is_file():
            raise _problem("GAPLENS_SMTP_CA_FILE", f"GAPLENS_SMTP_CA_FILE {ca_file} does not exist")
        return cls(
            host=host,
            port=_int(env, "GAPLENS_SMTP_PORT", DEFAULT_PORTS[sec], 1, 65535),
            security=sec,
            sender=sender,
            username=username,
            password=password,
            ca_file=ca_file,
            timeout=_float(env, "GAPLENS_SMTP_TIMEOUT", 30.0, 600.0),
        )


@dataclass(frozen=True)
class SlackSettings:
    token: str
    api_url: str = "https://slack.com/api"
    timeout: float = 30.0

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> SlackSettings | None:
        """None when `GAPLENS_SLACK_BOT_TOKEN` is unset (Slack is then not a channel)."""
        env = os.environ if env is None else env
        token = env.get("GAPLENS_SLACK_BOT_TOKEN", "").strip()
        if not token:
            return None
        if not token.startswith("xox"):
            raise _problem(
                "GAPLENS_SLACK_BOT_TOKEN",
                "GAPLENS_SLACK_BOT_TOKEN must be the app's bot token (xoxb-...)",
            )
        api_url = env.get("GAPLENS_SLACK_API_URL", "").strip() or "https://slack.com/api"
        if not api_url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise _problem("GAPLENS_SLACK_API_URL", "GAPLENS_SLACK_API_URL must be https://")
        return cls(token=token, api_url=api_url.rstrip("/"))


@dataclass(frozen=True)
class SendingSettings:
    """How fast and how stubbornly to send, and where the links point."""

    base_url: str = "http://127.0.0.1:8000"
    per_minute: int = 60
    """Messages per minute at most (relays limit senders: Exchange Online 30/min per mailbox)."""
    attempts: int = 3
    """Tries per message for a temporary failure (4xx, the server unreachable)."""
    retry_seconds: float = 5.0
    """Wait before the second try; doubled before each further one."""
    default_language: str = DEFAULT_LANGUAGE
    """What a person whose directory entry names no language gaplens has is written in."""

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> SendingSettings:
        env = os.environ if env is None else env
        try:
            base_url = base_url_from(env) or cls.base_url
        except ValueError as error:
            raise _problem(BASE_URL_ENV, str(error)) from None
        return cls(
            base_url=base_url,
            per_minute=_int(env, "GAPLENS_MAIL_PER_MINUTE", 60, 1, 6000),
            attempts=_int(env, "GAPLENS_MAIL_ATTEMPTS", 3, 1, 10),
            retry_seconds=_float(env, "GAPLENS_MAIL_RETRY_SECONDS", 5.0, 3600.0),
            default_language=_language(env),
        )


def _language(env: Mapping[str, str]) -> str:
    try:
        return organisation_language(env)
    except ValueError as error:
        raise _problem(DEFAULT_LANGUAGE_ENV, str(error)) from None
