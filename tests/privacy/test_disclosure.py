"""The disclosure auditor against attacks whose outcome is known, and against brute force.

Linear results are checked with exact rational elimination over respondents (no atoms, no
primes); value results by enumerating every answer assignment the histograms allow.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping, Sequence
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaplens.privacy.disclosure import (
    Answer,
    AuditTooLargeError,
    ReleasedCount,
    ReleasedHistogram,
    audit,
)


def people(prefix: str, n: int) -> frozenset[str]:
    return frozenset(f"{prefix}{i}" for i in range(n))


def histogram(
    question: str,
    members: frozenset[str],
    answers: Mapping[str, Mapping[str, Answer]],
    values: int,
    *,
    multi: bool = False,
) -> ReleasedHistogram:
    """The true histogram of `members`, as a correct release would publish it."""
    counts = [0] * values
    for r in members:
        answer = answers[r][question]
        for v in answer if isinstance(answer, frozenset) else (answer,):
            counts[v] += 1
    return ReleasedHistogram(question, members, tuple(counts), multi)


def no_answers(*groups: frozenset[str]) -> dict[str, dict[str, Answer]]:
    return {r: {} for g in groups for r in g}


# --- known attacks -----------------------------------------------------------------------


def test_classic_tracker_isolates_and_reveals_the_seventh_person() -> None:
    team, not_newcomers = frozenset("abcdefg"), frozenset("abcdef")
    answers: dict[str, dict[str, Answer]] = {r: {"q": i % 3} for i, r in enumerate("abcdefg")}

    by_counts = audit([ReleasedCount(team), ReleasedCount(not_newcomers)], [], answers)
    assert by_counts.isolated == {"g"}
    assert by_counts.determined == {}

    hists = [histogram("q", s, answers, 3) for s in (team, not_newcomers)]
    by_histograms = audit([], hists, answers)
    assert by_histograms.isolated == {"g"}  # histogram member sets are rows too
    assert by_histograms.determined == {"q": frozenset({"g"})}
    assert not by_histograms.ok


def test_parent_minus_children_reveals_the_direct_members_as_a_group() -> None:
    child_1, child_2 = people("c1-", 5), people("c2-", 5)
    direct = frozenset({"d1", "d2"})
    parent = direct | child_1 | child_2
    answers: dict[str, dict[str, Answer]] = {r: {"q": i % 2} for i, r in enumerate(sorted(parent))}
    answers["d1"] = {"q": 0}
    answers["d2"] = {"q": 1}
    sets = (parent, child_1, child_2)

    differ = audit(
        [ReleasedCount(s) for s in sets], [histogram("q", s, answers, 3) for s in sets], answers
    )
    assert differ.isolated == frozenset()
    assert differ.small_groups == (direct,)
    assert differ.determined == {}  # the pair answered {0, 1}; who said which is unknown

    answers["d2"] = {"q": 0}
    same = audit(
        [ReleasedCount(s) for s in sets], [histogram("q", s, answers, 3) for s in sets], answers
    )
    assert same.small_groups == (direct,)
    assert same.determined == {"q": direct}  # two of two chose 0


def test_overlapping_periods_isolate_the_shared_day() -> None:
    sizes = {1: 3, 2: 3, 3: 1, 4: 2, 5: 2, 6: 2}  # S3 - S1 and S3 - S2 are 6 people each
    days = {day: people(f"day{day}-", n) for day, n in sizes.items()}

    def span(first: int, last: int) -> frozenset[str]:
        return frozenset().union(*(days[d] for d in range(first, last + 1)))

    releases = [ReleasedCount(span(1, 3)), ReleasedCount(span(3, 6)), ReleasedCount(span(1, 6))]
    assert all(len(r.members) >= 5 for r in releases)
    findings = audit(releases, [], no_answers(span(1, 6)))
    assert findings.isolated == days[3]  # S1 + S2 - S3
    assert findings.small_groups == (days[3],)

    days[3] = people("day3-", 2)
    releases = [ReleasedCount(span(1, 3)), ReleasedCount(span(3, 6)), ReleasedCount(span(1, 6))]
    findings = audit(releases, [], no_answers(span(1, 6)))
    assert findings.isolated == frozenset()
    assert findings.small_groups == (days[3],)


def test_unanimous_group_reveals_every_answer_and_a_split_one_nothing() -> None:
    group = people("r", 6)
    unanimous: dict[str, dict[str, Answer]] = {r: {"q": 1} for r in group}
    findings = audit([], [histogram("q", group, unanimous, 3)], unanimous)
    assert findings.isolated == frozenset() and findings.small_groups == ()
    assert findings.determined == {"q": group}

    split: dict[str, dict[str, Answer]] = {r: {"q": i % 2} for i, r in enumerate(sorted(group))}
    findings = audit([ReleasedCount(group)], [histogram("q", group, split, 3)], split)
    assert findings.ok
    assert findings.describe().startswith("No disclosure found")


def test_three_way_combination_passes_pairwise_checks_but_isolates() -> None:
    a, b, c = frozenset({"a0"}), people("b", 5), people("c", 5)
    sets = [a | b, b | c, a | c]
    # The old per-viewer check compared pairs only: every pair here differs by 5 or more.
    assert all(len(x ^ y) >= 5 for x in sets for y in sets if x != y)

    findings = audit([ReleasedCount(s) for s in sets], [], no_answers(a, b, c))
    assert findings.isolated == a  # (A∪B) + (A∪C) - (B∪C) = 2A
    assert "a0" in findings.describe()


def test_multi_choice_answer_is_determined_only_when_every_option_is_forced() -> None:
    group = sorted(people("m", 6))
    mixed: dict[str, dict[str, Answer]] = {
        r: {"q": frozenset({0, 2}) if i < 3 else frozenset({0})} for i, r in enumerate(group)
    }
    members = frozenset(group)
    findings = audit([], [histogram("q", members, mixed, 3, multi=True)], mixed)
    assert findings.determined == {}  # option 0 by all, option 1 by none, option 2 by half

    forced: dict[str, dict[str, Answer]] = {r: {"q": frozenset({0})} for r in group}
    findings = audit([], [histogram("q", members, forced, 3, multi=True)], forced)
    assert findings.determined == {"q": members}


def test_multi_choice_one_forced_option_does_not_determine_the_answer() -> None:
    # Option 0: everyone chose it, forced. Option 1: x and z chose it, y did not; releasing
    # {x, y} and {y, z} also fits "only y chose it", so x's and z's answers stay unknown.
    answers: dict[str, dict[str, Answer]] = {
        "x": {"q": frozenset({0, 1})},
        "y": {"q": frozenset({0})},
        "z": {"q": frozenset({0, 1})},
    }
    hists = [histogram("q", frozenset(s), answers, 2, multi=True) for s in ("xy", "yz")]
    assert audit([], hists, answers).determined == {}


def test_multi_choice_tracker_reveals_the_difference() -> None:
    team, rest = frozenset("abcdefg"), frozenset("abcdef")
    answers: dict[str, dict[str, Answer]] = {
        r: {"q": frozenset({i % 3, (i + 1) % 3})} for i, r in enumerate("abcdefg")
    }
    hists = [histogram("q", s, answers, 3, multi=True) for s in (team, rest)]
    assert audit([], hists, answers).determined == {"q": frozenset({"g"})}


def test_inconsistent_releases_are_refused() -> None:
    group = people("r", 6)
    answers: dict[str, dict[str, Answer]] = {r: {"q": 0} for r in group}
    with pytest.raises(ValueError, match="does not match"):
        audit([], [ReleasedHistogram("q", group, (5, 1))], answers)
    with pytest.raises(ValueError, match="not in the answers"):
        audit([ReleasedCount(group | {"stranger"})], [], answers)
    with pytest.raises(ValueError, match="no answer"):
        audit([], [ReleasedHistogram("other", group, (6, 0))], answers)
    with pytest.raises(ValueError, match="wrong kind"):
        audit([], [ReleasedHistogram("q", group, (6, 0), multi=True)], answers)


def test_too_many_integer_programs_is_an_error_naming_the_size() -> None:
    team, rest = frozenset("abcdefg"), frozenset("abcdef")
    answers: dict[str, dict[str, Answer]] = {r: {"q": i % 3} for i, r in enumerate("abcdefg")}
    hists = [histogram("q", s, answers, 3) for s in (team, rest)]
    with pytest.raises(AuditTooLargeError, match="needs 1 integer programs"):
        audit([], hists, answers, milp_limit=0)
    assert audit([], hists, answers, milp_limit=1).determined == {"q": frozenset({"g"})}


def test_nested_teams_of_two_thousand_reveal_exactly_the_small_direct_groups() -> None:
    """Team rows are nested: a team minus its child teams gives its direct members."""
    rng = random.Random(20_240_601)
    parent = {t: rng.randrange(t) for t in range(1, 300)}
    direct: dict[int, set[str]] = {t: set() for t in range(300)}
    for i in range(2_000):
        direct[rng.randrange(300)].add(f"r{i:04d}")
    subtree = {t: set(direct[t]) for t in range(300)}
    for t in range(299, 0, -1):  # parents have smaller numbers than their children
        subtree[parent[t]] |= subtree[t]
    rows = [ReleasedCount(frozenset(s)) for s in subtree.values()]

    findings = audit(rows, [], no_answers(*(frozenset(s) for s in direct.values())))

    small = {frozenset(d) for d in direct.values() if 0 < len(d) < 5}
    assert set(findings.small_groups) == small
    assert findings.isolated == {next(iter(d)) for d in small if len(d) == 1}
    assert findings.atoms == sum(1 for d in direct.values() if d)


# --- brute force -------------------------------------------------------------------------


def rational_rank(rows: Sequence[Sequence[int]]) -> int:
    matrix = [[Fraction(x) for x in row] for row in rows]
    rank = 0
    for col in range(len(matrix[0]) if matrix else 0):
        pivot = next((i for i in range(rank, len(matrix)) if matrix[i][col] != 0), None)
        if pivot is None:
            continue
        matrix[rank], matrix[pivot] = matrix[pivot], matrix[rank]
        for i in range(len(matrix)):
            if i != rank and matrix[i][col] != 0:
                factor = matrix[i][col] / matrix[rank][col]
                matrix[i] = [x - factor * y for x, y in zip(matrix[i], matrix[rank], strict=True)]
        rank += 1
    return rank


def in_row_space(rows: list[list[int]], vector: list[int]) -> bool:
    return rational_rank([*rows, vector]) == rational_rank(rows)


systems = st.integers(1, 12).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(st.frozensets(st.integers(0, n - 1), min_size=1), min_size=1, max_size=6),
        st.integers(1, 6),
    )
)


@settings(max_examples=150, deadline=None)
@given(systems)
def test_linear_check_matches_rational_elimination(
    system: tuple[int, list[frozenset[int]], int],
) -> None:
    n, sets, k = system
    ids = [f"r{i:02d}" for i in range(n)]
    rows = [[int(i in s) for i in range(n)] for s in sets]
    released = [frozenset(ids[i] for i in s) for s in sets]

    findings = audit([ReleasedCount(s) for s in released], [], {r: {} for r in ids}, k=k)

    unit = [[int(j == i) for j in range(n)] for i in range(n)]
    assert findings.isolated == {ids[i] for i in range(n) if in_row_space(rows, unit[i])}
    signature: dict[tuple[int, ...], set[int]] = {}
    for i in range(n):
        if any(row[i] for row in rows):
            signature.setdefault(tuple(row[i] for row in rows), set()).add(i)
    expected = {
        frozenset(ids[i] for i in group)
        for group in signature.values()
        if len(group) < k and in_row_space(rows, [int(i in group) for i in range(n)])
    }
    assert set(findings.small_groups) == expected
    assert len(findings.small_groups) == len(expected)


def brute_force_determined(
    respondents: Sequence[str],
    hists: Sequence[ReleasedHistogram],
    choices: Sequence[Answer],
) -> frozenset[str]:
    """Respondents whose answer is the same in every assignment matching every histogram."""
    seen: dict[str, set[Answer]] = {r: set() for r in respondents}
    for assignment in itertools.product(choices, repeat=len(respondents)):
        given_answers = dict(zip(respondents, assignment, strict=True))
        for h in hists:
            counts = [0] * len(h.counts)
            for r in h.members:
                answer = given_answers[r]
                for v in answer if isinstance(answer, frozenset) else (answer,):
                    counts[v] += 1
            if tuple(counts) != h.counts:
                break
        else:
            for r, answer in given_answers.items():
                seen[r].add(answer)
    return frozenset(r for r, answers in seen.items() if len(answers) == 1)


value_systems = st.tuples(
    st.integers(1, 7),
    st.booleans(),
    st.integers(1, 3),
    st.randoms(use_true_random=False),
    st.lists(st.frozensets(st.integers(0, 6), min_size=1), min_size=1, max_size=4),
    st.lists(st.frozensets(st.integers(0, 6), min_size=1), max_size=2),
)


@settings(max_examples=120, deadline=None)
@given(value_systems)
def test_value_check_matches_brute_force_enumeration(system: tuple) -> None:
    n, multi, values, rng, hist_sets, count_sets = system
    if multi:
        n, values = min(n, 6), min(values, 2)
        choices: list[Answer] = [
            frozenset(c)
            for size in range(values + 1)
            for c in itertools.combinations(range(values), size)
        ]
    else:
        values = max(values, 2)
        choices = list(range(values))
    ids = [f"r{i}" for i in range(n)]
    # A skewed draw makes unanimous atoms (the interesting case) common.
    pool = rng.sample(choices, min(2, len(choices)))
    answers: dict[str, dict[str, Answer]] = {r: {"q": rng.choice(pool)} for r in ids}
    sets = [frozenset(ids[i] for i in s if i < n) for s in hist_sets]
    hists = [histogram("q", s, answers, values, multi=multi) for s in sets if s]
    counts = [ReleasedCount(frozenset(ids[i] for i in s if i < n)) for s in count_sets]
    answered = sorted(set().union(*(h.members for h in hists)))

    findings = audit(counts, hists, answers)

    expected = brute_force_determined(answered, hists, choices)
    assert findings.determined.get("q", frozenset()) == expected
