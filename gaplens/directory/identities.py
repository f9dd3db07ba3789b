"""Resolving the names other tools use for people (login, UPN, account id) to directory people."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.directory.models import Identity, Person
from gaplens.directory.schemas import IdentityKind


@dataclass
class IdentityResolver:
    """Looks names up in memory: loaded once per import (a 10,000-person directory is ~1 MB).

    Matching is case-insensitive. Display names are a last resort used only when the tool gives
    nothing better (ticket exports) and only when exactly one person carries that name.
    Every miss is counted by name, so an import can report what it could not resolve.
    """

    by_value: dict[str, str]
    team_of: dict[str, int]
    by_display_name: dict[str, str] = field(default_factory=dict)
    misses: Counter[str] = field(default_factory=Counter)
    shared_names: dict[str, int] = field(default_factory=dict)
    """Display names (lower case) more than one person carries, with how many: never resolved,
    so an import that names people this way can refuse them rather than drop them."""

    @classmethod
    def load(
        cls, session: Session, kinds: Iterable[IdentityKind], display_names: bool = False
    ) -> IdentityResolver:
        wanted = list(kinds)
        by_value: dict[str, str] = {}
        rows = session.execute(
            select(Identity.value, Identity.person_id).where(Identity.kind.in_(wanted))
        )
        for value, person in rows:
            by_value[value.lower()] = person
        team_of: dict[str, int] = {}
        names: dict[str, str] = {}
        name_counts: Counter[str] = Counter()
        for pid, email, name, team in session.execute(
            select(Person.id, Person.email, Person.display_name, Person.team_id)
        ):
            team_of[pid] = team
            if IdentityKind.EMAIL in wanted:
                by_value.setdefault(email.lower(), pid)
            key = name.strip().lower()
            name_counts[key] += 1
            names[key] = pid
        unique_names = (
            {k: v for k, v in names.items() if name_counts[k] == 1} if display_names else {}
        )
        shared = {k: n for k, n in name_counts.items() if n > 1} if display_names else {}
        return cls(by_value, team_of, unique_names, shared_names=shared)

    def fresh(self) -> IdentityResolver:
        """The same lookups with no misses counted: for another import in the same run (a
        sync's next unit), without reading the directory again."""
        return replace(self, misses=Counter())

    def resolve(self, value: str | None) -> str | None:
        """The person id for a tool's name for someone, or None (counted as a miss)."""
        if not value:
            return None
        key = value.strip().lower()
        person = self.by_value.get(key) or self.by_display_name.get(key)
        if person is None:
            self.misses[value.strip()] += 1
        return person

    def unresolved_summary(self, limit: int = 5) -> str:
        """e.g. "3 names not in the directory (412 rows): alice-gh (200), bob (112), ..."."""
        if not self.misses:
            return ""
        top = ", ".join(f"{name} ({count})" for name, count in self.misses.most_common(limit))
        more = f", and {len(self.misses) - limit} more" if len(self.misses) > limit else ""
        return (
            f"{len(self.misses)} name(s) not in the directory "
            f"({sum(self.misses.values())} rows kept, not counted): {top}{more}"
        )


class DirectoryLookups:
    """The directory's lookups read once for several imports in one run (a sync's units):
    a 10,000-person directory took a quarter of a second to read, once per unit. Each import
    gets a fresh copy that counts its own misses. For a run that writes no identities (a
    sync does not): what it read at its first unit holds for its last."""

    def __init__(self) -> None:
        self._loaded: dict[tuple[frozenset[IdentityKind], bool], IdentityResolver] = {}

    def load(
        self, session: Session, kinds: Iterable[IdentityKind], display_names: bool = False
    ) -> IdentityResolver:
        wanted = list(kinds)
        key = (frozenset(wanted), display_names)
        if key not in self._loaded:
            self._loaded[key] = IdentityResolver.load(session, wanted, display_names)
        return self._loaded[key].fresh()


def load_resolver(
    session: Session,
    kinds: Iterable[IdentityKind],
    display_names: bool = False,
    lookups: DirectoryLookups | None = None,
) -> IdentityResolver:
    """The directory's lookups for one import: from `lookups` when a run shares them, else
    read now."""
    if lookups is not None:
        return lookups.load(session, kinds, display_names)
    return IdentityResolver.load(session, kinds, display_names)
