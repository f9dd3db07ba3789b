from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, select

from gaplens.db.engine import get_engine, session_scope
from gaplens.directory.service import import_teams
from gaplens.errors import InputError
from gaplens.surveys.models import SurveyAnswer, SurveyResponse
from gaplens.surveys.service import import_responses
from tests.files import TEAMS, table_counts, write_csv

HEADER = [
    "response_id",
    "answered_on",
    "role_level",
    "team",
    "function",
    "ai_tenure",
    "productivity_impact",
    "peers_effective_use",
    "shadow_tools",
    "perceived_speedup",
    "decision_involvement",
    "comment",
]


def response(n: int, **change: str) -> dict[str, str]:
    row = {
        "response_id": f"R_{n:05d}",
        "answered_on": "2026-09-08T14:23:11Z",
        "role_level": "individual_contributor",
        "team": "eng-payments",
        "function": "Engineering",
        "ai_tenure": "6+",
        "productivity_impact": "some gains",
        "peers_effective_use": "",
        "shadow_tools": "sanctioned tools;personal chat assistant",
        "perceived_speedup": "15",
        "decision_involvement": "4",
        "comment": "Useful for drafts.",
    }
    row.update(change)
    return row


@pytest.fixture
def with_teams(db_url: str, tmp_path: Path) -> str:
    with session_scope(db_url) as session:
        import_teams(session, write_csv(tmp_path / "teams.csv", TEAMS), "Acme")
    return db_url


def snapshot(url: str) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    with session_scope(url) as session:
        responses = session.execute(select(SurveyResponse).order_by(SurveyResponse.id)).scalars()
        answers = session.execute(
            select(SurveyAnswer).order_by(
                SurveyAnswer.response_id, SurveyAnswer.question_id, SurveyAnswer.ordinal
            )
        ).scalars()
        return (
            [(r.id, r.answered_on, r.role_level, r.team_id, r.ai_tenure_band) for r in responses],
            [
                (a.response_id, a.question_id, a.ordinal, a.option_index, a.number, a.text)
                for a in answers
            ],
        )


def test_responses_are_stored_anonymously_with_the_day_only(with_teams: str, tmp_path: Path):
    path = write_csv(
        tmp_path / "r.csv",
        [response(1), response(2, role_level="manager", peers_effective_use="agree")],
        HEADER,
    )
    with session_scope(with_teams) as session:
        result = import_responses(session, path, "Pulse")
    assert (result.responses, result.created_survey) == (2, True)
    responses, answers = snapshot(with_teams)
    assert {r[1].isoformat() for r in responses} == {"2026-09-08"}
    assert all(not r[0].startswith("R_") for r in responses), "source ids are never stored"
    # 2 x (impact, 2 shadow tools, speedup, involvement, comment) + manager's peers answer
    assert len(answers) == 13
    assert sorted(a[3] for a in answers if a[2] > 0) == [1, 1]  # multi-choice option rows


def test_response_table_cannot_hold_an_identity(db_url: str):
    """Rule 4: no column that could carry a person, account, address or exact time."""
    columns = {c["name"] for c in inspect(get_engine(db_url)).get_columns("survey_response")}
    assert columns == {
        "id",
        "survey_id",
        "answered_on",
        "role_level",
        "team_id",
        "function",
        "ai_tenure_band",
    }
    types = {
        c["name"]: str(c["type"]).upper()
        for c in inspect(get_engine(db_url)).get_columns("survey_response")
    }
    assert types["answered_on"] == "DATE"


def test_reimport_is_idempotent(with_teams: str, tmp_path: Path):
    path = write_csv(tmp_path / "r.csv", [response(n) for n in range(20)], HEADER)
    with session_scope(with_teams) as session:
        import_responses(session, path, "Pulse")
    first = snapshot(with_teams)
    with session_scope(with_teams) as session:
        again = import_responses(session, path, "Pulse")
    assert again.replaced == 20
    assert snapshot(with_teams) == first


BAD = [
    ("option", {"productivity_impact": "huge gains"}, "productivity_impact", "is not an option"),
    (
        "leaders-only",
        {"peers_effective_use": "agree"},
        "peers_effective_use",
        "executives and managers only",
    ),
    ("bounds", {"perceived_speedup": "900"}, "perceived_speedup", "outside -100 to 500"),
    ("number", {"perceived_speedup": "fast"}, "perceived_speedup", "is not a number"),
    ("duplicate", {"response_id": "R_00000"}, "response_id", "already appears in row 2"),
    ("team", {"team": "mars"}, "team", "unknown team 'mars'"),
    ("role", {"role_level": "ceo"}, "role_level", "not a role level"),
    ("date", {"answered_on": "yesterday"}, "answered_on", "not a date"),
    ("tenure", {"ai_tenure": "2 years"}, "ai_tenure", "not a tenure band"),
    ("agree", {"decision_involvement": "7"}, "decision_involvement", "is not an option"),
]


@pytest.mark.parametrize(("case", "change", "column", "message"), BAD, ids=[c[0] for c in BAD])
def test_bad_rows_are_named_and_nothing_is_written(
    with_teams: str, tmp_path: Path, case: str, change: dict[str, str], column: str, message: str
):
    before = table_counts(with_teams)
    rows = [response(0), response(1), response(2, **change), response(3)]
    path = write_csv(tmp_path / "r.csv", rows, HEADER)
    with pytest.raises(InputError) as caught, session_scope(with_teams) as session:
        import_responses(session, path, "Pulse")
    problem = caught.value.problems[0]
    assert (problem.source, problem.row, problem.column) == ("r.csv", 4, column)
    assert message in problem.message
    assert table_counts(with_teams) == before  # not even the survey was created


def test_an_error_after_many_batches_still_writes_nothing(with_teams: str, tmp_path: Path):
    rows = [response(n) for n in range(12_000)]
    rows[-1]["productivity_impact"] = "no idea"
    path = write_csv(tmp_path / "r.csv", rows, HEADER)
    before = table_counts(with_teams)
    with pytest.raises(InputError) as caught, session_scope(with_teams) as session:
        import_responses(session, path, "Pulse")
    assert caught.value.problems[0].row == 12_001
    assert table_counts(with_teams) == before


def test_an_identity_column_is_refused(with_teams: str, tmp_path: Path):
    rows = [{**response(1), "email": "someone@acme.example"}]
    path = write_csv(tmp_path / "r.csv", rows, [*HEADER, "email"])
    with (
        pytest.raises(InputError, match=r"unknown column.*'email'"),
        session_scope(with_teams) as session,
    ):
        import_responses(session, path, "Pulse")
