"""The task preference map services on SQLite and PostgreSQL: catalogue, rounds, links,
anonymous answers, CSV imports (all or nothing) and the gate-cleared views."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, inspect, select, text

from gaplens.db.engine import session_scope
from gaplens.directory.models import Person
from gaplens.errors import InputError
from gaplens.metrics.schemas import MetricScope
from gaplens.privacy import PrivacyPolicy
from gaplens.spent.service import TASK, spent_among
from gaplens.surveys.intake import LinkNotUsable
from gaplens.tasks.answers import RawTaskAnswer, Where
from gaplens.tasks.models import RoundTask, TaskAnswer, TaskLink, TaskResponse
from gaplens.tasks.schemas import CatalogueTaskIn
from gaplens.tasks.service import (
    Submission,
    catalogue,
    create_invitations,
    create_open_link,
    find_round,
    get_or_create_round,
    import_catalogue,
    replace_catalogue,
    round_out,
    round_tasks,
    submit_answers,
)
from gaplens.tasks.views import TaskScope, personas_view, report_section, task_map
from tests.files import write_csv
from tests.tasks.builders import (
    ANSWER_HEADER,
    CATALOGUE,
    CATALOGUE_HEADER,
    ROUND,
    engineer,
    import_rows,
    load_teams_and_catalogue,
    rows_of,
    standard,
)

TASK_TABLES = ("task_catalogue", "task_round", "task_round_task", "task_response", "task_answer")


def counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as connection:
        result = {
            name: connection.execute(select(func.count()).select_from(text(name))).scalar_one()
            for name in (*TASK_TABLES, "import_run")
        }
    engine.dispose()
    return result


def raw(key: str, stance: str = "neither", hours: str = "0", judgement: str = "3") -> RawTaskAnswer:
    here = Where(None, key)
    return RawTaskAnswer(key, None, stance, hours, judgement, here, here, here, here)


def support_submission(team: str = "support-emea") -> Submission:
    return Submission(
        "individual_contributor", "Support", team, [raw("triage", "hate", "4", "1"), raw("calls")]
    )


# --- catalogue --------------------------------------------------------------------------


def test_catalogue_import_replaces_only_the_functions_it_names(db_url: str, tmp_path: Path):
    load_teams_and_catalogue(db_url, tmp_path)
    with session_scope(db_url) as session:
        tasks = catalogue(session)
        assert [t.key for t in tasks["Engineering"]] == [
            "boilerplate",
            "test-scaffolding",
            "design",
        ]
        assert tasks["Engineering"][0].use_cases == ["code completion"]
        assert tasks["Engineering"][0].metrics == ["cycle_time"]
        assert tasks["Support"][0].judgement_hint is None
    smaller = [
        row for row in CATALOGUE if row["key"] != "design" and row["function"] == "Engineering"
    ]
    with session_scope(db_url) as session:
        import_catalogue(session, write_csv(tmp_path / "eng.csv", smaller, CATALOGUE_HEADER))
    with session_scope(db_url) as session:
        tasks = catalogue(session)
        assert [t.key for t in tasks["Engineering"]] == ["boilerplate", "test-scaffolding"]
        assert [t.key for t in tasks["Support"]] == ["triage", "calls"]


@pytest.mark.parametrize(
    ("change", "row", "column", "message"),
    [
        ({"metrics": "cycle_time;velocity"}, 3, "metrics", "unknown metric 'velocity'"),
        ({"key": "Bad Key!"}, 3, "key", "String should match pattern"),
        ({"needs_judgement": "7"}, 3, "needs_judgement", "less than or equal to 5"),
        ({"label": ""}, 3, "label", "at least 2 characters"),
        ({"key": "boilerplate"}, 3, "key", "appears twice"),
        ({"label": "boilerplate  CODE"}, 3, "label", "appears twice"),
    ],
)
def test_a_bad_catalogue_row_is_named_and_nothing_is_written(
    db_url: str, tmp_path: Path, change: dict[str, str], row: int, column: str, message: str
):
    load_teams_and_catalogue(db_url, tmp_path)
    before = counts(db_url)
    rows = [dict(r) for r in CATALOGUE]
    rows[1].update(change)
    path = write_csv(tmp_path / "bad.csv", rows, CATALOGUE_HEADER)
    with pytest.raises(InputError) as raised, session_scope(db_url) as session:
        import_catalogue(session, path)
    problem = raised.value.problems[0]
    assert (problem.source, problem.row, problem.column) == ("bad.csv", row, column)
    assert message in problem.message
    assert counts(db_url) == before


def test_a_catalogue_without_its_columns_is_refused(db_url: str, tmp_path: Path):
    path = tmp_path / "wrong.csv"
    path.write_text("function,name\nSupport,Triage\n")
    with pytest.raises(InputError) as raised, session_scope(db_url) as session:
        import_catalogue(session, path)
    assert {(p.row, p.column) for p in raised.value.problems} >= {(1, "key"), (1, "label")}


# --- rounds and links -------------------------------------------------------------------


def test_a_round_follows_the_catalogue_until_its_first_answer(db_url: str, tmp_path: Path):
    load_teams_and_catalogue(db_url, tmp_path)
    with session_scope(db_url) as session:
        round_, created = get_or_create_round(session, "  Early   round ")
        assert created and round_.name == "Early round"
        token = create_open_link(session, round_)
        replace_catalogue(
            session,
            [
                CatalogueTaskIn(function="Support", key="triage", label="Ticket triage"),
                CatalogueTaskIn(function="Support", key="calls", label="Customer calls"),
                CatalogueTaskIn(function="Support", key="macros", label="Macros"),
            ],
        )
        assert [t.key for t in round_tasks(session, round_.id)["Support"]] == [
            "triage",
            "calls",
            "macros",
        ]
    with session_scope(db_url) as session:
        submission = support_submission()
        submission.answers.append(raw("macros"))
        submit_answers(session, token, submission, today=dt.date(2026, 10, 6))
    with session_scope(db_url) as session:
        replace_catalogue(
            session, [CatalogueTaskIn(function="Support", key="triage", label="Ticket triage")]
        )
        round_ = find_round(session, "Early round")
        assert [t.key for t in round_tasks(session, round_.id)["Support"]] == [
            "triage",
            "calls",
            "macros",
        ], "a round with answers keeps the tasks its respondents answered"


def test_answers_through_links_carry_no_identity(db_url: str, tmp_path: Path):
    load_teams_and_catalogue(db_url, tmp_path)
    from gaplens.directory.service import import_people
    from tests.files import person

    people = [person(n, team="support-emea") for n in range(2)]
    with session_scope(db_url) as session:
        import_people(session, write_csv(tmp_path / "people.csv", people))
        round_, _ = get_or_create_round(session, ROUND)
        open_token = create_open_link(session, round_)
        invitations = create_invitations(session, round_, list(session.scalars(select(Person))))
    with session_scope(db_url) as session:
        submit_answers(session, open_token, support_submission(), today=dt.date(2026, 10, 6))
        submit_answers(session, invitations[0][1], support_submission(""))
    with pytest.raises(LinkNotUsable) as used, session_scope(db_url) as session:
        submit_answers(session, invitations[0][1], support_submission())
    assert used.value.status == 410
    with session_scope(db_url) as session:
        create_open_link(session, find_round(session, ROUND))  # replaces the open link
    with pytest.raises(LinkNotUsable) as replaced, session_scope(db_url) as session:
        submit_answers(session, open_token, support_submission())
    assert replaced.value.status == 404
    engine = create_engine(db_url)
    columns = {c["name"] for c in inspect(engine).get_columns("task_response")}
    engine.dispose()
    assert columns == {"id", "round_id", "answered_on", "role_level", "team_id", "function"}
    with session_scope(db_url) as session:
        stored = session.scalars(select(TaskResponse).order_by(TaskResponse.answered_on)).all()
        assert stored[0].answered_on == dt.date(2026, 10, 6)
        assert {r.team_id is None for r in stored} == {True, False}
        assert session.scalar(select(func.count()).select_from(TaskAnswer)) == 4
        links = session.scalars(select(TaskLink)).all()
        spent = spent_among(session, TASK, [link.token_hash for link in links])
        used_links = [link for link in links if link.token_hash in spent]
        invited = session.scalar(select(Person.id).where(Person.email == invitations[0][0]))
        assert [link.person_id for link in used_links] == [invited]
        out = round_out(session, find_round(session, ROUND))
        assert (out.invitations_sent, out.invitations_used) == (2, 1)


@pytest.mark.parametrize(
    ("submission", "field", "message"),
    [
        (Submission("ceo", "Support", "", [raw("triage"), raw("calls")]), "role_level", "not a role level"),
        (Submission("manager", "Legal", "", [raw("triage")]), "function", "not a function of this task map"),
        (Submission("manager", "Support", "eng-core", [raw("triage"), raw("calls")]), "team", "belongs to Engineering"),
        (Submission("manager", "Support", "nope", [raw("triage"), raw("calls")]), "team", "unknown team"),
        (Submission("manager", "Support", "", [raw("triage")]), "function", "missing: 'calls'"),
        (Submission("manager", "Support", "", [raw("triage"), raw("calls"), raw("calls")]), "calls", "answered twice"),
        (Submission("manager", "Support", "", [raw("triage", "love"), raw("calls")]), "triage", "not one of keep, hate, neither"),
        (Submission("manager", "Support", "", [raw("triage", hours="41"), raw("calls")]), "triage", "outside 0 to 40"),
        (Submission("manager", "Support", "", [raw("triage", hours="nan"), raw("calls")]), "triage", "outside 0 to 40"),
        (Submission("manager", "Support", "", [raw("triage", judgement="6"), raw("calls")]), "triage", "judgement from 1 to 5"),
        (Submission("manager", "Support", "", [raw("triage"), raw("calls"), raw("boilerplate")]), "boilerplate", "not a task of Support"),
    ],
)  # fmt: skip
def test_bad_answers_are_named_and_nothing_is_stored(
    db_url: str, tmp_path: Path, submission: Submission, field: str, message: str
):
    load_teams_and_catalogue(db_url, tmp_path)
    with session_scope(db_url) as session:
        token = create_open_link(session, get_or_create_round(session, ROUND)[0])
    before = counts(db_url)
    with pytest.raises(InputError) as raised, session_scope(db_url) as session:
        submit_answers(session, token, submission)
    assert any(p.column == field and message in p.message for p in raised.value.problems), (
        raised.value.problems
    )
    assert counts(db_url) == before


def test_free_tasks_are_checked_like_the_rest(db_url: str, tmp_path: Path):
    load_teams_and_catalogue(db_url, tmp_path)
    with session_scope(db_url) as session:
        token = create_open_link(session, get_or_create_round(session, ROUND)[0])

    def free(label: str) -> RawTaskAnswer:
        here = Where(None, "free")
        return RawTaskAnswer(None, label, "hate", "1", "1", here, here, here, here)

    for labels, message in (
        (["x"], "2 to 100 characters"),
        (["ticket  TRIAGE"], "already a listed task"),
        (["Chasing couriers", "chasing couriers "], "named twice"),
        ([f"task {n}" for n in range(6)], "at most 5"),
    ):
        submission = support_submission()
        submission.answers.extend(free(label) for label in labels)
        with pytest.raises(InputError) as raised, session_scope(db_url) as session:
            submit_answers(session, token, submission)
        assert message in str(raised.value)


# --- importing answers ------------------------------------------------------------------


def test_answers_import_is_all_or_nothing_with_rows_and_columns(db_url: str, tmp_path: Path):
    load_teams_and_catalogue(db_url, tmp_path)
    good = rows_of(*(engineer(f"e{n}", "eng-core") for n in range(5)))
    bad = [dict(r) for r in good]
    bad[1]["stance"] = "loathe"  # e0, design (row 3)
    bad[4]["answered_on"] = "2026-10-06"  # row 6: e1's first row (row 5) says 2026-10-05
    bad[5]["hours_lost"] = "-1"  # row 7
    bad[6]["free_task"] = "Something"  # row 8: a task key and a free task
    bad[7]["team"] = "support-emea"  # row 9: e2's other rows say eng-core
    del bad[10]  # e3 (bad[9..11]) loses 'test-scaffolding'; later rows move up one
    bad.append({**good[0], "response_id": "late", "answered_on": "2027-01-01"})
    before = counts(db_url)
    path = write_csv(tmp_path / "answers.csv", bad, ANSWER_HEADER)
    with pytest.raises(InputError) as raised, session_scope(db_url) as session:
        from gaplens.tasks.service import import_answers

        import_answers(session, path, ROUND)
    found = {(p.row, p.column) for p in raised.value.problems}
    assert {
        (3, "stance"),
        (6, "answered_on"),
        (7, "hours_lost"),
        (8, "task_key"),
        (9, "team"),
    } <= found
    # e3 (rows 11-12 after the deletion) lost a task: named at its first row
    assert any(
        p.row == 11 and p.column == "function" and "missing: 'test-scaffolding'" in p.message
        for p in raised.value.problems
    )
    assert any(p.column == "answered_on" and "future" in p.message for p in raised.value.problems)
    assert counts(db_url) == before, "a failed import writes nothing, not even the round"


def test_reimporting_answers_replaces_them(db_url: str, tmp_path: Path):
    standard(db_url, tmp_path)
    first = counts(db_url)
    standard_rows = tmp_path / "answers.csv"
    with session_scope(db_url) as session:
        from gaplens.tasks.service import import_answers

        summary = import_answers(session, standard_rows, ROUND)
    assert summary.replaced == summary.responses == 41
    after = counts(db_url)
    assert after["task_response"] == first["task_response"] == 41
    assert after["task_answer"] == first["task_answer"]


# --- the map, from the round's release ----------------------------------------------------


def test_the_map_ranks_tasks_from_released_groups(db_url: str, tmp_path: Path):
    standard(db_url, tmp_path)
    with session_scope(db_url) as session:
        view = task_map(session, None, TaskScope())
    assert view.n == 41 and view.round == ROUND and view.hidden_functions == 0
    assert view.answers_through == dt.date(2026, 10, 5)
    eng, sup = view.functions
    assert (eng.function, eng.n, sup.function, sup.n) == ("Engineering", 25, "Support", 16)
    assert [c.key for c in eng.candidates] == ["boilerplate", "test-scaffolding"]
    assert [p.key for p in eng.protect] == ["design"]
    top = eng.candidates[0]
    assert (top.hate.count, top.hate.n) == (17, 25)
    # hours are published as bins: the mean is the range the bins allow, scored at its middle
    assert top.hours_lost.low <= 6.9 <= top.hours_lost.high
    assert top.hours_lost.value == pytest.approx((top.hours_lost.low + top.hours_lost.high) / 2)
    assert top.judgement_hint == 1
    # Tiny (4) has no group of its own: its people count at Engineering, never alone.
    assert {t.key for t in eng.teams} == {"eng", "eng-core", "eng-web"}
    assert "eng-tiny" not in {t.key for t in eng.teams}
    # Triage for Nights (3) and the two without a team answered all alike (all hate it):
    # their five answers are not published, so triage is counted over EMEA's 11 only.
    (triage,) = sup.candidates
    assert triage.n == 11 and [t.key for t in sup.teams] == ["support-emea"]
    # Free text: named by 10 (two spellings, one task) is shown; named by 3 is not.
    (flaky,) = eng.free_tasks
    assert flaky.label == "Flaky CI reruns" and flaky.n == 10 and flaky.source == "free"
    dumped = view.model_dump_json()
    for secret in ("Expense", "expense", "Tiny", "eng-tiny", "core-0", "Nights"):
        assert secret not in dumped


def test_a_function_below_the_threshold_shows_nothing(db_url: str, tmp_path: Path):
    load_teams_and_catalogue(db_url, tmp_path)
    import_rows(db_url, tmp_path, rows_of(*(engineer(f"e{n}", "eng-core") for n in range(4))))
    with session_scope(db_url) as session:
        view = task_map(session, None, TaskScope())
    assert view.n is None and view.functions == [] and view.top_candidates == []
    assert view.note is not None and "Nothing is released" in view.note


def test_scopes_a_few_people_apart_are_sums_of_whole_groups_in_any_order(
    db_url: str, tmp_path: Path
):
    """What the per-viewer gate refused (Support 16 then team Support, a few apart) is now
    safe to show to anyone: both are sums of released groups, so their difference is a
    whole group of at least k or nothing, and the order of the views changes nothing."""
    standard(db_url, tmp_path)
    scopes = [TaskScope(function="Support"), TaskScope(team="support"),
              TaskScope(team="support-emea"), TaskScope(team="support-night")]  # fmt: skip
    with session_scope(db_url) as session:
        forward = [task_map(session, None, s).model_dump_json() for s in scopes]
        backward = [task_map(session, None, s).model_dump_json() for s in reversed(scopes)]
        assert forward == backward[::-1]
        n = [task_map(session, None, s).n or 0 for s in scopes]
    k = PrivacyPolicy().min_group_size
    assert n[0] == 16 and n[3] == 0
    for a, b in itertools.combinations(n, 2):
        assert abs(a - b) == 0 or abs(a - b) >= k


def test_free_text_counts_over_the_function_only(db_url: str, tmp_path: Path):
    """Core has ten who named 'Flaky CI reruns', Web two more: the function shows 12, and a
    team's view shows no free task at all (a free task is published at function level only,
    so no view can show it for a few people more or fewer)."""
    load_teams_and_catalogue(db_url, tmp_path)
    flaky = [("Flaky CI reruns", "hate", 2.0, 1)]
    other = [("Flaky CI reruns", "neither", 12.0, 3)]
    rows = rows_of(
        *(engineer(f"c{n}", "eng-core", free=flaky if n % 3 else other) for n in range(10)),
        *(engineer(f"w{n}", "eng-web", free=flaky if n < 2 else ()) for n in range(10)),
    )
    import_rows(db_url, tmp_path, rows)
    with session_scope(db_url) as session:
        whole = task_map(session, None, TaskScope(function="Engineering"))
        assert [t.n for t in whole.functions[0].free_tasks] == [12]
        core = task_map(session, None, TaskScope(team="eng-core"))
        assert core.functions[0].free_tasks == []


def test_personas_and_playbooks(db_url: str, tmp_path: Path):
    from tests.friction.conftest import plant

    load_teams_and_catalogue(db_url, tmp_path)
    rows = rows_of(
        *(engineer(f"b{n}", "eng-core", "builder") for n in range(12)),
        *(engineer(f"r{n}", "eng-web", "reviewer") for n in range(8)),
    )
    import_rows(db_url, tmp_path, rows)
    with session_scope(db_url) as session:
        # code completion: 10 outputs, all corrected: the scorecard says friction.
        plant(session, "code completion", dt.date(2026, 5, 4), 10, correcting=20, outcome="fixed")
    with session_scope(db_url) as session:
        view = personas_view(session, None, TaskScope(function="Engineering"))
    (eng,) = view.functions
    assert eng.method == "k-means on 3 task stances: 2 personas"
    # Personas are a dimension of released groups: 9 core builders and 6 web reviewers
    # share team and persona in groups of at least 5; the others count only in Engineering.
    assert [p.n for p in eng.personas] == [9, 6]
    # Inside each persona every task's answers are alike on stance, hours bin or judgement,
    # so no persona-level count is published: the page says so instead of describing them.
    assert all("too much alike" in p.name and not p.playbook.augment for p in eng.personas)
    assert all(p.playbook.measure for p in eng.personas)
    # twelve published months (ISO weeks by their Thursday) before the answers' end
    assert (view.scorecard_from, view.scorecard_to) == (dt.date(2025, 9, 29), dt.date(2026, 9, 27))


def test_report_section(db_url: str, tmp_path: Path):
    standard(db_url, tmp_path)
    policy = PrivacyPolicy()
    with session_scope(db_url) as session:
        scope = MetricScope(organisation_id=1)
        year = (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
        section = report_section(session, scope, *year, policy)
        assert section is not None and section.respondents == 41
        assert [f.function for f in section.functions] == ["Engineering", "Support"]
        assert section.functions[0].candidates[0].key == "boilerplate"
        assert [t.label for t in section.functions[0].free_tasks] == ["Flaky CI reruns"]
        assert section.functions[0].personas and section.functions[0].personas[0].n >= 5
        last_year = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
        before = report_section(session, scope, *last_year, policy)
        assert before is None
        from gaplens.directory.models import Team

        emea = session.scalar(select(Team.id).where(Team.key == "support-emea"))
        team = report_section(
            session,
            MetricScope(organisation_id=1, team_id=emea),
            dt.date(2026, 1, 1),
            dt.date(2026, 12, 31),
            policy,
        )
        assert team is not None and team.respondents == 11
        small = session.scalar(select(Team.id).where(Team.key == "support-night"))
        assert (
            report_section(
                session,
                MetricScope(organisation_id=1, team_id=small),
                dt.date(2026, 1, 1),
                dt.date(2026, 12, 31),
                policy,
            )
            is None
        )
        assert session.scalar(select(func.count()).select_from(RoundTask)) == 5
