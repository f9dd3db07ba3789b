"""Privacy rules, enforced in one place that every read path goes through.

Pure functions and small objects over plain data: no database, no I/O, so the rules can be
tested exhaustively and cannot be bypassed by a new query path.
"""

from gaplens.privacy.audit import InMemoryQueryAuditor, QueryAuditor, QueryRefused
from gaplens.privacy.comments import Comment, ReleasedComment, release_comments
from gaplens.privacy.gate import PrivacyGate
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
    "InMemoryQueryAuditor",
    "PrivacyGate",
    "PrivacyPolicy",
    "QueryAuditor",
    "QueryRefused",
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
