"""The demo as a user runs it: synthetic files -> importers -> report, checked end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gaplens.cli import app
from gaplens.report.schemas import REPORT_SCHEMA_VERSION, FigureStatus, ReportDocument
from gaplens.surveys.question_bank import HELD_BACK

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ReportDocument]:
    out = tmp_path_factory.mktemp("demo")
    result = runner.invoke(app, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert str((out / "reality-report.html").resolve()) in result.output.replace("\n", "")
    document = ReportDocument.model_validate_json((out / "reality-report.json").read_text())
    return out, document


def test_the_auditor_finds_no_one_in_anything_the_demo_published(
    demo_report: tuple[Path, ReportDocument],
):
    """Every release of every data set of the demo (two pulses, the task map, feedback,
    friction, reflections), pooled and solved: no one isolated, no answer determined."""
    out, _ = demo_report
    result = runner.invoke(app, ["privacy", "audit", "--db", str(out / "gaplens-demo.db")])
    assert result.exit_code == 0, result.output
    for data_set in ("AI pulse 2026-Q2", "AI pulse 2026-Q3", "Task round", "Feedback",
                     "Friction log", "Reflections"):  # fmt: skip
        assert data_set in result.output
    assert "Disclosures found" not in result.output


def test_demo_recovers_the_planted_exec_ic_gap(demo_report: tuple[Path, ReportDocument]):
    _, document = demo_report
    impact = document.perception["productivity_impact"]
    for role in ("executive", "manager", "individual_contributor", "everyone"):
        group = impact.groups[role]
        assert group.status is FigureStatus.SHOWN and group.n and group.shares
        for option in impact.options:
            share = group.shares[option]
            assert 0 <= share.low <= share.share <= share.high <= 1
    high = impact.risk_ratios["high_gains_executive_vs_ic"]
    none = impact.risk_ratios["no_difference_ic_vs_executive"]
    assert high.value is not None and none.value is not None
    # Planted: 4x and 5x. The intervals must contain the planted truth.
    assert high.value.low < 4 < high.value.high
    assert none.value.low < 5 < none.value.high
    assert 3 < high.value.estimate < 5.5
    assert high.benchmark is not None and high.benchmark.value == 4.0
    assert none.benchmark is not None and none.benchmark.value == 5.0
    for key in ("high_gains_executive_minus_ic", "no_difference_ic_minus_executive"):
        gap = impact.gaps_pp[key]
        assert gap.value is not None and gap.value.low < gap.value.estimate < gap.value.high
        assert gap.value.low > 0, "the planted gap is far from zero"
    clarity = document.perception["job_security_clarity"].groups["individual_contributor"]
    assert clarity.shares is not None
    unsure = (clarity.shares["no"].count + clarity.shares["unsure"].count) / (clarity.n or 1)
    assert 0.7 < unsure < 0.86
    assert any("4x" in s for s in document.headline.statements)


def test_demo_recovers_the_planted_widening_in_support(
    demo_report: tuple[Path, ReportDocument],
):
    """Planted: Support's frontline went from 80% to 50% reporting gains between pulses."""
    from gaplens.db.engine import session_scope
    from gaplens.perception.trend import released_gap_trend

    out, document = demo_report
    assert document.survey.name == "AI pulse 2026-Q3"  # the report reads the latest pulse
    with session_scope(f"sqlite:///{out / 'gaplens-demo.db'}") as session:
        trend = released_gap_trend(session, "AI pulse")
    assert trend.surveys == ["AI pulse 2026-Q2", "AI pulse 2026-Q3"]
    by_key = {t.team: t for t in trend.teams}
    support = by_key["support"]
    assert support.direction == "widening" and support.change_pp is not None
    assert support.change_pp.low > 0 and support.change_pp.low < 30 < support.change_pp.high
    for function in ("eng", "ops", "sales", "product"):
        assert by_key[function].direction == "no clear change", function


def test_demo_writes_every_format(demo_report: tuple[Path, ReportDocument]):
    """The report contract's first promise: the JSON parses, with its schema version."""
    out, _ = demo_report
    data = json.loads((out / "reality-report.json").read_text())
    assert data["schema_version"] == REPORT_SCHEMA_VERSION
    assert (out / "reality-report.pdf").read_bytes().startswith(b"%PDF")
    html = (out / "reality-report.html").read_text()
    assert "<svg" in html and "Executives" in html


def test_the_demo_syncs_its_last_month_of_copilot_use_through_a_connection(
    demo_report: tuple[Path, ReportDocument],
):
    """The demo imports older Copilot use from a file and pulls the last 31 days from its own
    GitHub over HTTP (gaplens/demo/replay.py): together exactly the rows of the whole export,
    the connection's cursors at the data's last day, its sources without link signatures."""
    import sqlite3

    out, _ = demo_report
    result = runner.invoke(app, ["connections", "--db", f"sqlite:///{out / 'gaplens-demo.db'}"])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "copilot-northwind (copilot)" in said
    assert "users 2026-09-30" in said and "organization 2026-09-30" in said
    assert "last success" in said and "error" not in said.lower()
    exported = [
        json.loads(line)
        for line in (out / "exports" / "copilot-usage-users.ndjson").read_text().splitlines()
    ]
    with sqlite3.connect(out / "gaplens-demo.db") as db:
        stored = set(db.execute("SELECT day, user_login FROM copilot_user_day"))
        synced = [
            r[0]
            for r in db.execute("SELECT source_name FROM import_run WHERE kind='copilot-usage'")
        ]
    assert stored == {(r["day"], r["user_login"]) for r in exported}
    pulled = [s for s in synced if s.startswith("http://127.0.0.1:")]
    assert len(pulled) >= 2 and not any("sig=" in s for s in pulled)


@pytest.fixture(scope="module")
def demo_directory(
    demo_report: tuple[Path, ReportDocument],
    sqlite_template: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    """The demo's teams and people imported from its files into a copy of the session's
    migrated database, once for the module: each whole-files comparison starts from a copy
    (the same schema and directory rows as migrating and importing them again)."""
    import shutil

    from gaplens.db.engine import dispose_engine, session_scope
    from gaplens.demo.pipeline import ORGANISATION_NAME
    from gaplens.directory.service import import_people, import_teams

    out, _ = demo_report
    database = tmp_path_factory.mktemp("demo-directory") / "directory.db"
    shutil.copyfile(sqlite_template, database)
    url = f"sqlite:///{database}"
    with session_scope(url) as session:
        import_teams(session, out / "teams.csv", ORGANISATION_NAME)
        import_people(session, out / "people.csv")
    dispose_engine(url)
    return database


def _whole_files_db(directory: Path, tmp_path: Path, *imports: tuple[str, Path]) -> Path:
    """The demo's directory (a copy of `demo_directory`) and the named exports imported
    whole, from their files, into a fresh database: what the demo's files-then-connection
    path must equal."""
    import shutil

    from gaplens.db.engine import dispose_engine, session_scope
    from gaplens.telemetry.service import import_m365_copilot
    from gaplens.work.service import import_jira, import_tickets

    database = tmp_path / "whole.db"
    shutil.copyfile(directory, database)
    url = f"sqlite:///{database}"
    importers = {"m365": import_m365_copilot, "jira": import_jira, "tickets": import_tickets}
    with session_scope(url) as session:
        for kind, path in imports:
            importers[kind](session, path)
    dispose_engine(url)
    return database


WORK_ITEMS = """
    SELECT w.source, w.key, w.kind, w.item_type, w.status, w.status_category, p.email,
           w.assignee_ref, t.key, w.created_at, w.started_at, w.resolved_at, w.story_points,
           w.sprint, w.reopen_count, w.rework_count
    FROM work_item w LEFT JOIN person p ON p.id = w.person_id LEFT JOIN team t ON t.id = w.team_id
    WHERE w.source = ? AND w.key LIKE ?"""
TRANSITIONS = """
    SELECT w.key, x.ordinal, x.at, x.from_status, x.to_status
    FROM work_item_transition x JOIN work_item w ON w.id = x.work_item_id
    WHERE w.source = ? AND w.key LIKE ?"""


def _rows(database: Path, query: str, *params: str) -> set[tuple[object, ...]]:
    import sqlite3

    with sqlite3.connect(database) as db:
        rows = list(db.execute(query, params))
    found = set(rows)
    assert len(found) == len(rows) and rows  # no duplicates, and something to compare
    return found


def _connection_said(out: Path, name: str) -> str:
    """`gaplens connections`, the connection's part: from its name to the next one."""
    result = runner.invoke(app, ["connections", "--db", f"sqlite:///{out / 'gaplens-demo.db'}"])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert said.count("last success") == 4 and "error" not in said.lower()
    start = said.index(name)
    end = said.find("-northwind (", start + len(name))
    return said[start : end if end > 0 else None]


def _pulled(out: Path, kind: str) -> list[str]:
    import sqlite3

    with sqlite3.connect(out / "gaplens-demo.db") as db:
        sources = [
            r[0] for r in db.execute("SELECT source_name FROM import_run WHERE kind=?", (kind,))
        ]
    return [s for s in sources if s.startswith("http://127.0.0.1:")]


def test_the_demo_syncs_its_latest_microsoft_365_reports_through_a_connection(
    demo_report: tuple[Path, ReportDocument], demo_directory: Path, tmp_path: Path
):
    """The older weekly Microsoft 365 exports come from files, the last two are Graph's report
    on the days `m365-northwind` syncs (a client-credentials token, then the report's 302 to
    its CSV): together exactly the snapshots and usage days of importing all six files."""
    out, _ = demo_report
    said = _connection_said(out, "m365-northwind (m365)")
    assert "pulled up to: users 2026-09-30" in said
    exports = sorted((out / "exports").glob("CopilotUsageUserDetail-*.csv"))
    assert len(exports) == 6
    whole = _whole_files_db(demo_directory, tmp_path, *(("m365", path) for path in exports))
    demo = out / "gaplens-demo.db"
    columns = "refresh_date, upn, display_name, last_activity, teams, word, excel, powerpoint, "
    columns += "outlook, onenote, loop, copilot_chat, source_row"
    snapshots = f"SELECT {columns} FROM m365_usage_snapshot WHERE upn LIKE ?"
    assert _rows(demo, snapshots, "%") == _rows(whole, snapshots, "%")
    usage = """
        SELECT p.email, u.day, u.tool, u.app, u.interactions, u.suggestions, u.acceptances,
               u.loc_suggested, u.loc_added
        FROM ai_usage_day u JOIN person p ON p.id = u.person_id WHERE u.tool = ?"""
    assert _rows(demo, usage, "m365-copilot") == _rows(whole, usage, "m365-copilot")
    pulled = _pulled(out, "m365-copilot")
    assert len(pulled) == 2 and not any("sig=" in s for s in pulled)


def test_the_demo_syncs_its_last_month_of_jira_issues_through_a_connection(
    demo_report: tuple[Path, ReportDocument], demo_directory: Path, tmp_path: Path
):
    """Engineering's issues updated before the last 31 days come from the REST JSON file, the
    rest from the demo's Jira site (/myself, /field, search/jql by token pages, then by the
    `updated` cursor): together exactly the work items and transitions of the whole file."""
    out, _ = demo_report
    said = _connection_said(out, "jira-northwind (jira)")
    export = out / "exports" / "jira-search-ENG.json"
    latest = max(issue["fields"]["updated"] for issue in json.loads(export.read_text())["issues"])
    assert f"pulled up to: issues {latest[:19]};" in said  # the cursor: the last update stored
    whole = _whole_files_db(demo_directory, tmp_path, ("jira", export))
    demo = out / "gaplens-demo.db"
    assert _rows(demo, WORK_ITEMS, "jira", "ENG-%") == _rows(whole, WORK_ITEMS, "jira", "ENG-%")
    assert _rows(demo, TRANSITIONS, "jira", "ENG-%") == _rows(whole, TRANSITIONS, "jira", "ENG-%")
    assert len(_pulled(out, "jira")) >= 2


def test_the_demo_syncs_its_last_month_of_zendesk_tickets_through_a_connection(
    demo_report: tuple[Path, ReportDocument], demo_directory: Path, tmp_path: Path
):
    """Tickets updated before the last 31 days come from the Support CSV export, the rest
    from the demo's Zendesk (the incremental export's cursor pages with metric sets, users
    and groups sideloaded): together exactly the work items of the whole export."""
    out, _ = demo_report
    said = _connection_said(out, "zendesk-northwind (zendesk)")
    assert "pulled up to: tickets " in said
    whole = _whole_files_db(
        demo_directory, tmp_path, ("tickets", out / "exports" / "zendesk-tickets.csv")
    )
    demo = out / "gaplens-demo.db"
    assert _rows(demo, WORK_ITEMS, "zendesk", "%") == _rows(whole, WORK_ITEMS, "zendesk", "%")
    assert len(_pulled(out, "zendesk")) >= 2


def test_an_admin_sees_the_demo_s_four_connections_with_cursors_and_last_success(
    demo_report: tuple[Path, ReportDocument], tmp_path: Path
):
    """/admin/connections on (a copy of) the demo's database, as an admin signs in to it."""
    import shutil

    from fastapi.testclient import TestClient

    from gaplens.accounts.models import StaffRole
    from gaplens.accounts.service import create_user
    from gaplens.db.engine import dispose_engine, session_scope
    from gaplens.web.app import create_app
    from gaplens.web.settings import WebSettings
    from tests.web.conftest import PASSWORD, STAFF, sign_in

    out, _ = demo_report
    shutil.copyfile(out / "gaplens-demo.db", tmp_path / "demo.db")
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    with session_scope(url) as session:
        create_user(session, STAFF["admin"][0], "Admin", StaffRole.ADMIN, PASSWORD)
    app = create_app(
        WebSettings(database_url=url, secure_cookies=False, slack_signing_secret="demo-secret")
    )
    with TestClient(app, base_url="http://testserver") as client:
        sign_in(client, "admin")
        page = client.get("/admin/connections")
        views = client.get("/api/v1/admin/connections").json()
    dispose_engine(url)
    assert page.status_code == 200
    names = ("copilot-northwind", "jira-northwind", "m365-northwind", "zendesk-northwind")
    assert all(name in page.text for name in names)
    assert [view["name"] for view in views] == list(names)
    assert [view["kind"] for view in views] == ["copilot", "jira", "m365", "zendesk"]
    for view in views:
        assert view["last_success"] is not None and view["last_error"] is None, view
    assert {stream for view in views for stream in view["cursors"]} == {
        "organization",
        "seats",
        "users",
        "issues",
        "tickets",
    }


def test_small_teams_and_hidden_groups_cannot_be_recovered(tmp_path: Path):
    """In a tiny organisation the executives are too few: nothing lets a reader derive them."""
    result = runner.invoke(app, ["demo", "--people", "60", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    document = ReportDocument.model_validate_json((tmp_path / "reality-report.json").read_text())
    k = document.privacy.min_group_size
    hidden_somewhere = False
    for figures in document.perception.values():
        everyone = figures.groups["everyone"]
        shown = [g for key, g in figures.groups.items() if key != "everyone" and g.n is not None]
        hidden_somewhere |= any(g.status is not FigureStatus.SHOWN for g in figures.groups.values())
        if everyone.n is None:
            assert not shown
            continue
        remainder = everyone.n - sum(g.n or 0 for g in shown)
        assert remainder == 0 or remainder >= k, figures.key
        for group in figures.groups.values():
            if group.status is not FigureStatus.SHOWN:
                assert group.n is None and group.shares is None and group.number is None
    assert hidden_somewhere
    html = (tmp_path / "reality-report.html").read_text()
    assert "Not enough responses" in html


def test_demo_measured_reality_recovers_the_planted_effects(
    demo_report: tuple[Path, ReportDocument],
):
    """gaplens/demo/exports.py plants these; the metric, funnel and scorecard services (the
    ones the report and API use) must find them from the imported real-format exports."""
    import datetime as dt

    from sqlalchemy import select

    from gaplens.adoption.service import adoption_funnel
    from gaplens.db.engine import session_scope
    from gaplens.demo.exports import DATA_END
    from gaplens.directory.models import Organisation
    from gaplens.metrics.schemas import MetricScope
    from gaplens.metrics.service import metric_overview
    from gaplens.scorecard.service import scorecard, top_use_cases

    out, _ = demo_report
    with session_scope(f"sqlite:///{out / 'gaplens-demo.db'}") as session:
        org = session.scalars(select(Organisation.id)).one()

        def did(key: str, function: str) -> tuple[float, float, float, dict[str, float]]:
            scope = MetricScope(organisation_id=org, function=function)
            figure = metric_overview(session, key, scope, DATA_END).users_vs_non_users
            assert figure.value is not None and figure.low is not None
            assert figure.high is not None
            return figure.value, figure.low, figure.high, figure.parts

        _, low, high, parts = did("cycle_time", "Engineering")
        assert high < 0, "AI users' cycle time fell beyond the non-users' (planted -10..-35%)"
        assert parts["ai_users_before"] < parts["non_users_before"], "selection: faster before"
        raw_gap = parts["ai_users_after"] - parts["non_users_after"]
        assert raw_gap < low, "a raw users-vs-non-users comparison overstates the effect"
        assert parts["non_users_change"] < 0, "the unrelated 4% speed-up shows in non-users"
        assert did("rework_cycles", "Engineering")[1] > 0  # planted +0.07
        reopen = did("reopen_rate", "Support")
        assert reopen[1] > 0 and reopen[1] < 0.06 < reopen[2]  # planted 7% -> 13%
        assert did("time_to_resolution", "Support")[2] < 0  # planted -20%
        funnel = adoption_funnel(session, DATA_END)
        stages = {s.stage: s.n for s in funnel.organisation.stages}
        assert stages["activated"] > stages["sustained"] > stages["integrated"] > 0
        assert "adoption" in funnel.headline and "integration is" in funnel.headline
        card = top_use_cases(scorecard(session, dt.date(2026, 1, 1), DATA_END))
        assert {u.key for u in card.friction} == {"code review", "customer replies"}
        assert {u.key for u in card.working} >= {"test generation", "meeting notes"}


def test_the_report_puts_three_realities_side_by_side(demo_report: tuple[Path, ReportDocument]):
    """Planted: leaders perceive ~40% faster, the frontline ~15%, the data shows ~15%."""
    _, document = demo_report
    measured = document.measured
    assert measured is not None and measured.adoption_headline
    org = measured.realities.rows[0]
    assert org.scope == "Whole organisation" and org.measured is not None
    assert org.leaders_gap is not None and org.leaders_gap.low > 0  # leaders overestimate
    assert org.frontline_gap is not None and org.frontline_gap.low < 0 < org.frontline_gap.high
    assert any(u.startswith("code review") for u in measured.friction_use_cases)
    assert any(u.startswith("test generation") for u in measured.working_use_cases)


def test_the_report_shows_adoption_friction_cost_and_rule_based_steps(
    demo_report: tuple[Path, ReportDocument],
):
    """Planted: performative adoption, code review and customer replies create friction."""
    _, document = demo_report
    adoption = document.adoption
    assert adoption is not None and adoption.status is FigureStatus.SHOWN
    stages = {s.stage: s for s in adoption.stages}
    active, integrated = stages["active_28d"], stages["integrated"]
    assert active.share_of_licensed and integrated.share_of_licensed
    assert integrated.n < active.n
    assert document.use_cases is not None
    assert {u.key for u in document.use_cases.friction} == {"code review", "customer replies"}
    for use_case in (*document.use_cases.working, *document.use_cases.friction):
        assert any(e.n and e.n >= 5 for e in use_case.evidence), use_case.key
    cost = document.cost
    assert cost is not None and cost.status is FigureStatus.SHOWN
    assert adoption.licensed == cost.licensed  # the same licensed people, the same release
    assert cost.seat_months and len(cost.month_ends) == 12
    lines = {line.tools[0]: line for line in cost.seats}
    # Microsoft 365 Copilot arrives in June 2026: before, no one held it, and "0 of everyone"
    # would tell each person's, so the twelve months' total is not released (with why)
    assert lines["m365-copilot"].seats and lines["m365-copilot"].seat_months is None
    assert lines["github-copilot"].spend and lines["other"].spend
    assert cost.spend is None and cost.reason is not None
    assert "Microsoft 365 Copilot holders are not released for October 2025" in cost.reason
    assert {t.basis.value for t in cost.time} == {"measured", "self_reported"}
    assert all(i.basis.value == "assumption" for i in cost.inputs)
    assert document.next_steps is not None
    fired = {s.rule: s for s in document.next_steps.steps}
    assert {"fix-friction", "spread-what-works", "leaders-overestimate"} <= set(fired)
    assert "code review" in fired["fix-friction"].title
    assert document.gap_trend is not None and len(document.gap_trend.points) == 2


def test_a_quarter_when_every_tool_was_held_shows_the_spend(
    demo_report: tuple[Path, ReportDocument],
):
    """2026-Q3 for the organisation: every tool's count is released in each month end, so
    the spend is the sum of the tool lines, each holders x month ends x price."""
    import datetime as dt

    from gaplens.db.engine import session_scope
    from gaplens.privacy import PrivacyPolicy
    from gaplens.report.scope import parse_period
    from gaplens.report.service import build_report

    out, _ = demo_report
    with session_scope(f"sqlite:///{out / 'gaplens-demo.db'}") as session:
        document = build_report(
            session, None, PrivacyPolicy(), period_request=parse_period("2026-Q3")
        )
    cost = document.cost
    assert cost is not None and cost.status is FigureStatus.SHOWN and cost.reason is None
    assert cost.month_ends == [dt.date(2026, 7, 31), dt.date(2026, 8, 31), dt.date(2026, 9, 30)]
    assert cost.spend == pytest.approx(sum(line.spend or 0 for line in cost.seats))
    for line in cost.seats:
        assert line.seat_months is not None and line.price_per_month is not None
        assert line.spend == pytest.approx(line.seat_months * line.price_per_month)
    assert cost.seat_months and cost.spend_per_seat_month == pytest.approx(
        cost.spend / cost.seat_months
    )


def test_demo_writes_a_function_report_that_recovers_supports_widening(
    demo_report: tuple[Path, ReportDocument],
):
    """`gaplens report --scope function:Support --period 2026-Q3`, as the demo writes it."""
    out, organisation = demo_report
    path = out / "reality-report-support-2026-q3.json"
    document = ReportDocument.model_validate_json(path.read_text())
    assert document.scope is not None and document.scope.name == "Support"
    assert document.period is not None and document.period.label == "2026-Q3"
    assert [p.name for p in document.period.pulses] == ["AI pulse 2026-Q3"]
    responses, everyone = document.survey.responses, organisation.survey.responses
    assert responses is not None and everyone is not None and 100 < responses < everyone
    trend = document.gap_trend
    assert trend is not None and trend.direction == "widening"
    assert [p.survey for p in trend.points] == ["AI pulse 2026-Q2", "AI pulse 2026-Q3"]
    assert [p.in_period for p in trend.points] == [False, True]
    assert document.next_steps is not None
    assert document.next_steps.steps[0].rule == "gap-widening"
    measured = document.measured
    assert measured is not None and len(measured.realities.rows) == 1
    row = measured.realities.rows[0]
    assert row.scope == "Support" and row.measure.startswith("time to resolution")
    assert row.measured is not None and row.measured.low > 0  # planted: 20% faster
    assert organisation.adoption is not None and document.adoption is not None
    assert document.adoption.licensed is not None and organisation.adoption.licensed is not None
    assert document.adoption.licensed < organisation.adoption.licensed
    html = (out / "reality-report-support-2026-q3.html").read_text()
    assert "Function: Support" in html and "Widening beyond noise" in html


def test_demo_shows_leaders_modelling_and_what_stays_the_same(
    demo_report: tuple[Path, ReportDocument],
):
    """Planted (gaplens/demo/modelling.py): six posts by five leaders up to the pulse's end,
    four saying what the AI got wrong; five statements between the pulses; individual
    contributors' job-security clarity 12% -> 22%."""
    out, document = demo_report
    modelling = document.modelling
    assert modelling is not None
    assert (modelling.posts, modelling.admitting_failure, modelling.leaders_posting) == (6, 4, 5)
    assert modelling.most_useful[0].title == "Copilot invented an API in the migration script"
    assert modelling.useful_marks > 0 and modelling.posts_all_time == 6
    commitments = document.commitments
    assert commitments is not None and commitments.clarity is not None
    assert len(commitments.statements) == 5 and commitments.made_since == 5
    assert any(s.earlier for s in commitments.statements), "one statement was reworded"
    first, last = commitments.clarity.points
    assert (first.statements_in_force, last.statements_in_force) == (0, 5)
    change = commitments.clarity.change
    assert change is not None and change.group == "individual_contributors"
    assert change.direction == "clearer" and change.change_pp.low < 10 < change.change_pp.high
    html = (out / "reality-report.html").read_text()
    assert 'id="modelling"' in html and 'id="commitments"' in html
    assert "Copilot invented an API in the migration script" in html


def test_demo_success_criteria_and_wins_follow_the_planted_effects(
    demo_report: tuple[Path, ReportDocument],
):
    """gaplens/demo/criteria.py defines criteria and wins through the services; their
    statuses are computed from the imported exports, so they must be what the planted effects
    imply: AI cuts cycle time beyond the January speed-up (met vs non-users), summaries cut
    resolution time (met), AI replies raise reopens (at risk, moving the wrong way), and
    Product's Jira CSV has no status history (no reopen data)."""
    import datetime as dt

    from gaplens.criteria.models import SuccessCriterion
    from gaplens.criteria.rules import Status
    from gaplens.criteria.service import criterion_view
    from gaplens.db.engine import session_scope
    from gaplens.demo.exports import DATA_END
    from gaplens.privacy import PrivacyPolicy
    from gaplens.wins.service import win_views

    out, document = demo_report
    later = DATA_END + dt.timedelta(days=60)  # the same answer whenever the test runs
    with session_scope(f"sqlite:///{out / 'gaplens-demo.db'}") as session:
        views = {
            c.phase_name: criterion_view(session, c, later, PrivacyPolicy())
            for c in session.query(SuccessCriterion)
        }
        wins = {w.title.split(":")[0]: w for w in win_views(session, PrivacyPolicy())}
    cycle = views["Copilot licence wave 4"]
    assert cycle.status is not None and cycle.status.status is Status.MET and cycle.status.final
    assert cycle.status.change is not None and cycle.status.change.high < 0
    resolution = views["Zendesk AI ticket summaries"]
    assert resolution.status is not None and resolution.status.status is Status.MET
    assert resolution.edits_after_start == 1 and resolution.revisions[-1].reason
    assert resolution.review_date == dt.date(2026, 8, 30)  # moved, with its reason
    reopen = views["AI-drafted replies in every queue"]
    assert reopen.status is not None and reopen.status.status is Status.AT_RISK
    assert not reopen.status.final and "wrong way" in reopen.status.rule
    product = views["Product discovery assistant"]
    assert product.status is not None and product.status.status is Status.NOT_ENOUGH_DATA
    assert product.baseline is not None and product.baseline.not_enough_data
    assert all(not v.defined_after_start for v in views.values())

    assert wins["Ticket summaries"].evidence is not None
    assert wins["Ticket summaries"].evidence.verdict == "improved"
    assert wins["Copilot users' cycle time fell more than everyone else's"].evidence is not None
    assert wins["Copilot users' cycle time fell more than everyone else's"].evidence.verdict == (
        "improved"
    )
    assert wins["Meeting notes"].self_reported and wins["Meeting notes"].evidence is None

    assert document.criteria is not None and document.wins is not None
    reported = {c.phase_name: c.status.status for c in document.criteria.criteria if c.status}
    assert reported == {name: v.status.status for name, v in views.items() if v.status}
    assert len(document.wins.wins) == 3
    html = (out / "reality-report.html").read_text()
    assert "What was agreed before each rollout phase" in html and "Wins, with the numbers" in html
    assert "The APAC queue got ticket summaries four weeks late" in html


def test_demo_next_steps_read_the_agency_sections(demo_report: tuple[Path, ReportDocument]):
    """The demo defines criteria and statements of what stays the same, so the report must
    not ask for them as if they were missing; it must act on what the planted data shows:
    reopen criterion at risk, two measured wins, task-map candidates with and without a
    working use case, clarity still low beside five statements, a steep reflection drop."""
    out, document = demo_report
    assert document.next_steps is not None
    steps = {s.rule: s for s in document.next_steps.steps}
    titles = [s.title for s in document.next_steps.steps]
    assert "Set the next phase's success metric on measured data" not in titles
    assert "Say what stays the same" not in titles and "job-security" not in steps
    assert "criteria-missing" not in steps
    assert steps["leaders-overestimate"].title == "Judge the next phase on the measured figures"
    assert "AI-drafted replies in every queue" in steps["criterion-off-track"].title
    assert "at risk" in steps["criterion-off-track"].evidence[0]
    assert "Ticket summaries" in steps["spread-a-win"].title
    assert "test generation" in steps["task-pilot"].title
    assert "no use case in the scorecard matches it" in steps["task-needs-a-tool"].evidence[0]
    stays = steps["what-stays-the-same"]
    assert stays.title == "Keep saying what stays the same, where it is still unclear"
    assert "5 statements of what stays the same in force" in stays.evidence[-1]
    assert "reflection-drop" in steps
    assert "leaders-modelling" not in steps  # four of six posts say what the AI got wrong
    html = (out / "reality-report.html").read_text()
    assert "Further steps, lower in priority" in html
    assert len(steps) > 8 and '<span class="step-no">9.</span>' in html  # the list continues
    for step in document.next_steps.steps:
        assert step.title.replace("'", "&#39;") in html, step.rule


def test_the_report_recovers_the_planted_staggered_effect_on_cycle_time(
    demo_report: tuple[Path, ReportDocument],
):
    """Issue 15, item 3. The planted truth is the staggered estimator applied to the planted
    effect itself (`planted_cycle_time_effects`: each person's monthly median cycle time
    minus the same issues' without AI) over exactly the people, months, cohorts and
    published cells of the release: what the report's figure estimates, with selection,
    the calendar shock and the noise absent by construction."""
    import numpy as np
    from sqlalchemy import select

    from gaplens.db.engine import session_scope
    from gaplens.demo.exports import planted_cycle_time_effects
    from gaplens.demo.generator import generate_organisation
    from gaplens.directory.models import Organisation, Person
    from gaplens.releases.measured.queries import measured_release
    from gaplens.releases.measured.service import dataset_of
    from gaplens.releases.measured.staggered import (
        load_panel,
        month_label,
        month_number,
        panel_inputs,
    )
    from gaplens.stats.staggered import staggered_did

    out, document = demo_report
    assert document.measured is not None
    cycle = next(o for o in document.measured.metrics if o.metric.key == "cycle_time")
    figures = cycle.staggered
    assert figures is not None and figures.overall is not None and figures.speed_up
    row = document.measured.realities.rows[0]
    assert row.measured_method == "staggered" and row.measure.startswith("cycle time")
    assert row.measured is not None
    assert row.measured.estimate == -100 * figures.speed_up.estimate
    sources = figures.adoption_sources
    assert sources["directory"] and sources["telemetry"], sources  # both sources in use
    k = document.privacy.min_group_size
    with session_scope(f"sqlite:///{out / 'gaplens-demo.db'}") as session:
        org = session.scalars(select(Organisation.id)).one()
        release = measured_release(session, org)
        assert release is not None
        panel = load_panel(session, dataset_of(org))
        emails = dict(session.execute(select(Person.id, Person.email)).all())
        inputs = panel_inputs(panel, "cycle_time", None, month_number(release.answers_through), k)
    planted = planted_cycle_time_effects(generate_organisation(people=2000, seed=1), seed=1)
    effect = np.full(inputs.values.shape, np.nan)
    for r, seq in enumerate(inputs.seqs.tolist()):
        email = emails[panel.ids[seq]]
        for c, month in enumerate(inputs.months):
            if np.isfinite(inputs.values[r, c]):
                effect[r, c] = planted[(email, month)]
    published = {(c.cohort, c.month) for c in figures.cells}
    person, period = np.nonzero(np.isfinite(effect))
    truth = staggered_did(
        person,
        np.array(inputs.months)[period],
        effect[person, period],
        inputs.cohort[person],
        np.random.default_rng(0),
        control_group="not_yet_treated",
        resamples=2,
        keep_late_cohorts=True,
        cell_rule=lambda g, t, _a, _b: (month_label(g), month_label(t)) in published,
    ).simple.estimate
    overall = figures.overall
    assert truth < -0.3, "a clear planted effect (days of cycle time)"
    assert overall.low <= truth <= overall.high, (overall, truth)
    # One demo is one draw: its error is within the noise its own interval shows (two
    # standard errors); the estimator's bias on planted worlds is checked over many draws in
    # tests/stats/test_staggered.py.
    standard_error = (overall.high - overall.low) / (2 * 1.96)
    assert abs(overall.estimate - truth) < 2 * standard_error, (overall, truth)
    html = (out / "reality-report.html").read_text()
    assert "AI&rsquo;s effect by months since adoption" in html and "Pre-trends:" in html


# --- the brief: the first two pages and the first screen ---------------------------------------

INTERNAL_WORDS = (
    "Newcombe", "MOVER", "Rule:", "gap-widening", "perception-gap", "docs/", ".md",
    "-0%", "\u22120%", "-0.00", "\u22120.00", "productivity_impact", "cycle_time",
    "already shown to you", "the gaplens brief",
)  # fmt: skip


def _body_text(html: str) -> str:
    """The report's body as a reader reads it: no styles, scripts, data or method notes."""
    import re

    body = html[html.index("<main") : html.index('<section id="method"')]
    body = re.sub(r"<(style|script)[\s\S]*?</\1>", " ", body)
    return re.sub(r"<[^>]+>", " ", body)


def test_the_brief_carries_the_one_gap_the_response_rate_and_three_steps(
    demo_report: tuple[Path, ReportDocument],
):
    _, document = demo_report
    brief = document.brief
    assert brief is not None and document.schema_version == "2.6"
    assert brief.finding.startswith("Leaders across Northwind")
    assert "widened" in brief.finding and "cycle time fell" in brief.finding
    # One gap: the brief's is the trend's latest pulse (leaders = executives and managers).
    assert document.gap_trend is not None and brief.gap is not None
    assert brief.gap.value == document.gap_trend.points[-1].gap_pp
    assert "executives and managers" in brief.leaders
    assert (brief.response.answered, brief.response.of) == (1383, 2000)
    assert len(brief.next_steps) == 3
    assert brief.working and brief.friction
    assert brief.cost is not None and brief.cost.low < brief.cost.high  # the spend is a range
    assert brief.adoption is not None and brief.adoption.integrated_n > 0


def test_the_report_body_uses_no_internal_words(demo_report: tuple[Path, ReportDocument]):
    out, _ = demo_report
    for name in ("reality-report.html", "reality-report-support-2026-q3.html"):
        text = _body_text((out / name).read_text())
        assert "1,383 of 2,000" in text or name != "reality-report.html"
        found = [w for w in INTERNAL_WORDS if w in text]
        assert not found, f"{name}: {found}"
        # Published benchmarks cite a real source: the brief's figures whose source is not
        # confirmed are not quoted, nor are the old "published benchmark 78%" phrases.
        quoted = [f for f in HELD_BACK.values() if f[:16] in text]
        quoted += [p for p in ("benchmark 78%", "benchmark 12%", "not yet confirmed") if p in text]
        assert not quoted, f"{name}: {quoted}"


def _page_texts(pdf: bytes, tmp_path: Path, pages: int) -> list[str]:
    """The text of each of the first `pages` pages (pdftotext, one page at a time)."""
    import subprocess

    source = tmp_path / "report.pdf"
    source.write_bytes(pdf)
    texts = []
    for page in range(1, pages + 1):
        command = ["pdftotext", "-f", str(page), "-l", str(page), str(source), "-"]
        texts.append(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
    return texts


def _brief_pages(pdf: bytes, tmp_path: Path) -> int:
    """The page holding the brief's last line (it ends with a page break)."""
    for page, text in enumerate(_page_texts(pdf, tmp_path, 3), start=1):
        if "Everything below is the appendix" in text:
            return page
    raise AssertionError("the brief does not end within three pages")


def _check_brief_pages(pdf: bytes, tmp_path: Path) -> None:
    """At most two pages; the last one is not a stray line or two of a card (the demo's brief
    once spilled 'the end of September 2026 (measured).' and its closing note onto a page of
    its own); and the appendix starts on the next page, with the report's cover."""
    last = _brief_pages(pdf, tmp_path)
    assert last <= 2
    texts = _page_texts(pdf, tmp_path, last + 1)
    lines = [
        line
        for line in texts[last - 1].splitlines()
        if line.strip() and not line.startswith("AI reality brief") and "Page " not in line
    ]
    assert len(lines) >= 20, f"page {last}, the brief's last, is nearly empty: {lines}"
    assert "AI reality report" not in texts[last - 1]
    assert "AI reality report" in texts[last], "the appendix does not start on a new page"


def test_the_brief_is_at_most_two_pdf_pages(
    demo_report: tuple[Path, ReportDocument], tmp_path: Path
):
    """...and its last page is well filled, with the appendix on the next (print CSS)."""
    from gaplens.report.render import render_pdf

    out, _ = demo_report
    _check_brief_pages((out / "reality-report.pdf").read_bytes(), tmp_path)
    support = ReportDocument.model_validate_json(
        (out / "reality-report-support-2026-q3.json").read_text()
    )
    assert support.brief is not None and "in Support" in support.brief.finding
    _check_brief_pages(render_pdf(support), tmp_path)


def test_the_first_screen_holds_the_finding_the_gap_adoption_and_the_next_steps(
    demo_report: tuple[Path, ReportDocument],
):
    sync_api = pytest.importorskip("playwright.sync_api")
    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    out, _ = demo_report
    url = (out / "reality-report.html").resolve().as_uri()
    screens = {
        (1440, 900): ("#h-finding", "#brief-gap", "#brief-adoption", "#brief-steps"),
        (390, 844): ("#h-finding", "#brief-gap .big"),
    }
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for (width, height), selectors in screens.items():
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(url)
            for selector in selectors:
                box = page.locator(selector).bounding_box()
                assert box is not None, selector
                assert box["y"] + box["height"] <= height, (width, selector, box)
            page.close()
        browser.close()


def test_the_report_shows_stability_beside_every_speed_figure(
    demo_report: tuple[Path, ReportDocument],
):
    """Issue 15, item 5. The demo plants more reopened work after adoption (engineers'
    issues, support tickets) beside the faster cycle time: wherever the report shows a speed
    figure, its counter-metrics stand beside it, from the same release and estimator."""
    out, document = demo_report
    assert document.measured is not None and document.brief is not None
    by_key = {o.metric.key: o for o in document.measured.metrics}
    cycle = by_key["cycle_time"]
    assert cycle.stability is not None and cycle.stability.method == "staggered"
    reopen = next(c for c in cycle.stability.counters if c.key == "reopen_rate")
    overall = by_key["reopen_rate"].staggered
    assert overall is not None and overall.overall is not None
    assert (reopen.estimate, reopen.low, reopen.high) == (
        overall.overall.estimate,
        overall.overall.low,
        overall.overall.high,
    )
    assert reopen.direction == "worse", reopen
    verdict = cycle.stability.verdict
    assert verdict.startswith("Faster, but more work was reopened"), verdict
    for o in document.measured.metrics:  # every speed metric with an effect, and only those
        shown = o.staggered is not None and o.staggered.overall is not None
        if o.metric.kind == "speed" and (shown or o.users_vs_non_users.value is not None):
            assert o.stability is not None, o.metric.key
        else:
            assert o.stability is None, o.metric.key
    row = document.measured.realities.rows[0]
    assert row.stability is not None and row.stability.verdict.startswith("Faster, but")
    assert "but reopen rate rose" in document.brief.finding
    body = _body_text((out / "reality-report.html").read_text())
    assert verdict in body and "Reopen rate: +" in body and "percentage points" in body
    assert "Stability beside it: Faster, but more work was reopened" in body  # the brief
