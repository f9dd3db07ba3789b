"""Leadership metrics (capability 6): the registry, per-person values and the overviews.

The registry is the one list of metrics the report, the API and the pages show; each metric
is a class whose docstring is its exact definition.
"""

from gaplens.metrics.definitions import Metric
from gaplens.metrics.registry import REGISTRY, UnknownMetricError, get_metric
from gaplens.metrics.schemas import (
    MetricDefinition,
    MetricFigure,
    MetricOverview,
    MetricScope,
    TeamBreakdown,
    TeamFigure,
    UsageLevels,
)
from gaplens.metrics.service import metric_overview, metric_overviews, team_breakdown

__all__ = [
    "REGISTRY",
    "Metric",
    "MetricDefinition",
    "MetricFigure",
    "MetricOverview",
    "MetricScope",
    "TeamBreakdown",
    "TeamFigure",
    "UnknownMetricError",
    "UsageLevels",
    "get_metric",
    "metric_overview",
    "metric_overviews",
    "team_breakdown",
]
