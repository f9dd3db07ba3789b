from __future__ import annotations

import pytest
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from gaplens.perception.figures import question_figures
from gaplens.perception.queries import QuestionAggregate
from gaplens.privacy import PrivacyPolicy
from gaplens.report.schemas import FigureStatus
from gaplens.surveys.question_bank import entry

IMPACT = entry("productivity_impact")
POLICY = PrivacyPolicy()


def impact(
    exec_counts: list[int], manager_counts: list[int], ic_counts: list[int]
) -> QuestionAggregate:
    groups = {
        "executive": exec_counts,
        "manager": manager_counts,
        "individual_contributor": ic_counts,
    }
    return QuestionAggregate(
        respondents={role: sum(c) for role, c in groups.items() if sum(c)},
        option_counts={role: {i: n for i, n in enumerate(c) if n} for role, c in groups.items()},
    )


def test_shares_ratios_and_gaps_match_statsmodels():
    figures = question_figures(
        IMPACT, impact([18, 16, 4, 2], [30, 40, 20, 10], [44, 156, 160, 40]), POLICY
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


def test_a_small_group_gets_words_not_numbers_and_its_sibling_is_hidden_too():
    figures = question_figures(
        IMPACT, impact([2, 1, 0, 0], [3, 3, 2, 1], [44, 156, 160, 40]), POLICY
    )
    assert figures.groups["executive"].status is FigureStatus.NOT_ENOUGH_RESPONSES
    assert figures.groups["executive"].shares is None and figures.groups["executive"].n is None
    # everyone (412) minus ICs (400) would reveal executives + managers (12 >= 5): allowed,
    # but everyone minus ICs minus managers would reveal the 3 executives, so managers hide.
    assert figures.groups["manager"].status is FigureStatus.SUPPRESSED
    assert figures.groups["manager"].n is None
    assert figures.groups["individual_contributor"].status is FigureStatus.SHOWN
    ratio = figures.risk_ratios["high_gains_executive_vs_ic"]
    assert ratio.status is FigureStatus.NOT_ENOUGH_RESPONSES and ratio.value is None


def test_total_minus_shown_subgroups_never_isolates_fewer_than_k():
    """A reader subtracting shown subgroups from the total must always be left with 0 or >= k."""
    cases = [
        ([1, 0, 0, 0], [4, 1, 0, 0], [30, 30, 30, 10]),
        ([2, 2, 0, 0], [0, 0, 0, 0], [3, 3, 3, 3]),
        ([5, 0, 0, 0], [0, 0, 0, 1], [10, 0, 0, 0]),
        ([3, 3, 0, 0], [3, 3, 0, 0], [1, 1, 1, 1]),
    ]
    for case in cases:
        figures = question_figures(IMPACT, impact(*case), POLICY)
        everyone = figures.groups["everyone"]
        if everyone.status is not FigureStatus.SHOWN:
            assert all(g.n is None for g in figures.groups.values())
            continue
        assert everyone.n is not None and everyone.shares is not None
        shown = [g for key, g in figures.groups.items() if key != "everyone" and g.n is not None]
        remainder = everyone.n - sum(g.n for g in shown if g.n)
        assert remainder == 0 or remainder >= POLICY.min_group_size, case
        for option in IMPACT.options:
            counts = everyone.shares[option].count - sum(
                g.shares[option].count for g in shown if g.shares
            )
            assert counts >= 0


def test_zero_events_give_not_estimable_rather_than_an_invented_ratio():
    figures = question_figures(
        IMPACT, impact([0, 10, 0, 0], [30, 40, 20, 10], [44, 156, 160, 40]), POLICY
    )
    ratio = figures.risk_ratios["high_gains_executive_vs_ic"]
    assert ratio.status is FigureStatus.NOT_ESTIMABLE and ratio.value is None


def test_leaders_only_question_never_reports_individual_contributors():
    question = entry("peers_effective_use")
    aggregate = QuestionAggregate(
        respondents={"executive": 12, "manager": 40},
        option_counts={"executive": {3: 6, 1: 6}, "manager": {0: 10, 3: 30}},
    )
    figures = question_figures(question, aggregate, POLICY)
    assert figures.groups["individual_contributor"].status is FigureStatus.NOT_ENOUGH_RESPONSES
    assert figures.groups["manager"].favourable is not None
    assert figures.groups["manager"].favourable.count == 30
    score = figures.groups["manager"].score
    assert score is not None and score.estimate == pytest.approx((10 * 0 + 30 * 75) / 40)


def test_numbers_report_a_bootstrap_median():
    question = entry("perceived_speedup")
    values = [float(v) for v in range(-10, 40)]
    aggregate = QuestionAggregate(
        respondents={"individual_contributor": 50}, numbers={"individual_contributor": values}
    )
    group = question_figures(question, aggregate, POLICY).groups["individual_contributor"]
    assert group.number is not None
    assert group.number.median.estimate == pytest.approx(14.5)
    assert group.number.median.low < 14.5 < group.number.median.high
