"""Noisy counts: the noise is the advertised discrete Laplace and the accounting is OpenDP's."""

from __future__ import annotations

import statistics

import pytest

from gaplens.privacy import histogram_epsilon, noisy_histogram


def test_accounting_matches_the_scale():
    assert histogram_epsilon(10.0) == pytest.approx(0.1)
    assert histogram_epsilon(1.0) == pytest.approx(1.0)


def test_noise_is_centred_with_the_laplace_spread():
    """Discrete Laplace with scale b: mean 0, standard deviation close to sqrt(2)*b."""
    draws = [noisy_histogram({"a": 1000}, epsilon=0.1)["a"] - 1000 for _ in range(4000)]
    assert abs(statistics.fmean(draws)) < 1.5
    assert 12.5 < statistics.pstdev(draws) < 15.8  # sqrt(2) * 10 = 14.1
    assert len(set(draws)) > 30, "the released counts really vary"


def test_counts_never_go_negative_and_epsilon_must_be_positive():
    assert all(v >= 0 for _ in range(200) for v in noisy_histogram({"x": 0, "y": 1}, 0.5).values())
    with pytest.raises(ValueError):
        noisy_histogram({"x": 3}, 0)
