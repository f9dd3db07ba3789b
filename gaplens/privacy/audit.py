"""Refusing queries that differ from an earlier one by a few people (rule 3).

Thresholds alone do not stop a tracker attack (Denning, 1979): "team A" (7 people) and
"team A, not newcomers" (6 people) both pass k = 5, yet subtracting one answer from the
other gives the newcomer's. So for each viewer we remember the respondent sets already
answered and refuse a new set whose symmetric difference with any of them is between 1 and
k-1. An identical set is allowed: repeating a query reveals nothing new.

Limits, by design for now: the check is pairwise, so attacks that combine three or more
queries arithmetically are only partly covered (the k thresholds and breakdown suppression
carry the rest); and it is per viewer, so colluding viewers are not detected.
"""

from __future__ import annotations

from typing import Protocol

from gaplens.privacy.policy import PrivacyPolicy


class QueryRefused(Exception):  # noqa: N818 -- name fixed by the product brief
    """A query was refused; the message is safe to show the user (it names no respondent)."""

    def __init__(self, threshold: int) -> None:
        self.threshold = threshold
        super().__init__(
            "This view can't be shown: its respondents differ from a view you have already "
            f"seen by fewer than {threshold} people, so comparing the two could reveal "
            "individual answers. Broaden the filters, or go back to the earlier view."
        )


class QueryAuditor(Protocol):
    """Remembers, per viewer, which respondent sets have been released to them."""

    def check(self, viewer: str, respondents: frozenset[str]) -> None:
        """Raise QueryRefused if releasing `respondents` to `viewer` enables differencing."""
        ...

    def record(self, viewer: str, respondents: frozenset[str]) -> None:
        """Remember that `respondents` was released to `viewer`."""
        ...

    def check_and_record(self, viewer: str, respondents: frozenset[str]) -> None:
        """Check, then record only if allowed: a refused set was never released."""
        self.check(viewer, respondents)
        self.record(viewer, respondents)


class InMemoryQueryAuditor(QueryAuditor):
    """Per-process history, O(history) per check; enough until queries are persisted.

    A persistent version should store, per viewer, each released set as a set of keyed
    hashes (HMAC with a server-side secret) of respondent ids, never the ids themselves, so
    the audit table cannot be joined back to people; the symmetric-difference test works on
    hashes unchanged. Only sets' sizes are needed to skip most comparisons cheaply.
    """

    def __init__(self, policy: PrivacyPolicy, *, threshold: int | None = None) -> None:
        """`threshold` defaults to `min_group_size`; comments use a stricter auditor."""
        if threshold is None:
            threshold = policy.min_group_size
        if threshold < policy.min_group_size:
            raise ValueError(
                f"audit threshold ({threshold}) must be at least min_group_size "
                f"({policy.min_group_size})"
            )
        self.threshold = threshold
        self._history: dict[str, set[frozenset[str]]] = {}

    def check(self, viewer: str, respondents: frozenset[str]) -> None:
        k = self.threshold
        for earlier in self._history.get(viewer, ()):
            # The size gap is a lower bound on the symmetric difference: a cheap skip.
            if abs(len(earlier) - len(respondents)) >= k:
                continue
            if 0 < len(earlier ^ respondents) < k:
                raise QueryRefused(k)

    def record(self, viewer: str, respondents: frozenset[str]) -> None:
        self._history.setdefault(viewer, set()).add(frozenset(respondents))
