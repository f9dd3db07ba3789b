"""The identity lookups a sync reuses across its units: each unit counts its own misses."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event

from gaplens.db.engine import get_engine, session_scope
from gaplens.directory.identities import DirectoryLookups, IdentityResolver
from gaplens.directory.schemas import IdentityKind
from tests.telemetry.helpers import directory


def test_a_fresh_copy_resolves_the_same_and_counts_its_own_misses() -> None:
    first = IdentityResolver({"acc-1": "p1"}, {"p1": 3}, by_display_name={"ada": "p1"})
    assert first.resolve("ACC-1") == "p1"
    assert first.resolve("acc-9") is None
    assert first.misses == {"acc-9": 1}

    second = first.fresh()
    assert second.misses == {}
    assert second.resolve("Ada") == "p1" and second.team_of == {"p1": 3}
    assert second.resolve("stranger") is None
    assert second.misses == {"stranger": 1}
    assert first.misses == {"acc-9": 1}  # the first import's count is untouched


def test_lookups_read_the_directory_once_per_kind_of_lookup(db_url: str, tmp_path: Path):
    """Each set of identity kinds (and display names or not) is read once; every load is a
    fresh copy counting its own misses."""
    directory(db_url, tmp_path)
    reads: list[str] = []

    def seen(conn: object, cursor: object, statement: str, *args: object) -> None:
        if "FROM identity" in statement:
            reads.append(statement)

    engine = get_engine(db_url)
    event.listen(engine, "before_cursor_execute", seen)
    try:
        lookups = DirectoryLookups()
        with session_scope(db_url) as session:
            first = lookups.load(session, [IdentityKind.EMAIL])
            assert first.resolve("nobody@acme.example") is None
            second = lookups.load(session, [IdentityKind.EMAIL])
            assert len(reads) == 1
            assert second.misses == {} and first.misses == {"nobody@acme.example": 1}
            assert second.resolve("PERSON1@acme.example") is not None
            lookups.load(session, [IdentityKind.EMAIL], display_names=True)
            lookups.load(session, [IdentityKind.JIRA, IdentityKind.EMAIL])
            lookups.load(session, [IdentityKind.EMAIL, IdentityKind.JIRA])
        assert len(reads) == 3
    finally:
        event.remove(engine, "before_cursor_execute", seen)
