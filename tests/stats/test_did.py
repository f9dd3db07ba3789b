"""Before/after, difference-in-differences and two-group bootstrap estimators."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from gaplens.stats.did import (
    ChangeEstimate,
    DidEstimate,
    GroupDifference,
    NotEnoughData,
    SummaryEstimate,
    change_and_did,
    difference_in_differences,
    summarise,
    two_group_difference,
    within_person_change,
)
from tests.stats.seeded import rng


def test_within_person_change_hand_computed() -> None:
    before = [10.0, 8.0, 6.0, 4.0, 2.0]
    after = [9.0, 6.0, 5.0, 1.0, 2.0]  # changes -1, -2, -1, -3, 0 -> mean -1.4
    result = within_person_change(before, after, rng())
    assert isinstance(result, ChangeEstimate)
    assert result.estimate == pytest.approx(-1.4)
    assert result.n == 5
    assert result.mean_before == pytest.approx(6.0)
    assert result.mean_after == pytest.approx(4.6)
    # The bootstrap mean of five changes lies between the smallest and largest change.
    assert -3.0 <= result.low <= -1.4 <= result.high <= 0.0


def test_identical_changes_give_a_zero_width_interval() -> None:
    result = within_person_change([5.0] * 6, [3.0] * 6, rng())
    assert isinstance(result, ChangeEstimate)
    assert (result.estimate, result.low, result.high) == pytest.approx((-2.0, -2.0, -2.0))


def test_did_hand_computed() -> None:
    # Treated change by exactly -2, controls by exactly -0.5: DiD -1.5 whatever the resample.
    treated_before = np.array([5.0, 6.0, 7.0, 8.0, 9.0])
    control_before = np.array([6.0, 7.0, 8.0, 9.0, 10.0, 11.0])
    result = difference_in_differences(
        treated_before, treated_before - 2.0, control_before, control_before - 0.5, rng()
    )
    assert isinstance(result, DidEstimate)
    assert (result.estimate, result.low, result.high) == pytest.approx((-1.5, -1.5, -1.5))
    assert (result.n_treated, result.n_control) == (5, 6)
    assert result.treated_change == pytest.approx(-2.0)
    assert result.control_change == pytest.approx(-0.5)


def test_did_equals_the_ols_interaction_coefficient() -> None:
    generator = rng(7)
    n_t, n_c = 37, 53
    person_level = generator.normal(10.0, 3.0, n_t + n_c)
    treated = np.r_[np.ones(n_t), np.zeros(n_c)]
    before = person_level + generator.normal(0.0, 1.0, n_t + n_c)
    after = person_level - 0.7 - 1.3 * treated + generator.normal(0.0, 1.0, n_t + n_c)
    panel = pd.DataFrame(
        {
            "y": np.r_[before, after],
            "treated": np.r_[treated, treated],
            "post": np.r_[np.zeros(n_t + n_c), np.ones(n_t + n_c)],
        }
    )
    coefficient = smf.ols("y ~ treated * post", data=panel).fit().params["treated:post"]
    result = difference_in_differences(
        before[:n_t], after[:n_t], before[n_t:], after[n_t:], generator
    )
    assert isinstance(result, DidEstimate)
    assert result.estimate == pytest.approx(coefficient, rel=1e-10)
    assert result.low < result.estimate < result.high


def test_did_interval_covers_the_true_effect_at_close_to_nominal_rate() -> None:
    generator = rng(2026)
    true_effect = -1.5
    repetitions, covered = 300, 0
    for _ in range(repetitions):
        n_t, n_c = 30, 40
        level_t = generator.normal(6.0, 2.0, n_t)  # users faster before: selection
        level_c = generator.normal(9.0, 2.0, n_c)
        tb = level_t + generator.gamma(2.0, 1.0, n_t)
        ta = level_t - 0.5 + true_effect + generator.gamma(2.0, 1.0, n_t)
        cb = level_c + generator.gamma(2.0, 1.0, n_c)
        ca = level_c - 0.5 + generator.gamma(2.0, 1.0, n_c)
        result = difference_in_differences(tb, ta, cb, ca, generator, resamples=1000)
        assert isinstance(result, DidEstimate)
        covered += result.low <= true_effect <= result.high
    # Binomial sd at 95% over 300 runs is 1.3 points; percentile bootstraps run a bit narrow.
    assert 0.90 <= covered / repetitions <= 0.985


def test_not_enough_data_names_the_small_group() -> None:
    four = [1.0, 2.0, 3.0, 4.0]
    five = [1.0, 2.0, 3.0, 4.0, 5.0]
    assert within_person_change(four, four, rng(), group="AI users") == NotEnoughData(
        "fewer than 5 AI users"
    )
    assert within_person_change([], [], rng(), group="AI users") == NotEnoughData(
        "no AI users with data"
    )
    result = difference_in_differences(five, five, four, four, rng(), groups=("users", "others"))
    assert result == NotEnoughData("fewer than 5 others")
    assert isinstance(within_person_change(four, four, rng(), min_persons=4), ChangeEstimate)
    assert two_group_difference(five, [], rng(), groups=("veterans", "newcomers")) == (
        NotEnoughData("no newcomers with data")
    )


def test_inputs_are_checked() -> None:
    with pytest.raises(ValueError, match="same order"):
        within_person_change([1.0, 2.0], [1.0], rng())
    with pytest.raises(ValueError, match="finite"):
        within_person_change([1.0, np.nan], [1.0, 2.0], rng())
    with pytest.raises(ValueError, match="confidence"):
        summarise([1.0] * 5, rng(), confidence=1.0)


def test_two_group_difference_of_means_and_medians() -> None:
    a = [1.0, 2.0, 3.0, 4.0, 100.0]
    b = [1.0, 1.0, 2.0, 2.0, 2.0, 3.0]
    means = two_group_difference(a, b, rng())
    assert isinstance(means, GroupDifference)
    assert means.estimate == pytest.approx(22.0 - 11.0 / 6.0)
    medians = two_group_difference(a, b, rng(), statistic="median")
    assert isinstance(medians, GroupDifference)
    assert (medians.value_a, medians.value_b, medians.estimate) == (3.0, 2.0, 1.0)
    assert medians.low <= 1.0 <= medians.high
    assert (medians.n_a, medians.n_b) == (5, 6)


def test_summarise_median() -> None:
    result = summarise([3.0, 1.0, 2.0, 5.0, 4.0, 9.0], rng(), statistic="median")
    assert isinstance(result, SummaryEstimate)
    assert result.estimate == 3.5
    assert 1.0 <= result.low <= 3.5 <= result.high <= 9.0


def test_same_seed_same_interval() -> None:
    before, after = rng(5).normal(size=20), rng(6).normal(size=20)
    assert within_person_change(before, after, rng(9)) == within_person_change(
        before, after, rng(9)
    )


def test_change_and_did_shares_draws_but_equals_the_separate_estimators() -> None:
    g = rng(11)
    tb, cb = g.normal(5, 1, 30), g.normal(7, 1, 20)
    ta, ca = tb - 1 + g.normal(0, 0.5, 30), cb - 0.2 + g.normal(0, 0.5, 20)
    change, did = change_and_did(tb, ta, cb, ca, rng(3))
    assert change == within_person_change(tb, ta, rng(3))
    assert did == difference_in_differences(tb, ta, cb, ca, rng(3))
    few_controls = change_and_did(tb, ta, cb[:3], ca[:3], rng(3))
    assert isinstance(few_controls[0], ChangeEstimate)
    assert few_controls[1] == NotEnoughData("fewer than 5 control persons")
