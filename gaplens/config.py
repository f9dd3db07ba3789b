"""Settings read once from the environment, so every adapter agrees on them."""

from __future__ import annotations

import os
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
