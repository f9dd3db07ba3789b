"""Rules 1 and 2: small cells, the remainder rule and complementary suppression.

Each test is written from the reader's side: what can be derived from what is shown.
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaplens.privacy import (
    CellDecision,
    PrivacyPolicy,
    SuppressionReason,
    group_is_shown,
    suppress_breakdown,
)

POLICY = PrivacyPolicy()
R = SuppressionReason


def reasons(decisions: Mapping[str, CellDecision]) -> dict[str, SuppressionReason | None]:
    return {key: d.reason for key, d in decisions.items()}


def derived_hidden_total(parent_n: int, decisions: Mapping[str, CellDecision]) -> int:
    """What a reader computes: the parent total minus every number shown to them."""
    return parent_n - sum(d.n for d in decisions.values() if d.shown)


# --- rule 1 -------------------------------------------------------------------------------


def test_small_groups_are_hidden_and_exactly_k_is_shown() -> None:
    assert not group_is_shown(4, POLICY)
    assert group_is_shown(5, POLICY)
    assert not group_is_shown(0, POLICY)
    assert not group_is_shown(5, PrivacyPolicy(min_group_size=6))


def test_cell_of_exactly_k_with_remainder_of_exactly_k_is_shown() -> None:
    decisions = suppress_breakdown(10, {"a": 5, "b": 5}, POLICY)
    assert all(d.shown for d in decisions.values())
    assert decisions["a"].shown_n == 5


def test_cell_below_k_is_hidden_and_its_count_not_offered_to_renderers() -> None:
    decisions = suppress_breakdown(30, {"a": 4, "b": 13, "c": 13}, POLICY)
    assert decisions["a"] == CellDecision("a", 4, False, R.BELOW_THRESHOLD)
    assert decisions["a"].shown_n is None


def test_parent_below_k_hides_every_cell() -> None:
    decisions = suppress_breakdown(4, {"a": 4}, POLICY)
    assert reasons(decisions) == {"a": R.PARENT_HIDDEN}
    # Even cells that would pass on their own are hidden inside a hidden parent.
    decisions = suppress_breakdown(9, {"a": 5, "b": 4}, PrivacyPolicy(min_group_size=10))
    assert reasons(decisions) == {"a": R.PARENT_HIDDEN, "b": R.PARENT_HIDDEN}


def test_empty_breakdown() -> None:
    assert suppress_breakdown(0, {}, POLICY) == {}
    assert suppress_breakdown(10, {}, POLICY) == {}


# --- rule 2: remainder and complementary suppression ---------------------------------------


def test_remainder_rule_parent_12() -> None:
    # Showing a=8 next to the parent's 12 would give b=4 away by subtraction.
    decisions = suppress_breakdown(12, {"a": 8, "b": 4}, POLICY)
    assert reasons(decisions) == {"a": R.REMAINDER, "b": R.BELOW_THRESHOLD}
    assert derived_hidden_total(12, decisions) == 12


def test_remainder_rule_parent_10() -> None:
    decisions = suppress_breakdown(10, {"a": 6, "b": 4}, POLICY)
    assert not decisions["a"].shown
    assert reasons(decisions) == {"a": R.REMAINDER, "b": R.BELOW_THRESHOLD}


def test_remainder_uses_the_configured_k() -> None:
    # 13 - 7 = 6 is enough for k=5 but not for k=7.
    assert suppress_breakdown(13, {"a": 7, "b": 6}, POLICY)["a"].shown
    strict = PrivacyPolicy(min_group_size=7)
    assert reasons(suppress_breakdown(13, {"a": 7, "b": 6}, strict)) == {
        "a": R.REMAINDER,
        "b": R.BELOW_THRESHOLD,
    }


def test_cell_that_is_the_whole_parent_is_shown() -> None:
    # The remainder is nobody: the cell repeats the (shown) parent and reveals no one.
    decisions = suppress_breakdown(11, {"a": 11}, POLICY)
    assert reasons(decisions) == {"a": None}
    # One person outside the cell is a remainder of one: hidden.
    assert reasons(suppress_breakdown(12, {"a": 11}, POLICY)) == {"a": R.REMAINDER}


def test_complementary_suppression_hides_the_next_smallest_only() -> None:
    # a=3 alone would be derivable (30 - 6 - 7 - 14); hiding b (the smallest shown) fixes it.
    decisions = suppress_breakdown(30, {"a": 3, "b": 6, "c": 7, "d": 14}, POLICY)
    assert reasons(decisions) == {
        "a": R.BELOW_THRESHOLD,
        "b": R.COMPLEMENTARY,
        "c": None,
        "d": None,
    }
    assert derived_hidden_total(30, decisions) == 9


def test_complementary_ties_are_broken_by_key_whatever_the_input_order() -> None:
    cells = {"x": 2, "b": 7, "a": 7, "c": 14}
    forward = suppress_breakdown(30, cells, POLICY)
    backward = suppress_breakdown(30, dict(reversed(cells.items())), POLICY)
    assert forward["a"].reason is R.COMPLEMENTARY
    assert forward["b"].shown
    assert reasons(forward) == reasons(backward)
    assert list(forward) == list(cells)  # output keeps the caller's order


def test_blank_attribute_counts_toward_the_derived_remainder_and_forces_hiding() -> None:
    # 3 respondents left the attribute blank: showing a and b would reveal those 3 as a group.
    decisions = suppress_breakdown(20, {"a": 10, "b": 7}, POLICY)
    assert reasons(decisions) == {"a": None, "b": R.COMPLEMENTARY}
    assert derived_hidden_total(20, decisions) == 10


def test_blank_attribute_counts_toward_the_derived_remainder_and_avoids_overhiding() -> None:
    # Hidden b=3 plus 5 blanks: the reader can derive 8 >= k, so a may be shown.
    decisions = suppress_breakdown(20, {"a": 12, "b": 3}, POLICY)
    assert reasons(decisions) == {"a": None, "b": R.BELOW_THRESHOLD}


def test_blank_remainder_with_no_hidden_cells() -> None:
    # Cells sum to 12 of 14: a reader would get the 2 blanks; the smaller tied cell goes.
    decisions = suppress_breakdown(14, {"b": 6, "a": 6}, POLICY)
    assert reasons(decisions) == {"b": None, "a": R.COMPLEMENTARY}


def test_everything_hidden_when_nothing_else_protects_the_small_cell() -> None:
    decisions = suppress_breakdown(9, {"a": 5, "b": 4}, POLICY)
    assert not any(d.shown for d in decisions.values())


def test_empty_cell_is_hidden_but_does_not_force_more_hiding() -> None:
    decisions = suppress_breakdown(20, {"none": 0, "a": 10, "b": 10}, POLICY)
    assert reasons(decisions) == {"none": R.BELOW_THRESHOLD, "a": None, "b": None}


def test_force_hidden_counts_toward_the_derived_total_before_complementary_hiding() -> None:
    cells = {"a": 5, "b": 5, "c": 20}  # plus 2 blanks
    # Alone, the 2 blanks would be derivable, so the smallest cell is hidden to cover them.
    assert reasons(suppress_breakdown(32, cells, POLICY)) == {
        "a": R.COMPLEMENTARY,
        "b": None,
        "c": None,
    }
    # A cell hidden for another reason already covers them: nothing more is hidden.
    decisions = suppress_breakdown(32, cells, POLICY, force_hidden={"c": R.DIFFERENCING})
    assert reasons(decisions) == {"a": None, "b": None, "c": R.DIFFERENCING}
    # Intrinsic reasons win over the forced one.
    decisions = suppress_breakdown(12, {"a": 8, "b": 4}, POLICY, force_hidden={"a": R.DIFFERENCING})
    assert decisions["a"].reason is R.REMAINDER


# --- validation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parent_n", "cells", "message"),
    [
        (-1, {}, "parent_n must not be negative"),
        (10, {"a": -1, "b": 5}, "must not be negative"),
        (10, {"a": 6, "b": 5}, "add up to 11, more than the parent's 10"),
    ],
)
def test_invalid_input_is_rejected(parent_n: int, cells: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        suppress_breakdown(parent_n, cells, POLICY)


def test_force_hidden_must_name_real_cells() -> None:
    with pytest.raises(ValueError, match="not in the breakdown"):
        suppress_breakdown(10, {"a": 10}, POLICY, force_hidden={"z": R.DIFFERENCING})


# --- the differencing attack, on random breakdowns ----------------------------------------


@st.composite
def breakdowns(draw: st.DrawFn) -> tuple[int, dict[str, int], PrivacyPolicy, set[str]]:
    k = draw(st.integers(5, 8))
    cells = draw(st.dictionaries(st.sampled_from("abcdefgh"), st.integers(0, 25), max_size=7))
    blanks = draw(st.integers(0, 12))
    forced = draw(st.sets(st.sampled_from(sorted(cells)))) if cells else set()
    return sum(cells.values()) + blanks, cells, PrivacyPolicy(min_group_size=k), forced


@settings(max_examples=250, deadline=None)
@given(breakdowns())
def test_reader_cannot_derive_a_small_group(
    case: tuple[int, dict[str, int], PrivacyPolicy, set[str]],
) -> None:
    parent_n, cells, policy, forced = case
    k = policy.min_group_size
    force = dict.fromkeys(forced, R.DIFFERENCING)
    decisions = suppress_breakdown(parent_n, cells, policy, force_hidden=force)
    shown = [d for d in decisions.values() if d.shown]

    assert set(decisions) == set(cells)
    for d in decisions.values():
        assert d.n == cells[d.key]
        assert d.shown == (d.reason is None)
    if parent_n < k:
        # The parent's own total is hidden, so there is nothing to subtract from.
        assert not shown
        assert all(d.reason is R.PARENT_HIDDEN for d in decisions.values())
        return
    # Every shown number is a group of at least k, and so is the parent minus it.
    for d in shown:
        assert d.n >= k
        assert parent_n - d.n == 0 or parent_n - d.n >= k
        assert d.key not in forced
    # Whatever the reader derives for the hidden part is nothing or a group of at least k.
    derived = derived_hidden_total(parent_n, decisions)
    assert derived == 0 or derived >= k


@settings(max_examples=250, deadline=None)
@given(breakdowns())
def test_complementary_suppression_is_minimal_and_picks_the_smallest(
    case: tuple[int, dict[str, int], PrivacyPolicy, set[str]],
) -> None:
    parent_n, cells, policy, forced = case
    k = policy.min_group_size
    force = dict.fromkeys(forced, R.DIFFERENCING)
    decisions = suppress_breakdown(parent_n, cells, policy, force_hidden=force)
    if parent_n < k:
        return
    # Reasons say exactly why: no cell is hidden without its rule applying.
    for d in decisions.values():
        if d.reason is R.BELOW_THRESHOLD:
            assert d.n < k
        elif d.reason is R.REMAINDER:
            assert d.n >= k and 0 < parent_n - d.n < k
        elif d.reason is R.DIFFERENCING:
            assert d.key in forced
    order = sorted(
        (d.n, d.key) for d in decisions.values() if d.shown or d.reason is R.COMPLEMENTARY
    )
    complementary = [(n, key) for n, key in order if decisions[key].reason is R.COMPLEMENTARY]
    # The complementary cells are the smallest of the candidates, in (n, key) order...
    assert order[: len(complementary)] == complementary
    # ...and without the last one hidden the derived total would have been unsafe.
    if complementary:
        derived = derived_hidden_total(parent_n, decisions)
        assert 0 < derived - complementary[-1][0] < k
