"""One team using GitHub Copilot, Cursor and Claude Code, with the same people on the same
days: every import goes through the real CLI, and the funnel, the AI-usage days and the
metrics' AI-user split see one population, each person once per day."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
from sqlalchemy import select

from gaplens.adoption.service import adoption_funnel, load_facts, stages_reached
from gaplens.config import SustainedUseRule
from gaplens.db.engine import session_scope
from gaplens.directory.models import Organisation, Person
from gaplens.metrics.queries import day_of
from gaplens.metrics.schemas import MetricScope
from gaplens.metrics.service import load_measured
from gaplens.privacy import PrivacyPolicy
from gaplens.releases.adoption.service import build_adoption_releases
from gaplens.telemetry.adoption import find_adoption_dates
from tests.files import TEAMS, person, write_csv
from tests.telemetry.assistant_payloads import (
    claude_api_key,
    claude_page,
    claude_user,
    cursor_day,
    cursor_response,
    write_json,
    write_pages,
)
from tests.telemetry.helpers import invoke, rows
from tests.telemetry.payloads import user_day, write_ndjson

AS_OF = dt.date(2026, 10, 31)
WEEKS = ["2026-10-12", "2026-10-20", "2026-10-30"]  # one day in each of the last 3 weeks


def email(n: int) -> str:
    return f"person{n}@acme.example"


def build(url: str, tmp_path: Path) -> None:
    """Eight licensed people of one team, no adoption date in the directory:

    0: all three tools on each of the three days; 1: Cursor only; 2: Claude Code only;
    3: Copilot, then Cursor, then Claude Code, one a week, and nothing kept; 4: listed by
    Cursor as inactive; 5: an API key named after them; 6 and 7: nothing.
    """
    staff = [
        {**person(n, team="eng-payments"), "ai_licence_date": "2026-01-01", "ai_adoption_date": ""}
        for n in range(8)
    ]
    teams = write_csv(tmp_path / "teams.csv", TEAMS)
    assert invoke("import", "teams", str(teams), "--db", url)[0] == 0
    code, output = invoke(
        "import", "people", str(write_csv(tmp_path / "p.csv", staff)), "--db", url
    )
    assert code == 0, output
    idle_copilot = user_day("gh-person3", WEEKS[0])
    idle_copilot.update(
        code_generation_activity_count=10,
        code_acceptance_activity_count=0,
        loc_added_sum=0,
        totals_by_feature=[],
        totals_by_cli={},
    )
    copilot = write_ndjson(
        tmp_path / "copilot.ndjson", [*(user_day("gh-person0", day) for day in WEEKS), idle_copilot]
    )
    code, output = invoke("import", "copilot-usage", str(copilot), "--db", url)
    assert code == 0, output
    idle_cursor = cursor_day(email(3), WEEKS[1])
    idle_cursor.update(totalTabsAccepted=0, acceptedLinesAdded=0)
    cursor = write_json(
        tmp_path / "cursor.json",
        cursor_response(
            [
                *(cursor_day(email(n), day) for day in WEEKS for n in (0, 1)),
                idle_cursor,
                *(cursor_day(email(4), day, active=False) for day in WEEKS),
            ],
            "2026-10-01",
            "2026-10-31",
        ),
    )
    code, output = invoke("import", "cursor-usage", str(cursor), "--db", url)
    assert code == 0, output
    idle_claude = claude_user(email(3), WEEKS[2], sessions=1)
    idle_claude["core_metrics"]["lines_of_code"]["added"] = 0
    idle_claude["tool_actions"] = {"edit_tool": {"accepted": 0, "rejected": 2}}
    pages = [
        claude_page(
            [claude_user(email(n), day) for n in (0, 2)] + [claude_api_key(email(5), day)],
            has_more=day != WEEKS[-1],
            next_page=None if day == WEEKS[-1] else f"page_{day}",
        )
        for day in WEEKS
    ]
    pages[-1]["data"].append(idle_claude)
    code, output = invoke(
        "import", "claude-code-usage", str(write_pages(tmp_path / "cc.jsonl", pages)), "--db", url
    )
    assert code == 0, output
    assert "API key(s) kept, not counted as people: person5@acme.example (3)" in output


def ids_by_email(url: str) -> dict[str, str]:
    with session_scope(url) as session:
        return {p.email: p.id for p in session.scalars(select(Person))}


def test_each_person_counts_once_a_day_whatever_the_tools(db_url: str, tmp_path: Path):
    build(db_url, tmp_path)
    tools = rows(
        db_url,
        "select p.email, count(*), count(distinct u.day), count(distinct u.tool) "
        "from ai_usage_day u join person p on p.id = u.person_id group by p.email order by p.email",
    )
    # person0 has four usage rows a day (Copilot IDE and CLI, Cursor, Claude Code) ...
    assert [tuple(map(int, r[1:])) for r in tools] == [(12, 3, 3), (3, 3, 1), (3, 3, 1), (3, 3, 3)]
    assert [r[0] for r in tools] == [email(n) for n in range(4)]
    ids = ids_by_email(db_url)
    with session_scope(db_url) as session:
        facts = {f.person_id: f for f in load_facts(session, AS_OF)}
        organisation = session.scalars(select(Organisation.id)).one()
        measured = load_measured(session, MetricScope(organisation_id=organisation), AS_OF)
    # ... and three days of AI use, in the funnel's facts and in the metrics' usage days
    expected = {n: {dt.date.fromisoformat(day) for day in WEEKS} for n in range(4)}
    assert {n: facts[ids[email(n)]].active_days for n in range(8)} == {
        **expected,
        **{n: set() for n in range(4, 8)},
    }
    index = {pid: i for i, pid in enumerate(measured.person_ids)}
    usage = measured.usage
    for n in range(8):
        days = {day_of(d) for d in usage.day[usage.person == index[ids[email(n)]]].tolist()}
        assert days == expected.get(n, set()), n
    assert len(usage.person) == 12  # four people, three days each: no day counted twice
    stages = {n: stages_reached(facts[ids[email(n)]], AS_OF)[-1] for n in range(8)}
    # sustained needs three weeks: person3 gets there only through the three tools together;
    # output kept counts Cursor's accepted Tabs and Claude Code's accepted edits as Copilot's
    assert stages == {
        0: "integrated",
        1: "integrated",
        2: "integrated",
        3: "sustained",
        4: "licensed",
        5: "licensed",
        6: "licensed",
        7: "licensed",
    }


def test_the_released_funnel_is_one_population(db_url: str, tmp_path: Path):
    build(db_url, tmp_path)
    with session_scope(db_url) as session:
        build_adoption_releases(session, PrivacyPolicy(), today=AS_OF + dt.timedelta(days=2))
    with session_scope(db_url) as session:
        funnel = adoption_funnel(session, AS_OF)
    org = funnel.organisation
    assert org.shown and org.licensed == 8
    assert {figure.stage: figure.n for figure in org.stages} == {
        "licensed": 8,
        "activated": 4,
        "active_28d": 4,
        "sustained": 4,
        "integrated": 3,
    }


def test_a_cursor_only_user_is_an_ai_user_in_the_metrics(db_url: str, tmp_path: Path):
    build(db_url, tmp_path)
    ids = ids_by_email(db_url)
    with session_scope(db_url) as session:
        organisation = session.scalars(select(Organisation.id)).one()
        adopted = find_adoption_dates(session, organisation, AS_OF, SustainedUseRule())
        measured = load_measured(
            session, MetricScope(organisation_id=organisation), AS_OF, adopted=adopted
        )
    first = dt.date.fromisoformat(WEEKS[0])
    assert {n: adopted.get(ids[email(n)]) for n in range(8)} == {
        0: first,
        1: first,  # Cursor only
        2: first,  # Claude Code only
        3: first,  # a different tool each week
        4: None,  # Cursor listed them, inactive
        5: None,  # an API key is never a person, whatever its name
        6: None,
        7: None,
    }
    _, adoption = measured.pivots()
    users = {n for n in range(8) if np.isfinite(adoption[measured.person_ids.index(ids[email(n)])])}
    assert users == {0, 1, 2, 3}
