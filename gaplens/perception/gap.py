"""The one perception gap: leaders (executives and managers) minus the frontline (individual
contributors), on the share reporting high or some productivity gains from AI.

Every place that shows "the gap" (the report's brief and headline card, the gap trend on the
report, /trend and /api/trend, the heatmap's gap column, the next steps) reads it through
`released_gap`, and every place that names the two sides groups role levels through
`role_cell`, so "leaders" means the same people everywhere (the three realities' perceived
speed-up too). The executive-only comparisons (`gaps_pp`, `risk_ratios`) stay in the
perception figures as a labelled breakdown: published benchmarks compare executives alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gaplens.directory.schemas import RoleLevel
from gaplens.figures import Comparison, FigureStatus, Interval
from gaplens.releases.queries import SurveyRelease, cell_predicate
from gaplens.stats import Estimate, newcombe_difference
from gaplens.surveys.question_bank import entry

QUESTION = "productivity_impact"
LEADER_ROLES: tuple[str, ...] = (RoleLevel.EXECUTIVE.value, RoleLevel.MANAGER.value)
FRONTLINE_ROLES: tuple[str, ...] = (RoleLevel.INDIVIDUAL_CONTRIBUTOR.value,)
GAP_LABEL = "Any gains (high or some): leaders minus individual contributors (points)"


def role_cell(
    release: SurveyRelease,
    question: str,
    roles: Sequence[str],
    *,
    team: int | None = None,
    function: str | None = None,
) -> tuple[int, list[int]] | None:
    """The summed published answer counts of these role levels for the scope (a team and
    the teams below it, or a function): a sum of released groups, so it reveals nothing a
    reader of the release could not add up; None when none of the roles' groups is
    published."""
    answered, found_any = 0, False
    counts: list[int] = []
    for role in roles:
        inside = cell_predicate(release.tree, team=team, function=function, role=role)
        found = release.answers(question, inside)
        if found is None:
            continue
        found_any = True
        answered += found[0]
        counts = [a + b for a, b in zip(counts, found[1], strict=True)] if counts else found[1]
    return (answered, counts) if found_any else None


@dataclass(frozen=True)
class Gap:
    """The gap as a proportion difference (Newcombe interval) with both sides' n."""

    estimate: Estimate
    leaders_n: int
    frontline_n: int


def released_gap(
    release: SurveyRelease | None, team: int | None = None, function: str | None = None
) -> Gap | None:
    """Leaders' share reporting high or some gains minus the frontline's, from the release
    for the scope; None when either side has no published group."""
    if release is None:
        return None
    question = entry(QUESTION)
    favourable = [question.options.index(o) for o in question.positive_options]
    sides = []
    for roles in (LEADER_ROLES, FRONTLINE_ROLES):
        cell = role_cell(release, QUESTION, roles, team=team, function=function)
        if cell is None or not cell[0]:
            return None
        sides.append((cell[0], sum(cell[1][i] for i in favourable)))
    (leaders_n, leaders_yes), (frontline_n, frontline_yes) = sides
    estimate = newcombe_difference(leaders_yes, leaders_n, frontline_yes, frontline_n)
    return Gap(estimate, leaders_n, frontline_n)


def gap_comparison(
    release: SurveyRelease | None, team: int | None = None, function: str | None = None
) -> Comparison:
    """The gap as the report's comparison figure (the headline card's), in points; a status
    in words instead of a number when either side has no published group."""
    base = Comparison(
        label=GAP_LABEL,
        status=FigureStatus.SHOWN,
        kind="difference_pp",
        numerator_group="leaders",
        denominator_group=RoleLevel.INDIVIDUAL_CONTRIBUTOR.value,
        option=" or ".join(entry(QUESTION).positive_options),
    )
    gap = released_gap(release, team, function)
    if gap is None:
        return base.model_copy(
            update={
                "status": FigureStatus.NOT_ENOUGH_RESPONSES,
                "reason": "Too few answers among leaders or the frontline to show the gap",
            }
        )
    e = gap.estimate
    value = Interval(estimate=100 * e.value, low=100 * e.low, high=100 * e.high)
    return base.model_copy(update={"value": value})
