"""What goes with the gap here: the report section and the dashboard's list.

Two analyses, both association and never cause:

- **Across people** (perceived gains): read from the survey release, where the builder
  stored whole percents per scope (gaplens/releases/drivers/); nothing here reads an answer.
- **Across teams** (the leader-frontline gap): computed from figures already released for
  each team (the gap from the survey release through the one gap function, the survey's
  shares, the adoption, friction and reflections releases), so it opens no new access to
  anyone's rows; every viewer gets the same numbers (the bootstrap's seed is fixed).
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gaplens.directory.models import Organisation, Team
from gaplens.drivers.schemas import DriverOut, DriverSet, DriversSection
from gaplens.figures import FigureStatus
from gaplens.metrics.schemas import MetricScope
from gaplens.modelling.models import LeaderPost
from gaplens.perception.trend import released_population_trend
from gaplens.privacy import PrivacyPolicy
from gaplens.privacy.recoding import Code, TeamTree
from gaplens.releases.adoption.queries import latest_adoption_release, scope_predicate
from gaplens.releases.drivers.queries import GainDrivers, gain_drivers
from gaplens.releases.drivers.service import driver_floor
from gaplens.releases.friction.queries import latest_friction_release
from gaplens.releases.pulses import released_pulses
from gaplens.releases.queries import (
    SurveyRelease,
    cell_predicate,
    latest_survey_release,
    reading_releases,
)
from gaplens.releases.reflections.queries import cell as reflection_cell
from gaplens.releases.reflections.queries import load_reflection_release
from gaplens.releases.service import UNSANCTIONED
from gaplens.sections import SectionContext, section
from gaplens.stats.importance import relative_importance
from gaplens.surveys.models import Survey

GAIN_LABELS = {
    "involvement": "Feeling involved in decisions about AI",
    "job_clarity": "Knowing whether AI will change their job",
    "ai_tenure": "How long they have used AI",
    "shadow_ai": "Using AI tools the organisation did not provide",
}
TEAM_LABELS = {
    "involvement": "Share feeling involved in decisions about AI",
    "job_clarity": "Share knowing whether AI will change their job",
    "long_tenure": "Share using AI for six months or more",
    "shadow_ai": "Share using AI tools the organisation did not provide",
    "trained": "Share of licensed people trained",
    "friction": "Friction-log entries per licensed person",
    "reflection": "Share of reflection invitations answered",
    "modelling": "Leaders' posts on their own AI work addressed to the team's function",
}
TEAMS_PER_FACTOR = 5
MIN_TEAMS = 15
RESAMPLES = 400
GAINS_OUTCOME = "the frontline's perceived gains from AI"
GAP_OUTCOME = "the gap between leaders and the frontline"
METHOD = [
    "Across people: each individual contributor's perceived gains are the mean of the four "
    "sentiment statements (quality, effort, speed, productivity) scored 0-100, regressed by "
    "ordinary least squares on involvement (0-100), knowing whether AI will change their "
    "job (yes or not), AI tenure band (three indicators, one factor) and using an "
    "unsanctioned tool (yes or no), over those who answered all of them.",
    "Relative importance is the Shapley decomposition of adjusted R-squared (LMG; Lindeman, "
    "Merenda and Gold 1980; Groemping 2006, relaimpo), equal to Budescu's (1993) general "
    "dominance weight: each factor's average gain in explained variance over every order in "
    "which the factors could enter. The shares add up to the model's adjusted R-squared.",
    "Intervals are 95% percentile bootstraps with 400 resamples: of respondents (computed "
    "once, when the survey's release was built) or of teams. Figures are rounded to whole "
    "percent; a share can be slightly below zero when a factor goes with nothing.",
    "Across teams: each team's gap (leaders, meaning executives and managers, reporting high "
    "or some gains minus individual contributors, in points) regressed on team shares that "
    "were already released and leaders' posts addressed to the team's function or everyone, "
    "one row per team that has no team below it. Shown only with at "
    f"least {TEAMS_PER_FACTOR} teams per factor and {MIN_TEAMS} teams in all.",
    "Association only: a factor that goes with higher gains may follow from them, or both "
    "may follow from something not measured.",
]


def _direction(sign: int | None) -> str | None:
    return {1: "higher", -1: "lower"}.get(sign) if sign is not None else None


def _sentence(
    label: str, share: int, low: int, high: int, direction: str | None, what: str, between: str
) -> str:
    """'<factor> goes with higher <what>: it explains about X% of the differences between
    <between> (Y to Z).' A factor whose interval reaches zero is said to have no clear link
    (and no direction: its sign would be noise)."""
    if low <= 0:
        return (
            f"{label}: no clear link with {what}; it explains about {share}% of the "
            f"differences between {between} ({low} to {high})."
        )
    goes = f"goes with {direction} {what}" if direction else f"goes with {what}"
    return (
        f"{label} {goes}: it explains about {share}% of the differences between {between} "
        f"({low} to {high})."
    )


def _together(lead: str, share: int, low: int, high: int, what: str, tail: str = "") -> str:
    """The analysis's headline; a total at or below zero is said as "no more than chance"
    (the adjusted share can be negative when the factors go with nothing)."""
    if share <= 0:
        return (
            f"{lead} explain no more of the differences in {what} than chance would "
            f"({low} to {high}%)."
        )
    return f"{lead} explain about {share}% of the differences in {what} ({low} to {high}){tail}."


def _gains(found: GainDrivers | None, scope: MetricScope, k: int) -> DriverSet:
    if found is None:
        where = "in this scope" if scope.team_id or scope.function else "in the organisation"
        if scope.team_id is not None and scope.function is not None:
            reason = "Analysed per team or per function, not for both at once."
        else:
            reason = (
                f"Not shown: fewer than {driver_floor(k)} individual contributors {where} "
                "answered every question it needs, or an answer was too rare or too "
                "uniform to analyse without pointing at the few who gave it."
            )
        return DriverSet(
            status=FigureStatus.NOT_ENOUGH_RESPONSES,
            outcome=GAINS_OUTCOME,
            units="people",
            reason=reason,
            headline=reason,
        )
    drivers = [
        DriverOut(
            factor=f.factor,
            label=GAIN_LABELS.get(f.factor, f.factor),
            share=f.share,
            low=f.low,
            high=f.high,
            direction=_direction(f.direction),
            sentence=_sentence(
                GAIN_LABELS.get(f.factor, f.factor),
                f.share,
                f.low,
                f.high,
                _direction(f.direction),
                "perceived gains",
                "people",
            ),
        )
        for f in found.factors
    ]
    top = drivers[0]
    return DriverSet(
        status=FigureStatus.SHOWN,
        outcome=GAINS_OUTCOME,
        units="people",
        n=found.respondents,
        explained=found.explained,
        explained_low=found.explained_low,
        explained_high=found.explained_high,
        drivers=drivers,
        headline=_together(
            "Together these factors",
            found.explained,
            found.explained_low,
            found.explained_high,
            "perceived gains between people",
            f"; the largest part goes with {top.label[0].lower()}{top.label[1:]}",
        ),
    )


# --- across teams ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamRow:
    team: int
    gap: float
    factors: Mapping[str, float | None]


def _share(
    release: SurveyRelease, question: str, inside: Callable[[Code], bool], yes: Sequence[int]
) -> float | None:
    found = release.answers(question, inside)
    if found is None or found[0] == 0:
        return None
    return sum(found[1][i] for i in yes) / found[0]


def _long_tenure(release: SurveyRelease, inside: Callable[[Code], bool]) -> float | None:
    known = [(code.tenure, n) for code, n in release.classes if inside(code) and code.tenure]
    total = sum(n for _, n in known)
    return sum(n for band, n in known if band == "6+") / total if total else None


def _leaf_teams(session: Session, scope: MetricScope, tree: TeamTree) -> list[int]:
    """Teams with no team below them, inside the scope (its team's subtree, its function)."""
    rows = session.execute(
        select(Team.id, Team.parent_id, Team.function).where(
            Team.organisation_id == scope.organisation_id
        )
    ).all()
    parents = {parent for _, parent, _ in rows if parent is not None}
    return sorted(
        tid
        for tid, _, function in rows
        if tid not in parents
        and (scope.team_id is None or tree.within(tid, scope.team_id))
        and (scope.function is None or function == scope.function)
    )


def _posts_by_function(session: Session, start: dt.date, end: dt.date) -> dict[str | None, int]:
    """Leaders' posts published in [start, end] per function they address (None: everyone).
    Posts are signed and public, so counting them exposes no respondent."""
    return {
        function: count
        for function, count in session.execute(
            select(LeaderPost.function, func.count())
            .where(LeaderPost.published_on >= start, LeaderPost.published_on <= end)
            .group_by(LeaderPost.function)
        ).all()
    }


def team_rows(
    session: Session, survey: Survey, scope: MetricScope, start: dt.date, end: dt.date
) -> list[TeamRow]:
    """Every leaf team in scope whose gap is released, with its released team figures
    (None where a release does not publish the figure for that team)."""
    with reading_releases(session):
        return _team_rows(session, survey, scope, start, end)


def _team_rows(
    session: Session, survey: Survey, scope: MetricScope, start: dt.date, end: dt.date
) -> list[TeamRow]:
    release = latest_survey_release(session, survey)
    if release is None:
        return []
    tree = release.tree
    adoption = latest_adoption_release(session, scope.organisation_id, end)
    friction = latest_friction_release(session)
    reflections = load_reflection_release(session)
    function_of = dict(
        session.execute(
            select(Team.id, Team.function).where(Team.organisation_id == scope.organisation_id)
        ).all()
    )
    posts = _posts_by_function(session, start, end)
    rows: list[TeamRow] = []
    for team in _leaf_teams(session, scope, tree):
        points, _, _ = released_population_trend(session, [survey], team, None)
        gap = points[0].gap_pp if points else None
        if gap is None:
            continue
        inside = cell_predicate(tree, team=team)
        factors: dict[str, float | None] = {
            "involvement": _share(release, "decision_involvement", inside, (3, 4)),
            "job_clarity": _share(release, "job_security_clarity", inside, (0,)),
            "long_tenure": _long_tenure(release, inside),
            "shadow_ai": _share(release, UNSANCTIONED, inside, (1,)),
            "trained": None,
            "friction": None,
            "reflection": None,
            "modelling": float(posts.get(None, 0) + posts.get(function_of.get(team), 0)),
        }
        cell = adoption.cell(scope_predicate(adoption.tree, team, None)) if adoption else None
        if cell is not None and cell.licensed:
            trained = cell.flags.get("trained")
            factors["trained"] = None if trained is None else trained / cell.licensed
            if friction is not None:
                within = frozenset(tree.subtree(team)).__contains__
                entries = sum(c.n for c in friction.inside(start, end, within))
                factors["friction"] = entries / cell.licensed
        if reflections is not None:
            sent, used = reflections.invitations(
                reflection_cell(reflections.tree, start, end, team=team)
            )
            factors["reflection"] = used / sent if sent else None
        rows.append(TeamRow(team, gap.estimate, factors))
    return rows


def _gap(rows: Sequence[TeamRow], seed: int) -> DriverSet:
    names = list(TEAM_LABELS)
    left_out: list[str] = []
    kept: list[str] = []
    for name in names:
        values = [r.factors[name] for r in rows]
        if any(v is None for v in values):
            left_out.append(f"{TEAM_LABELS[name]}: not released for every team")
        elif len({round(v, 9) for v in values if v is not None}) < 2:
            left_out.append(f"{TEAM_LABELS[name]}: the same in every team")
        else:
            kept.append(name)
    needed = max(MIN_TEAMS, TEAMS_PER_FACTOR * len(kept))
    if not kept or len(rows) < needed:
        reason = (
            f"Not enough teams to tell: {len(rows)} teams have a released gap, and "
            f"{len(kept)} team factors need at least {needed} (at least {TEAMS_PER_FACTOR} "
            f"per factor and {MIN_TEAMS} in all)."
        )
        return DriverSet(
            status=FigureStatus.NOT_ENOUGH_RESPONSES,
            outcome=GAP_OUTCOME,
            units="teams",
            n=len(rows),
            left_out=left_out,
            reason=reason,
            headline=reason,
        )
    x = np.array([[r.factors[name] for name in kept] for r in rows], dtype=np.float64)
    y = np.array([r.gap for r in rows], dtype=np.float64)
    found = relative_importance(
        x,
        y,
        [[i] for i in range(len(kept))],
        kept,
        np.random.default_rng(seed),
        resamples=RESAMPLES,
    )

    def pct(v: float) -> int:
        return int(np.sign(v) * np.floor(abs(100 * v) + 0.5))

    drivers = sorted(
        (
            DriverOut(
                factor=name,
                label=TEAM_LABELS[name],
                share=pct(share),
                low=pct(low),
                high=pct(high),
                direction=_direction(sign if pct(low) > 0 else None),
                sentence=_sentence(
                    TEAM_LABELS[name],
                    pct(share),
                    pct(low),
                    pct(high),
                    _direction(sign if pct(low) > 0 else None),
                    "gaps",
                    "teams",
                ),
            )
            for name, share, low, high, sign in zip(
                found.factors, found.shares, found.low, found.high, found.signs, strict=True
            )
        ),
        key=lambda d: (-d.share, d.factor),
    )
    return DriverSet(
        status=FigureStatus.SHOWN,
        outcome=GAP_OUTCOME,
        units="teams",
        n=len(rows),
        explained=pct(found.r2),
        explained_low=pct(found.r2_low),
        explained_high=pct(found.r2_high),
        drivers=drivers,
        left_out=left_out,
        headline=_together(
            f"Across {len(rows)} teams, these factors together",
            pct(found.r2),
            pct(found.r2_low),
            pct(found.r2_high),
            "the gap between teams",
        ),
    )


def latest_pulse(session: Session, end: dt.date) -> Survey | None:
    """The latest survey whose release runs to the period's end or before."""
    found = [p for p in released_pulses(session) if p.answers_through <= end]
    return found[-1].survey if found else None


def drivers_for(
    session: Session,
    scope: MetricScope,
    start: dt.date,
    end: dt.date,
    policy: PrivacyPolicy,
    survey: Survey | None = None,
) -> DriversSection | None:
    """Both analyses for a scope and period, for `survey` or the latest pulse released by
    the period's end; None when there is none."""
    survey = survey or latest_pulse(session, end)
    if survey is None:
        return None
    found = None
    if not (scope.team_id is not None and scope.function is not None):
        found = gain_drivers(session, survey, team=scope.team_id, function=scope.function)
    seed = zlib.crc32(f"gap:{survey.id}:{scope.team_id}:{scope.function}".encode())
    return DriversSection(
        survey=survey.name,
        gains=_gains(found, scope, policy.min_group_size),
        gap=_gap(team_rows(session, survey, scope, start, end), seed),
        method=METHOD,
    )


@section("drivers", title="What goes with the gap here", order=45)
def report_section(
    session: Session,
    scope: MetricScope,
    start: dt.date,
    end: dt.date,
    policy: PrivacyPolicy,
    context: SectionContext | None = None,
) -> DriversSection | None:
    """The report's appendix section: both analyses, worded as association, for the report's
    survey (`context.survey`; outside a report, the latest pulse released by `end`), so the
    section never reads another pulse than the report; None while that survey is unreleased."""
    survey: Survey | None = None if context is None else context.survey
    if survey is not None:
        released = {p.survey.id for p in released_pulses(session) if p.answers_through <= end}
        if survey.id not in released:
            return None
    return drivers_for(session, scope, start, end, policy, survey=survey)


DASHBOARD_MONTHS = 12


def dashboard_drivers(
    session: Session,
    policy: PrivacyPolicy,
    survey_name: str | None,
    team_key: str | None,
    function: str | None,
) -> DriversSection | None:
    """The dashboard's compact list: the chosen survey (else the latest released), the
    filtered team or function, team figures over the twelve months to the survey's release."""
    pulses = released_pulses(session)
    chosen = [p for p in pulses if survey_name is None or p.survey.name == survey_name]
    if not chosen:
        return None
    pulse = chosen[-1]
    organisation = session.scalars(select(Organisation.id).order_by(Organisation.id)).first()
    if organisation is None:
        return None
    team = None
    if team_key:
        team = session.scalars(select(Team.id).where(Team.key == team_key)).first()
        if team is None:
            return None
    scope = MetricScope(organisation_id=organisation, team_id=team, function=function or None)
    end = pulse.answers_through
    start = end - dt.timedelta(days=365 * DASHBOARD_MONTHS // 12)
    return drivers_for(session, scope, start, end, policy, pulse.survey)
