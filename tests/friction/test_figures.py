"""Pure friction arithmetic on hand-built entries: exact values, statsmodels for Wilson."""

from __future__ import annotations

import datetime as dt

import pytest
from statsmodels.stats.proportion import proportion_confint

from gaplens.friction.figures import (
    Fact,
    MonthRate,
    correction_trend,
    group_figures,
    most_common_label,
    needs_correction,
    use_case_key,
    use_case_label,
)

DAY = dt.date(2026, 3, 10)


def fact(i: int, correcting: int, saved: int | None, outcome: str, day: dt.date = DAY) -> Fact:
    return Fact(str(i), "code review", "code review", day, correcting, saved, outcome)


def test_use_case_normalisation_keeps_a_label_and_groups_spellings():
    assert use_case_label("  Code   Review ") == "Code Review"
    assert {use_case_key(s) for s in ("Code-Review", "code review", " CODE_review ")} == {
        "code review"
    }
    assert use_case_key("Straße") == use_case_key("STRASSE")  # case-folded, not lowered
    assert most_common_label(["Code review", "code review", "code review", "Code review"]) == (
        "Code review"
    )


def test_what_counts_as_a_correction():
    assert not needs_correction(fact(1, 0, 10, "kept"))
    assert needs_correction(fact(2, 3, 10, "kept"))  # minutes spent, even if kept
    assert needs_correction(fact(3, 0, None, "fixed"))
    assert needs_correction(fact(4, 0, None, "discarded"))


def test_group_figures_exact_values():
    facts = [
        fact(1, 0, 20, "kept"),  # net +20
        fact(2, 0, 10, "kept"),  # net +10
        fact(3, 5, 30, "fixed"),  # net +25
        fact(4, 15, 40, "discarded"),  # saved claim forfeited: net -15
        fact(5, 10, None, "fixed"),  # no saved figure: not in net
        fact(6, 0, None, "discarded"),  # discarded: net 0 by rule
    ]
    figures = group_figures(facts, min_net_n=5)
    assert (figures.n, figures.corrected) == (6, 4)
    assert figures.minutes_lost == 30
    assert figures.minutes_saved == 60  # 20 + 10 + 30; the discarded 40 does not count
    assert figures.saved_claims_forfeited == 40
    assert figures.net_n == 5
    assert figures.net_per_output is not None
    assert figures.net_per_output.value == pytest.approx((20 + 10 + 25 - 15 + 0) / 5)
    assert figures.net_per_output.low <= 8 <= figures.net_per_output.high
    low, high = proportion_confint(4, 6, alpha=0.05, method="wilson")
    assert figures.correction_rate.value == pytest.approx(4 / 6)
    assert figures.correction_rate.low == pytest.approx(low)
    assert figures.correction_rate.high == pytest.approx(high)


def test_net_minutes_need_the_threshold():
    facts = [fact(i, 1, 5, "fixed") for i in range(4)]
    assert group_figures(facts, min_net_n=5).net_per_output is None


def test_trend_flags_only_changes_beyond_the_newcombe_interval():
    steps = correction_trend(
        [
            MonthRate("2026-01", corrected=4, n=20),
            MonthRate("2026-02", corrected=6, n=20),  # +10 points, within noise
            MonthRate("2026-03", corrected=18, n=20),  # +60 points: rising
        ]
    )
    assert [s.month for s in steps] == ["2026-01", "2026-02", "2026-03"]
    assert steps[0].change is None and steps[0].flag is None
    assert steps[1].flag is None and steps[1].change is not None
    assert steps[1].change.low < 0 < steps[1].change.high
    assert steps[2].flag == "rising"
    assert steps[2].change is not None and steps[2].change.value == pytest.approx(0.6)
    falling = correction_trend([MonthRate("2026-01", 19, 20), MonthRate("2026-02", 2, 20)])
    assert falling[1].flag == "falling"
