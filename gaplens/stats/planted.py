"""A person x month panel with a planted staggered adoption, to check estimators against.

What a real organisation throws at an AI-effect estimate, each part switchable: adoption
in different months, effects that differ by cohort and grow with time since adoption, a
calendar shock common to everyone that is not AI, selection (adopters were already faster)
and, for checking the pre-trend verdict, adopters already diverging before they adopt.
The truth is known exactly, so a test can ask whether an interval contains it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class PlantedPanel:
    """Long rows (one per person and month) and the planted truth.

    `first_treated` is per row, NaN for never treated. `effect(cohort, month)` is the
    planted effect of AI on the outcome for that cohort in that month (0 before adoption).
    """

    person: IntArray
    period: IntArray
    outcome: FloatArray
    first_treated: FloatArray
    months: int
    cohort_effect: dict[int, float]
    growth: float
    person_cohort: FloatArray  # per person, NaN for never treated
    untreated: FloatArray  # persons x months: the outcome had nobody adopted

    def effect(self, cohort: int, month: int) -> float:
        if month < cohort:
            return 0.0
        return self.cohort_effect[cohort] + self.growth * (month - cohort)

    def cohort_sizes(self) -> dict[int, int]:
        values, counts = np.unique(
            self.person_cohort[np.isfinite(self.person_cohort)], return_counts=True
        )
        return {int(v): int(c) for v, c in zip(values, counts, strict=True)}

    def true_simple(self) -> float:
        """The planted overall effect as `did::aggte(type="simple")` weights it: every
        post-adoption (cohort, month) cell, weighted by the cohort's size."""
        num = den = 0.0
        for g, n in self.cohort_sizes().items():
            for t in range(g, self.months):
                num += n * self.effect(g, t)
                den += n
        return num / den

    def true_event(self, event_time: int) -> float:
        """The planted effect `event_time` months after adoption, cohort-size weighted
        over the cohorts observed that long after (0 before adoption)."""
        num = den = 0.0
        for g, n in self.cohort_sizes().items():
            t = g + event_time
            if 0 <= t < self.months:
                num += n * self.effect(g, t)
                den += n
        return num / den if den else float("nan")

    def true_counterfactual(self) -> float:
        """The adopters' mean outcome without AI over their post-adoption cells (simple
        weights, this sample's draws): what a speed-up ratio's denominator estimates."""
        num = den = 0.0
        for g, n in self.cohort_sizes().items():
            members = self.person_cohort == g
            for t in range(g, self.months):
                num += n * float(self.untreated[members, t].mean())
                den += n
        return num / den


def planted_panel(
    rng: np.random.Generator,
    *,
    persons: int = 2000,
    months: int = 24,
    cohort_effect: dict[int, float] | None = None,
    adopter_share: float = 0.6,
    growth: float = -0.02,
    baseline: float = 3.8,
    selection: float = -0.4,
    calendar_shock: tuple[int, float] | None = (14, -0.15),
    season: float = 0.1,
    pre_trend: float = 0.0,
    noise: float = 0.4,
    person_spread: float = 0.6,
    missing_share: float = 0.0,
) -> PlantedPanel:
    """A simulated panel of a cycle-time-like outcome in days (lower is faster).

    y = baseline + person effect (+ `selection` for adopters, earlier cohorts more)
        + season and `calendar_shock` (everyone, from its month on; not AI)
        + `pre_trend` x month for adopters (they drift apart from everyone else)
        + planted AI effect from the adoption month on + noise.
    Adopters are split evenly over the cohorts; `missing_share` of the cells are dropped
    at random (rows removed), making the panel unbalanced.
    """
    effects = cohort_effect if cohort_effect is not None else {6: -0.9, 10: -0.7, 15: -0.5}
    cohorts = np.array(sorted(effects), dtype=np.int64)
    if cohorts.min() < 1 or cohorts.max() >= months:
        raise ValueError("cohorts must adopt within the panel, after its first month")
    adopter = rng.random(persons) < adopter_share
    person_cohort = np.full(persons, np.nan)
    person_cohort[adopter] = rng.choice(cohorts, size=int(adopter.sum()))
    earliness = np.where(adopter, 1.0 - (person_cohort - cohorts.min()) / months, 0.0)
    alpha = baseline + person_spread * rng.standard_normal(persons) + selection * earliness
    month = np.arange(months)
    common = season * np.sin(2 * np.pi * month / 12.0)
    if calendar_shock is not None:
        common = common + np.where(month >= calendar_shock[0], calendar_shock[1], 0.0)
    y = alpha[:, None] + common[None, :] + noise * rng.standard_normal((persons, months))
    y += pre_trend * np.where(adopter, 1.0, 0.0)[:, None] * month[None, :]
    untreated = y.copy()
    g = np.nan_to_num(person_cohort, nan=np.inf)
    treated = month[None, :] >= g[:, None]
    base_effect = np.zeros(persons)
    for c, value in effects.items():
        base_effect[person_cohort == c] = value
    since = month[None, :] - np.where(np.isfinite(g), g, 0.0)[:, None]
    y += np.where(treated, base_effect[:, None] + growth * since, 0.0)
    person_ids = np.repeat(np.arange(persons, dtype=np.int64), months)
    period = np.tile(month, persons).astype(np.int64)
    outcome = y.ravel()
    first = np.repeat(person_cohort, months)
    keep = rng.random(outcome.size) >= missing_share
    return PlantedPanel(
        person=person_ids[keep],
        period=period[keep],
        outcome=outcome[keep],
        first_treated=first[keep],
        months=months,
        cohort_effect={int(k): float(v) for k, v in effects.items()},
        growth=growth,
        person_cohort=person_cohort,
        untreated=untreated,
    )
