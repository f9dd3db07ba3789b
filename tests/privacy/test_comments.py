"""Rules 4 and 5: comments only for large groups, shuffled, dated by month."""

from __future__ import annotations

import datetime
import re

import pytest

from gaplens.privacy import Comment, PrivacyPolicy, ReleasedComment, release_comments

POLICY = PrivacyPolicy()


def sample(count: int) -> list[Comment]:
    """Comments in submission order, one per day, spanning two months."""
    start = datetime.date(2026, 2, 20)
    return [
        Comment(f"  comment number {i:02d}\n", start + datetime.timedelta(days=i))
        for i in range(count)
    ]


def test_group_below_threshold_gets_nothing() -> None:
    assert release_comments(sample(10), group_n=9, policy=POLICY, seed=1) is None


def test_too_few_comments_get_nothing() -> None:
    assert release_comments(sample(9), group_n=50, policy=POLICY, seed=1) is None


def test_blank_comments_do_not_count_toward_the_threshold() -> None:
    comments = [*sample(9), Comment("   ", datetime.date(2026, 3, 1))]
    assert release_comments(comments, group_n=50, policy=POLICY, seed=1) is None


def test_exactly_the_threshold_is_released() -> None:
    released = release_comments(sample(10), group_n=10, policy=POLICY, seed=1)
    assert released is not None and len(released) == 10


def test_threshold_follows_the_policy() -> None:
    strict = PrivacyPolicy(min_group_size=12, min_comment_group_size=12)
    assert release_comments(sample(11), group_n=40, policy=strict, seed=1) is None
    assert release_comments(sample(12), group_n=40, policy=strict, seed=1) is not None


def test_released_comments_are_shuffled_stripped_and_dated_by_month() -> None:
    comments = sample(20)
    released = release_comments(comments, group_n=25, policy=POLICY, seed=7)
    assert released is not None
    texts = [c.text for c in released]
    input_order = [c.text.strip() for c in comments]
    assert sorted(texts) == sorted(input_order)  # nothing lost, nothing added
    assert texts != input_order  # not submission order (here also alphabetical order)
    assert texts != sorted(texts, reverse=True)
    for c in released:
        assert re.fullmatch(r"\d{4}-\d{2}", c.month)
        original = comments[input_order.index(c.text)]
        assert c.month == original.day.strftime("%Y-%m")
    assert {c.month for c in released} == {"2026-02", "2026-03"}


def test_same_seed_same_order_different_seed_different_order() -> None:
    first = release_comments(sample(20), group_n=25, policy=POLICY, seed=7)
    again = release_comments(sample(20), group_n=25, policy=POLICY, seed=7)
    other = release_comments(sample(20), group_n=25, policy=POLICY, seed=8)
    assert first == again
    assert first != other


def test_order_does_not_depend_on_input_order() -> None:
    # Otherwise anyone who knows the seed could undo the shuffle back to submission order.
    comments = sample(20)
    forward = release_comments(comments, group_n=25, policy=POLICY, seed=7)
    backward = release_comments(comments[::-1], group_n=25, policy=POLICY, seed=7)
    assert forward == backward


def test_nothing_but_text_and_month_is_released() -> None:
    released = release_comments(sample(10), group_n=10, policy=POLICY, seed=3)
    assert released is not None
    assert all(type(c) is ReleasedComment for c in released)
    assert all("\n" not in c.text and c.text == c.text.strip() for c in released)


def test_negative_group_is_rejected() -> None:
    with pytest.raises(ValueError, match="group_n"):
        release_comments(sample(10), group_n=-1, policy=POLICY, seed=1)
