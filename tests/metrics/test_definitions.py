"""Each metric definition on small hand-computed examples (no database)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from gaplens.metrics import REGISTRY, UnknownMetricError, get_metric
from gaplens.metrics.definitions import DomainData, Metric, group_median, usage_levels
from gaplens.metrics.queries import UsageRows, WorkRows, day_number
from gaplens.metrics.schemas import MetricDefinition

NAN = np.nan
START = dt.date(2025, 3, 1)
END = dt.date(2025, 3, 15)  # a 14-day (2-week) window
D0 = day_number(START)


def work(rows: list[dict[str, float | int | bool]]) -> WorkRows:
    """Rows with days relative to the window start; missing fields take neutral defaults."""

    def col(name: str, default: float) -> np.ndarray:
        return np.array([r.get(name, default) for r in rows], dtype=np.float64)

    return WorkRows(
        person=np.array([r["person"] for r in rows], dtype=np.int64),
        is_ticket=np.array([r.get("ticket", False) for r in rows], dtype=np.bool_),
        created=col("created", -5.0) + D0,
        started=col("started", NAN) + D0,
        resolved=col("resolved", NAN) + D0,
        points=col("points", NAN),
        sprint=np.array([r.get("sprint", -1) for r in rows], dtype=np.int64),
        reopens=col("reopens", 0),
        reworks=col("reworks", 0),
    )


NO_USAGE = UsageRows(np.empty(0, np.int64), np.empty(0, np.float64), None)


def values(key: str, rows: list[dict[str, float | int | bool]], n: int = 3) -> list[float]:
    data = DomainData(n, work(rows), NO_USAGE)
    return get_metric(key).between(data, START, END).tolist()


def assert_values(actual: list[float], expected: list[float]) -> None:
    assert actual == pytest.approx(expected, nan_ok=True)


def test_story_points_per_sprint():
    rows = [
        # person 0: sprints 0 and 1 active; 3 + 5 points resolved in the window -> 8 / 2
        {"person": 0, "sprint": 0, "resolved": 2.0, "points": 3.0},
        {"person": 0, "sprint": 1, "resolved": 9.0, "points": 5.0},
        {"person": 0, "sprint": 1, "points": 8.0},  # still open: its sprint counts, no points
        {"person": 0, "resolved": 3.0, "points": 13.0},  # no sprint: ignored
        # person 1: sprint 2 active but nothing resolved -> 0; a sprint-3 item done last
        # month is not active in the window
        {"person": 1, "sprint": 2},
        {"person": 1, "sprint": 3, "resolved": -3.0, "points": 2.0},
        # person 2: unestimated resolved item in one sprint -> 0 points / 1 sprint
        {"person": 2, "sprint": 4, "resolved": 1.0},
    ]
    assert_values(values("story_points_per_sprint", rows), [4.0, 0.0, 0.0])
    assert_values(values("story_points_per_sprint", rows[3:4], n=1), [NAN])


def test_throughput():
    rows = [
        {"person": 0, "resolved": 1.0},
        {"person": 0, "resolved": 13.9, "ticket": True},
        {"person": 0, "resolved": 14.0},  # resolved at the window end: outside
        {"person": 0, "resolved": 16.0},
        {"person": 1},  # open throughout: worked, resolved nothing
        {"person": 2, "resolved": -1.0},  # done before the window: not active
        {"person": 2, "created": 20.0},  # created after the window
    ]
    assert_values(values("throughput", rows), [1.0, 0.0, NAN])


def test_cycle_time_uses_started_else_created():
    rows = [
        {"person": 0, "started": 0.0, "resolved": 2.0},  # 2 days
        {"person": 0, "created": 1.0, "resolved": 7.0},  # never started: 6 days from created
        {"person": 0, "started": 5.0, "resolved": 9.0},  # 4 days -> median of 2, 6, 4 = 4
        {"person": 1, "started": 0.0, "resolved": 1.0},  # 1 day
        {"person": 1, "started": 0.0, "resolved": 4.0},  # 4 days -> median 2.5
        {"person": 1, "started": 0.0, "resolved": 3.0, "ticket": True},  # tickets: not cycle time
        {"person": 2, "started": 3.0, "resolved": 2.0},  # negative span counts as 0
    ]
    assert_values(values("cycle_time", rows), [4.0, 2.5, 0.0])


def test_time_to_resolution_is_tickets_from_creation():
    rows = [
        {"person": 0, "ticket": True, "created": -1.0, "started": 1.0, "resolved": 1.5},  # 2.5
        {"person": 0, "ticket": True, "created": 0.0, "resolved": 0.5},  # 0.5 -> median 1.5
        {"person": 1, "created": 0.0, "resolved": 3.0},  # an issue: not counted
        {"person": 2, "ticket": True, "created": 0.0, "resolved": 20.0},  # resolved later
    ]
    assert_values(values("time_to_resolution", rows), [1.5, NAN, NAN])


def test_reopen_rate_and_rework_cycles():
    rows = [
        {"person": 0, "resolved": 1.0, "reopens": 2, "reworks": 3},
        {"person": 0, "resolved": 2.0, "reopens": 0, "reworks": 0},
        {"person": 0, "resolved": 3.0, "reopens": 1, "reworks": 1, "ticket": True},
        {"person": 0, "resolved": 4.0, "reopens": 0, "reworks": 0},
        {"person": 0, "reopens": 5, "reworks": 5},  # open: not counted
        {"person": 1, "resolved": 5.0},
        {"person": 2, "resolved": 30.0, "reopens": 1},
    ]
    assert_values(values("reopen_rate", rows), [0.5, 0.0, NAN])
    assert_values(values("rework_cycles", rows), [1.0, 0.0, NAN])


def test_ai_usage_intensity_counts_distinct_days_per_week():
    usage = UsageRows(
        person=np.array([0, 0, 0, 1, 1], dtype=np.int64),
        day=np.array([D0, D0 + 3, D0 + 13, D0 - 1, D0 + 14], dtype=np.float64),
        coverage_start=float(D0 - 30),
    )
    data = DomainData(3, WorkRows.empty(), usage)
    metric = get_metric("ai_usage_intensity")
    assert_values(metric.between(data, START, END).tolist(), [1.5, 0.0, 0.0])
    # A window starting before the organisation's first usage data is unknown, not idle.
    early = metric.between(data, START - dt.timedelta(days=31), END)
    assert np.isnan(early).all()
    no_telemetry = DomainData(3, WorkRows.empty(), UsageRows(usage.person, usage.day, None))
    assert np.isnan(metric.between(no_telemetry, START, END)).all()


def test_per_person_windows():
    """Windows may differ per person (pivoted on each person's adoption date)."""
    data = DomainData(
        2, work([{"person": 0, "resolved": 1.0}, {"person": 1, "resolved": 8.0}]), NO_USAGE
    )
    metric = get_metric("throughput")
    starts = np.array([D0, D0 + 7.0])
    result = metric.per_person(data, starts, starts + 7.0)
    assert_values(result.tolist(), [1.0, 1.0])
    assert np.isnan(metric.per_person(data, np.array([NAN, D0]), D0 + 7.0)[0])


def test_usage_levels_quartile_cut_points():
    # 3 persons with no usage, 8 users with 0.5 .. 4.0 active days per week
    split = usage_levels([0.0, 0.0, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, NAN])
    assert split is not None
    assert split.cut_points == pytest.approx((1.375, 2.25, 3.125))
    assert split.counts == {"none": 3, "minimal": 2, "light": 2, "moderate": 2, "heavy": 2}
    assert usage_levels([0.0, 0.0]) is None


def test_registry():
    assert list(REGISTRY) == [
        "story_points_per_sprint",
        "throughput",
        "cycle_time",
        "time_to_resolution",
        "reopen_rate",
        "rework_cycles",
        "ai_usage_intensity",
    ]
    for key, metric in REGISTRY.items():
        assert metric.key == key
        assert metric.better in ("lower", "higher")
        assert metric.summary in ("mean", "median")
        assert len(metric.definition) > 60 and metric.unit and metric.label and metric.data_needed
    with pytest.raises(UnknownMetricError, match="unknown metric 'velocity'"):
        get_metric("velocity")


def _metric_classes(base: type[Metric]) -> list[type[Metric]]:
    found = []
    for sub in base.__subclasses__():
        found += [sub, *_metric_classes(sub)]
    return found


def test_every_speed_metric_has_stability_counter_metrics() -> None:
    """Speed is never shown alone (docs/metrics.md, "Stability beside speed"): every speed
    metric, registered or merely defined, names registered stability metrics that the
    staggered estimate is published for, so its counter-figure comes from the same
    release and the same estimator."""
    classes = [c for c in _metric_classes(Metric) if c.__module__ == "gaplens.metrics.definitions"]
    assert {c.key for c in classes} == set(REGISTRY)
    for cls in classes:
        assert cls.kind in ("speed", "stability", "usage"), cls.key
        if cls.kind != "speed":
            assert cls.counter_metrics == (), cls.key
            continue
        assert cls.counter_metrics, f"{cls.key} is a speed metric without a counter-metric"
        assert cls.monthly
        for key in cls.counter_metrics:
            counter = get_metric(key)
            assert counter.kind == "stability" and counter.monthly, (cls.key, key)
    speed = [k for k, m in REGISTRY.items() if m.kind == "speed"]
    assert speed == ["story_points_per_sprint", "throughput", "cycle_time", "time_to_resolution"]
    assert MetricDefinition.of(get_metric("cycle_time")).counter_metrics == (
        "reopen_rate",
        "rework_cycles",
    )


@pytest.mark.parametrize("shuffled", [False, True])
def test_group_median_matches_numpy_per_person(shuffled: bool) -> None:
    rng = np.random.default_rng(21)
    person = np.sort(rng.integers(0, 40, size=600))  # person 40..44: no values at all
    values = np.round(rng.lognormal(1.0, 1.0, size=600), 1)  # ties on purpose
    if shuffled:
        order = rng.permutation(600)
        person, values = person[order], values[order]
    medians = group_median(person, values, 45)
    for p in range(45):
        mine = values[person == p]
        if mine.size:
            assert medians[p] == np.median(mine)
        else:
            assert np.isnan(medians[p])
