"""The identity lookups a sync reuses across its units: each unit counts its own misses."""

from __future__ import annotations

from gaplens.directory.identities import IdentityResolver


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
