"""Perception calibrated: per AI-tenure band, how much faster people feel beside how much
faster the work data shows adopters at that tenure to be, and the difference.

METR's 2025 trial found experienced developers felt about 20% faster with AI and were
measured 19% slower; whether an organisation's people over- or underestimate, and whether
that changes as they use AI longer, is a figure in its own right (docs/metrics.md,
"Perception calibrated").

Both sides are read from releases, the same for every viewer; nothing reads a response or
a person's values:

- perceived: the survey release's median answer to `perceived_speedup` among everyone in
  the band (numbers are released only as counts per fixed bin, so the median's interval
  includes the binning), through the declared filters function + AI tenure;
- measured: the measured release's `speed_up_by_tenure` of the scope's workflow metric
  (the staggered estimate's post cells at months 0, 1 to 5 and 6 on since adoption, as a
  share of the adopters' level without AI there, both parts bootstrapped together);
- the gap: perceived minus measured in percentage points; the two come from different
  data (a survey and tool exports), so their errors are independent and the gap's interval
  combines the two intervals (MOVER, Zou & Donner 2008), which keeps each side's asymmetry.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.figures import FigureStatus
from gaplens.metrics.schemas import MetricScope, StaggeredFigures, TenureSpeedUp
from gaplens.perception.figures import EVERYONE
from gaplens.perception.filters import PopulationFilter
from gaplens.perception.service import released_perception
from gaplens.realities.schemas import Calibration, CalibrationBand, Interval
from gaplens.realities.service import QUESTION, WORKFLOW_METRICS
from gaplens.releases.measured.queries import measured_release, released_staggered
from gaplens.releases.measured.staggered import TENURE_WINDOWS
from gaplens.releases.models import Release
from gaplens.releases.queries import SurveyRelease, latest_survey_release
from gaplens.stats import Estimate, mover_difference
from gaplens.surveys.models import Survey
from gaplens.wording import plain, status_text

BAND_LABELS = {"<1": "under 1 month", "1-6": "1 to 6 months", "6+": "6 months or more"}
NOT_ASKED = "the survey did not ask how much faster AI makes people"
NO_MEASURED_RELEASE = "no measured figures released yet"
TEAMS_NOT_MEASURED = "shown for the whole organisation and each function, not for a single team"


def _no_cell(k: int) -> str:
    return (
        f"no month this long after adoption had at least {k} adopters and {k} people not "
        "yet using AI with work data"
    )


def _speed_up(entry: TenureSpeedUp) -> Interval:
    """Positive = faster: both workflow metrics are durations (lower is better)."""
    return Interval(
        estimate=-100.0 * entry.estimate, low=-100.0 * entry.high, high=-100.0 * entry.low
    )


def _gap(perceived: Interval | None, measured: Interval | None) -> Interval | None:
    """Perceived minus measured, in points: independent samples, intervals combined."""
    if perceived is None or measured is None:
        return None
    gap = mover_difference(
        Estimate(perceived.estimate, perceived.low, perceived.high),
        Estimate(measured.estimate, measured.low, measured.high),
    )
    return Interval(estimate=gap.value, low=gap.low, high=gap.high)


def _range(i: Interval) -> str:
    return f"({plain(i.low, 0)} to {plain(i.high, 0)})"


def _faster(i: Interval) -> str:
    if round(i.estimate) >= 0:
        return f"{plain(i.estimate, 0)}% faster {_range(i)}"
    return f"{plain(-i.estimate, 0)}% slower (speed-up {plain(i.low, 0)} to {plain(i.high, 0)})"


def _points(value: float) -> str:
    size = plain(abs(value), 0)
    return f"{size} point" if size == "1" else f"{size} points"


def _signed_points(value: float) -> str:
    size = plain(value, 0)
    return f"{size} point" if size in ("1", "\u22121") else f"{size} points"


def sentence(
    label: str,
    perceived: Interval | None,
    perceived_reason: str | None,
    measured: Interval | None,
    measured_reason: str | None,
    gap: Interval | None,
) -> str:
    """'People using AI for 6 months or more feel 18% faster (12 to 24); measured, 3%
    faster (−2 to 8): they overestimate by 15 points (8 to 22).'"""
    who = f"People using AI for {label}"
    work = f"measured, {_faster(measured)}" if measured else f"not measured ({measured_reason})"
    if perceived is None and measured is None and perceived_reason == measured_reason:
        return f"{who}: not shown ({perceived_reason})."
    if perceived is None:
        return f"{who}: how fast they feel is not shown ({perceived_reason}); {work}."
    feel = f"feel {_faster(perceived)}"
    if gap is None:
        return f"{who} {feel}; {work}."
    if gap.low > 0:
        verdict = f"they overestimate by {_points(gap.estimate)} {_range(gap)}"
    elif gap.high < 0:
        flipped = Interval(estimate=-gap.estimate, low=-gap.high, high=-gap.low)
        verdict = f"they underestimate by {_points(flipped.estimate)} {_range(flipped)}"
    else:
        verdict = (
            f"the difference, {_signed_points(gap.estimate)} {_range(gap)}, could be zero: "
            "no clear over- or underestimate"
        )
    return f"{who} {feel}; {work}: {verdict}."


def _measured_figures(
    session: Session, release: Release, scope: MetricScope
) -> tuple[str | None, StaggeredFigures | None]:
    """The first workflow metric whose staggered estimate has a speed-up for the scope (the
    three realities' choice), with its figures."""
    for key, label in WORKFLOW_METRICS:
        figures = released_staggered(session, release, key, scope)
        if figures is not None and figures.speed_up is not None:
            return label, figures
    return None, None


def scope_calibration(
    session: Session,
    survey: Survey,
    measured: Release | None,
    scope: MetricScope,
    label: str,
    *,
    survey_release: SurveyRelease | None = None,
) -> Calibration:
    """The three bands of one scope (the organisation, a function or a team)."""
    kind = "team" if scope.team_id is not None else "function" if scope.function else "organisation"
    measure, figures, reason = None, None, None
    if measured is None:
        reason = NO_MEASURED_RELEASE
    elif scope.team_id is not None:
        reason = TEAMS_NOT_MEASURED
    else:
        measure, figures = _measured_figures(session, measured, scope)
        if figures is None:
            reason = "too few adopters and people not yet using AI with work data here"
    k = measured.min_group_size if measured is not None else 0
    by_band = {} if figures is None else {e.band: e for e in figures.speed_up_by_tenure}
    release = survey_release or latest_survey_release(session, survey)
    bands: list[CalibrationBand] = []
    for band in TENURE_WINDOWS:
        name = BAND_LABELS[band]
        population = PopulationFilter(function=scope.function, ai_tenure=band)
        perceived = perceived_n = perceived_reason = None
        if scope.team_id is not None:
            perceived_reason = TEAMS_NOT_MEASURED
        elif release is None:
            perceived_reason = "no survey answers released yet"
        else:
            found = released_perception(
                session, survey, population, only=frozenset({QUESTION}), release=release
            ).figures.get(QUESTION)
            group = None if found is None else found.groups.get(EVERYONE)
            if group is None:
                perceived_reason = NOT_ASKED
            elif group.status is FigureStatus.SHOWN and group.number is not None:
                median = group.number.median
                perceived = Interval(estimate=median.estimate, low=median.low, high=median.high)
                perceived_n = group.n
            else:
                perceived_reason = (
                    group.reason or status_text(group.status, release.min_group_size)
                ).rstrip(".")
                perceived_reason = perceived_reason[:1].lower() + perceived_reason[1:]
                perceived_reason = perceived_reason.removeprefix("not shown: ")
        entry = by_band.get(band)
        value = None if entry is None else _speed_up(entry)
        measured_reason = reason if reason else (_no_cell(k) if entry is None else None)
        gap = _gap(perceived, value)
        bands.append(
            CalibrationBand(
                band=band,
                label=name,
                perceived=perceived,
                perceived_n=perceived_n,
                perceived_reason=perceived_reason,
                measured=value,
                measured_n=None if entry is None else entry.n,
                measured_reason=measured_reason,
                gap=gap,
                sentence=sentence(name, perceived, perceived_reason, value, measured_reason, gap),
            )
        )
    return Calibration(scope=label, kind=kind, measure=measure, bands=bands, reason=reason)


def calibration(
    session: Session,
    survey: Survey,
    as_of: dt.date | None,
    scopes: list[tuple[str, MetricScope]],
) -> list[Calibration]:
    """Each scope's calibration, both sides read from releases: the survey's latest, and
    the measured release at or before `as_of` (None: the latest)."""
    if not scopes:
        return []
    organisation = scopes[0][1].organisation_id
    measured = measured_release(session, organisation, as_of)
    release = latest_survey_release(session, survey)
    return [
        scope_calibration(session, survey, measured, scope, label, survey_release=release)
        for label, scope in scopes
    ]


def latest_survey_calibration(
    session: Session, scope: MetricScope, label: str, as_of: dt.date | None
) -> Calibration | None:
    """One scope's calibration against the most recent survey and the measured release at
    or before `as_of` (a page's month); None before any survey is imported."""
    survey = session.scalars(select(Survey).order_by(Survey.id.desc()).limit(1)).first()
    if survey is None:
        return None
    measured = measured_release(session, scope.organisation_id, as_of)
    return scope_calibration(session, survey, measured, scope, label)
