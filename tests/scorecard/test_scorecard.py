"""The scorecard on planted data: one use case that helps, one that hurts, one with too
little data, one where the evidence disagrees, plus telemetry through the feature map."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json

from sqlalchemy.orm import Session

from gaplens.db.engine import session_scope
from gaplens.db.migrate import MIGRATIONS_DIR
from gaplens.feedback.models import FeedbackItem
from gaplens.imports.models import ImportRun
from gaplens.scorecard.service import scorecard, top_use_cases
from gaplens.telemetry.models import CopilotUserDay, CopilotUserDayFeature
from tests.friction.conftest import END, FEB, JAN, START, plant


def feedback(session: Session, use_case: str, kind: str, count: int) -> None:
    for _ in range(count):
        session.add(
            FeedbackItem(kind=kind, use_case=use_case, tool=None, text="words",
                         received_on=FEB, channel="web")
        )  # fmt: skip


def user_day(
    session: Session, run: ImportRun, day: dt.date, login: str, features: dict[str, tuple[int, int]]
) -> None:
    """A user-day as the importer stores it: the compact JSON and one row per feature."""
    compact = {name: {"generations": g, "acceptances": a} for name, (g, a) in features.items()}
    session.add(
        CopilotUserDay(day=day, user_login=login, features=json.dumps(compact),
                       import_run_id=run.id, source_row=1)
    )  # fmt: skip
    session.flush()
    for name, (generated, accepted) in features.items():
        session.add(
            CopilotUserDayFeature(day=day, user_login=login, feature=name, interactions=0,
                                  generations=generated, acceptances=accepted, loc_suggested=0,
                                  loc_added=0)
        )  # fmt: skip


def copilot(session: Session, users: int, generated: int, accepted: int) -> ImportRun:
    run = ImportRun(kind="copilot-usage", source_name="c.ndjson", sha256="0" * 64, scope=None,
                    rows_read=users, rows_written=users, imported_at=dt.datetime.now(dt.UTC))  # fmt: skip
    session.add(run)
    session.flush()
    for i in range(users):
        features = {"code_completion": (generated, accepted), "chat_panel_agent_mode": (10, 1)}
        user_day(session, run, JAN, f"user{i}", features)
    return run


def plant_scorecard(url: str) -> None:
    with session_scope(url) as session:
        plant(session, "Code completion", JAN, 20, saved=20)  # helps
        feedback(session, "code-completion", "working", 8)
        feedback(session, "code completion", "friction", 1)
        copilot(session, users=6, generated=100, accepted=40)
        plant(session, "Code review", FEB, 12, correcting=30, outcome="discarded")  # hurts
        plant(session, "Tiny", FEB, 3)  # too little data
        feedback(session, "Tiny", "working", 3)
        plant(session, "Docs", JAN, 10, saved=15)  # net positive ...
        feedback(session, "Docs", "friction", 9)  # ... but feedback says friction
        feedback(session, "Docs", "working", 1)
        plant(session, "Odd", FEB, 2)
        feedback(session, "Odd", "idea", 1)
        feedback(session, "Odd", "working", 2)


def test_scorecard_classes(db_url: str):
    plant_scorecard(db_url)
    with session_scope(db_url) as session:
        card = scorecard(session, START, END)
    by_label = {s.label: s for s in card.use_cases}
    assert by_label["Code completion"].status == "working"
    assert by_label["Code review"].status == "friction"
    assert by_label["Tiny"].status == "unknown"
    assert by_label["Tiny"].reason == "too little data"
    assert by_label["Docs"].status == "unknown" and "disagrees" in by_label["Docs"].reason
    assert "Odd" not in by_label and card.withheld_use_cases == 1
    # agent mode comes from telemetry only (10% accepted): never a class by itself
    assert by_label["agent mode"].status == "unknown"
    evidence = {(e.source, e.measure): e for e in by_label["Code completion"].evidence}
    assert evidence[("friction_log", "net_minutes")].n == 20
    assert evidence[("friction_log", "net_minutes")].value == 20.0
    assert evidence[("feedback", "working_share")].n == 9
    assert evidence[("telemetry", "acceptance_rate:code_completion")].value == 0.4
    assert evidence[("telemetry", "acceptance_rate:code_completion")].n == 6
    tiny = {e.source: e for e in by_label["Tiny"].evidence}
    assert tiny["friction_log"].n is None and tiny["feedback"].n is None  # no small n shown
    top = top_use_cases(card)
    assert [s.label for s in top.working] == ["Code completion"]
    assert [s.label for s in top.friction] == ["Code review"]


def test_empty_period_is_an_empty_scorecard(db_url: str):
    with session_scope(db_url) as session:
        card = scorecard(session, START, END)
    assert card.use_cases == [] and card.withheld_use_cases == 0 and card.rules


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
    assert END > START


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


def test_a_viewer_cannot_isolate_one_copilot_user_by_period(db_url: str):
    """Six users in January, one more in February: January then January-February would
    give that user's acceptance rate by subtraction, so the second view withholds it."""
    from gaplens.privacy import PrivacyGate, PrivacyPolicy

    with session_scope(db_url) as session:
        run = copilot(session, users=6, generated=100, accepted=40)
        user_day(session, run, FEB, "late", {"code_completion": (50, 0)})
    with session_scope(db_url) as session:
        gate = PrivacyGate(PrivacyPolicy())

        def rate(end: dt.date):
            card = scorecard(session, START, end, gate=gate, viewer="leader")
            (use_case,) = [u for u in card.use_cases if u.label == "code completion"]
            (evidence,) = use_case.evidence
            return evidence

        january = rate(JAN)
        assert january.value == 0.4 and january.n == 6
        both = rate(FEB)
        assert both.value is None and both.n is None and "withheld" in both.text
        assert rate(JAN).value == 0.4  # the same view again reveals nothing new
        other = scorecard(session, START, FEB, gate=gate, viewer="analyst")
        (use_case,) = [u for u in other.use_cases if u.label == "code completion"]
        assert use_case.evidence[0].n == 7  # per viewer


def test_features_meet_the_gate_in_the_order_the_user_days_list_them(db_url: str):
    """Two features whose user groups differ by one: the one a walk through the user-days
    meets second is withheld, whatever the names' alphabetical order or the database."""
    with session_scope(db_url) as session:
        run = copilot(session, users=0, generated=0, accepted=0)
        for i in range(6):
            user_day(
                session, run, JAN, f"user{i}", {"code_completion": (10, 4), "agent_edit": (10, 1)}
            )
        user_day(session, run, FEB, "user6", {"agent_edit": (10, 1)})
    with session_scope(db_url) as session:
        card = scorecard(session, START, END)
    evidence = {e.measure: e for u in card.use_cases for e in u.evidence if e.source == "telemetry"}
    assert evidence["acceptance_rate:code_completion"].n == 6
    assert evidence["acceptance_rate:agent_edit"].n is None
    assert "withheld" in evidence["acceptance_rate:agent_edit"].text
