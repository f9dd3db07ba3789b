"""The one object every read path calls before showing a number or a comment.

It works on respondent sets, not just counts, so it can apply both the arithmetic rules
(suppression.py) and the per-viewer differencing check (audit.py). Contract for callers:
show a number only for what the gate says is shown, and nothing else about the group.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from gaplens.privacy.audit import InMemoryQueryAuditor, QueryAuditor, QueryRefused
from gaplens.privacy.comments import Comment, ReleasedComment, release_comments
from gaplens.privacy.policy import PrivacyPolicy
from gaplens.privacy.suppression import (
    CellDecision,
    SuppressionReason,
    group_is_shown,
    suppress_breakdown,
)


class PrivacyGate:
    """Policy plus query history.

    Numbers and comments are audited separately: differencing two comment releases exposes
    text, so comment sets must differ by at least `min_comment_group_size`, while numbers
    only need `min_group_size`. The defaults keep history in memory.
    """

    def __init__(
        self,
        policy: PrivacyPolicy | None = None,
        *,
        auditor: QueryAuditor | None = None,
        comment_auditor: QueryAuditor | None = None,
    ) -> None:
        self.policy = policy if policy is not None else PrivacyPolicy()
        self.auditor = auditor if auditor is not None else InMemoryQueryAuditor(self.policy)
        self.comment_auditor = (
            comment_auditor
            if comment_auditor is not None
            else InMemoryQueryAuditor(self.policy, threshold=self.policy.min_comment_group_size)
        )

    def count_is_shown(self, n: int) -> bool:
        """Rule 1 alone, for numbers that are not about a filterable respondent set."""
        return group_is_shown(n, self.policy)

    def release_group(self, viewer: str, respondents: frozenset[str]) -> bool:
        """May numbers about this (filtered) group be shown to `viewer`?

        False if the group is below k (nothing is released, so nothing is recorded).
        Raises QueryRefused if it is too close to a set the viewer already saw.
        """
        if not group_is_shown(len(respondents), self.policy):
            return False
        self.auditor.check_and_record(viewer, respondents)
        return True

    def breakdown(
        self,
        viewer: str,
        parent_respondents: frozenset[str],
        cells: Mapping[str, frozenset[str]],
    ) -> dict[str, CellDecision]:
        """Decide a breakdown of a parent group for `viewer`.

        Raises QueryRefused if the parent itself is too close to a set the viewer already
        saw: the filter is the attack, so the whole view is refused. A shown cell that is
        too close to an earlier set is hidden instead (DIFFERENCING), and so is the
        smallest shown cell while the part a reader can derive (parent minus shown cells)
        is too close to an earlier set; suppression is then re-run so the arithmetic rules
        still hold. Finally the parent, the shown cells and the derivable remainder are
        recorded, since each is now known to the viewer.

        A parent below k hides everything and is neither audited nor recorded.
        """
        _validate_partition(parent_respondents, cells)
        parent_n = len(parent_respondents)
        counts = {key: len(members) for key, members in cells.items()}
        if not group_is_shown(parent_n, self.policy):
            return suppress_breakdown(parent_n, counts, self.policy)

        self.auditor.check(viewer, parent_respondents)
        forced: dict[str, SuppressionReason] = {}
        while True:
            decisions = suppress_breakdown(parent_n, counts, self.policy, force_hidden=forced)
            shown = [key for key, decision in decisions.items() if decision.shown]
            refused = [key for key in shown if not self._allowed(viewer, cells[key])]
            if refused:
                forced.update(dict.fromkeys(refused, SuppressionReason.DIFFERENCING))
                continue
            derivable = parent_respondents.difference(*(cells[key] for key in shown))
            if derivable and not self._allowed(viewer, derivable):
                # Not empty: with nothing shown, derivable is the parent, already allowed.
                smallest = min(shown, key=lambda key: (counts[key], key))
                forced[smallest] = SuppressionReason.DIFFERENCING
                continue
            break

        self.auditor.record(viewer, parent_respondents)
        for key in shown:
            self.auditor.record(viewer, cells[key])
        if derivable:
            self.auditor.record(viewer, derivable)
        return decisions

    def comments(
        self,
        viewer: str,
        respondents: frozenset[str],
        comments: Sequence[Comment],
        seed: int,
    ) -> list[ReleasedComment] | None:
        """Comments written by `respondents`, or None if the group is too small.

        Raises QueryRefused if this respondent set differs from one whose comments the
        viewer already saw by fewer than `min_comment_group_size` people.
        """
        released = release_comments(comments, len(respondents), self.policy, seed)
        if released is None:
            return None
        self.comment_auditor.check_and_record(viewer, respondents)
        return released

    def _allowed(self, viewer: str, respondents: frozenset[str]) -> bool:
        try:
            self.auditor.check(viewer, respondents)
        except QueryRefused:
            return False
        return True


def _validate_partition(parent: frozenset[str], cells: Mapping[str, frozenset[str]]) -> None:
    """Cells must be disjoint subsets of the parent, or the remainder arithmetic is wrong."""
    seen: set[str] = set()
    for key, members in cells.items():
        if not members <= parent:
            raise ValueError(f"cell {key!r} has respondents outside the parent group")
        if not seen.isdisjoint(members):
            raise ValueError(f"cell {key!r} shares respondents with another cell")
        seen |= members
