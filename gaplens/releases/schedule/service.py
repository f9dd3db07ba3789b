"""One release build at a time, in its own transaction, whoever starts it.

The web server's scheduler (`gaplens/web/schedule.py`) and `gaplens release build` both run
`build_all` through `guarded_build`: it first takes the build lease, a row with a primary key
(`release_build_lease`), in a short transaction of its own. A second process that tries
meanwhile gets a unique-key conflict and skips; SQLite and PostgreSQL both decide that
conflict inside the database, so it holds across processes and machines. A process that
dies mid-build leaves a lease that expires and is then taken over.

What it logs names data sets and says whether they gained a release, never a figure or a
count: a log line must not say how many answered, let alone a small group's size.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from gaplens.db.engine import session_scope
from gaplens.privacy.policy import PrivacyPolicy
from gaplens.releases.schedule.models import ReleaseBuildLease
from gaplens.releases.service import BuildOutcome, build_all

log = logging.getLogger("gaplens.releases.schedule")

LEASE = "release-build"
LEASE_SECONDS = 3600
"""Longer than any build (100,000 people build in minutes, bench/RESULTS.md); a lease left
by a crashed process blocks builds for at most this long."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def take_lease(url: str, holder: str, *, seconds: int = LEASE_SECONDS) -> bool:
    """Take the build lease for `holder` (committed at once), or say it is held elsewhere."""
    now = _now()
    try:
        with session_scope(url) as session:
            # An expired lease is a dead process's: remove it, then claim the key.
            session.execute(
                delete(ReleaseBuildLease).where(
                    ReleaseBuildLease.name == LEASE, ReleaseBuildLease.expires_at < now
                )
            )
            session.add(
                ReleaseBuildLease(
                    name=LEASE, holder=holder, expires_at=now + dt.timedelta(seconds=seconds)
                )
            )
            session.flush()
    except IntegrityError:
        return False
    return True


def give_back_lease(url: str, holder: str) -> None:
    with session_scope(url) as session:
        session.execute(
            delete(ReleaseBuildLease).where(
                ReleaseBuildLease.name == LEASE, ReleaseBuildLease.holder == holder
            )
        )


@contextmanager
def build_lease(url: str, *, seconds: int = LEASE_SECONDS) -> Iterator[bool]:
    """True inside if this process holds the lease (given back on the way out), else False."""
    holder = secrets.token_hex(16)
    held = take_lease(url, holder, seconds=seconds)
    try:
        yield held
    finally:
        if held:
            give_back_lease(url, holder)


@dataclass(frozen=True)
class GuardedBuild:
    """What a guarded build did, without a figure: which data sets gained a release."""

    ran: bool
    """False: another build held the lease, so this one did nothing."""
    outcomes: tuple[tuple[str, BuildOutcome], ...] = ()

    @property
    def released(self) -> tuple[str, ...]:
        return tuple(name for name, outcome in self.outcomes if outcome.release is not None)

    def log_line(self) -> str:
        """For the server log: names only (no counts, no figures, no reasons with a k)."""
        if not self.ran:
            return "release build skipped: another build is running"
        unchanged = len(self.outcomes) - len(self.released)
        released = ", ".join(self.released) if self.released else "none"
        return f"release build done: new releases for {released}; {unchanged} unchanged"


def guarded_build(url: str, policy: PrivacyPolicy, *, today: dt.date | None = None) -> GuardedBuild:
    """`build_all` in its own transaction, only if no other build is running."""
    with build_lease(url) as held:
        if not held:
            return GuardedBuild(ran=False)
        with session_scope(url) as session:
            return GuardedBuild(True, tuple(build_all(session, policy, today=today)))


def scheduled_build(url: str, policy: PrivacyPolicy) -> GuardedBuild | None:
    """The job the web server's scheduler runs: a guarded build, its outcome logged.

    A failure is logged by its type only (a database error's text can carry row values) and
    never raised into the scheduler, so the next run still happens."""
    try:
        result = guarded_build(url, policy)
    except Exception as error:
        log.error("release build failed: %s", type(error).__name__)
        return None
    log.info(result.log_line())
    return result
