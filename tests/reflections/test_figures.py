"""The pure reflection figures against known values, and the gate's refusals."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from gaplens.privacy import PrivacyGate
from gaplens.reflections.figures import (
    comparison_cutoff,
    confidence_by_step,
    days_between,
    invitation_members,
    member,
    step_participation,
    themes_of,
    usage_comparison,
)
from gaplens.reflections.queries import EntryFact, InvitationFact
from gaplens.reflections.steps import STEPS

DUE = dt.date(2026, 3, 9)
AS_OF = dt.date(2026, 6, 30)


def fact(n: int, step: str = "week1", used: bool = False, function: str = "Engineering"):
    return InvitationFact(
        id=f"inv-{step}-{n}",
        series_id=f"series-{n}",
        person_id=f"p{n}",
        team_key="eng" if function == "Engineering" else "support",
        team_name=function,
        function=function,
        trigger_on=DUE - dt.timedelta(days=7),
        step=step,
        due_on=DUE,
        issued=True,
        used=used,
    )


def usage_days(counts: dict[str, tuple[int, int]]) -> dict[str, list[dt.date]]:
    """person -> (days active in the 28 days before the trigger, in the 28 after the step)."""
    trigger = DUE - dt.timedelta(days=7)
    days = {}
    for person, (before, after) in counts.items():
        days[person] = sorted(
            [trigger - dt.timedelta(days=1 + d) for d in range(before)]
            + [DUE + dt.timedelta(days=1 + d) for d in range(after)]
        )
    return days


def test_participation_uses_wilson_and_hides_small_groups():
    facts = [fact(n, "now", used=n < 13) for n in range(20)]
    facts += [fact(100 + n, "now", used=n < 2, function="Support") for n in range(3)]
    facts += [fact(200 + n, "now", function="Legal") for n in range(8)]
    facts.append(dataclasses.replace(fact(300, "now", used=True), issued=False))  # never sent
    result = step_participation(STEPS[0], facts, "function", PrivacyGate(), "v")
    assert (result.status, result.invited, result.reflected) == ("shown", 31, 15)
    low, high = proportion_confint(15, 31, method="wilson")
    assert result.rate is not None
    assert result.rate.low == pytest.approx(low) and result.rate.high == pytest.approx(high)
    # Support (3) is below 5; hiding it alone would leave it derivable from the total, so
    # the next-smallest group (Legal, 8) is hidden too.
    assert [g.label for g in result.groups] == ["Engineering"]
    assert result.groups[0].invited == 20 and result.hidden_groups == 2
    tiny = step_participation(STEPS[1], facts, "function", PrivacyGate(), "v")
    assert tiny.status == "not_enough_data" and tiny.invited is None


def test_usage_comparison_difference_of_means():
    participants = {f"p{n}": (2, 10 + n) for n in range(6)}  # after: 10..15, mean 12.5
    others = {f"p{n}": (1, 4 + (n - 6)) for n in range(6, 13)}  # after: 4..10, mean 7
    facts = [fact(n, used=n < 6) for n in range(13)]
    rng = np.random.Generator(np.random.PCG64(1))
    days = usage_days({**participants, **others})
    result = usage_comparison(facts, days, dt.date(2026, 1, 1), AS_OF, PrivacyGate(), "v", rng)
    assert result.status == "shown"
    assert (result.participants, result.non_participants) == (6, 7)
    assert result.participants_mean == pytest.approx(12.5)
    assert result.non_participants_mean == pytest.approx(7.0)
    assert result.difference is not None and result.difference.estimate == pytest.approx(5.5)
    assert result.difference.low < 5.5 < result.difference.high
    assert result.difference.low > 0
    assert result.baseline_difference is not None
    assert result.baseline_difference.estimate == pytest.approx(1.0)
    assert "Observational" in result.caveat


def test_usage_comparison_needs_k_in_each_group_and_covered_windows():
    facts = [fact(n, used=n < 4) for n in range(12)]
    rng = np.random.Generator(np.random.PCG64(1))
    start = dt.date(2026, 1, 1)
    few = usage_comparison(facts, {}, start, AS_OF, PrivacyGate(), "v", rng)
    assert few.status == "not_enough_data" and few.difference is None and few.participants is None
    early = usage_comparison(facts, {}, start, dt.date(2026, 4, 1), PrivacyGate(), "v", rng)
    assert early.status == "not_enough_data" and "covers no" in (early.reason or "")
    none = usage_comparison(facts, {}, None, None, PrivacyGate(), "v", rng)
    assert none.status == "not_enough_data"


def test_usage_comparison_refuses_a_near_copy_of_an_earlier_view():
    gate = PrivacyGate()
    earlier = [fact(n, used=n % 2 == 0) for n in range(20)]
    gate.release_group("v", invitation_members(earlier))
    rng = np.random.Generator(np.random.PCG64(1))
    result = usage_comparison(earlier[:18], {}, dt.date(2026, 1, 1), AS_OF, gate, "v", rng)
    assert result.status == "suppressed" and "differ" in (result.reason or "")


@pytest.mark.parametrize(
    ("as_of", "cutoff"),
    [
        (dt.date(2026, 9, 30), dt.date(2026, 8, 31)),
        (dt.date(2026, 10, 28), dt.date(2026, 9, 30)),
        (dt.date(2026, 10, 29), dt.date(2026, 9, 30)),
        (dt.date(2026, 10, 27), dt.date(2026, 8, 31)),
    ],
)
def test_comparison_cutoff_moves_by_whole_months(as_of: dt.date, cutoff: dt.date):
    assert comparison_cutoff(as_of) == cutoff


def test_days_between_counts_both_ends():
    days = [dt.date(2026, 3, d) for d in (1, 2, 5, 9, 10)]
    assert days_between(days, dt.date(2026, 3, 2), dt.date(2026, 3, 9)) == 3
    assert days_between([], dt.date(2026, 3, 2), dt.date(2026, 3, 9)) == 0


def entry(n: int, step: str | None, text: str = "", confidence: int | None = None) -> EntryFact:
    return EntryFact(f"e{n}", step, text or f"note {n}", dt.date(2026, 3, 1), confidence)


def test_confidence_mean_with_t_interval_per_step():
    values = [3, 4, 4, 5, 2, 3]
    rated = [entry(n, "now", confidence=v) for n, v in enumerate(values)]
    rated += [entry(10 + n, "day1", confidence=4) for n in range(2)]
    rated += [entry(20 + n, None, confidence=5) for n in range(5)]  # Slack: no step
    result = {c.step: c for c in confidence_by_step(rated, PrivacyGate(), "v")}
    now = result["now"]
    assert now.status == "shown" and now.n == 6 and now.mean is not None
    mean, sem = np.mean(values), stats.sem(values)
    low, high = stats.t.interval(0.95, len(values) - 1, loc=mean, scale=sem)
    assert now.mean.estimate == pytest.approx(mean)
    assert (now.mean.low, now.mean.high) == (pytest.approx(low), pytest.approx(high))
    assert result["day1"].status == "not_enough_data" and result["day1"].mean is None


def test_themes_only_above_ten_reflections():
    nine = [entry(n, "now", "Summaries of long ticket threads save me time") for n in range(9)]
    assert themes_of(nine, PrivacyGate(), "v").status == "not_enough_data"
    texts = [f"Summaries of long ticket threads save me time, case {n}" for n in range(14)]
    texts += [f"Unit tests from Copilot need a careful review, case {n}" for n in range(12)]
    texts += ["A one-off remark about the canteen"]
    found = themes_of([entry(n, "now", t) for n, t in enumerate(texts)], PrivacyGate(), "w")
    assert found.status == "shown" and found.texts == 27
    assert len(found.themes) == 2 and all(t.size >= 10 for t in found.themes)
    assert all(e in texts for t in found.themes for e in t.examples)


def test_members_fit_the_audit_table_and_never_collide_across_kinds():
    invitation = member("reflection-invitation:", "same-id")
    entry = member("reflection-entry:", "same-id")
    assert len(invitation) == len(entry) == 32
    assert invitation[0] == "i" and entry[0] == "e" and invitation[1:] != entry[1:]
