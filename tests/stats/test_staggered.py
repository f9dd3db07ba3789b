"""The staggered-adoption estimator: equal to a reference implementation, and recovering
planted effects (and planted nothing) where the old pseudo-pivot DiD does not."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import tqdm
from differences import ATTgt

from gaplens.stats.did import DidEstimate, difference_in_differences
from gaplens.stats.planted import PlantedPanel, planted_panel
from gaplens.stats.staggered import (
    PRE_TREND_SENTENCES,
    StaggeredResult,
    pre_trend_check,
    ratio_interval,
    staggered_did,
)
from tests.stats.seeded import rng

# `differences` draws tqdm bars, whose monitor thread would outlive the test: a process with
# other threads may not fork, and the metrics prefetch tests run in the same worker.
tqdm.tqdm.monitor_interval = 0


def _estimate(panel: PlantedPanel, seed: int = 0, **kwargs) -> StaggeredResult:
    return staggered_did(
        panel.person, panel.period, panel.outcome, panel.first_treated, rng(seed), **kwargs
    )


# --------------------------------------------------------------- the reference


def _att(frame: pd.DataFrame) -> pd.Series:
    """The point-estimate column of a `differences` result table."""
    (column,) = [c for c in frame.columns if c[-1] == "ATT"]
    return frame[column]


@pytest.mark.parametrize("missing", [0.0, 0.15], ids=["balanced", "unbalanced"])
@pytest.mark.parametrize("base_period", ["varying", "universal"])
@pytest.mark.parametrize("control_group", ["never_treated", "not_yet_treated"])
def test_point_estimates_equal_the_differences_package(control_group, base_period, missing):
    panel = planted_panel(
        rng(11),
        persons=300,
        months=10,
        cohort_effect={3: -0.9, 5: -0.6, 6: -0.4, 8: -0.3},
        calendar_shock=(5, -0.2),
        missing_share=missing,
    )
    frame = pd.DataFrame(
        {"id": panel.person, "t": panel.period, "y": panel.outcome, "g": panel.first_treated}
    ).set_index(["id", "t"])
    with warnings.catch_warnings():
        # It warns about the per-person rules it applies (and we apply alike).
        warnings.simplefilter("ignore")
        reference = ATTgt(data=frame, cohort_column="g", base_period=base_period)
        # Panel estimator on unbalanced data: each cell uses the persons observed in both
        # of its periods (the package's default would treat them as repeated cross-sections).
        reference.fit(
            "y",
            est_method="reg",
            control_group=control_group,
            as_repeated_cross_section=False,
            progress_bar=False,
        )
        aggregate = {
            kind: (_att(reference.aggregate(kind)), _att(reference.aggregate(kind, overall=True)))
            for kind in ("cohort", "event", "time")
        }
        simple = float(_att(reference.aggregate("simple")).iloc[0])
        table = _att(reference.results())
    cells = {tuple(int(v) for v in key): float(v) for key, v in table.items()}
    ours = _estimate(panel, control_group=control_group, base_period=base_period, resamples=20)

    assert {(c.cohort, c.base_period, c.period): c.estimate for c in ours.cells} == pytest.approx(
        cells, abs=1e-6
    )
    assert len(ours.cells) == len(cells)
    assert ours.simple.estimate == pytest.approx(simple, abs=1e-6)
    for kind, ours_agg in (
        ("cohort", ours.by_cohort),
        ("event", ours.by_event_time),
        ("time", ours.by_period),
    ):
        by_key, overall = aggregate[kind]
        assert {e.key: e.estimate for e in ours_agg.effects} == pytest.approx(
            {int(k): float(v) for k, v in by_key.items()}, abs=1e-6
        ), kind
        assert ours_agg.overall.estimate == pytest.approx(float(overall.iloc[0]), abs=1e-6), kind


def test_universal_base_period_cell_is_zero_and_in_the_event_study():
    panel = planted_panel(rng(3), persons=200, months=8, cohort_effect={4: -0.5})
    result = _estimate(panel, base_period="universal", resamples=50)
    reference_cell = result.cell(4, 3)
    assert (reference_cell.estimate, reference_cell.low, reference_cell.high) == (0.0, 0.0, 0.0)
    assert result.by_event_time.effect(-1).estimate == 0.0
    # Every pre-period cell is measured against month 3, the last before adoption.
    assert {c.base_period for c in result.cells} == {3}


# ------------------------------------------------------------ planted worlds


def test_planted_effects_are_recovered_despite_a_calendar_shock_and_selection():
    panel = planted_panel(rng(5), persons=6000, months=24)
    result = _estimate(panel, resamples=399)
    truth = panel.true_simple()

    assert result.simple.low <= truth <= result.simple.high
    assert abs(result.simple.estimate - truth) < 0.05 * abs(truth)
    post = [e for e in result.by_event_time.effects if e.key is not None and e.key >= 0]
    covered = [e.low <= panel.true_event(e.key) <= e.high for e in post]
    assert sum(covered) >= 0.8 * len(covered)
    for cohort in (6, 10, 15):
        planted = np.mean([panel.effect(cohort, t) for t in range(cohort, 24)])
        effect = result.by_cohort.effect(cohort)
        assert effect.low <= planted <= effect.high
    assert result.pre_trends.verdict == "none_detected"
    assert result.pre_trends.sentence == PRE_TREND_SENTENCES["none_detected"]
    # Adopters were faster before adopting (selection): a naive users-vs-others gap would
    # mix that in; the counterfactual level is the adopters' own, below the baseline.
    assert result.counterfactual.estimate < 3.8


def test_no_planted_effect_gives_an_interval_around_zero_where_the_pseudo_pivot_did_does_not():
    """The issue's failure: non-users pivoted on the users' median adoption month see other
    calendar months than the users, so a shock that is not AI is counted as AI."""
    panel = planted_panel(
        rng(8),
        persons=3000,
        months=24,
        cohort_effect={6: 0.0, 10: 0.0, 15: 0.0},
        growth=0.0,
        calendar_shock=(16, -0.3),
    )
    result = _estimate(panel, resamples=399)
    assert result.simple.low <= 0.0 <= result.simple.high
    assert abs(result.simple.estimate) < 0.03

    # The old estimator: 3-month windows before/after each user's adoption month; non-users
    # get the users' median adoption month as a pseudo-pivot.
    values = np.full((panel.person_cohort.size, panel.months), np.nan)
    values[panel.person, panel.period] = panel.outcome
    user = np.isfinite(panel.person_cohort)
    pivot = np.where(user, panel.person_cohort, np.median(panel.person_cohort[user])).astype(int)
    months = np.arange(panel.months)
    before = np.array(
        [values[i, (months >= p - 3) & (months < p)].mean() for i, p in enumerate(pivot)]
    )
    after = np.array(
        [values[i, (months >= p) & (months < p + 3)].mean() for i, p in enumerate(pivot)]
    )
    old = difference_in_differences(
        before[user], after[user], before[~user], after[~user], rng(1), resamples=999
    )
    assert isinstance(old, DidEstimate)
    assert not old.low <= 0.0 <= old.high
    assert abs(old.estimate) > 3 * abs(result.simple.estimate)


def test_a_planted_pre_trend_is_flagged():
    panel = planted_panel(rng(9), persons=2000, months=16, pre_trend=-0.02)
    result = _estimate(panel, resamples=299)
    assert result.pre_trends.verdict == "diverging"
    assert result.pre_trends.p_value < 0.05
    assert "do not trust the estimate" in result.pre_trends.sentence


def test_not_yet_treated_controls_recover_the_effect_without_never_treated():
    panel = planted_panel(rng(12), persons=3000, months=20, adopter_share=1.0)
    with pytest.raises(ValueError, match="nobody is never treated"):
        _estimate(panel, resamples=10)
    result = _estimate(panel, control_group="not_yet_treated", resamples=299)
    # The last cohort has no not-yet-treated controls after it adopts: its post cells
    # cannot be computed and are left out, so compare with the cells that can.
    computed = [c for c in result.cells if c.post and math.isfinite(c.estimate)]
    sizes = panel.cohort_sizes()
    truth = sum(sizes[c.cohort] * panel.effect(c.cohort, c.period) for c in computed) / sum(
        sizes[c.cohort] for c in computed
    )
    assert result.simple.low <= truth <= result.simple.high
    assert all(c.n_control == 0 for c in result.cells if c.post and c.cohort == 15)


def test_intervals_cover_the_truth_about_95_percent_of_the_time():
    """...and, with parallel trends true, the pre-trend verdict rarely cries wolf."""
    covered = false_alarms = 0
    runs = 100
    for seed in range(runs):
        panel = planted_panel(
            rng(1000 + seed),
            persons=200,
            months=8,
            cohort_effect={3: -0.5, 5: -0.3},
            growth=-0.05,
            calendar_shock=(4, -0.2),
        )
        result = _estimate(panel, seed=seed, resamples=199)
        covered += result.simple.low <= panel.true_simple() <= result.simple.high
        false_alarms += result.pre_trends.verdict == "diverging"
    assert 0.88 * runs <= covered <= 0.99 * runs
    assert false_alarms <= 0.12 * runs


# ------------------------------------------------------------------- ratios


def test_speed_up_ratio_carries_the_denominators_uncertainty():
    # People differ a lot in their level and little month to month: the effect is
    # measured precisely, the level the speed-up divides by is not.
    panel = planted_panel(rng(21), persons=300, months=16, noise=0.15, person_spread=2.0)
    result = _estimate(panel, resamples=999)
    truth = panel.true_simple() / panel.true_counterfactual()
    ratio = result.speed_up
    assert ratio.estimate == pytest.approx(result.simple.estimate / result.counterfactual.estimate)
    assert ratio.low <= truth <= ratio.high
    # Dividing by the level as if it were known exactly gives a much narrower interval.
    level = result.counterfactual.estimate
    naive = ratio_interval(
        result.simple.estimate,
        result.simple_draws,
        level,
        np.full(result.simple_draws.size, level),
    )
    assert ratio.high - ratio.low > 1.5 * (naive.high - naive.low)


def test_ratio_interval_hand_computed():
    ratio = ratio_interval(2.0, [1.0, 2.0, 3.0, 4.0, 5.0], 4.0, [2.0, 2.0, 3.0, 4.0, 5.0])
    # Per-resample ratios 0.5, 1, 1, 1, 1 -> 2.5% and 97.5% quantiles 0.55 and 1.
    assert (ratio.estimate, ratio.low, ratio.high) == pytest.approx((0.5, 0.55, 1.0))
    with pytest.raises(ValueError, match="pair up"):
        ratio_interval(1.0, [1.0, 2.0], 1.0, [1.0])


# --------------------------------------------------------------- pre-trends


def test_pre_trend_check_rules():
    draws = rng(2).normal(0.0, 0.1, size=(500, 3))
    none = pre_trend_check([-2, -1, 0], [0.05, -0.05, 1.0], draws)
    assert none.verdict == "none_detected"
    assert none.dof == 2
    diverging = pre_trend_check([-2, -1, 0], [0.4, 0.3, 1.0], draws)
    assert diverging.verdict == "diverging"
    assert diverging.statistic > none.statistic
    untestable = pre_trend_check([0, 1], [1.0, 1.0], draws[:, :2])
    assert untestable.verdict == "untestable"
    assert "could not be checked" in untestable.sentence


# ------------------------------------------------------- edges and bad input


def test_missing_cells_are_left_out_and_weights_renormalised():
    # Cohort 3 has nobody observed in month 5: its cell (3, 5) cannot be computed.
    panel = planted_panel(rng(4), persons=300, months=7, cohort_effect={3: -0.5, 4: -0.4})
    gone = (panel.first_treated == 3) & (panel.period == 5)
    result = staggered_did(
        panel.person[~gone],
        panel.period[~gone],
        panel.outcome[~gone],
        panel.first_treated[~gone],
        rng(0),
        resamples=50,
    )
    cell = result.cell(3, 5)
    assert math.isnan(cell.estimate) and cell.n_treated == 0
    sizes = dict(result.cohort_sizes)
    post = [c for c in result.cells if c.post and math.isfinite(c.estimate)]
    expected = sum(sizes[c.cohort] * c.estimate for c in post) / sum(sizes[c.cohort] for c in post)
    assert result.simple.estimate == pytest.approx(expected)
    assert math.isfinite(result.simple.low) and math.isfinite(result.simple.high)


def test_persons_treated_before_the_panel_are_dropped_and_after_it_are_never_treated():
    panel = planted_panel(rng(6), persons=200, months=8, cohort_effect={3: -0.5})
    first = panel.first_treated.copy()
    first[panel.person < 10] = 0.0  # already treated in the first period
    first[(panel.person >= 10) & (panel.person < 30)] = 40.0  # after the panel ends
    result = staggered_did(panel.person, panel.period, panel.outcome, first, rng(0), resamples=20)
    assert result.n_dropped_already_treated == 10
    assert result.n_persons == 190
    assert [g for g, _ in result.cohort_sizes] == [3]
    as_never = np.where(first == 40.0, np.nan, first)
    keep = panel.person >= 10
    same = staggered_did(
        panel.person[keep],
        panel.period[keep],
        panel.outcome[keep],
        as_never[keep],
        rng(0),
        resamples=20,
    )
    assert result.simple.estimate == pytest.approx(same.simple.estimate)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"period": [0, 1, 1.5, 0, 1, 2]}, r"period: row 2 is 1\.5, not a whole period number"),
        ({"outcome": [1.0, 2.0, np.inf, 1.0, 2.0, 3.0]}, "outcome: row 2 is infinite"),
        ({"first_treated": [2, 2, 1, np.nan, np.nan, np.nan]}, "person 1 has two values"),
        ({"period": [0, 1, 1, 0, 1, 2]}, "rows 1 and 2 are both person 1 in period 1"),
        ({"first_treated": [np.nan] * 6}, "nobody is first treated"),
        ({"first_treated": [2, 2, 2, 2, 2, 2]}, "nobody is never treated"),
        ({"outcome": [np.nan] * 6}, "no row has a value"),
        ({"person": [1, 1, 1, 2, 2]}, "period has 6 rows, person has 5"),
        ({"outcome": ["a", "b", "c", "d", "e", "f"]}, "outcome must be numbers"),
    ],
)
def test_bad_input_names_the_field_and_row(change, message):
    rows = {
        "person": [1, 1, 1, 2, 2, 2],
        "period": [0, 1, 2, 0, 1, 2],
        "outcome": [1.0, 2.0, 1.5, 1.0, 2.0, 3.0],
        "first_treated": [2, 2, 2, np.nan, np.nan, np.nan],
    }
    rows.update(change)
    with pytest.raises(ValueError, match=message):
        staggered_did(
            rows["person"], rows["period"], rows["outcome"], rows["first_treated"], rng(0)
        )


def test_options_are_checked():
    args = ([1, 2], [0, 1], [1.0, 2.0], [1, np.nan], rng(0))
    with pytest.raises(ValueError, match="control_group"):
        staggered_did(*args, control_group="everyone")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="base_period"):
        staggered_did(*args, base_period="fixed")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="confidence"):
        staggered_did(*args, confidence=1.5)
    with pytest.raises(ValueError, match="resamples"):
        staggered_did(*args, resamples=1)


def test_same_seed_same_intervals():
    panel = planted_panel(rng(7), persons=300, months=8, cohort_effect={3: -0.5, 5: -0.3})
    a, b = _estimate(panel, seed=3, resamples=99), _estimate(panel, seed=3, resamples=99)
    assert a == b
    assert _estimate(panel, seed=4, resamples=99).simple != a.simple


# ------------------------------------------------------- windows of tenure


def _true_window(panel: PlantedPanel, first: int, last: int | None) -> tuple[float, float]:
    """The planted effect and level without AI over the post cells whose months since
    adoption lie in [first, last], weighted by cohort size (the estimator's weights)."""
    effect = level = weight = 0.0
    for g, n in panel.cohort_sizes().items():
        members = panel.person_cohort == g
        for t in range(g, panel.months):
            if t - g < first or (last is not None and t - g > last):
                continue
            effect += n * panel.effect(g, t)
            level += n * float(panel.untreated[members, t].mean())
            weight += n
    return effect / weight, level / weight


def test_windows_of_tenure_recover_the_planted_speed_up_as_it_grows():
    panel = planted_panel(rng(31), persons=3000, months=20, growth=-0.05)
    windows = ((0, 0), (1, 5), (6, None))
    result = _estimate(panel, resamples=299, windows=windows)
    assert [w.window for w in result.by_window] == list(windows)
    ratios = []
    for window in result.by_window:
        effect, level = _true_window(panel, *window.window)
        assert window.effect.low <= effect <= window.effect.high
        assert window.speed_up.low <= effect / level <= window.speed_up.high
        assert window.speed_up.estimate == pytest.approx(
            window.effect.estimate / window.counterfactual.estimate
        )
        ratios.append(window.speed_up.estimate)
    # The planted effect grows with tenure: so does the measured speed-up.
    assert ratios[0] > ratios[1] > ratios[2]


def test_a_window_over_every_post_month_is_the_overall_effect():
    panel = planted_panel(rng(32), persons=400, months=10, cohort_effect={3: -0.5, 6: -0.3})
    result = _estimate(panel, resamples=99, windows=((0, None),))
    (whole,) = result.by_window
    assert whole.effect.estimate == pytest.approx(result.simple.estimate)
    assert whole.counterfactual.estimate == pytest.approx(result.counterfactual.estimate)
    assert (whole.speed_up.low, whole.speed_up.high) == pytest.approx(
        (result.speed_up.low, result.speed_up.high)
    )


def test_a_window_no_cell_reaches_is_not_a_number_and_bad_windows_are_refused():
    panel = planted_panel(rng(33), persons=300, months=8, cohort_effect={3: -0.5})
    result = _estimate(panel, resamples=50, windows=((40, None),))
    assert math.isnan(result.by_window[0].speed_up.estimate)
    with pytest.raises(ValueError, match=r"window \(3, 1\)"):
        _estimate(panel, resamples=10, windows=((3, 1),))
    with pytest.raises(ValueError, match=r"window \(-1, None\)"):
        _estimate(panel, resamples=10, windows=((-1, None),))
