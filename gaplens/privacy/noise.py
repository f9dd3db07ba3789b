"""Noisy counts (privacy rule 7): differential privacy for organisation-wide roll-ups.

A single-choice question's answers form a histogram in which each respondent sits in
exactly one cell, so adding or removing one person changes one count by one (L1
sensitivity 1). Adding discrete Laplace noise of scale 1/epsilon to every cell (OpenDP's
vetted sampler) makes the whole histogram epsilon-differentially private; releases are
charged to a per-survey budget by the caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=32)
def _laplace(scale: float) -> Any:
    import opendp.prelude as dp

    dp.enable_features("contrib")
    return dp.m.make_laplace(dp.atom_domain(T=int), dp.absolute_distance(T=int), scale=scale)


def histogram_epsilon(scale: float) -> float:
    """The privacy loss of one histogram release at this scale, as OpenDP accounts it."""
    return float(_laplace(scale).map(d_in=1))


def noisy_histogram(counts: Mapping[str, int], epsilon: float) -> dict[str, int]:
    """Each count plus discrete Laplace(1/epsilon) noise, floored at zero (post-processing)."""
    if epsilon <= 0:
        raise ValueError("epsilon must be positive")
    measurement = _laplace(1.0 / epsilon)
    return {key: max(0, int(measurement(int(count)))) for key, count in counts.items()}
