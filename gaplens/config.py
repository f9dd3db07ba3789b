"""Settings read once from the environment, so every adapter agrees on them."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_DATABASE_URL = "sqlite:///gaplens.db"
DATABASE_URL_ENV = "GAPLENS_DATABASE_URL"


@dataclass(frozen=True)
class Settings:
    database_url: str


def database_url(explicit: str | None = None) -> str:
    """An explicit `--db` wins over the environment, which wins over the local SQLite file."""
    if explicit:
        return normalise_database_url(explicit)
    return normalise_database_url(os.environ.get(DATABASE_URL_ENV) or DEFAULT_DATABASE_URL)


def normalise_database_url(url: str) -> str:
    """Accept a bare file path or `postgresql://` and turn it into the URL SQLAlchemy needs."""
    if "://" not in url:
        return f"sqlite:///{url}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


BASE_URL_ENV = "GAPLENS_BASE_URL"


def base_url_from(env: Mapping[str, str]) -> str | None:
    """Where gaplens is served (`GAPLENS_BASE_URL`), for the links mail and chat replies
    carry: without its trailing slash, None when unset, a ValueError naming the variable when
    it is not an http(s) address."""
    value = env.get(BASE_URL_ENV, "").strip()
    if not value:
        return None
    if not value.startswith(("http://", "https://")):
        raise ValueError(f"{BASE_URL_ENV} must start with https://, not {value!r}")
    return value.rstrip("/")


SUSTAINED_WEEKS_ENV = "GAPLENS_ADOPTION_WEEKS"
SUSTAINED_DAYS_ENV = "GAPLENS_ADOPTION_DAYS_PER_WEEK"


@dataclass(frozen=True)
class SustainedUseRule:
    """When AI use counts as adoption, for people the directory gives no adoption date:
    `weeks` consecutive calendar weeks with at least `days_per_week` active days each
    (gaplens/stats/sustained_use.py). Defaults: 3 weeks of at least 1 day."""

    weeks: int = 3
    days_per_week: int = 1

    def __post_init__(self) -> None:
        if self.weeks < 1:
            raise ValueError(f"{SUSTAINED_WEEKS_ENV} must be at least 1, got {self.weeks}")
        if not 1 <= self.days_per_week <= 7:
            raise ValueError(
                f"{SUSTAINED_DAYS_ENV} must be between 1 and 7, got {self.days_per_week}"
            )

    @property
    def text(self) -> str:
        """The rule in words, for the report."""
        days = "1 day" if self.days_per_week == 1 else f"{self.days_per_week} days"
        return f"{self.weeks} weeks in a row with AI use on at least {days} a week"


def _whole(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from None


def sustained_use_rule() -> SustainedUseRule:
    """The rule from the environment (GAPLENS_ADOPTION_WEEKS, GAPLENS_ADOPTION_DAYS_PER_WEEK),
    else the defaults; a bad value is a ValueError naming the variable."""
    default = SustainedUseRule()
    return SustainedUseRule(
        weeks=_whole(SUSTAINED_WEEKS_ENV, default.weeks),
        days_per_week=_whole(SUSTAINED_DAYS_ENV, default.days_per_week),
    )
