"""Reading measured releases: pages, the API and the report take metric figures from here.

A request names a scope and a day; the day snaps to the latest released month end at or
before it, and the scope's stored overview is returned as it was published. A scope with
no figure of its own (its people are counted in a larger group) gets an overview whose
every figure says so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.metrics.registry import REGISTRY, get_metric
from gaplens.metrics.schemas import (
    MetricDefinition,
    MetricFigure,
    MetricOverview,
    MetricScope,
    StaggeredFigures,
)
from gaplens.metrics.service import DEFAULT_RAMP_DAYS, DEFAULT_TENURE_MONTHS, DEFAULT_WINDOW_DAYS
from gaplens.releases.measured.models import MeasuredFigure, MeasuredStaggered
from gaplens.releases.measured.service import dataset_of
from gaplens.releases.models import Release

NOT_ON_ITS_OWN = (
    "not released for this group on its own: too few people with data here, so they are "
    "counted only in a larger group"
)


def measured_releases(session: Session, organisation_id: int) -> list[Release]:
    """Every measured release of the organisation, oldest first."""
    return list(
        session.scalars(
            select(Release)
            .where(Release.dataset == dataset_of(organisation_id))
            .order_by(Release.seq)
        )
    )


def measured_release(
    session: Session, organisation_id: int, as_of: dt.date | None = None
) -> Release | None:
    """The release a request for `as_of` reads (None: the latest): the latest month end at
    or before it."""
    query = select(Release).where(Release.dataset == dataset_of(organisation_id))
    if as_of is not None:
        query = query.where(Release.answers_through <= as_of)
    return session.scalars(query.order_by(Release.seq.desc()).limit(1)).first()


def _unreleased(key: str, scope: MetricScope, release: Release) -> MetricOverview:
    metric = get_metric(key)
    missing = MetricFigure.missing("not released", NOT_ON_ITS_OWN)
    return MetricOverview(
        metric=MetricDefinition.of(metric),
        scope=scope,
        as_of=release.answers_through,
        window_days=DEFAULT_WINDOW_DAYS,
        ramp_days=DEFAULT_RAMP_DAYS,
        tenure_months=DEFAULT_TENURE_MONTHS,
        current=missing,
        before_after=missing,
        users_vs_non_users=missing,
        by_tenure=missing,
    )


def released_overviews(
    session: Session, release: Release, scope: MetricScope, keys: Sequence[str] | None = None
) -> list[MetricOverview]:
    """The overviews of `keys` (default: every metric, in registry order) for `scope`."""
    wanted = list(keys) if keys is not None else list(REGISTRY)
    for key in wanted:
        get_metric(key)  # UnknownMetricError before any read
    team = (
        MeasuredFigure.team_id.is_(None)
        if scope.team_id is None
        else MeasuredFigure.team_id == scope.team_id
    )
    function = (
        MeasuredFigure.function.is_(None)
        if scope.function is None
        else MeasuredFigure.function == scope.function
    )
    stored = {
        metric: overview
        for metric, overview in session.execute(
            select(MeasuredFigure.metric, MeasuredFigure.overview).where(
                MeasuredFigure.release_id == release.id,
                team,
                function,
                MeasuredFigure.metric.in_(wanted),
            )
        )
    }
    return [
        MetricOverview.model_validate(stored[key])
        if key in stored
        else _unreleased(key, scope, release)
        for key in wanted
    ]


STAGGERED_NOT_FOR_SCOPE = (
    "the staggered-adoption estimate is published for the organisation and each function only"
)


def released_staggered(
    session: Session, release: Release, metric_key: str, scope: MetricScope
) -> StaggeredFigures | None:
    """The staggered-adoption figures of `metric_key` for `scope`, as published with the
    latest release at or before `release` that carries them (they are estimated with the
    latest month end of each build). None for a team scope or a metric without them."""
    get_metric(metric_key)
    if scope.team_id is not None:
        return None
    function = (
        MeasuredStaggered.function.is_(None)
        if scope.function is None
        else MeasuredStaggered.function == scope.function
    )
    figures = session.scalars(
        select(MeasuredStaggered.figures)
        .join(Release, Release.id == MeasuredStaggered.release_id)
        .where(
            Release.dataset == release.dataset,
            Release.seq <= release.seq,
            MeasuredStaggered.metric == metric_key,
            function,
        )
        .order_by(Release.seq.desc())
        .limit(1)
    ).first()
    return None if figures is None else StaggeredFigures.model_validate(figures)
