"""Rule 3: per-viewer differencing (tracker) checks."""

from __future__ import annotations

import pytest

from gaplens.privacy import InMemoryQueryAuditor, PrivacyPolicy, QueryRefused


def people(*numbers: int) -> frozenset[str]:
    return frozenset(f"resp-{n:03d}" for n in numbers)


def span(first: int, last: int) -> frozenset[str]:
    return people(*range(first, last + 1))


TEAM_A = span(1, 7)
TEAM_A_NOT_NEWCOMERS = span(1, 6)


@pytest.fixture
def auditor() -> InMemoryQueryAuditor:
    auditor = InMemoryQueryAuditor(PrivacyPolicy())
    auditor.check_and_record("lead", TEAM_A)
    return auditor


def test_two_overlapping_filters_are_refused(auditor: InMemoryQueryAuditor) -> None:
    with pytest.raises(QueryRefused) as refused:
        auditor.check("lead", TEAM_A_NOT_NEWCOMERS)
    message = str(refused.value)
    assert "fewer than 5 people" in message
    assert not any(person in message for person in TEAM_A)
    assert "resp-" not in message


def test_other_viewers_are_not_affected(auditor: InMemoryQueryAuditor) -> None:
    auditor.check_and_record("someone-else", TEAM_A_NOT_NEWCOMERS)


def test_identical_repeat_is_allowed(auditor: InMemoryQueryAuditor) -> None:
    auditor.check_and_record("lead", frozenset(TEAM_A))
    auditor.check("lead", TEAM_A)


def test_difference_of_k_is_allowed_and_k_minus_1_refused(auditor: InMemoryQueryAuditor) -> None:
    auditor.check("lead", span(1, 12))  # 5 more people
    auditor.check("lead", span(6, 7))  # 5 fewer (its own size is the gate's business)
    with pytest.raises(QueryRefused):
        auditor.check("lead", span(1, 11))  # 4 more


def test_symmetric_difference_not_just_subsets(auditor: InMemoryQueryAuditor) -> None:
    # Swap one person in, one out: neither set contains the other, yet they differ by 2.
    with pytest.raises(QueryRefused):
        auditor.check("lead", span(2, 8))


def test_refused_sets_are_not_recorded(auditor: InMemoryQueryAuditor) -> None:
    with pytest.raises(QueryRefused):
        auditor.check_and_record("lead", TEAM_A_NOT_NEWCOMERS)
    # 5 away from team A, but only 4 from the refused set: allowed, since that was never shown.
    auditor.check("lead", TEAM_A_NOT_NEWCOMERS | people(8, 9, 10, 11))


def test_every_earlier_set_is_compared(auditor: InMemoryQueryAuditor) -> None:
    auditor.check_and_record("lead", span(100, 120))
    auditor.check_and_record("lead", span(200, 230))
    with pytest.raises(QueryRefused):
        auditor.check("lead", span(100, 121))
    with pytest.raises(QueryRefused):
        auditor.check("lead", TEAM_A | people(500))


def test_threshold_follows_the_policy() -> None:
    auditor = InMemoryQueryAuditor(PrivacyPolicy(min_group_size=6))
    auditor.record("lead", span(1, 20))
    auditor.check("lead", span(1, 26))
    with pytest.raises(QueryRefused, match="fewer than 6 people"):
        auditor.check("lead", span(1, 25))


def test_threshold_can_only_be_raised() -> None:
    assert InMemoryQueryAuditor(PrivacyPolicy(), threshold=10).threshold == 10
    with pytest.raises(ValueError, match="at least min_group_size"):
        InMemoryQueryAuditor(PrivacyPolicy(), threshold=4)
