"""The metric registry: the single list the report, the API and the pages read metrics from."""

from __future__ import annotations

from gaplens.metrics.definitions import (
    AiUsageIntensity,
    CycleTime,
    Metric,
    ReopenRate,
    ReworkCycles,
    StoryPointsPerSprint,
    Throughput,
    TimeToResolution,
)


class UnknownMetricError(KeyError):
    """Raised for a key not in the registry; adapters turn it into a 404 or exit status 2."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key

    def __str__(self) -> str:
        return f"unknown metric {self.key!r}; known: {', '.join(REGISTRY)}"


REGISTRY: dict[str, Metric] = {
    metric.key: metric
    for metric in (
        StoryPointsPerSprint(),
        Throughput(),
        CycleTime(),
        TimeToResolution(),
        ReopenRate(),
        ReworkCycles(),
        AiUsageIntensity(),
    )
}


def get_metric(key: str) -> Metric:
    try:
        return REGISTRY[key]
    except KeyError:
        raise UnknownMetricError(key) from None
