"""Which cells of a breakdown may be shown (rules 1 and 2).

A breakdown splits a parent group (already shown, since it has at least k respondents) into
cells by one attribute. Hiding the small cells is not enough: a reader who sees the parent
total and the shown cells can subtract, and what is left over (hidden cells plus anyone who
left the attribute blank) must itself be empty or at least k. Numbers here are counts, but
the same arithmetic exposes any additive figure (sums, hence means) shown for the cells.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from gaplens.privacy.policy import PrivacyPolicy


class SuppressionReason(StrEnum):
    """Why a cell is hidden; for logs and tests, the reader only needs to see that it is."""

    BELOW_THRESHOLD = "below_threshold"  # the cell itself has fewer than k respondents
    REMAINDER = "remainder"  # parent minus this cell would be a group of fewer than k
    COMPLEMENTARY = "complementary"  # hidden so the other hidden cells cannot be derived
    PARENT_HIDDEN = "parent_hidden"  # the parent has fewer than k, so nothing inside it shows
    DIFFERENCING = "differencing"  # close to a set this viewer already saw (see audit.py)


@dataclass(frozen=True)
class CellDecision:
    """One cell's fate. `n` is the true count, for internal use: render `shown_n` instead."""

    key: str
    n: int
    shown: bool
    reason: SuppressionReason | None

    @property
    def shown_n(self) -> int | None:
        """The count a reader may see, or None; renderers use this so a hidden n never leaks."""
        return self.n if self.shown else None


def group_is_shown(n: int, policy: PrivacyPolicy) -> bool:
    """Rule 1: a number describes a group only if the group has at least k respondents."""
    return n >= policy.min_group_size


def suppress_breakdown(
    parent_n: int,
    cells: Mapping[str, int],
    policy: PrivacyPolicy,
    *,
    force_hidden: Mapping[str, SuppressionReason] | None = None,
) -> dict[str, CellDecision]:
    """Decide every cell of one breakdown, in the input order of `cells`.

    After this, for every shown cell `parent_n - n >= k`, and the total a reader can derive
    for the hidden part, `parent_n - sum(shown)`, is 0 or at least k. Steps, in order:

    1. parent below k: hide every cell (PARENT_HIDDEN);
    2. cell below k: BELOW_THRESHOLD; else parent minus cell between 1 and k-1: REMAINDER.
       A cell that is the whole parent (remainder 0) stays shown: it repeats the parent's
       figure, which is already shown, and a remainder of nobody describes no one;
    3. cells in `force_hidden` (e.g. the gate's differencing check) with the given reason;
    4. while the derived hidden total is between 1 and k-1, hide the smallest shown cell
       (by n, then key, so reports are reproducible) as COMPLEMENTARY. Hiding all cells
       always ends this, since the derived total is then `parent_n >= k`.

    The first reason that applies is the one reported. `parent_n` may exceed the sum of the
    cells (respondents who left the attribute blank); they count toward the derived total.
    """
    _validate(parent_n, cells)
    forced = dict(force_hidden or {})
    unknown = sorted(set(forced) - set(cells))
    if unknown:
        raise ValueError(f"force_hidden names cells not in the breakdown: {unknown}")

    k = policy.min_group_size
    if parent_n < k:
        return {
            key: CellDecision(key, n, False, SuppressionReason.PARENT_HIDDEN)
            for key, n in cells.items()
        }

    reasons: dict[str, SuppressionReason | None] = {}
    for key, n in cells.items():
        if n < k:
            reasons[key] = SuppressionReason.BELOW_THRESHOLD
        elif 0 < parent_n - n < k:
            reasons[key] = SuppressionReason.REMAINDER
        else:
            reasons[key] = forced.get(key)

    shown = sorted((cells[key], key) for key, reason in reasons.items() if reason is None)
    derived_hidden = parent_n - sum(n for n, _ in shown)
    while 0 < derived_hidden < k:
        # `shown` cannot be empty here: with nothing shown, derived_hidden == parent_n >= k.
        n, key = shown.pop(0)
        reasons[key] = SuppressionReason.COMPLEMENTARY
        derived_hidden += n

    return {
        key: CellDecision(key, n, reasons[key] is None, reasons[key]) for key, n in cells.items()
    }


def _validate(parent_n: int, cells: Mapping[str, int]) -> None:
    """Reject inputs the arithmetic above would silently mis-handle."""
    if parent_n < 0:
        raise ValueError(f"parent_n must not be negative (got {parent_n})")
    negative = sorted(key for key, n in cells.items() if n < 0)
    if negative:
        raise ValueError(f"cell counts must not be negative: {negative}")
    total = sum(cells.values())
    if total > parent_n:
        raise ValueError(
            f"cells add up to {total}, more than the parent's {parent_n}; "
            "a breakdown must split the parent, not overlap or exceed it"
        )


def participation_shown(sent: int, used: int, policy: PrivacyPolicy) -> int:
    """How many used invitations may be shown: "at least N of M".

    The live count would say when each person answered (watch it tick from 6 to 7), and
    "all M used" would say that each invited person answered. So the figure moves only in
    steps of k and never reaches `sent`: at least the shown number answered, never exactly
    who or when.
    """
    if sent < 0 or not 0 <= used <= sent:
        raise ValueError(f"used ({used}) must be between 0 and sent ({sent})")
    k = policy.min_group_size
    return (min(used, sent - 1) // k) * k if sent else 0
