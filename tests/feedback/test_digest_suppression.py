"""The digest's counts by kind and theme sizes follow the remainder rule: whatever a reader
subtracts from a shown total, what is left is nobody or at least k items."""

from __future__ import annotations

import datetime as dt
import itertools
import json

from gaplens.feedback.delivery import digest_html, digest_text
from gaplens.feedback.schemas import Digest, FeedbackKind
from gaplens.feedback.service import digest_of
from gaplens.privacy import PrivacyPolicy

POLICY = PrivacyPolicy()
K = POLICY.min_group_size
DAY = dt.date(2026, 11, 18)
KINDS = [kind.value for kind in FeedbackKind]


def rows(counts: dict[str, int]) -> list[tuple[str, str, dt.date]]:
    return [
        (kind, f"{kind} item {n} about prompt templates", DAY)
        for kind, count in counts.items()
        for n in range(count)
    ]


def build(counts: dict[str, int]) -> Digest:
    return digest_of(rows(counts), POLICY, DAY, DAY)


def assert_nothing_small_by_subtraction(total: int, shown: list[int]) -> None:
    """Every way a reader can subtract: the total minus any set of shown counts."""
    for size in range(len(shown) + 1):
        for chosen in itertools.combinations(shown, size):
            left = total - sum(chosen)
            assert left == 0 or left >= K, (total, shown, chosen)


def test_a_kind_of_two_in_a_week_of_twelve_hides_the_next_smallest_kind_too():
    found = build({"working": 5, "friction": 5, "idea": 2})
    kinds = {k.kind: k for k in found.kinds}
    assert found.total == 12
    assert kinds["idea"].count is None
    assert kinds["idea"].hidden_reason == f"fewer than {K} items"
    # 12 - 5 - 5 would be the 2 ideas: one of the two fives goes too (the first by key order).
    hidden_five = [k for k in ("working", "friction") if kinds[k].count is None]
    assert len(hidden_five) == 1
    assert "total minus the shown counts" in (kinds[hidden_five[0]].hidden_reason or "")
    assert kinds["concern"].count is None  # an empty kind is below k as well
    assert_nothing_small_by_subtraction(12, [k.count for k in found.kinds if k.count is not None])


def test_a_kind_that_leaves_a_small_remainder_is_hidden_even_when_large():
    found = build({"friction": 12, "idea": 3})
    kinds = {k.kind: k for k in found.kinds}
    assert found.total == 15
    assert kinds["friction"].count is None and kinds["idea"].count is None
    assert "cannot reveal" in (kinds["friction"].hidden_reason or "")
    assert kinds["friction"].comments  # still 12 texts: comments may be released ...
    assert all(t.size is None for t in kinds["friction"].themes)  # ... but no theme sizes
    assert all(t.size_hidden_reason for t in kinds["friction"].themes)


def test_every_small_breakdown_leaves_nothing_small_to_subtract():
    """All splits of up to 7 items per kind, with 0 to 2 items of a retired kind."""
    for counts in itertools.product(range(8), repeat=len(KINDS)):
        for retired in range(3):
            cells = dict(zip(KINDS, counts, strict=True))
            total = sum(counts) + retired
            found = digest_of(rows(cells) + rows({"retired": retired}), POLICY, DAY, DAY)
            shown = [k.count for k in found.kinds if k.count is not None]
            for kind in found.kinds:
                assert (kind.count is None) == (kind.hidden_reason is not None)
                assert kind.count in (None, cells[kind.kind])
            if total < K:
                assert found.total == 0 and shown == []
                continue
            assert found.total == total
            assert_nothing_small_by_subtraction(total, shown)


def test_theme_sizes_leave_nothing_small_to_subtract_from_their_kind():
    texts = (
        [f"the code review assistant invents APIs again, case {n}" for n in range(14)]
        + [f"meeting summaries miss the decisions we took, case {n}" for n in range(12)]
        + ["ok", "fine", "hmm"]
    )  # in no theme: 29 - 14 - 12 would be these 3
    found = digest_of([("friction", t, DAY) for t in texts], POLICY, DAY, DAY)
    [friction] = [k for k in found.kinds if k.kind == "friction"]
    assert friction.count == 29
    assert len(friction.themes) == 2, "expected the two topics to be found"
    shown = [t.size for t in friction.themes if t.size is not None]
    assert shown == [14]
    assert_nothing_small_by_subtraction(29, shown)
    for theme in friction.themes:
        assert (theme.size is None) == (theme.size_hidden_reason is not None)


def test_text_html_and_json_show_the_same_decisions_with_reasons():
    found = build({"working": 5, "friction": 5, "idea": 2})
    text, html = digest_text(found), digest_html(found)
    as_json = json.loads(found.model_dump_json())
    for kind in found.kinds:
        line = f"{kind.label}: {kind.count}" if kind.count is not None else None
        if kind.count is not None:
            assert line is not None and line in text
            assert f"{kind.label}:\n {kind.count}</h2>" in html
        else:
            assert f"{kind.label}: not shown ({kind.hidden_reason})" in text
            assert f"not shown ({kind.hidden_reason})" in html
        [same] = [k for k in as_json["kinds"] if k["kind"] == kind.kind]
        assert (same["count"], same["hidden_reason"]) == (kind.count, kind.hidden_reason)
    assert "Idea: 2" not in text and "Idea:\n 2<" not in html
