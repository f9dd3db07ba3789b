"""The ranking formula and the intervals, against hand computation and statsmodels."""

from __future__ import annotations

import math
import statistics

import pytest
from scipy.stats import t as t_dist
from statsmodels.stats.proportion import proportion_confint

from gaplens.tasks.figures import (
    HOURS_CAP,
    AnswerFact,
    TaskMeta,
    rank,
    ranked_figures,
    task_figure,
    task_point,
)
from gaplens.tasks.schemas import Verdict


def facts(task: str, answers: list[tuple[str, float, int]]) -> list[AnswerFact]:
    return [
        AnswerFact(f"r{n}", task, task, stance, hours, judgement)
        for n, (stance, hours, judgement) in enumerate(answers)
    ]


def test_augmentation_score_is_the_documented_average_of_three_factors():
    # 3 of 4 hate it, 6 hours a week on average, judgement 2 on average.
    point = task_point(
        "t",
        facts("t", [("hate", 4, 1), ("hate", 8, 3), ("hate", 6, 2), ("neither", 6, 2)]),
    )
    assert point.hate_share == 0.75
    assert point.time_factor == 0.6
    assert point.low_judgement == 0.75
    assert point.augmentation_score == pytest.approx((0.75 + 0.6 + 0.75) / 3)
    assert point.protect_score == pytest.approx((0.0 + 0.25) / 2)
    assert point.verdict is Verdict.AUGMENT


def test_time_factor_saturates_at_the_cap():
    many = task_point("t", facts("t", [("hate", 30, 1)] * 5))
    assert many.time_factor == 1.0 and HOURS_CAP == 10.0


def test_verdicts_keep_majority_or_high_judgement_protects():
    kept = task_point("a", facts("a", [("keep", 0, 2)] * 3 + [("hate", 5, 1)] * 3))
    judged = task_point("b", facts("b", [("hate", 5, 4)] * 4 + [("hate", 5, 5)]))
    unloved = task_point("c", facts("c", [("keep", 1, 2)] * 2 + [("neither", 1, 2)] * 3))
    assert kept.verdict is Verdict.PROTECT  # exactly half want to keep it
    assert judged.verdict is Verdict.PROTECT  # everyone hates it, but it is all judgement
    assert unloved.verdict is Verdict.NEITHER  # more keep than hate: not a candidate


def test_ranking_breaks_ties_by_hate_share_then_n_then_key():
    # b and a have the same score; b has the higher hate share.
    a = task_point("a", facts("a", [("hate", 0, 1)] * 2 + [("neither", 10, 1)] * 2))
    b = task_point("b", facts("b", [("hate", 0, 1)] * 3 + [("neither", 15, 3)]))
    c = task_point("c", facts("c", [("hate", 0, 1)] * 3 + [("neither", 15, 3)]))
    assert a.augmentation_score == pytest.approx(b.augmentation_score)
    augment, protect = rank([c, a, b])
    assert [p.task for p in augment] == ["b", "c", "a"] and protect == []


def test_figure_intervals_match_statsmodels_and_bracket_the_means():
    group = facts(
        "t",
        [("hate", 2, 1), ("hate", 9, 2), ("keep", 0, 4), ("hate", 3, 1), ("neither", 1, 3)] * 3,
    )
    figure = task_figure(task_point("t", group), group, TaskMeta("Support", "Triage", "catalogue"))
    low, high = proportion_confint(9, 15, method="wilson")
    assert figure.hate.count == 9 and figure.hate.n == 15
    assert figure.hate.low == pytest.approx(low) and figure.hate.high == pytest.approx(high)
    low, high = proportion_confint(3, 15, method="wilson")
    assert figure.keep.low == pytest.approx(low) and figure.keep.high == pytest.approx(high)
    assert figure.hours_lost.value == pytest.approx(3.0)
    assert figure.hours_lost.low < 3.0 < figure.hours_lost.high
    # Judgement: a Student t interval of the mean.
    values = [f.judgement for f in group]
    half = t_dist.ppf(0.975, 14) * statistics.stdev(values) / math.sqrt(15)
    assert figure.judgement.value == pytest.approx(2.2)
    assert figure.judgement.low == pytest.approx(2.2 - half, rel=1e-6)
    assert figure.verdict is Verdict.AUGMENT and figure.n == 15


def test_ranked_figures_are_reproducible():
    group = facts("t", [("hate", h, 1) for h in (1, 2, 3, 8, 13)])
    meta = {"t": TaskMeta("Support", "Triage", "catalogue")}
    assert ranked_figures(group, meta) == ranked_figures(group, meta)
