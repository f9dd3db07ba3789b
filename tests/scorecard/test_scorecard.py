"""The scorecard on the friction release: one use case that helps, one that hurts, one too
small to be named; periods and teams that differ by a few entries; the auditor as oracle.

Entries go into a real database as the form stores them, the friction release is built as
`gaplens release build` builds it, and the card is read from it (never from entries)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import random
from pathlib import Path

from sqlalchemy import select

from gaplens.db.engine import session_scope
from gaplens.db.migrate import MIGRATIONS_DIR
from gaplens.directory.models import Team
from gaplens.feedback.schemas import FeedbackIn, FeedbackKind
from gaplens.feedback.service import submit_feedback
from gaplens.friction.models import FrictionEntry
from gaplens.friction.service import released_months
from gaplens.privacy import PrivacyPolicy
from gaplens.privacy.disclosure import ReleasedCount, ReleasedHistogram, audit
from gaplens.releases.feedback.audit import feedback_findings
from gaplens.releases.feedback.service import build_feedback_release
from gaplens.releases.friction.audit import MEMBER, friction_findings
from gaplens.releases.friction.service import build_friction_release
from gaplens.scorecard.schemas import Scorecard
from gaplens.scorecard.service import (
    FEEDBACK_NO_TEAM,
    NO_FEEDBACK_RELEASE,
    NO_TELEMETRY,
    scorecard,
    top_use_cases,
)
from tests.friction.conftest import load_teams, plant

POLICY = PrivacyPolicy()
K = POLICY.min_group_size
MONDAY = dt.date(2026, 3, 2)  # ISO week 2026-W10, the first week of March's release month
MARCH = (MONDAY, dt.date(2026, 3, 29))  # the ISO weeks whose Thursday falls in March


def week(n: int, day: int = 0) -> dt.date:
    return MONDAY + dt.timedelta(days=7 * n + day)


def build(url: str, today: dt.date) -> str:
    with session_scope(url) as session:
        return build_friction_release(session, POLICY, today=today).message


def card(url: str, first: dt.date, last: dt.date, teams: list[str] | None = None) -> Scorecard:
    with session_scope(url) as session:
        team_ids = None
        if teams is not None:
            team_ids = list(session.scalars(select(Team.id).where(Team.key.in_(teams))))
        return scorecard(session, first, last, team_ids=team_ids)


def plant_scorecard(url: str) -> None:
    """Four weeks of March: code completion saves time (net minutes clearly above 0 in
    every week), code review needs correcting 9 times in 10, and 'Tiny' has 3 entries."""
    with session_scope(url) as session:
        for n, saved in enumerate((20, 25, 30, 22)):
            plant(session, "Code completion", week(n), 1, correcting=5, saved=10, outcome="fixed")
            plant(session, "code-completion", week(n, 1), 5, saved=saved)
        for n in range(2):
            plant(session, "Code review", week(n), 9, correcting=30, saved=5, outcome="fixed")
            plant(session, "Code review", week(n, 2), 1, saved=15)
        plant(session, "Tiny", week(1), 2, correcting=5, outcome="fixed")
        plant(session, "Tiny", week(1), 1, saved=10)
        plant(session, "Code review", week(2), 2, correcting=9, saved=4, outcome="fixed")
        plant(session, "Code review", week(2), 1, saved=3)


def test_scorecard_classes_from_the_release(db_url: str):
    plant_scorecard(db_url)
    build(db_url, week(5))
    found = card(db_url, *MARCH)
    by_label = {s.label: s for s in found.use_cases}
    assert set(by_label) == {"code-completion", "Code review"}
    completion, review = by_label["code-completion"], by_label["Code review"]
    evidence = {e.measure: e for e in completion.evidence}
    # four weekly groups of 6: (10 + 5 x saved - 5) / 6 per output, between 17.5 and 25.8
    assert evidence["net_minutes"].n == 24 and evidence["net_minutes"].lean == "working"
    assert evidence["net_minutes"].value == (5 * 4 + 5 * (20 + 25 + 30 + 22)) / 24
    assert evidence["correction_rate"].n == 24
    # working needs feedback too, and feedback per use case is not published
    assert completion.status == "unknown" and "must agree" in completion.reason
    assert review.status == "friction"
    assert {e.measure: e.n for e in review.evidence}["correction_rate"] == 20
    # Tiny and the three late review entries are published only with other use cases, for
    # the quarter: not in March's figures (a note says so), in the quarter's
    assert found.other_entries == 0 and any("2026-Q1" in note for note in found.notes)
    quarter = card(db_url, dt.date(2025, 12, 29), MARCH[1])
    assert quarter.other_entries == 6 and "Tiny" not in {u.label for u in quarter.use_cases}
    assert NO_FEEDBACK_RELEASE in found.notes and NO_TELEMETRY in found.notes
    assert all(e.source == "friction_log" for u in found.use_cases for e in u.evidence)
    top = top_use_cases(found)
    assert top.working == [] and [s.label for s in top.friction] == ["Code review"]
    with session_scope(db_url) as session:
        audited = friction_findings(session, k=K)[1]
    assert audited.ok, audited.describe()


def say(url: str, use_case: str, day: dt.date, kinds: dict[FeedbackKind, int]) -> None:
    """Feedback items naming `use_case`, as the form stores them."""
    with session_scope(url) as session:
        for kind, count in kinds.items():
            for n in range(count):
                item = FeedbackIn(kind=kind, text=f"{use_case} {kind} {n}", use_case=use_case)
                submit_feedback(session, item, "web", day)


def test_a_use_case_works_when_net_minutes_and_feedback_agree(db_url: str, tmp_path: Path):
    """Code completion: net minutes clearly above 0 (the friction release) and, each week of
    March, five items saying it works and one idea (the feedback release): working. Code
    review: feedback leans friction as its log does. 'Unanimous' feedback (all working) is
    not published under its name, so it is no evidence. A team's card reads no feedback."""
    load_teams(db_url, tmp_path)
    plant_scorecard(db_url)
    for n in range(4):
        say(db_url, "Code-Completion", week(n, 2), {FeedbackKind.WORKING: 5, FeedbackKind.IDEA: 1})
    say(db_url, "code review", week(1), {FeedbackKind.FRICTION: 6, FeedbackKind.CONCERN: 1})
    say(db_url, "Unanimous", week(2), {FeedbackKind.WORKING: 6})
    with session_scope(db_url) as session:
        assert build_feedback_release(session, POLICY, today=week(5)).release is not None
    build(db_url, week(5))
    found = card(db_url, *MARCH)
    by_key = {s.key: s for s in found.use_cases}
    assert set(by_key) == {"code completion", "code review"}
    completion = by_key["code completion"]
    assert completion.status == "working", completion.reason
    assert "feedback and the friction log's net minutes lean working" in completion.reason
    said = next(e for e in completion.evidence if e.source == "feedback")
    assert (said.n, said.lean, said.value) == (20, "working", 1.0)
    review = next(e for e in by_key["code review"].evidence if e.source == "feedback")
    assert (review.n, review.lean) == (6, "friction")
    assert by_key["code review"].status == "friction"
    assert found.feedback_release == 1 and found.feedback_through == week(5) - dt.timedelta(days=1)
    # the unanimous six go up to no use case for the quarter, alone and still all alike:
    # withheld until an item of another kind joins them
    assert not any("published with no use case" in note for note in found.notes)
    top = top_use_cases(found)
    assert [s.key for s in top.working] == ["code completion"]
    # the same period for a team: no feedback (it carries no team), so nothing is working
    with session_scope(db_url) as session:
        team = session.scalars(select(Team.id).where(Team.key == "support")).one()
        plant(session, "Code completion", week(0, 3), 3, saved=12, team="support")
        plant(
            session,
            "Code completion",
            week(0, 4),
            3,
            correcting=2,
            saved=9,
            outcome="fixed",
            team="support",
        )
    build(db_url, week(6))
    narrowed = card(db_url, *MARCH, teams=["support"])
    assert FEEDBACK_NO_TEAM in narrowed.notes and narrowed.feedback_release is None
    assert all(e.source != "feedback" for u in narrowed.use_cases for e in u.evidence)
    assert all(u.status != "working" for u in narrowed.use_cases)
    assert team and narrowed.use_cases
    with session_scope(db_url) as session:
        for findings in (friction_findings(session, k=K)[1], feedback_findings(session, k=K)[1]):
            assert findings.ok, findings.describe()


def test_nothing_released_says_so(db_url: str):
    plant_scorecard(db_url)
    found = card(db_url, *MARCH)
    assert found.use_cases == [] and found.release is None
    assert found.notes[0].startswith("Nothing published from the friction log yet")


def test_periods_and_teams_a_few_entries_apart_differ_by_whole_classes(db_url: str, tmp_path: Path):
    """Ten weeks of 0 to 7 entries of three use cases in two teams (and none); the card for
    every window of whole weeks against every window inside it, for everyone and for each
    team: per use case the difference is nobody or at least k outputs, and the auditor,
    given everything published, finds no one."""
    load_teams(db_url, tmp_path)
    rng = random.Random(23)
    with session_scope(db_url) as session:
        for n in range(10):
            for _ in range(rng.randrange(8)):
                plant(
                    session,
                    rng.choice(["Review", "Docs", "Tests"]),
                    week(n, rng.randrange(7)),
                    1,
                    correcting=rng.choice([0, 0, 5, 30]),
                    saved=rng.choice([None, 10, 45]),
                    outcome=rng.choice(["kept", "kept", "fixed", "discarded"]),
                    team=rng.choice([None, "eng-payments", "support"]),
                )
    build(db_url, week(14))
    scopes: list[list[str] | None] = [None, ["eng-payments"], ["support"]]
    cards = {
        (a, b, i): card(db_url, week(a), week(b) - dt.timedelta(days=1), scope)
        for a in range(10)
        for b in range(a + 1, 11)
        for i, scope in enumerate(scopes)
    }

    def sizes(found: Scorecard) -> dict[str, int]:
        shown = {u.key: next(e.n or 0 for e in u.evidence) for u in found.use_cases}
        return {"": found.other_entries, **shown}

    for (a, b, i), outer in cards.items():
        for (c, d, j), inner in cards.items():
            if a <= c and d <= b and (i == j or (j and not i)):
                big, small = sizes(outer), sizes(inner)
                for key, n in big.items():
                    left = n - small.get(key, 0)
                    assert left == 0 or left >= K, ((a, b, i), (c, d, j), key, big, small)
    with session_scope(db_url) as session:
        found = friction_findings(session, k=K)[1]
    assert found.ok, found.describe()


def test_a_per_request_scorecard_would_have_been_caught(db_url: str):
    """The old design: each request's use-case counts over the entries of its own period.
    Ten mixed entries last month, two the month before: the two views' member sets differ
    by two entries, which the auditor isolates. The release's cards for the same two
    periods differ by whole classes and the auditor finds nothing."""
    with session_scope(db_url) as session:
        plant(session, "code review", week(4), 6, correcting=10, outcome="fixed")
        plant(session, "code review", week(4, 2), 4, saved=10)
        plant(session, "code review", week(1), 1, correcting=50, outcome="discarded")
        plant(session, "code review", week(1, 3), 1, saved=5)
    build(db_url, week(9))
    one, two = released_months(week(9), 1), released_months(week(9), 2)
    with session_scope(db_url) as session:
        rows = session.execute(
            select(FrictionEntry.id, FrictionEntry.logged_on, FrictionEntry.outcome)
        ).all()
    views = []
    for first, last in (one, two):
        inside = [(i, o) for i, day, o in rows if first <= day <= last]
        members = frozenset(MEMBER + i for i, _ in inside)
        fixed = sum(o != "kept" for _, o in inside)
        views.append((members, (len(inside) - fixed, fixed)))
    answers = {MEMBER + i: {"corrected": int(o != "kept")} for i, _, o in rows}
    naive = audit(
        [ReleasedCount(m) for m, _ in views],
        [ReleasedHistogram("corrected", m, c) for m, c in views],
        answers,
        k=K,
    )
    assert not naive.ok and naive.small_groups
    released = [card(db_url, *one), card(db_url, *two)]
    n = [sum(next(e.n or 0 for e in u.evidence) for u in c.use_cases) + c.other_entries
         for c in released]  # fmt: skip
    assert n[0] == 10 and (n[1] - n[0] == 0 or n[1] - n[0] >= K)
    with session_scope(db_url) as session:
        found = friction_findings(session, k=K)[1]
    assert found.ok, found.describe()


def stored_features(text: str | None) -> list[tuple[str, int, int]]:
    """(feature, generations, acceptances) as migration 0016 reads a stored JSON text into
    feature rows (the parser the scorecard used before the rows existed)."""
    path = next((MIGRATIONS_DIR / "versions").glob("0016_*.py"))
    spec = importlib.util.spec_from_file_location("migration_0016", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [(name, c["generations"], c["acceptances"]) for name, c in module.feature_entries(text)]


def test_feature_parsing_is_tolerant():
    listed = json.dumps([{"feature": "code_completion", "code_generation_activity_count": 5,
                          "code_acceptance_activity_count": 2}])  # fmt: skip
    keyed = json.dumps({"agent_edit": {"code_generation_activity_count": 3}})
    assert stored_features(listed) == [("code_completion", 5, 2)]
    assert stored_features(keyed) == [("agent_edit", 3, 0)]
    assert stored_features("not json") == [] and stored_features("[1, {}]") == []
    assert stored_features(None) == []


def test_the_connectors_compact_features_are_read():
    """What `gaplens import copilot-usage` stores: feature -> short count names, as JSON
    (which the migration reads back) and as the counts the importer writes as rows."""
    from gaplens.connectors.copilot_usage import compact_features, feature_counts
    from gaplens.errors import ProblemCollector

    listed = [
        {"feature": "code_completion", "code_generation_activity_count": 7,
         "code_acceptance_activity_count": 3, "loc_added_sum": 9},
        {"feature": "agent_edit", "code_generation_activity_count": 2},
    ]  # fmt: skip
    stored = compact_features(listed, 1, ProblemCollector("c.ndjson"))
    assert stored_features(stored) == [("code_completion", 7, 3), ("agent_edit", 2, 0)]
    assert feature_counts(listed, 1, ProblemCollector("c.ndjson")) == {
        "code_completion": {"generations": 7, "acceptances": 3, "loc_added": 9},
        "agent_edit": {"generations": 2},
    }
    odd = json.dumps({"x": {"generations": True, "acceptances": 2.0}, "y": 3, "z": {}})
    assert stored_features(odd) == [("x", 0, 0), ("z", 0, 0)]
