"""Releasing free-text comments (rules 4 and 5).

Text identifies people more easily than numbers, so comments need the larger group, and
everything that could link a comment back to a person beyond its words is removed: the
exact day (a reader may know who answered on Tuesday) and the order (which would follow
submission order).
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Sequence
from dataclasses import dataclass

from gaplens.privacy.policy import PrivacyPolicy


@dataclass(frozen=True)
class Comment:
    """A comment as stored."""

    text: str
    day: datetime.date


@dataclass(frozen=True)
class ReleasedComment:
    """A comment as a reader may see it: the text and only the month."""

    text: str
    month: str  # "2026-03"


def release_comments(
    comments: Sequence[Comment], group_n: int, policy: PrivacyPolicy, seed: int
) -> list[ReleasedComment] | None:
    """Comments for a group of `group_n` respondents, or None if the group is too small.

    None when the group, or the number of non-blank comments, is below
    `min_comment_group_size`: blank comments do not hide anyone, so they do not count.
    Text is stripped and dates coarsened to the month. The output is first put in a
    canonical order and then shuffled with `seed`: the seed makes a report reproducible,
    and the canonical order means the output depends only on *which* comments there are,
    never on the order they were given in, so knowing the seed cannot undo the shuffle
    back to submission order.
    """
    if group_n < 0:
        raise ValueError(f"group_n must not be negative (got {group_n})")
    released = [
        ReleasedComment(text, f"{c.day.year:04d}-{c.day.month:02d}")
        for c in comments
        if (text := c.text.strip())
    ]
    threshold = policy.min_comment_group_size
    if group_n < threshold or len(released) < threshold:
        return None
    released.sort(key=lambda c: (c.text, c.month))
    random.Random(seed).shuffle(released)
    return released
