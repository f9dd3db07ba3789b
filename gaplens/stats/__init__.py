"""Pure interval estimators for survey proportions, differences, ratios and scores."""

from gaplens.stats.intervals import (
    Estimate,
    binned_median,
    bootstrap_mean,
    bootstrap_median,
    mean_interval,
    mover_difference,
    newcombe_difference,
    risk_ratio,
    wilson_interval,
)

__all__ = [
    "Estimate",
    "binned_median",
    "bootstrap_mean",
    "bootstrap_median",
    "mean_interval",
    "mover_difference",
    "newcombe_difference",
    "risk_ratio",
    "wilson_interval",
]
