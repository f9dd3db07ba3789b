"""Bootstrap draws: resampled means and medians of one group, the engine every interval uses.

One implementation for every bootstrap in gaplens (metric changes and differences, friction
minutes, task hours, survey number medians), so each gets the same speed and the same
reproducibility: randomness comes from the caller's seeded `numpy.random.Generator`.

Means cost one random index per person per resample, which is most of a report's
arithmetic. A large group's resamples are therefore drawn in two halves from two
generators spawned from the caller's, and the halves run on two threads where the machine
has two cores (numpy releases the GIL while it draws and gathers). The split depends on
the data only, never on the cores, so a one-core machine gives the same draws.
"""

from __future__ import annotations

import os
import threading

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

# Resampled indices are drawn in blocks of this many cells: 2 MB of indices, which stay in
# the core's cache between drawing and gathering (1.6-2.5x faster than 2M-cell blocks).
BLOCK_CELLS = 250_000
# From this many cells (persons x resamples) a group's means are drawn in halves: below
# it, starting a thread (~0.1 ms) costs about what the second core would save.
SPLIT_MIN_CELLS = 500_000
_PARTS = 2


def finite_vector(values: npt.ArrayLike, name: str = "values") -> FloatArray:
    """`values` as a one-dimensional float array, refusing NaN and infinities (a value
    that is missing must be left out, not passed as NaN)."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or infinity)")
    return arr


def resampled_means(values: npt.ArrayLike, rng: np.random.Generator, resamples: int) -> FloatArray:
    """Means of `resamples` with-replacement resamples of `values` (vectorised, in blocks).

    Deviations from the mean are gathered as float32 (half the memory traffic, which is
    what the time goes on) and summed in float64, so draws stay accurate to about 1e-7 of
    the values' spread.
    """
    arr = finite_vector(values)
    n = arr.size
    if n == 0:
        raise ValueError("cannot resample an empty group")
    if resamples < 1:
        raise ValueError(f"resamples must be positive, got {resamples!r}")
    centre = float(arr.mean())
    deviations = (arr - centre).astype(np.float32)
    out = np.empty(resamples, dtype=np.float64)
    if n * resamples < SPLIT_MIN_CELLS or resamples < _PARTS:
        _fill_means(deviations, rng, out)
    else:
        parts = np.array_split(out, _PARTS)
        _fill_in_parts(deviations, rng.spawn(_PARTS), parts, use_thread=_cores() >= 2)
    return out + centre


def _fill_means(
    deviations: npt.NDArray[np.float32], rng: np.random.Generator, out: FloatArray
) -> None:
    """Indices are drawn as the platform's index type: smaller ones are converted before
    every gather, which cost more than drawing them (measured: int32 made it 1.3-2x slower)."""
    n = deviations.size
    block = max(1, BLOCK_CELLS // n)
    for start in range(0, out.size, block):
        rows = min(block, out.size - start)
        idx = rng.integers(0, n, size=(rows, n), dtype=np.intp)
        out[start : start + rows] = np.take(deviations, idx).mean(axis=1, dtype=np.float64)


def _fill_in_parts(
    deviations: npt.NDArray[np.float32],
    generators: list[np.random.Generator],
    parts: list[FloatArray],
    *,
    use_thread: bool,
) -> None:
    """Each part from its own generator, the first on a second thread if `use_thread`."""
    if not use_thread:
        for generator, part in zip(generators, parts, strict=True):
            _fill_means(deviations, generator, part)
        return
    failure: list[BaseException] = []

    def first() -> None:
        try:
            _fill_means(deviations, generators[0], parts[0])
        except BaseException as exc:  # re-raised in the caller's thread below
            failure.append(exc)

    helper = threading.Thread(target=first, name="gaplens-bootstrap", daemon=True)
    helper.start()
    try:
        for generator, part in zip(generators[1:], parts[1:], strict=True):
            _fill_means(deviations, generator, part)
    finally:
        helper.join()
    if failure:
        raise failure[0]


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def resampled_medians(
    values: npt.ArrayLike, rng: np.random.Generator, resamples: int
) -> FloatArray:
    """Medians of `resamples` with-replacement resamples of `values`, in O(resamples).

    A resample's k-th smallest index is floor(n * U_(k)) with U_(k) the k-th order statistic
    of n uniforms, which is Beta(k, n - k + 1); the next one is U_(k) + (1 - U_(k)) * V with
    V ~ Beta(1, n - k). Drawing those two numbers gives exactly the distribution of the
    resampled median without drawing n indices per resample, so a median over 10,000 people
    costs as little as one over 10.
    """
    arr = np.sort(finite_vector(values))
    n = arr.size
    if n == 0:
        raise ValueError("cannot resample an empty group")
    if resamples < 1:
        raise ValueError(f"resamples must be positive, got {resamples!r}")
    if n == 1:
        return np.full(resamples, arr[0])
    k = (n + 1) // 2  # 1-based rank of the (lower) middle order statistic
    u_k = rng.beta(k, n - k + 1, size=resamples)
    lower = np.minimum((u_k * n).astype(np.int64), n - 1)
    if n % 2:
        return arr[lower]
    u_next = u_k + (1.0 - u_k) * rng.beta(1, n - k, size=resamples)
    upper = np.minimum((u_next * n).astype(np.int64), n - 1)
    result: FloatArray = (arr[lower] + arr[upper]) / 2.0
    return result


def percentiles(draws: FloatArray, confidence: float) -> tuple[float, float]:
    """The two-sided percentile interval of bootstrap draws."""
    alpha = 1.0 - confidence
    low, high = np.quantile(draws, [alpha / 2.0, 1.0 - alpha / 2.0])
    return float(low), float(high)
