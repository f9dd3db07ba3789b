"""Figures from released answer counts: shares, ratios and gaps against statsmodels."""

from __future__ import annotations

import pytest
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from gaplens.perception.figures import RELEASE_HIDDEN, released_question_figures
from gaplens.privacy.binning import BIN_COUNT, number_bin
from gaplens.report.schemas import FigureStatus
from gaplens.surveys.question_bank import entry

IMPACT = entry("productivity_impact")
K = 5


def cells(
    exec_counts: list[int] | None, manager_counts: list[int] | None, ic_counts: list[int] | None
) -> dict[str, tuple[int, list[int]] | None]:
    """Released counts per role level, and everyone as their sum (None: not published)."""
    groups = {
        "executive": exec_counts,
        "manager": manager_counts,
        "individual_contributor": ic_counts,
    }
    found: dict[str, tuple[int, list[int]] | None] = {
        role: (sum(c), c) if c is not None else None for role, c in groups.items()
    }
    shown = [c for c in groups.values() if c is not None]
    found["everyone"] = (
        (sum(map(sum, shown)), [sum(column) for column in zip(*shown, strict=True)])
        if shown
        else None
    )
    return found


def test_shares_ratios_and_gaps_match_statsmodels():
    figures = released_question_figures(
        IMPACT, cells([18, 16, 4, 2], [30, 40, 20, 10], [44, 156, 160, 40]), K
    )
    executives = figures.groups["executive"]
    assert executives.status is FigureStatus.SHOWN and executives.n == 40
    low, high = proportion_confint(18, 40, method="wilson")
    assert executives.shares is not None
    assert executives.shares["high gains"].share == pytest.approx(0.45)
    assert (
        executives.shares["high gains"].low,
        executives.shares["high gains"].high,
    ) == pytest.approx((low, high))
    assert figures.groups["everyone"].n == 540

    ratio = figures.risk_ratios["high_gains_executive_vs_ic"]
    assert ratio.status is FigureStatus.SHOWN and ratio.value is not None
    assert ratio.value.estimate == pytest.approx((18 / 40) / (44 / 400))
    low, high = confint_proportions_2indep(18, 40, 44, 400, compare="ratio", method="log")
    assert (ratio.value.low, ratio.value.high) == pytest.approx((low, high))
    assert ratio.benchmark is not None and ratio.benchmark.value == 4.0

    no_difference = figures.risk_ratios["no_difference_ic_vs_executive"]
    assert no_difference.value is not None
    assert no_difference.value.estimate == pytest.approx((160 / 400) / (4 / 40))

    gap = figures.gaps_pp["high_gains_executive_minus_ic"]
    low, high = confint_proportions_2indep(18, 40, 44, 400, compare="diff", method="newcomb")
    assert gap.value is not None
    assert gap.value.estimate == pytest.approx(100 * (0.45 - 0.11))
    assert (gap.value.low, gap.value.high) == pytest.approx((100 * low, 100 * high))


def test_a_group_the_release_does_not_publish_says_why_in_words():
    figures = released_question_figures(
        IMPACT, cells(None, [30, 40, 20, 10], [44, 156, 160, 40]), K
    )
    executives = figures.groups["executive"]
    assert executives.status is FigureStatus.NOT_ENOUGH_RESPONSES
    assert executives.shares is None and executives.n is None
    assert executives.reason == RELEASE_HIDDEN.format(k=K)
    ratio = figures.risk_ratios["high_gains_executive_vs_ic"]
    assert ratio.status is FigureStatus.NOT_ENOUGH_RESPONSES and ratio.value is None


def test_zero_events_give_not_estimable_rather_than_an_invented_ratio():
    figures = released_question_figures(
        IMPACT, cells([0, 10, 0, 0], [30, 40, 20, 10], [44, 156, 160, 40]), K
    )
    ratio = figures.risk_ratios["high_gains_executive_vs_ic"]
    assert ratio.status is FigureStatus.NOT_ESTIMABLE and ratio.value is None


def test_leaders_only_question_never_reports_individual_contributors():
    question = entry("peers_effective_use")
    executive = [6, 0, 6, 0, 0][: len(question.options)]
    manager = [10, 0, 0, 30, 0][: len(question.options)]
    ic = [5] * len(question.options)
    figures = released_question_figures(question, cells(executive, manager, ic), K)
    assert figures.groups["individual_contributor"].status is FigureStatus.NOT_ENOUGH_RESPONSES
    assert figures.groups["individual_contributor"].n is None
    favourable = figures.groups["manager"].favourable
    expected = sum(
        count
        for option, count in zip(question.options, manager, strict=True)
        if option in question.positive_options
    )
    assert favourable is not None and favourable.count == expected


def test_numbers_arrive_binned_and_report_the_grouped_median_with_its_interval():
    question = entry("perceived_speedup")
    values = [float(v) for v in range(-10, 40)]
    counts = [0] * BIN_COUNT
    for value in values:
        counts[number_bin(value)] += 1
    released = {"individual_contributor": (len(values), counts), "everyone": (len(values), counts)}
    group = released_question_figures(question, released, K).groups["individual_contributor"]
    assert group.status is FigureStatus.SHOWN and group.n == 50
    assert group.number is not None
    median = group.number.median
    # The true median (14.5) lies inside the interval, which covers the binning as well.
    assert median.low <= 14.5 <= median.high
    assert median.low < median.estimate < median.high
