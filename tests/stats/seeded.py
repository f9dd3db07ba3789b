"""The seeded generator the statistics tests draw from: each test names its seed."""

from __future__ import annotations

import numpy as np


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)
