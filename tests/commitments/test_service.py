"""What stays the same on both databases: wordings kept, retirement, the cache, and the
job-security-clarity trend through the privacy gate, checked against statsmodels."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from statsmodels.stats.proportion import proportion_confint

from gaplens.accounts.models import StaffRole
from gaplens.accounts.service import create_user
from gaplens.commitments.models import Commitment, CommitmentRevision
from gaplens.commitments.schemas import Category, RetireIn, StatementIn
from gaplens.commitments.service import (
    StatementCache,
    StatementNotFound,
    create_statement,
    current_statements,
    export_statements,
    get_statement,
    list_statements,
    report_section,
    retire_statement,
    revise_statement,
    validate_statement,
)
from gaplens.db.engine import session_scope
from gaplens.directory.models import Team
from gaplens.directory.service import import_teams
from gaplens.errors import InputError
from gaplens.metrics.schemas import MetricScope
from gaplens.privacy import PrivacyPolicy
from gaplens.releases.service import build_all
from gaplens.sections import SectionContext
from gaplens.stats import newcombe_difference
from gaplens.surveys.service import find_survey, import_responses
from tests.files import TEAMS, write_csv

PASSWORD = "correct horse battery staple"
TODAY = dt.date(2026, 7, 1)
GOOD = {
    "category": "role",
    "text": "No support role is cut because of AI in 2026.",
    "stated_by": "Dana Whitfield, COO",
}


def statement(**changes: object) -> StatementIn:
    return validate_statement({**GOOD, **changes})


@pytest.fixture
def org(db_url: str, tmp_path: Path) -> dict[str, int]:
    with session_scope(db_url) as session:
        import_teams(session, write_csv(tmp_path / "teams.csv", TEAMS), "Acme")
        return {
            name: create_user(session, f"{name}@acme.example", name.title(), role, PASSWORD).id
            for name, role in (
                ("leader", StaffRole.LEADER),
                ("admin", StaffRole.ADMIN),
                ("analyst", StaffRole.ANALYST),
            )
        }


def counts(db_url: str) -> tuple[int, int]:
    with session_scope(db_url) as session:
        return (
            session.scalar(select(func.count()).select_from(Commitment)) or 0,
            session.scalar(select(func.count()).select_from(CommitmentRevision)) or 0,
        )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"category": "salary"}, "category"),
        ({"text": "Too short"}, "text"),
        ({"text": "x" * 601}, "text"),
        ({"stated_by": ""}, "stated_by"),
        ({"review_on": "next spring"}, "review_on"),
        ({"promise": "extra"}, "promise"),
    ],
)
def test_bad_statements_name_the_field(changes: dict[str, object], field: str):
    with pytest.raises(InputError) as raised:
        validate_statement({**GOOD, **changes})
    assert field in {p.column for p in raised.value.problems}


@pytest.mark.parametrize(
    ("who", "changes", "field"),
    [
        ("analyst", {}, "account"),
        ("leader", {"function": "Astrology"}, "function"),
        ("leader", {"review_on": "2026-07-01"}, "review_on"),  # must lie ahead
    ],
)
def test_refused_statements_write_nothing(
    db_url: str, org: dict[str, int], who: str, changes: dict[str, object], field: str
):
    with pytest.raises(InputError) as raised, session_scope(db_url) as session:
        create_statement(session, org[who], statement(**changes), today=TODAY)
    assert raised.value.problems[0].column == field
    assert counts(db_url) == (0, 0)


def test_rewording_keeps_every_earlier_wording_visible(db_url: str, org: dict[str, int]):
    with session_scope(db_url) as session:
        row = create_statement(
            session, org["leader"], statement(review_on="2026-08-01"), today=TODAY
        )
        statement_id = row.id
    with session_scope(db_url) as session:
        with pytest.raises(InputError, match="nothing changed"):
            revise_statement(session, statement_id, org["admin"],
                             statement(review_on="2026-08-01"), today=dt.date(2026, 9, 1))  # fmt: skip
        # the review date has passed, but keeping it is allowed while rewording the text
        revise_statement(
            session,
            statement_id,
            org["admin"],
            statement(text="No support role is cut because of AI in 2026 or 2027.",
                      review_on="2026-08-01"),
            today=dt.date(2026, 9, 1),
        )  # fmt: skip
        revise_statement(session, statement_id, org["leader"],
                         statement(category="skill", text="Every support agent keeps deciding refunds."),
                         today=dt.date(2026, 10, 1))  # fmt: skip
    with session_scope(db_url) as session:
        shown = get_statement(session, statement_id)
    assert (shown.revision, shown.category, shown.published_on) == (3, Category.SKILL, TODAY)
    assert shown.revised_on == dt.date(2026, 10, 1)
    assert [r.text for r in shown.earlier] == [
        "No support role is cut because of AI in 2026 or 2027.",
        "No support role is cut because of AI in 2026.",
    ]
    assert [(r.revised_on, r.revised_by) for r in shown.earlier] == [
        (dt.date(2026, 9, 1), "Admin"),
        (TODAY, "Leader"),
    ]
    assert counts(db_url) == (1, 3)


def test_retired_statements_leave_the_pages_but_stay_listed(db_url: str, org: dict[str, int]):
    with session_scope(db_url) as session:
        kept = create_statement(session, org["leader"], statement(), today=TODAY).id
        gone = create_statement(session, org["leader"], statement(text="Nobody is measured on AI use."),
                                today=TODAY).id  # fmt: skip
        retire_statement(session, gone, org["admin"], RetireIn(reason="Replaced"),
                         today=dt.date(2026, 8, 1))  # fmt: skip
    with session_scope(db_url) as session:
        assert [s.id for s in current_statements(session)] == [kept]
        listed = {s.id: s for s in list_statements(session)}
        assert listed[gone].retired_on == dt.date(2026, 8, 1)
        assert listed[gone].retired_reason == "Replaced"
        for again in (
            lambda: retire_statement(session, gone, org["admin"], RetireIn()),
            lambda: revise_statement(session, gone, org["admin"], statement()),
        ):
            with pytest.raises(InputError, match="retired"):
                again()
        with pytest.raises(StatementNotFound):
            retire_statement(session, 999, org["admin"], RetireIn())


def test_cache_reads_once_per_period_and_forgets_on_write(db_url: str, org: dict[str, int]):
    now = [100.0]
    cache = StatementCache(db_url, ttl=30, clock=lambda: now[0])
    assert cache.peek() == [] and cache.get() == [] and cache.loads == 1
    with session_scope(db_url) as session:
        create_statement(session, org["leader"], statement(), today=TODAY)
    now[0] += 29
    assert cache.get() == [] and cache.loads == 1, "fresh: no query, so no new statement"
    now[0] += 2
    assert len(cache.get()) == 1 and cache.loads == 2
    with session_scope(db_url) as session:
        create_statement(session, org["leader"], statement(text="Nobody is measured on AI use."),
                         today=TODAY)  # fmt: skip
    cache.invalidate()
    assert cache.peek() == [], "peek never reads the database"
    assert len(cache.get()) == 2 and cache.loads == 3


def test_export_keeps_earlier_wordings_and_is_spreadsheet_safe(db_url: str, org: dict[str, int]):
    with session_scope(db_url) as session:
        row = create_statement(session, org["leader"], statement(stated_by="=cmd|' /C calc'!A0"),
                               today=TODAY)  # fmt: skip
        revise_statement(session, row.id, org["leader"],
                         statement(stated_by="=cmd|' /C calc'!A0", text="Reworded: no role is cut."),
                         today=dt.date(2026, 7, 2))  # fmt: skip
        statements = list_statements(session)
    text = export_statements(statements, "csv")
    assert "'=cmd" in text and "2026-07-01: No support role is cut because of AI in 2026." in text
    [loaded] = json.loads(export_statements(statements, "json"))
    assert loaded["earlier"][0]["text"] == GOOD["text"]


# --- the report section: job-security clarity per pulse ---------------------------------


def answers(prefix: str, day: str, team: str, function: str, role: str, yes: int, total: int):
    return [
        {
            "response_id": f"{prefix}-{team}-{role}-{n}",
            "answered_on": day,
            "role_level": role,
            "team": team,
            "function": function,
            "job_security_clarity": "yes" if n < yes else ("unsure" if n % 2 else "no"),
        }
        for n in range(total)
    ]


@pytest.fixture
def pulses(db_url: str, org: dict[str, int], tmp_path: Path) -> str:
    """Two pulses: Support's frontline grows clearer (8/40 -> 20/40), Engineering holds.
    Answered on Wednesdays: only their weeks (Monday 8 June, Sunday 14 June...) may show."""
    first = (
        answers("q1", "2026-06-10", "support", "Support", "individual_contributor", 8, 40)
        + answers("q1", "2026-06-10", "support", "Support", "manager", 6, 10)
        + answers("q1", "2026-06-10", "eng-payments", "Engineering", "individual_contributor", 10, 30)
        + answers("q1", "2026-06-10", "eng-payments", "Engineering", "manager", 3, 4)
    )  # fmt: skip
    second = (
        answers("q2", "2026-09-09", "support", "Support", "individual_contributor", 20, 40)
        + answers("q2", "2026-09-09", "support", "Support", "manager", 7, 10)
        + answers("q2", "2026-09-09", "eng-payments", "Engineering", "individual_contributor", 11, 30)
        + answers("q2", "2026-09-09", "eng-payments", "Engineering", "manager", 3, 4)
    )  # fmt: skip
    with session_scope(db_url) as session:
        import_responses(session, write_csv(tmp_path / "q1.csv", first), "Q2", series="Pulse")
        build_all(session, PrivacyPolicy())
        import_responses(session, write_csv(tmp_path / "q2.csv", second), "Q3", series="Pulse")
        build_all(session, PrivacyPolicy())
        create_statement(session, org["leader"], statement(function="Support"),
                         today=dt.date(2026, 7, 1))  # fmt: skip
        create_statement(session, org["leader"], statement(text="Code review stays human work.",
                         category="skill", function="Engineering"), today=dt.date(2026, 7, 2))  # fmt: skip
        gone = create_statement(session, org["admin"], statement(text="Nobody is measured on AI use."),
                                today=dt.date(2026, 5, 1))  # fmt: skip
        retire_statement(session, gone.id, org["admin"], RetireIn(), today=dt.date(2026, 8, 1))
        late = create_statement(session, org["admin"], statement(text="A later promise, made after."),
                                today=dt.date(2026, 10, 1))  # fmt: skip
        revise_statement(session, late.id, org["admin"],
                         statement(text="A later promise, reworded after."), today=dt.date(2026, 10, 2))  # fmt: skip
    return db_url


def section(db_url: str, **scope: object):
    with session_scope(db_url) as session:
        survey = find_survey(session, "Q3")
        return report_section(
            session,
            MetricScope(organisation_id=1, **scope),  # type: ignore[arg-type]
            dt.date(2026, 1, 1),
            dt.date(2026, 9, 30),
            PrivacyPolicy(),
            SectionContext(survey=survey),
        )


def wilson(yes: int, n: int) -> tuple[float, float]:
    low, high = proportion_confint(yes, n, alpha=0.05, method="wilson")
    return float(low), float(high)


def test_whole_organisation_trend_matches_statsmodels(pulses: str):
    result = section(pulses)
    assert result is not None and result.clarity is not None
    first, second = result.clarity.points
    assert (first.survey, second.survey) == ("Q2", "Q3")
    # Engineering's 4 managers are in no published group of 5 (tests/releases): 80 of 84
    assert (first.everyone.n, first.everyone.yes) == (80, 24)
    assert first.everyone.clarity is not None
    assert (first.everyone.clarity.low, first.everyone.clarity.high) == pytest.approx(
        wilson(24, 80)
    )
    ic = second.individual_contributors
    assert (ic.n, ic.yes) == (70, 31) and ic.clarity is not None
    assert (ic.clarity.low, ic.clarity.high) == pytest.approx(wilson(31, 70))
    # dated by releases: the first released week's Monday and the week end answers run to
    assert (first.first_week, first.answers_through) == (dt.date(2026, 6, 8), dt.date(2026, 6, 14))
    assert (second.first_week, second.answers_through) == (
        dt.date(2026, 9, 7),
        dt.date(2026, 9, 13),
    )
    # statements in force on each pulse's first released week (the retired one until August)
    assert (first.statements_in_force, second.statements_in_force) == (1, 2)
    change = result.clarity.change
    expected = newcombe_difference(31, 70, 18, 70)
    assert change is not None and change.group == "individual_contributors"
    assert change.change_pp.estimate == pytest.approx(100 * expected.value)
    assert change.change_pp.low == pytest.approx(100 * expected.low)
    assert change.direction == ("clearer" if expected.low > 0 else "no clear change")
    # the statements as they stood at the period's end: not the one made in October
    assert [s.text for s in result.statements] == [GOOD["text"], "Code review stays human work."]
    assert (result.made_in_period, result.retired_in_period) == (3, 1)
    assert result.since == dt.date(2026, 6, 8) and result.made_since == 2
    assert "2 statements of what stays the same made since the week of 8 June 2026" in (
        result.summary
    )
    assert "10 June" not in result.summary and "9 September" not in result.summary
    assert "does not say that one caused the other" in result.summary


def test_a_function_scope_is_a_breakdown_of_the_organisation(pulses: str):
    support = section(pulses, function="Support")
    assert support is not None and support.clarity is not None
    point = support.clarity.points[1]
    assert (point.everyone.n, point.everyone.yes) == (50, 27)
    assert (point.individual_contributors.n, point.individual_contributors.yes) == (40, 20)
    # Support's report shows Support's statement and the organisation's, not Engineering's
    assert [s.function for s in support.statements] == ["Support"]  # the rest retired or later
    engineering = section(pulses, function="Engineering")
    assert engineering is not None and engineering.clarity is not None
    eng = engineering.clarity.points[1]
    # Its 4 managers are in no published group: everyone and the frontline are the same
    # 30 answers, so neither figure leaves the 4 derivable
    assert eng.everyone.status == "shown" and eng.everyone.n == 30
    assert eng.individual_contributors == eng.everyone
    assert engineering.clarity.change is not None
    assert engineering.clarity.change.group == "individual_contributors"


def test_a_scope_whose_rest_is_small_leaves_nothing_to_subtract(
    db_url: str, org: dict[str, int], tmp_path: Path
):
    """The organisation minus Support would be 3 people: those 3 are in no published group,
    so the organisation's figure is Support's and subtracting gives nobody."""
    rows = answers("q", "2026-09-07", "support", "Support", "individual_contributor", 5, 20) + (
        answers("q", "2026-09-07", "eng-payments", "Engineering", "manager", 1, 3)
    )
    with session_scope(db_url) as session:
        import_responses(session, write_csv(tmp_path / "q.csv", rows), "Q3")
        build_all(session, PrivacyPolicy())
    support = section(db_url, function="Support")
    assert support is not None and support.clarity is not None
    [point] = support.clarity.points
    assert point.everyone.status == "shown" and point.everyone.n == 20
    assert support.clarity.change is None
    whole = section(db_url)
    assert whole is not None and whole.clarity is not None
    assert whole.clarity.points[0].everyone == point.everyone


def test_a_pulse_too_small_to_release_is_not_a_pulse_yet(
    db_url: str, org: dict[str, int], tmp_path: Path
):
    """Four answers make no release, so the pulse has no published date and no row: with no
    statement either, there is no section (it is not "answered" for reports yet)."""
    rows = answers("q", "2026-09-09", "support", "Support", "individual_contributor", 2, 4)
    with session_scope(db_url) as session:
        import_responses(session, write_csv(tmp_path / "q.csv", rows), "Q3")
        build_all(session, PrivacyPolicy())
    assert section(db_url) is None
    with session_scope(db_url) as session:
        create_statement(session, org["admin"], statement(), today=dt.date(2026, 9, 1))
    result = section(db_url)
    assert result is not None and result.clarity is not None
    assert result.clarity.points == [] and result.since is None
    assert "2026-09-09" not in result.model_dump_json()


def test_team_scope_uses_the_team_and_the_teams_below(pulses: str):
    with session_scope(pulses) as session:
        eng = session.scalars(select(Team.id).where(Team.key == "eng")).one()
    result = section(pulses, team_id=eng)
    assert result is not None and result.clarity is not None
    assert result.clarity.points[0].everyone.n == 30  # eng-payments sits below eng
    assert [s.function for s in result.statements] == ["Engineering"]
