"""Engines and the session scope: the single place in gaplens that commits."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def _enable_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


_engines: dict[str, Engine] = {}


def get_engine(url: str) -> Engine:
    """One engine per URL per process; SQLite files run in WAL mode with foreign keys on."""
    engine = _engines.get(url)
    if engine is None:
        engine = create_engine(url, pool_pre_ping=not url.startswith("sqlite"))
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _enable_sqlite_pragmas)
        _engines[url] = engine
    return engine


def dispose_engine(url: str) -> None:
    """Close pooled connections, e.g. before a test drops its database or a file is removed."""
    engine = _engines.pop(url, None)
    if engine is not None:
        engine.dispose()


@contextmanager
def session_scope(url: str) -> Iterator[Session]:
    """Services never commit: the caller's scope commits once, or rolls everything back."""
    factory = sessionmaker(bind=get_engine(url), expire_on_commit=False)
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
