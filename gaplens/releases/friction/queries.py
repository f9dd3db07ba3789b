"""Reading the friction release: every figure is a sum of the classes inside its cell.

Nothing here reads a friction entry. A view asks for whole weeks (and maybe a team and its
subteams); a class counts in it only if its whole period lies inside and its team is inside
the scope, so any two views differ by whole classes of at least k entries, never by one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.releases.feedback.periods import Period
from gaplens.releases.friction.models import FrictionReleaseClass
from gaplens.releases.friction.service import DATASET
from gaplens.releases.models import Release


@dataclass(frozen=True)
class FrictionClass:
    use_case: str | None
    label: str | None
    team: int | None
    period: Period
    n: int
    outcomes: tuple[int, ...]
    corrected: int
    minutes_lost: int | None
    minutes_saved: int | None


@dataclass(frozen=True)
class Sums:
    """A cell's figures: sums over its classes (minutes over the classes that publish them)."""

    n: int = 0
    corrected: int = 0
    lost: int = 0
    lost_n: int = 0
    saved: int = 0
    saved_n: int = 0
    net_sum: int = 0
    net_n: int = 0

    @classmethod
    def of(cls, classes: Iterable[FrictionClass]) -> Sums:
        n = corrected = lost = lost_n = saved = saved_n = net_sum = net_n = 0
        for c in classes:
            n += c.n
            corrected += c.corrected
            if c.minutes_lost is not None:
                lost, lost_n = lost + c.minutes_lost, lost_n + c.n
            if c.minutes_saved is not None:
                saved, saved_n = saved + c.minutes_saved, saved_n + c.n
            if c.minutes_lost is not None and c.minutes_saved is not None:
                net_sum, net_n = net_sum + c.minutes_saved - c.minutes_lost, net_n + c.n
        return cls(n, corrected, lost, lost_n, saved, saved_n, net_sum, net_n)


@dataclass(frozen=True)
class FrictionRelease:
    seq: int
    through: dt.date
    min_group_size: int
    classes: tuple[FrictionClass, ...]

    def inside(
        self, first: dt.date, last: dt.date, team: Callable[[int | None], bool] | None = None
    ) -> list[FrictionClass]:
        """Classes whose whole period lies in [first, last] (and whose team is in scope)."""
        return [
            c
            for c in self.classes
            if c.period.inside(first, last) and (team is None or team(c.team))
        ]

    def straddling(self, first: dt.date, last: dt.date) -> list[Period]:
        """Periods of classes that overlap the view without lying inside it."""
        return sorted(
            {
                c.period
                for c in self.classes
                if c.period.overlaps(first, last) and not c.period.inside(first, last)
            },
            key=lambda p: (p.start, p.level),
        )


def latest_friction_release(session: Session) -> FrictionRelease | None:
    release = session.scalars(
        select(Release).where(Release.dataset == DATASET).order_by(Release.seq.desc()).limit(1)
    ).first()
    if release is None:
        return None
    classes = tuple(
        FrictionClass(
            row.use_case,
            row.label,
            row.team_id,
            Period(row.level, row.start, row.end),
            row.n,
            tuple(row.outcomes),
            row.corrected,
            row.minutes_lost,
            row.minutes_saved,
        )
        for row in session.scalars(
            select(FrictionReleaseClass)
            .where(FrictionReleaseClass.release_id == release.id)
            .order_by(FrictionReleaseClass.id)
        )
    )
    return FrictionRelease(release.seq, release.answers_through, release.min_group_size, classes)
