"""Policy floors: configuration may raise the thresholds, never lower them."""

from __future__ import annotations

import dataclasses

import pytest

from gaplens.privacy import (
    MIN_COMMENT_GROUP_SIZE_FLOOR,
    MIN_GROUP_SIZE_FLOOR,
    PrivacyPolicy,
)


def test_defaults_are_the_floors() -> None:
    policy = PrivacyPolicy()
    assert (policy.min_group_size, policy.min_comment_group_size) == (5, 10)
    assert (MIN_GROUP_SIZE_FLOOR, MIN_COMMENT_GROUP_SIZE_FLOOR) == (5, 10)


def test_group_size_below_floor_is_rejected() -> None:
    with pytest.raises(ValueError, match="min_group_size must be at least 5"):
        PrivacyPolicy(min_group_size=4)


def test_group_size_above_floor_is_allowed() -> None:
    assert PrivacyPolicy(min_group_size=6).min_group_size == 6


def test_comment_size_below_floor_is_rejected() -> None:
    with pytest.raises(ValueError, match="min_comment_group_size must be at least 10"):
        PrivacyPolicy(min_comment_group_size=9)


def test_comment_size_below_group_size_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"must be at least min_group_size \(12\)"):
        PrivacyPolicy(min_group_size=12)
    policy = PrivacyPolicy(min_group_size=12, min_comment_group_size=12)
    assert policy.min_comment_group_size == 12


@pytest.mark.parametrize("value", [True, 5.5, "5"])
def test_non_integer_thresholds_are_rejected(value: object) -> None:
    with pytest.raises(TypeError):
        PrivacyPolicy(min_group_size=value)  # type: ignore[arg-type]


def test_policy_cannot_be_lowered_after_construction() -> None:
    policy = PrivacyPolicy()
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.min_group_size = 1  # type: ignore[misc]
