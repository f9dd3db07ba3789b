"""Fixed bins for number answers: a number is only ever released as a count per bin.

An exact number can identify its writer (an administrator's custom question "your employee
number"), and a mean or a median of a few exact values can give one of them away; counts
per bin follow the same rules as answer options instead. The edges are fixed for every
question so that no bin is tuned to one person's value: wide where answers are rare.
"""

from __future__ import annotations

import bisect
import math

EDGES: tuple[float, ...] = (
    -math.inf,
    -1000,
    -100,
    -50,
    -25,
    -10,
    -5,
    -2,
    -1,
    0,
    1,
    2,
    5,
    10,
    25,
    50,
    100,
    1000,
    math.inf,
)
BIN_COUNT = len(EDGES) - 1


def number_bin(value: float) -> int:
    """The bin [EDGES[i], EDGES[i+1]) holding `value`."""
    if math.isnan(value):
        raise ValueError("a number answer cannot be NaN")
    return min(bisect.bisect_right(EDGES, value) - 1, BIN_COUNT - 1)


def bin_bounds(index: int) -> tuple[float, float]:
    return EDGES[index], EDGES[index + 1]


def bin_label(index: int) -> str:
    low, high = bin_bounds(index)
    if low == -math.inf:
        return f"below {high:g}"
    if high == math.inf:
        return f"{low:g} or more"
    return f"{low:g} to under {high:g}"
