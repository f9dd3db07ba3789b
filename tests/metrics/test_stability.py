"""The stability verdict beside a speed figure, on hand-made intervals (no database)."""

from __future__ import annotations

import pytest

from gaplens.metrics.registry import get_metric
from gaplens.metrics.schemas import CounterFigure, Direction
from gaplens.metrics.stability import direction, verdict


def counter(key: str, low: float | None, high: float | None) -> CounterFigure:
    metric = get_metric(key)
    base = {"key": key, "label": metric.label, "unit": metric.unit, "better": metric.better}
    if low is None or high is None:
        return CounterFigure(**base, not_enough_data="too few people")
    return CounterFigure(
        **base,
        estimate=(low + high) / 2,
        low=low,
        high=high,
        direction=direction(low, high, metric.better),
    )


@pytest.mark.parametrize(
    ("low", "high", "better", "expected"),
    [
        (-0.9, -0.1, "lower", "better"),
        (-0.9, -0.1, "higher", "worse"),
        (0.1, 0.9, "lower", "worse"),
        (0.1, 0.9, "higher", "better"),
        (-0.1, 0.1, "lower", "unclear"),
        (0.0, 0.4, "lower", "unclear"),  # an interval touching zero does not leave it out
    ],
)
def test_direction_reads_the_interval_against_zero(
    low: float, high: float, better: str, expected: Direction
) -> None:
    assert direction(low, high, better) == expected


@pytest.mark.parametrize(
    ("speed", "better", "reopen", "rework", "expected"),
    [
        ("better", "lower", (0.02, 0.06), (-0.1, 0.1), "Faster, but more work was reopened."),
        (
            "better",
            "lower",
            (-0.01, 0.02),
            (-0.1, 0.1),
            "Faster, with no sign of less stable work.",
        ),
        ("better", "lower", (-0.06, -0.02), (-0.1, 0.1), "Faster, and less work was reopened."),
        (
            "better",
            "higher",
            (0.02, 0.06),
            (0.1, 0.3),
            "More done, but more work was reopened and more work went back for rework.",
        ),
        (
            "unclear",
            "lower",
            (-0.01, 0.02),
            (-0.1, 0.1),
            "No clear change in speed or in stability.",
        ),
        (
            "unclear",
            "lower",
            (0.02, 0.06),
            (-0.1, 0.1),
            "No clear change in speed, but more work was reopened.",
        ),
        ("worse", "lower", (0.02, 0.06), (-0.1, 0.1), "Slower, and more work was reopened."),
        (
            "better",
            "lower",
            (0.02, 0.06),
            (-0.3, -0.1),
            "Faster, but more work was reopened (while less work went back for rework).",
        ),
        (
            "better",
            "lower",
            (-0.01, 0.02),
            None,
            "Faster, with no sign of less stable work (rework: not enough data).",
        ),
        ("better", "lower", None, None, "Faster; stability could not be measured here."),
    ],
)
def test_the_verdict_names_a_change_only_when_its_interval_leaves_out_zero(
    speed: Direction,
    better: str,
    reopen: tuple[float, float] | None,
    rework: tuple[float, float] | None,
    expected: str,
) -> None:
    counters = [
        counter("reopen_rate", *(reopen or (None, None))),
        counter("rework_cycles", *(rework or (None, None))),
    ]
    assert verdict(speed, better, counters) == expected
