"""Report scope and period: parsing what a user types, and resolving it against the store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from gaplens.db.engine import session_scope
from gaplens.directory.service import import_people, import_teams
from gaplens.errors import InputError
from gaplens.privacy import PrivacyPolicy
from gaplens.releases.service import build_all
from gaplens.report.scope import (
    ScopeRequest,
    choose_survey,
    parse_period,
    parse_scope,
    resolve_period,
    resolve_scope,
)
from gaplens.surveys.service import import_responses
from tests.files import TEAMS, person, write_csv


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, ScopeRequest()),
        ("", ScopeRequest()),
        ("organisation", ScopeRequest()),
        ("Org", ScopeRequest()),
        ("function:Engineering", ScopeRequest("function", "Engineering")),
        ("function: Finance & People ", ScopeRequest("function", "Finance & People")),
        ("TEAM:eng-payments", ScopeRequest("team", "eng-payments")),
    ],
)
def test_parse_scope(text: str | None, expected: ScopeRequest) -> None:
    assert parse_scope(text) == expected


@pytest.mark.parametrize("text", ["function", "function:", "team", "group:x", "eng"])
def test_bad_scopes_name_the_field(text: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_scope(text)
    assert caught.value.problems[0].column == "scope"
    assert "function:NAME or team:KEY" in str(caught.value)


@pytest.mark.parametrize(
    ("period", "start", "end", "label"),
    [
        ("2026-Q3", dt.date(2026, 7, 1), dt.date(2026, 9, 30), "2026-Q3"),
        ("2026q1", dt.date(2026, 1, 1), dt.date(2026, 3, 31), "2026-Q1"),
        ("2024-Q1", dt.date(2024, 1, 1), dt.date(2024, 3, 31), "2024-Q1"),
        ("2026-H2", dt.date(2026, 7, 1), dt.date(2026, 12, 31), "2026-H2"),
        ("2024-02", dt.date(2024, 2, 1), dt.date(2024, 2, 29), "2024-02"),
        ("2026", dt.date(2026, 1, 1), dt.date(2026, 12, 31), "2026"),
    ],
)
def test_parse_named_periods(period: str, start: dt.date, end: dt.date, label: str) -> None:
    found = parse_period(period)
    assert found is not None
    assert (found.start, found.end, found.label) == (start, end, label)


def test_parse_from_to_and_the_default() -> None:
    found = parse_period(None, "2026-01-15", "2026-02-14")
    assert found is not None and (found.start, found.end) == (
        dt.date(2026, 1, 15),
        dt.date(2026, 2, 14),
    )
    assert parse_period(None) is None


@pytest.mark.parametrize(
    ("period", "start", "end", "column", "message"),
    [
        ("2026-Q5", None, None, "period", "is not a period"),
        ("2026-13", None, None, "period", "is not a period"),
        ("Q3", None, None, "period", "is not a period"),
        ("0999", None, None, "period", "not a plausible year"),
        ("2026-Q3", "2026-01-01", "2026-02-01", "period", "not both"),
        (None, "2026-01-01", None, "to", "go together"),
        (None, None, "2026-01-01", "from", "go together"),
        (None, "2026-02-30", "2026-03-01", "from", "is not a date"),
        (None, "2026-03-02", "2026-03-01", "from", "starts after it ends"),
    ],
)
def test_bad_periods_name_the_field(
    period: str | None, start: str | None, end: str | None, column: str, message: str
) -> None:
    with pytest.raises(InputError) as caught:
        parse_period(period, start, end)
    assert caught.value.problems[0].column == column
    assert message in str(caught.value)


def _response(n: int, team: str, function: str, day: str, survey_role: str = "") -> dict[str, str]:
    return {
        "response_id": f"r{n}",
        "answered_on": day,
        "role_level": survey_role or ("manager" if n % 4 == 0 else "individual_contributor"),
        "team": team,
        "function": function,
        "productivity_impact": ["high gains", "some gains", "no difference", "worse"][n % 4],
    }


@pytest.fixture
def org(db_url: str, tmp_path: Path) -> str:
    with session_scope(db_url) as session:
        import_teams(session, write_csv(tmp_path / "teams.csv", TEAMS), "Acme")
        import_people(
            session,
            write_csv(tmp_path / "people.csv", [person(n) for n in range(3)]),
        )
        june = [_response(n, "eng-payments", "Engineering", "2026-06-10") for n in range(12)]
        # mid-week answer days (a Wednesday each): only their week ends may leave the process
        sept = [_response(100 + n, "support", "Support", "2026-09-16") for n in range(12)]
        import_responses(session, write_csv(tmp_path / "june.csv", june), "June", series="S")
        build_all(session, PrivacyPolicy())
        import_responses(session, write_csv(tmp_path / "sept.csv", sept), "Sept", series="S")
        build_all(session, PrivacyPolicy())
    return db_url


def test_resolve_scopes_against_the_directory(org: str) -> None:
    with session_scope(org) as session:
        organisation = resolve_scope(session, ScopeRequest())
        assert organisation.is_organisation and organisation.name == "Acme"
        assert organisation.team_ids is None
        team = resolve_scope(session, ScopeRequest("team", "eng"))
        assert team.name == "Engineering" and team.includes == ("Payments",)
        assert team.team_ids is not None and team.metric.team_id == team.team_ids[0]
        assert team.population.team == "eng"
        function = resolve_scope(session, ScopeRequest("function", "Engineering"))
        assert function.metric.function == "Engineering" and function.metric.team_id is None
        assert function.population.function == "Engineering"
        assert function.team_ids is not None and len(function.team_ids) == 2  # eng, payments


def test_unknown_team_and_function_are_input_errors(org: str) -> None:
    with session_scope(org) as session:
        with pytest.raises(InputError, match=r"unknown team 'payments'.*eng-payments"):
            resolve_scope(session, ScopeRequest("team", "payments"))
        with pytest.raises(InputError, match=r"unknown function 'Eng' \(known: Engineering"):
            resolve_scope(session, ScopeRequest("function", "Eng"))


def test_period_picks_the_pulse_that_closed_in_it(org: str) -> None:
    with session_scope(org) as session:
        default = resolve_period(session, None)
        assert not default.named
        # the last day with data: the week end Sept's release runs through, not its answer day
        assert default.end == dt.date(2026, 9, 20)
        assert default.start == dt.date(2025, 9, 21)
        assert [p.survey.name for p in default.pulses] == ["June", "Sept"]
        assert [p.answers_through for p in default.pulses] == [
            dt.date(2026, 6, 14),
            dt.date(2026, 9, 20),
        ]
        assert [p.first_week for p in default.pulses] == [
            dt.date(2026, 6, 8),
            dt.date(2026, 9, 14),
        ]
        assert choose_survey(session, default, None).name == "Sept"
        q2 = resolve_period(session, parse_period("2026-Q2"))
        assert choose_survey(session, q2, None).name == "June"
        with pytest.raises(InputError, match="'Sept' has answers released through 2026-09-20, out"):
            choose_survey(session, q2, "Sept")
        q1 = resolve_period(session, parse_period("2026-Q1"))
        with pytest.raises(InputError, match=r"no survey pulse closed between 2026-01-01") as no:
            choose_survey(session, q1, None)
        message = str(no.value)
        assert "a pulse with no release yet has not closed" in message
        assert "June (2026-06-14), Sept (2026-09-20)" in message
        assert "2026-06-10" not in message and "2026-09-16" not in message


def test_a_pulse_closes_by_its_release_not_by_its_answers(org: str, tmp_path: Path) -> None:
    """Answers ending on Wednesday 16 September close the pulse on Sunday 20 September: a
    period ending in between does not hold it. A pulse with answers but no release is in no
    period at all, and a period holding only it says why it has no pulse."""
    with session_scope(org) as session:
        to_wednesday = resolve_period(session, parse_period(None, "2026-09-01", "2026-09-16"))
        assert to_wednesday.pulses == []
        to_sunday = resolve_period(session, parse_period(None, "2026-09-01", "2026-09-20"))
        assert [p.survey.name for p in to_sunday.pulses] == ["Sept"]
        october = [_response(200 + n, "support", "Support", "2026-10-07") for n in range(12)]
        import_responses(session, write_csv(tmp_path / "oct.csv", october), "Oct", series="S")
    with session_scope(org) as session:  # Oct has answers, but no release was built
        assert resolve_period(session, None).end == dt.date(2026, 9, 20)
        q4 = resolve_period(session, parse_period("2026-Q4"))
        assert q4.pulses == []
        with pytest.raises(InputError, match="no release yet has not closed"):
            choose_survey(session, q4, None)
        # named, it is still the report's survey (which then says there are too few answers)
        assert choose_survey(session, q4, "Oct").name == "Oct"
        build_all(session, PrivacyPolicy())
    with session_scope(org) as session:
        q4 = resolve_period(session, parse_period("2026-Q4"))
        assert [(p.survey.name, p.answers_through) for p in q4.pulses] == [
            ("Oct", dt.date(2026, 10, 11))
        ]


def test_a_new_feedback_item_does_not_move_the_default_period(org: str) -> None:
    """The default period ends on the day the latest release runs through: a feedback item
    given after it (not yet released) must not say, by the report's dates, when it came."""
    from gaplens.feedback.schemas import FeedbackIn, FeedbackKind
    from gaplens.feedback.service import submit_feedback

    with session_scope(org) as session:
        item = FeedbackIn(kind=FeedbackKind("idea"), text="Summaries for every ticket")
        submit_feedback(session, item, "web", dt.date(2026, 10, 5))
    with session_scope(org) as session:
        assert resolve_period(session, None).end == dt.date(2026, 9, 20)
