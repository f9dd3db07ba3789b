"""The gate: suppression and differencing together, as a read path sees them."""

from __future__ import annotations

import datetime
from collections.abc import Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaplens.privacy import (
    CellDecision,
    Comment,
    InMemoryQueryAuditor,
    PrivacyGate,
    PrivacyPolicy,
    QueryRefused,
    SuppressionReason,
)

R = SuppressionReason


def people(*numbers: int) -> frozenset[str]:
    return frozenset(f"resp-{n:03d}" for n in numbers)


def span(first: int, last: int) -> frozenset[str]:
    return people(*range(first, last + 1))


def shown_keys(decisions: Mapping[str, CellDecision]) -> set[str]:
    return {key for key, d in decisions.items() if d.shown}


@pytest.fixture
def gate() -> PrivacyGate:
    return PrivacyGate(PrivacyPolicy())


# --- plain groups -------------------------------------------------------------------------


def test_count_is_shown_applies_rule_1(gate: PrivacyGate) -> None:
    assert not gate.count_is_shown(4)
    assert gate.count_is_shown(5)
    assert not PrivacyGate(PrivacyPolicy(min_group_size=8)).count_is_shown(7)


def test_two_overlapping_filters(gate: PrivacyGate) -> None:
    assert gate.release_group("lead", span(1, 7))  # team A
    with pytest.raises(QueryRefused):
        gate.release_group("lead", span(1, 6))  # team A, not newcomers
    assert gate.release_group("analyst", span(1, 6))  # a different viewer
    assert gate.release_group("lead", span(1, 7))  # the same query again
    assert gate.release_group("lead", span(1, 12))  # differs by 5


def test_small_group_is_not_released_and_not_recorded(gate: PrivacyGate) -> None:
    assert not gate.release_group("lead", span(1, 4))
    assert gate.release_group("lead", span(1, 5))  # would be refused had {1..4} been recorded


# --- breakdowns ---------------------------------------------------------------------------


def test_breakdown_applies_the_arithmetic_rules(gate: PrivacyGate) -> None:
    decisions = gate.breakdown(
        "lead", span(1, 12), {"leadership": span(1, 8), "frontline": span(9, 12)}
    )
    assert {key: d.reason for key, d in decisions.items()} == {
        "leadership": R.REMAINDER,
        "frontline": R.BELOW_THRESHOLD,
    }


def test_breakdown_of_a_refused_parent_raises_and_records_nothing(gate: PrivacyGate) -> None:
    gate.release_group("lead", span(1, 20))
    with pytest.raises(QueryRefused):
        gate.breakdown("lead", span(1, 19), {"a": span(1, 10), "b": span(11, 19)})
    # {1..19} was never shown, so a set 4 away from it but 5 from {1..20} is fine.
    assert gate.release_group("lead", span(1, 15))


def test_shown_cell_close_to_an_earlier_view_is_hidden(gate: PrivacyGate) -> None:
    gate.release_group("lead", span(1, 10))
    cells = {"x": span(1, 11), "y": span(12, 18), "z": span(19, 25)}
    decisions = gate.breakdown("lead", span(1, 25), cells)
    # x is {1..10} plus person 11. Hiding x alone is not enough: 25 - y - z is x again, so
    # the smallest shown cell (y, tied with z and first by key) goes as well.
    assert {key: d.reason for key, d in decisions.items()} == {
        "x": R.DIFFERENCING,
        "y": R.DIFFERENCING,
        "z": None,
    }


def test_derivable_remainder_close_to_an_earlier_view_hides_cells(gate: PrivacyGate) -> None:
    gate.release_group("lead", span(1, 10))
    decisions = gate.breakdown("lead", span(1, 20), {"x": span(1, 11), "y": span(12, 20)})
    assert shown_keys(decisions) == set()


def test_breakdown_records_parent_shown_cells_and_the_derivable_remainder(
    gate: PrivacyGate,
) -> None:
    # Two respondents left the attribute blank, so a is hidden to cover them.
    parent = span(1, 22)
    decisions = gate.breakdown("lead", parent, {"a": span(1, 10), "b": span(11, 20)})
    assert {key: d.reason for key, d in decisions.items()} == {"a": R.COMPLEMENTARY, "b": None}
    for near in (span(1, 21), span(12, 20), span(1, 10) | people(21)):
        # near the parent, the shown cell b, and the derivable part {1..10, 21, 22}
        with pytest.raises(QueryRefused):
            gate.release_group("lead", near)
    assert gate.release_group("other", span(1, 21))


def test_breakdown_rejects_cells_that_are_not_a_partition(gate: PrivacyGate) -> None:
    with pytest.raises(ValueError, match="outside the parent"):
        gate.breakdown("lead", span(1, 10), {"a": span(5, 11)})
    with pytest.raises(ValueError, match="shares respondents"):
        gate.breakdown("lead", span(1, 20), {"a": span(1, 10), "b": span(10, 20)})


def test_small_parent_is_hidden_and_not_recorded(gate: PrivacyGate) -> None:
    decisions = gate.breakdown("lead", span(1, 4), {"a": span(1, 4)})
    assert decisions["a"].reason is R.PARENT_HIDDEN
    assert gate.release_group("lead", span(1, 5))


@st.composite
def scenarios(
    draw: st.DrawFn,
) -> tuple[list[frozenset[str]], frozenset[str], dict[str, frozenset[str]]]:
    universe = [f"r{i:02d}" for i in range(30)]
    subsets = st.frozensets(st.sampled_from(universe), min_size=5)
    history = draw(st.lists(subsets, max_size=4))
    parent = draw(subsets)
    # Each parent member goes to one of four cells or leaves the attribute blank.
    labels = draw(st.lists(st.sampled_from("abcd_"), min_size=len(parent), max_size=len(parent)))
    cells: dict[str, set[str]] = {key: set() for key in "abcd"}
    for person, label in zip(sorted(parent), labels, strict=True):
        if label != "_":
            cells[label].add(person)
    return history, parent, {key: frozenset(members) for key, members in cells.items()}


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_nothing_released_is_a_small_difference_from_an_earlier_view(
    scenario: tuple[list[frozenset[str]], frozenset[str], dict[str, frozenset[str]]],
) -> None:
    history, parent, cells = scenario
    policy = PrivacyPolicy()
    k = policy.min_group_size
    auditor = InMemoryQueryAuditor(policy)
    for earlier in history:
        auditor.record("lead", earlier)
    gate = PrivacyGate(policy, auditor=auditor)
    try:
        decisions = gate.breakdown("lead", parent, cells)
    except QueryRefused:
        assert any(0 < len(parent ^ earlier) < k for earlier in history)
        return
    shown = [cells[key] for key in shown_keys(decisions)]
    derivable = parent.difference(*shown)
    released = [parent, *shown, derivable] if derivable else [parent, *shown]
    for group in released:
        assert len(group) >= k
        for earlier in history:
            assert not 0 < len(group ^ earlier) < k
    for d in decisions.values():
        assert d.shown == (d.reason is None)


# --- comments -----------------------------------------------------------------------------


def comments_by(respondents: frozenset[str]) -> list[Comment]:
    day = datetime.date(2026, 3, 14)
    return [Comment(f"comment from someone ({i})", day) for i in range(len(respondents))]


def test_comments_are_released_only_for_large_groups(gate: PrivacyGate) -> None:
    assert gate.comments("lead", span(1, 9), comments_by(span(1, 9)), seed=1) is None
    released = gate.comments("lead", span(1, 10), comments_by(span(1, 10)), seed=1)
    assert released is not None and {c.month for c in released} == {"2026-03"}


def test_comment_differencing_uses_the_comment_threshold(gate: PrivacyGate) -> None:
    assert gate.comments("lead", span(1, 20), comments_by(span(1, 20)), seed=1) is not None
    with pytest.raises(QueryRefused, match="fewer than 10 people"):
        # 6 fewer would pass for numbers (k=5) but would expose 6 people's comments.
        gate.comments("lead", span(1, 14), comments_by(span(1, 14)), seed=1)
    assert gate.comments("lead", span(1, 30), comments_by(span(1, 30)), seed=1) is not None
    # Comment history and number history are separate.
    assert gate.release_group("lead", span(1, 14))
