"""Building the drivers of perceived gains with a survey's release (the only place that
reads the joint answers of one respondent for them).

Outcome: each frontline respondent's perceived gains, the mean of the four sentiment items
(quality, effort, speed, productivity) on Microsoft's 0-100 scoring, over the items they
answered. Factors from the same anonymous answers: involvement in decisions (0-100),
knowing whether AI will change their job (yes vs not), AI tenure band, and using a tool
the organisation did not provide (no for those who use no AI at work). The bank has no
training question, so training is among the team-level factors only (from the adoption
release).

Each scope (the organisation, each function, each team with the teams below it) is a
union of whole released classes of individual contributors, analysed only when at least
`driver_floor(k)` of them answered every question, every factor varies among them in
groups of at least k, and nothing about them is all alike. What is stored is each
factor's share of the differences with its bootstrap interval, in whole percents from 250
respondents and in steps of 5 points below (`rounding_step`).
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

from gaplens.privacy.recoding import Code, TeamTree
from gaplens.releases.drivers.models import DriverFactor, DriverScope
from gaplens.releases.models import Release
from gaplens.releases.service import UNSANCTIONED, Series, released_series
from gaplens.stats.importance import Importance, relative_importance
from gaplens.surveys.models import Survey
from gaplens.surveys.question_bank import AGREE5_SCORES

FRONTLINE = "individual_contributor"
OUTCOME_ITEMS = ("copilot_quality", "copilot_effort", "copilot_speed", "copilot_productivity")
FACTORS = ("involvement", "job_clarity", "ai_tenure", "shadow_ai")
TENURE_COLUMNS = ("<1", "1-6", "6+")
"""Indicator columns of the tenure band; "none" (not using AI regularly) is the baseline."""
NO_AI = 1
"""`uses_ai_any` option "no": the tools question is not asked of those who use no AI."""
RESAMPLES = 400
FLOOR_MIN = 50
FLOOR_TIMES_K = 10
WHOLE_PERCENT_FROM = 250
"""Below this many complete respondents, figures are rounded to steps of COARSE_STEP."""
COARSE_STEP = 5


def driver_floor(k: int) -> int:
    """How many complete respondents a scope needs: max(50, 10k), so a whole class (k or
    more people) is at most a tenth of the scope (docs/privacy.md, "Drivers")."""
    return max(FLOOR_MIN, FLOOR_TIMES_K * k)


def rounding_step(n: int) -> int:
    """Whole percent from 250 complete respondents, steps of 5 points below. One answer
    moves the shares by roughly 1/n of their range: an attacker who knew every other
    answer pinned one person's answers from whole percents at 60 respondents, not from
    steps of 5 there, nor from whole percents at 100 (tests/releases/test_drivers_release.py,
    docs/privacy.md); 250 leaves a margin."""
    return 1 if n >= WHOLE_PERCENT_FROM else COARSE_STEP


@dataclass(frozen=True)
class Unit:
    """One frontline respondent's complete answers, as the regression reads them."""

    gains: float
    involvement: float
    clarity: int
    tenure: str
    shadow: int

    def levels(self) -> tuple[object, ...]:
        """Each factor's value as a category, for the "groups of at least k" check."""
        return (self.involvement, self.clarity, self.tenure, self.shadow)


def units_of(
    series: Sequence[Series], tenure: Mapping[str, str | None], members: Sequence[str]
) -> dict[str, Unit]:
    """The members who answered every question the analysis needs, each as a Unit."""
    by_key = {s.key: s.answers for s in series}
    items = [by_key.get(key, {}) for key in OUTCOME_ITEMS]
    involvement = by_key.get("decision_involvement", {})
    clarity = by_key.get("job_security_clarity", {})
    shadow = by_key.get(UNSANCTIONED, {})
    uses_ai = by_key.get("uses_ai_any", {})
    found: dict[str, Unit] = {}
    for rid in members:
        scores = [AGREE5_SCORES[v] for answers in items if isinstance(v := answers.get(rid), int)]
        inv, clear, shad, band = (
            involvement.get(rid),
            clarity.get(rid),
            shadow.get(rid),
            tenure.get(rid),
        )
        if shad is None and uses_ai.get(rid) == NO_AI:
            shad = 0  # uses no AI at work, so no tool the organisation did not provide
        if not scores or band is None:
            continue
        if not (isinstance(inv, int) and isinstance(clear, int) and isinstance(shad, int)):
            continue
        found[rid] = Unit(
            gains=sum(scores) / len(scores),
            involvement=AGREE5_SCORES[inv],
            clarity=int(clear == 0),  # option 0: "yes, I know"
            tenure=band,
            shadow=shad,
        )
    return found


def design(units: Sequence[Unit]) -> tuple[np.ndarray, np.ndarray, list[list[int]]]:
    """(columns, outcome, factor groups): involvement, clarity, three tenure indicators
    (one factor), shadow AI."""
    x = np.array(
        [
            [u.involvement, u.clarity, *(float(u.tenure == b) for b in TENURE_COLUMNS), u.shadow]
            for u in units
        ],
        dtype=np.float64,
    )
    y = np.array([u.gains for u in units], dtype=np.float64)
    return x, y, [[0], [1], [2, 3, 4], [5]]


def analysable(units: Sequence[Unit], k: int) -> bool:
    """Enough people, and no factor or outcome that is all alike or has a small group.

    Each factor needs two values held by at least k people each; a yes/no or band factor
    may have no value held by 1 to k-1 people (a share that hinges on so few would hinge on
    whoever they are); the outcome must vary."""
    if len(units) < driver_floor(k):
        return False
    if len({u.gains for u in units}) < 2:
        return False
    for position in range(len(FACTORS)):
        counts = Counter(u.levels()[position] for u in units)
        if sum(1 for c in counts.values() if c >= k) < 2:
            return False
        if FACTORS[position] != "involvement" and any(0 < c < k for c in counts.values()):
            return False
    return True


def analyse(units: Sequence[Unit], k: int, seed: int) -> Importance | None:
    """The scope's relative importance, or None when it may not be analysed."""
    if not analysable(units, k):
        return None
    x, y, groups = design(units)
    return relative_importance(
        x, y, groups, FACTORS, np.random.default_rng(seed), resamples=RESAMPLES
    )


def direction(sign: int | None, low: int) -> int | None:
    """The direction is published only for a factor whose rounded interval lies above zero:
    the sign of a factor that goes with nothing flips with one answer (the attacker test
    solved a member's answer from it)."""
    return sign if low > 0 else None


def percent(value: float, step: int = 1) -> int:
    """A share in percent, rounded to a multiple of `step` (half away from zero)."""
    scaled = 100 * value / step
    return step * int(np.sign(scaled) * np.floor(abs(scaled) + 0.5))


@dataclass(frozen=True)
class ScopeSpec:
    kind: str
    team: int | None
    function: str | None

    def inside(self, tree: TeamTree) -> Callable[[Code], bool]:
        """A class lies in the scope when it is frontline and its code is inside the cell
        (a class generalised above the scope is not in it, as everywhere else)."""

        def test(code: Code) -> bool:
            if code.role != FRONTLINE:
                return False
            if self.team is not None and (
                code.team is None or not tree.within(code.team, self.team)
            ):
                return False
            return self.function is None or code.function == self.function

        return test

    def seed(self, survey: Survey) -> int:
        return zlib.crc32(f"{survey.id}:{self.kind}:{self.team}:{self.function}".encode())


def scopes(tree: TeamTree, codes: Mapping[str, Code]) -> list[ScopeSpec]:
    functions = sorted({c.function for c in codes.values() if c.function is not None})
    return [
        ScopeSpec("organisation", None, None),
        *(ScopeSpec("function", None, f) for f in functions),
        *(ScopeSpec("team", t, None) for t in sorted(tree.parents)),
    ]


def write_gain_drivers(
    session: Session,
    survey: Survey,
    release: Release,
    codes: Mapping[str, Code],
    tenure: Mapping[str, str | None],
    tree: TeamTree,
    k: int,
) -> int:
    """Analyse every scope of the release that may be analysed and store its whole
    percents; returns how many scopes were stored."""
    series = released_series(session, survey)
    stored = 0
    for spec in scopes(tree, codes):
        inside = spec.inside(tree)
        members = sorted(rid for rid, code in codes.items() if inside(code))
        units = units_of(series, tenure, members)
        found = analyse(list(units.values()), k, spec.seed(survey))
        if found is None:
            continue
        step = rounding_step(found.n)
        row = DriverScope(
            release_id=release.id,
            kind=spec.kind,
            team_id=spec.team,
            function=spec.function,
            respondents=len(members),
            step=step,
            explained=percent(found.r2, step),
            explained_low=percent(found.r2_low, step),
            explained_high=percent(found.r2_high, step),
        )
        session.add(row)
        session.flush()
        session.add_all(
            DriverFactor(
                scope_id=row.id,
                factor=name,
                share=percent(share, step),
                low=percent(low, step),
                high=percent(high, step),
                direction=direction(sign, percent(low, step)),
            )
            for name, share, low, high, sign in zip(
                found.factors, found.shares, found.low, found.high, found.signs, strict=True
            )
        )
        stored += 1
    session.flush()
    return stored
