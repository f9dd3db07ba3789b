"""Privacy rules as pure functions over plain data (no database, no I/O), used by the
release builders (gaplens/releases/), the only code that turns people's data into figures:
recoding into classes of at least k, binning, comment thresholds, noise, and the auditors
that prove no combination of releases determines one person's answer.
"""

from gaplens.privacy.comments import Comment, ReleasedComment, release_comments
from gaplens.privacy.noise import histogram_epsilon, noisy_histogram
from gaplens.privacy.policy import (
    MIN_COMMENT_GROUP_SIZE_FLOOR,
    MIN_GROUP_SIZE_FLOOR,
    PrivacyPolicy,
    configured_policy,
)
from gaplens.privacy.suppression import (
    CellDecision,
    SuppressionReason,
    group_is_shown,
    participation_shown,
    suppress_breakdown,
)

__all__ = [
    "MIN_COMMENT_GROUP_SIZE_FLOOR",
    "MIN_GROUP_SIZE_FLOOR",
    "CellDecision",
    "Comment",
    "PrivacyPolicy",
    "ReleasedComment",
    "SuppressionReason",
    "configured_policy",
    "group_is_shown",
    "histogram_epsilon",
    "noisy_histogram",
    "participation_shown",
    "release_comments",
    "suppress_breakdown",
]
