"""Relative importance: how much of the differences in an outcome goes with each factor.

The share of explained variance (R²) of a linear regression is split fairly among the
factors by averaging each factor's gain in R² over every order in which the factors could
enter the model: the Shapley value of R², which Lindeman, Merenda and Gold (1980) proposed
(LMG, as `relaimpo` computes it: Grömping 2006) and which equals Budescu's (1993) *general
dominance* weight. The shares add up to the model's R², do not depend on the order the
factors are listed in, and stay sensible when factors go together (unlike comparing
coefficients). A factor may be a group of columns (a band's indicator columns), which then
enters and leaves the model together.

`adjusted=True` splits the adjusted R² instead (each subset's R² corrected for its degrees
of freedom): a factor unrelated to the outcome then gets about zero rather than the small
positive share chance alone gives it, so its interval can include zero. Association only:
nothing here says a factor causes the outcome.

Intervals are percentile bootstrap intervals over the units (people or teams), drawn as
resample counts so each resample's cross-products are one weighted product.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

MAX_FACTORS = 12
"""2^factors regressions per fit: twelve factors are 4,096, beyond which this is too slow."""


@dataclass(frozen=True)
class Importance:
    """Each factor's share of the explained variance, with its bootstrap interval."""

    factors: tuple[str, ...]
    shares: tuple[float, ...]
    """Per factor, its part of R² (the parts add up to `r2`); on the 0-1 scale."""
    low: tuple[float, ...]
    high: tuple[float, ...]
    r2: float
    r2_low: float
    r2_high: float
    signs: tuple[int | None, ...]
    """Per one-column factor, the sign of its coefficient with every factor in the model
    (+1, -1, 0); None for a group of columns, which has no one direction."""
    n: int
    resamples: int
    adjusted: bool


def _check(design: FloatArray, outcome: FloatArray, groups: Sequence[Sequence[int]]) -> None:
    if design.ndim != 2 or outcome.ndim != 1 or design.shape[0] != outcome.shape[0]:
        raise ValueError("design must be units x columns and outcome one value per unit")
    if not np.all(np.isfinite(design)) or not np.all(np.isfinite(outcome)):
        raise ValueError("design and outcome must be finite (leave missing units out)")
    if not 1 <= len(groups) <= MAX_FACTORS:
        raise ValueError(f"between 1 and {MAX_FACTORS} factors, got {len(groups)}")
    columns = sorted(c for group in groups for c in group)
    if columns != list(range(design.shape[1])) or any(not g for g in groups):
        raise ValueError("every column must belong to exactly one non-empty factor")


def _subset_r2(
    gram: FloatArray, groups: Sequence[Sequence[int]], n: float, adjusted: bool, exact: bool
) -> dict[int, FloatArray]:
    """R² (or adjusted R²) of every subset of factors, per batch of weighted cross-products.

    `gram` is (batch, m+1, m+1): centred cross-products of the m columns and, last, the
    outcome. A subset is a bit mask over the factors. `exact` solves each block by
    pseudo-inverse (a singular block, a band nobody is in, gets its least-squares fit);
    otherwise, for the many resamples, a ridge of 1e-10 of the block's scale keeps a block
    with a band absent from a resample solvable, at a cost below 1e-9 in R²."""
    m = gram.shape[1] - 1
    total = gram[:, m, m]
    safe_total = np.where(total > 0, total, 1.0)
    found: dict[int, FloatArray] = {0: np.zeros(gram.shape[0])}
    for mask in range(1, 1 << len(groups)):
        cols = [c for f, group in enumerate(groups) if mask >> f & 1 for c in group]
        block = gram[:, cols][:, :, cols]
        cross = gram[:, cols, m]
        if exact:
            coef = np.einsum("bij,bj->bi", np.linalg.pinv(block, hermitian=True), cross)
        else:
            scale = np.einsum("bii->b", block)[:, None, None] / len(cols) + 1e-300
            ridge = block + 1e-10 * scale * np.eye(len(cols))
            coef = np.linalg.solve(ridge, cross[:, :, None])[:, :, 0]
        r2 = np.einsum("bi,bi->b", coef, cross) / safe_total
        r2 = np.where(total > 0, np.clip(r2, 0.0, 1.0), 0.0)
        if adjusted:
            df = n - 1 - len(cols)
            r2 = 1 - (1 - r2) * (n - 1) / df if df > 0 else np.full_like(r2, np.nan)
        found[mask] = r2
    return found


def _shapley(r2: dict[int, FloatArray], factors: int) -> FloatArray:
    """(batch, factors): each factor's gain in R² averaged over the orders of entry."""
    out = np.zeros((next(iter(r2.values())).shape[0], factors))
    others_weight = [
        math.factorial(size) * math.factorial(factors - size - 1) / math.factorial(factors)
        for size in range(factors)
    ]
    for f in range(factors):
        bit = 1 << f
        for mask in range(1 << factors):
            if mask & bit:
                continue
            out[:, f] += others_weight[mask.bit_count()] * (r2[mask | bit] - r2[mask])
    return out


def _grams(design: FloatArray, outcome: FloatArray, weights: FloatArray) -> FloatArray:
    """Weighted centred cross-products of [design, outcome], one per row of `weights`."""
    data = np.column_stack([design, outcome])
    totals = weights.sum(axis=1, keepdims=True)
    means = weights @ data / totals
    width = data.shape[1]
    products = (data[:, :, None] * data[:, None, :]).reshape(data.shape[0], width * width)
    raw: FloatArray = (weights @ products).reshape(weights.shape[0], width, width)
    outer: FloatArray = np.einsum("bi,bj->bij", means, means)
    centred: FloatArray = raw - totals[:, :, None] * outer
    return centred


def shapley_r2(
    design: npt.ArrayLike,
    outcome: npt.ArrayLike,
    groups: Sequence[Sequence[int]],
    *,
    adjusted: bool = False,
) -> tuple[FloatArray, float]:
    """Each factor's share of R² and the full model's R² (no interval)."""
    x = np.asarray(design, dtype=np.float64)
    y = np.asarray(outcome, dtype=np.float64)
    _check(x, y, groups)
    gram = _grams(x, y, np.ones((1, x.shape[0])))
    r2 = _subset_r2(gram, groups, float(x.shape[0]), adjusted, exact=True)
    return _shapley(r2, len(groups))[0], float(r2[(1 << len(groups)) - 1][0])


def relative_importance(
    design: npt.ArrayLike,
    outcome: npt.ArrayLike,
    groups: Sequence[Sequence[int]],
    factors: Sequence[str],
    rng: np.random.Generator,
    *,
    resamples: int = 400,
    adjusted: bool = True,
    confidence: float = 0.95,
) -> Importance:
    """Shares of (adjusted) R² per factor with percentile bootstrap intervals, resampling
    units (rows) with replacement; the caller's seeded `rng` makes it reproducible."""
    x = np.asarray(design, dtype=np.float64)
    y = np.asarray(outcome, dtype=np.float64)
    _check(x, y, groups)
    if len(factors) != len(groups):
        raise ValueError("one name per factor")
    n = x.shape[0]
    if n < x.shape[1] + 3:
        raise ValueError(f"{n} units cannot fit {x.shape[1]} columns")
    full = (1 << len(groups)) - 1
    point_r2 = _subset_r2(_grams(x, y, np.ones((1, n))), groups, float(n), adjusted, exact=True)
    point = _shapley(point_r2, len(groups))[0]
    drawn = rng.integers(0, n, size=(resamples, n)) + n * np.arange(resamples)[:, None]
    counts = np.bincount(drawn.ravel(), minlength=resamples * n).reshape(resamples, n)
    boot_r2 = _subset_r2(
        _grams(x, y, counts.astype(np.float64)), groups, float(n), adjusted, exact=False
    )
    boot = _shapley(boot_r2, len(groups))
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(boot, [tail, 100 - tail], axis=0)
    r2_low, r2_high = np.percentile(boot_r2[full], [tail, 100 - tail])
    return Importance(
        factors=tuple(factors),
        shares=tuple(float(v) for v in point),
        low=tuple(float(v) for v in low),
        high=tuple(float(v) for v in high),
        r2=float(point_r2[full][0]),
        r2_low=float(r2_low),
        r2_high=float(r2_high),
        signs=_signs(x, y, groups),
        n=n,
        resamples=resamples,
        adjusted=adjusted,
    )


def _signs(x: FloatArray, y: FloatArray, groups: Sequence[Sequence[int]]) -> tuple[int | None, ...]:
    """The direction of each one-column factor's coefficient in the full model."""
    centred = np.column_stack([x - x.mean(axis=0), np.ones(len(y))])
    coef, *_ = np.linalg.lstsq(centred, y, rcond=None)
    return tuple(
        int(np.sign(round(float(coef[g[0]]), 12))) if len(g) == 1 else None for g in groups
    )
