"""Local recoding: every group ends with at least k members (or is withheld at the top),
moves only up its path, and keeps earlier joint groups whole."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from gaplens.privacy.recoding import (
    TOP,
    Code,
    TeamTree,
    answers_ok,
    by_part,
    coarsen,
    generalise,
    specificity,
    whole,
)

TREE = TeamTree({1: None, 2: 1, 3: 2, 4: 2, 5: 1})


def ancestors(code: Code) -> list[Code]:
    found, current = [code], generalise(code, TREE)
    while current is not None:
        found.append(current)
        current = generalise(current, TREE)
    return found


def test_each_step_lowers_specificity_by_one_and_ends_at_the_top():
    code = Code(3, "Engineering", "manager", "6+")
    path = ancestors(code)
    assert path[-1] == TOP
    assert [specificity(c, TREE) for c in path] == list(range(specificity(code, TREE), -1, -1))
    assert Code(2, "Engineering", "manager", None) in path  # the team climbs before function


codes = st.builds(
    Code,
    team=st.sampled_from([None, 1, 2, 3, 4, 5]),
    function=st.sampled_from([None, "Engineering", "Support"]),
    role=st.sampled_from([None, "executive", "manager", "individual_contributor"]),
    tenure=st.sampled_from([None, "<1", "6+"]),
)


@given(st.lists(codes, min_size=0, max_size=60), st.integers(min_value=2, max_value=6))
def test_groups_reach_k_and_only_move_up(items: list[Code], k: int):
    start = dict(enumerate(items))
    result = coarsen(start, whole(lambda members: len(members) >= k), TREE)
    assert set(result.codes) | result.withheld == set(start)
    assert not set(result.codes) & result.withheld
    sizes: dict[Code, int] = {}
    for code in result.codes.values():
        sizes[code] = sizes.get(code, 0) + 1
    assert all(size >= k for size in sizes.values())
    for key, code in result.codes.items():
        assert code in ancestors(start[key])
    assert len(result.withheld) < k  # only the top group can be withheld
    assert all(start[key] != TOP or len(result.withheld) < k for key in result.withheld)


def test_a_new_group_keeps_earlier_joint_groups_whole():
    """Six earlier members and two new ones in one team: the two cannot join them (the new
    part would be 2), so both move up (here, to be withheld), and the earlier six stay."""
    rng = random.Random(1)
    start = {n: Code(3, "Engineering", "manager", None) for n in range(8)}
    signature = {n: (1,) if n < 6 else (0,) for n in range(8)}
    start |= {n: Code(5, "Support", "manager", None) for n in range(8, 8 + rng.randint(5, 9))}
    signature |= {n: (0,) for n in start if n >= 8}
    result = coarsen(start, by_part(signature.__getitem__, 5), TREE)
    assert {result.codes[n] for n in range(6)} == {Code(3, "Engineering", "manager", None)}
    assert {6, 7} <= result.withheld
    for code in set(result.codes.values()):
        members = [n for n, c in result.codes.items() if c == code]
        for part in ((0,), (1,)):
            inside = sum(1 for n in members if signature[n] == part)
            assert inside == 0 or inside >= 5


def test_answers_need_k_and_two_different_values():
    assert not answers_ok([0, 1, 2, 3], 5)
    assert not answers_ok([2] * 9, 5)
    assert answers_ok([2, 2, 2, 2, 1], 5)
    assert answers_ok([frozenset({0}), frozenset({0, 1})] * 3, 5)
    assert not answers_ok([frozenset({0, 1})] * 6, 5)
