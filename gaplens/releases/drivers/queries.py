"""Reading the drivers of perceived gains stored with a survey's latest release.

Nothing here reads a response: the builder stored whole percents per scope, and a scope it
did not store (too few respondents, or a factor with a small or unanimous group) has no
figures, only a reason in words.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.releases.drivers.models import DriverFactor, DriverScope
from gaplens.releases.models import Release
from gaplens.releases.service import dataset_of
from gaplens.surveys.models import Survey


@dataclass(frozen=True)
class Factor:
    factor: str
    share: int
    low: int
    high: int
    direction: int | None


@dataclass(frozen=True)
class GainDrivers:
    """One scope's stored analysis, factors largest share first."""

    survey: str
    release_seq: int
    respondents: int
    step: int
    """Figures are multiples of this many points (1: whole percent)."""
    explained: int
    explained_low: int
    explained_high: int
    factors: tuple[Factor, ...]
    min_group_size: int


def gain_drivers(
    session: Session, survey: Survey, *, team: int | None = None, function: str | None = None
) -> GainDrivers | None:
    """The latest release's analysis for the organisation (no team, no function), a
    function, or a team with the teams below it; None when that scope was not analysed."""
    release = session.scalars(
        select(Release)
        .where(Release.dataset == dataset_of(survey))
        .order_by(Release.seq.desc())
        .limit(1)
    ).first()
    if release is None:
        return None
    kind = "team" if team is not None else "function" if function is not None else "organisation"
    where = [DriverScope.release_id == release.id, DriverScope.kind == kind]
    if team is not None:
        where.append(DriverScope.team_id == team)
    if function is not None:
        where.append(DriverScope.function == function)
    scope = session.scalars(select(DriverScope).where(*where).limit(1)).first()
    if scope is None:
        return None
    factors = sorted(
        (
            Factor(row.factor, row.share, row.low, row.high, row.direction)
            for row in session.scalars(
                select(DriverFactor).where(DriverFactor.scope_id == scope.id)
            )
        ),
        key=lambda f: (-f.share, f.factor),
    )
    return GainDrivers(
        survey=survey.name,
        release_seq=release.seq,
        respondents=scope.respondents,
        step=scope.step,
        explained=scope.explained,
        explained_low=scope.explained_low,
        explained_high=scope.explained_high,
        factors=tuple(factors),
        min_group_size=release.min_group_size,
    )
