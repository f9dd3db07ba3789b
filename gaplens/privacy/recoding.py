"""Coarsening respondents into release classes that no combination of figures can split.

A release publishes figures only for *classes*: groups of respondents that share one code
over the declared dimensions (team, function, role level, AI-tenure band). Any cell a
viewer asks for ("team Platform, tenure 6+, managers") is the sum of the classes whose code
lies inside it, so every released figure, in every release, is constant on each class. If
each class holds at least k respondents, no linear combination of released figures can
single out fewer than k people, whatever the number of queries, viewers or colluders
(the linked-tables problem of statistical disclosure control, solved by construction rather
than by checking pairs of queries).

Classes are made by *local recoding*: a respondent's code starts at full detail, and a group
that fails its check moves, whole, one step up a fixed generalisation path (tenure band to
any; team to its parent, up to the root; function to any; team to any; role level to any).
Groups are processed most specific first, so a group only ever receives members from groups
below it and one pass suffices: O(n log n) plus the checks.

The same engine makes the per-question groups whose answer histograms are released (merging
classes until a group has k answers and its answers are not all the same), and keeps later
releases consistent with earlier ones (a group must hold, of each earlier joint atom, none or
at least k members), so releases over time cannot be differenced either.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

K = TypeVar("K", bound=Hashable)
C = TypeVar("C", bound=Hashable)


@dataclass(frozen=True)
class Code:
    """A point of the generalisation lattice; None means "any" on that dimension."""

    team: int | None = None
    function: str | None = None
    role: str | None = None
    tenure: str | None = None

    def key(self) -> tuple[str, ...]:
        """A total order over codes (None sorts first), for reproducible releases."""
        values = (self.team, self.function, self.role, self.tenure)
        return tuple("" if v is None else f"{v}" for v in values)

    def describe(self) -> str:
        parts = [
            f"{name}={value}"
            for name, value in (
                ("team", self.team),
                ("function", self.function),
                ("role", self.role),
                ("tenure", self.tenure),
            )
            if value is not None
        ]
        return ", ".join(parts) or "everyone"


TOP = Code()


@dataclass(frozen=True)
class TeamTree:
    """Parents of teams (None for a root), so codes can climb the hierarchy."""

    parents: Mapping[int, int | None]

    def depth(self, team: int) -> int:
        depth, current = 0, self.parents.get(team)
        while current is not None:
            depth += 1
            current = self.parents.get(current)
        return depth

    def subtree(self, team: int) -> frozenset[int]:
        children: dict[int | None, list[int]] = defaultdict(list)
        for child, parent in self.parents.items():
            children[parent].append(child)
        found, stack = {team}, [team]
        while stack:
            for child in children.get(stack.pop(), ()):
                if child not in found:
                    found.add(child)
                    stack.append(child)
        return frozenset(found)

    def up(self, code: Code) -> Code | None:
        return generalise(code, self)

    def rank(self, code: Code) -> int:
        return specificity(code, self)

    def key(self, code: Code) -> tuple[str, ...]:
        return code.key()

    def within(self, team: int | None, ancestor: int) -> bool:
        """Is `team` the team `ancestor` or below it? A code of "any team" is not."""
        current = team
        while current is not None:
            if current == ancestor:
                return True
            current = self.parents.get(current)
        return False


def specificity(code: Code, tree: TeamTree) -> int:
    """How far `code` is from the top; every generalisation step lowers it by exactly one."""
    team = 0 if code.team is None else tree.depth(code.team) + 1
    return team + (code.function is not None) + (code.role is not None) + (code.tenure is not None)


def generalise(code: Code, tree: TeamTree) -> Code | None:
    """One step up the fixed path; None at the top. Role level goes last: it is the
    breakdown every perception figure is about."""
    if code.tenure is not None:
        return Code(code.team, code.function, code.role, None)
    if code.team is not None and tree.parents.get(code.team) is not None:
        return Code(tree.parents[code.team], code.function, code.role, None)
    if code.function is not None:
        return Code(code.team, None, code.role, None)
    if code.team is not None:
        return Code(None, None, code.role, None)
    if code.role is not None:
        return TOP
    return None


class Lattice(Protocol[C]):
    """A generalisation path over codes of some data set: `up` is one step towards the top
    (None at the top), `rank` falls by exactly one with each step, `key` orders codes
    reproducibly. `TeamTree` is the lattice of survey bands; other data sets (task answers,
    reflection invitations, feedback items) bring their own."""

    def up(self, code: C) -> C | None: ...

    def rank(self, code: C) -> int: ...

    def key(self, code: C) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class Recoded(Generic[K, C]):
    """Where each item ended up; `withheld` items are in a top group that failed its check
    (nothing about them may be released)."""

    codes: dict[K, C]
    withheld: frozenset[K]


Split = Callable[[Sequence[K]], tuple[Sequence[K], Sequence[K]]]
"""Given a group's members: (those that may stay at this code, those that must move up)."""


def coarsen(items: Mapping[K, C], split: Split[K], lattice: Lattice[C]) -> Recoded[K, C]:
    """Move the members of every group that `split` does not keep one step up their path,
    until every group is kept.

    Groups are visited in decreasing specificity; what a group keeps when visited is final,
    because only strictly more specific groups (all visited already) can move into it.
    Members still moving at the top are withheld.
    """
    groups: dict[C, list[K]] = defaultdict(list)
    for key, code in items.items():
        groups[code].append(key)
    heap = [(-lattice.rank(code), lattice.key(code), code) for code in groups]
    heapq.heapify(heap)
    queued = set(groups)
    final: dict[K, C] = {}
    withheld: list[K] = []
    while heap:
        _, _, code = heapq.heappop(heap)
        queued.discard(code)
        members = groups.pop(code, [])
        if not members:
            continue
        stay, move = split(members)
        final.update(dict.fromkeys(stay, code))
        if not move:
            continue
        up = lattice.up(code)
        if up is None:
            withheld.extend(move)
            continue
        groups[up].extend(move)
        if up not in queued:
            queued.add(up)
            heapq.heappush(heap, (-lattice.rank(up), lattice.key(up), up))
    return Recoded(final, frozenset(withheld))


def whole(ok: Callable[[Sequence[K]], bool]) -> Split[K]:
    """A group stays together or moves together."""

    def split(members: Sequence[K]) -> tuple[Sequence[K], Sequence[K]]:
        return (members, ()) if ok(members) else ((), members)

    return split


def by_part(signature: Callable[[K], Hashable], k: int) -> Split[K]:
    """Members of each earlier joint group stay if at least k of them are here; the rest
    move. Every kept group then holds, of each earlier group, none or at least k: a later
    release cannot be differenced against an earlier one."""

    def split(members: Sequence[K]) -> tuple[Sequence[K], Sequence[K]]:
        parts: dict[Hashable, list[K]] = defaultdict(list)
        for member in members:
            parts[signature(member)].append(member)
        stay = [m for part in parts.values() if len(part) >= k for m in part]
        move = [m for part in parts.values() if len(part) < k for m in part]
        return stay, move

    return split


def answers_ok(values: Sequence[Hashable], k: int) -> bool:
    """At least k answers, and not all the same: a unanimous group tells each member's
    answer to anyone who knows they are in it (the 0/1 constraints of real answers)."""
    return len(values) >= k and len(set(values)) >= 2


@dataclass(frozen=True)
class RoleFirst:
    """The survey bands' lattice with role level generalised first: for comments, whose
    groups matter by team and function, not by who is a manager."""

    tree: TeamTree

    def up(self, code: Code) -> Code | None:
        if code.role is not None:
            return Code(code.team, code.function, None, code.tenure)
        return generalise(code, self.tree)

    def rank(self, code: Code) -> int:
        return specificity(code, self.tree)

    def key(self, code: Code) -> tuple[str, ...]:
        return code.key()
