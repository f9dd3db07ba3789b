"""What goes with the gap across teams, from released team figures: planted worlds, no
driver at all, too few teams, a factor not released for every team."""

from __future__ import annotations

import random

from gaplens.drivers.service import TEAM_LABELS, TeamRow, _gap
from gaplens.figures import FigureStatus


def _teams(n: int, seed: int, effect: float) -> list[TeamRow]:
    """Teams whose gap follows their involvement share (by `effect` points per share) and
    nothing else; every other factor is drawn apart from the gap."""
    rng = random.Random(seed)
    rows = []
    for team in range(n):
        factors: dict[str, float | None] = {name: rng.random() for name in TEAM_LABELS}
        involvement = factors["involvement"]
        assert involvement is not None
        gap = 30 - effect * involvement + rng.gauss(0, 4)
        rows.append(TeamRow(team, gap, factors))
    return rows


def test_a_planted_team_driver_ranks_first_and_the_others_include_zero():
    found = _gap(_teams(60, 1, effect=40.0), seed=3)
    assert found.status == FigureStatus.SHOWN and found.n == 60
    first, *rest = found.drivers
    assert first.factor == "involvement" and first.low > 20 and first.direction == "lower"
    assert "goes with lower gaps" in first.sentence
    assert "differences between teams" in first.sentence
    for driver in rest:
        assert driver.low <= 0 <= driver.high, driver
        assert driver.direction is None and "no clear link" in driver.sentence


def test_with_no_planted_driver_every_interval_includes_zero():
    found = _gap(_teams(60, 2, effect=0.0), seed=3)
    assert found.status == FigureStatus.SHOWN
    assert sum(not (d.low <= 0 <= d.high) for d in found.drivers) <= 1


def test_too_few_teams_for_the_factors_says_so_instead_of_numbers():
    found = _gap(_teams(20, 4, effect=40.0), seed=3)
    assert found.status == FigureStatus.NOT_ENOUGH_RESPONSES
    assert found.drivers == [] and found.explained is None
    assert found.reason == (
        "Not enough teams to tell: 20 teams have a released gap, and 8 team factors need at "
        "least 40 (at least 5 per factor and 15 in all)."
    )


def test_a_factor_missing_for_a_team_is_left_out_and_said():
    rows = _teams(40, 5, effect=40.0)
    rows[0] = TeamRow(rows[0].team, rows[0].gap, {**rows[0].factors, "trained": None})
    found = _gap(rows, seed=3)
    assert "Share of licensed people trained: not released for every team" in found.left_out
    assert "trained" not in {d.factor for d in found.drivers}
