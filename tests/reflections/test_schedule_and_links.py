"""Scheduling from training completions and first uses, and email-ready single-use links."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from gaplens.cli import app
from gaplens.db.engine import session_scope
from gaplens.directory.models import Person
from gaplens.errors import InputError
from gaplens.reflections.figures import plan_series
from gaplens.reflections.models import ReflectionInvitation
from gaplens.reflections.queries import Trigger
from gaplens.reflections.service import invitation_id, issue_links, schedule, series_id
from gaplens.surveys.intake import token_hash
from tests.reflections.builders import TRAINING_DAY, directory, email, person_ids, training, usage

runner = CliRunner()
TODAY = dt.date(2026, 4, 30)


def invitations(url: str) -> list[ReflectionInvitation]:
    with session_scope(url) as session:
        rows = list(session.scalars(select(ReflectionInvitation).order_by(ReflectionInvitation.id)))
        session.expunge_all()
        return rows


@pytest.fixture
def org(db_url: str, tmp_path: Path) -> str:
    directory(db_url, tmp_path)
    training(db_url, tmp_path, range(12))
    start = dt.date(2026, 1, 5)
    days = {n: [start + dt.timedelta(days=d) for d in range(0, 60, 3)] for n in range(20, 25)}
    # person 30 starts using AI on 2026-03-20: a first use, well after the data begins
    days[30] = [dt.date(2026, 3, 20), dt.date(2026, 3, 23)]
    # person 5 (trained 2026-03-02) first uses AI four days later: one series, not two
    days[5] = [dt.date(2026, 3, 6)]
    usage(db_url, tmp_path, days)
    return db_url


def test_three_steps_per_trigger_with_deterministic_ids(org: str):
    with session_scope(org) as session:
        summary = schedule(session, dt.date(2026, 1, 1), today=TODAY)
    # 12 trainings, first uses of persons 20-24 are left-censored (the data starts with
    # them), person 30's counts, person 5's overlaps their training.
    assert (summary.triggers, summary.series_created, summary.overlapping) == (14, 13, 1)
    assert summary.invitations_created == 39
    rows = invitations(org)
    assert len(rows) == 39
    ids = person_ids(org)
    first_use = [r for r in rows if r.person_id == ids[email(30)]]
    assert sorted((r.step, r.due_on) for r in first_use) == [
        ("day1", dt.date(2026, 3, 21)),
        ("now", dt.date(2026, 3, 20)),
        ("week1", dt.date(2026, 3, 27)),
    ]
    key = f"first_use:{ids[email(30)]}"
    assert {r.id for r in first_use} == {invitation_id(key, s) for s in ("now", "day1", "week1")}
    assert {r.series_id for r in first_use} == {series_id(key)}
    assert all(r.token_hash is None for r in rows)  # no link, so none used
    assert {r.trigger_on for r in rows if r.trigger == "training"} == {TRAINING_DAY}


def test_rescheduling_never_duplicates(org: str):
    with session_scope(org) as session:
        schedule(session, dt.date(2026, 3, 1), today=TODAY)
    before = {r.id for r in invitations(org)}
    with session_scope(org) as session:
        again = schedule(session, dt.date(2026, 1, 1), today=TODAY)
    assert again.series_created == 0 and again.invitations_created == 0
    assert again.already_scheduled == 13
    assert {r.id for r in invitations(org)} == before


def test_a_day_after_today_is_refused(org: str):
    with session_scope(org) as session, pytest.raises(InputError) as raised:
        schedule(session, dt.date(2026, 5, 1), today=TODAY)
    assert raised.value.problems[0].column == "since"


def test_plan_series_keeps_one_loop_per_person_at_a_time():
    day = dt.date(2026, 3, 1)
    triggers = [
        Trigger("training:a", "training", "p1", day),
        Trigger("first_use:p1", "first_use", "p1", day + dt.timedelta(days=7)),  # within a week
        Trigger("training:b", "training", "p1", day + dt.timedelta(days=8)),  # a new loop
        Trigger("training:c", "training", "p2", day),
    ]
    plan = plan_series(triggers, {"existing": ("p2", day - dt.timedelta(days=3))}, lambda k: k)
    assert [t.key for t in plan.new] == ["training:a", "training:b"]
    assert (plan.already, plan.overlapping) == (0, 2)
    assert plan_series(triggers, {"training:a": ("p1", day)}, lambda k: k).already == 1


def test_links_are_issued_once_hashed_and_only_while_valid(org: str):
    with session_scope(org) as session:
        schedule(session, dt.date(2026, 1, 1), today=TODAY)
    with session_scope(org) as session:
        links = issue_links(
            session, dt.date(2026, 3, 3), "https://gaplens.example/", today=dt.date(2026, 3, 3)
        )
    # the 12 trainings' "now" (due 2 March) and "+1 day" (due 3 March) steps
    assert len(links) == 24
    assert {link.step for link in links} == {"now", "day1"}
    link = links[0]
    assert link.url.startswith("https://gaplens.example/r/") and link.email.endswith(
        "@acme.example"
    )
    assert link.expires_on == link.due_on + dt.timedelta(days=14)
    assert link.url in link.body and "never what you wrote" in link.body
    assert link.subject
    token = link.url.rsplit("/", 1)[1]
    stored = {r.token_hash for r in invitations(org)} - {None}
    assert token_hash(token) in stored and len(stored) == 24
    assert all(token not in (r.token_hash or "") for r in invitations(org))
    with session_scope(org) as session:
        assert issue_links(session, dt.date(2026, 3, 3), "http://x.example", today=TODAY) == []
    with session_scope(org) as session:  # 9 March: the week-1 steps; March 2-3 not expired
        later = issue_links(
            session, dt.date(2026, 3, 9), "http://x.example", today=dt.date(2026, 3, 9)
        )
    assert {link.step for link in later} == {"week1"}
    with session_scope(org) as session:  # the first use's links, long expired by 30 April
        assert issue_links(session, dt.date(2026, 3, 27), "http://x.example", today=TODAY) == []


def test_a_deactivated_person_gets_no_link(org: str):
    """SCIM's `active=false` (docs/scim.md): the invitations stay, no link is issued."""
    with session_scope(org) as session:
        schedule(session, dt.date(2026, 1, 1), today=TODAY)
        inactive = session.get(Person, person_ids(org)[email(0)])
        assert inactive is not None
        inactive.active = False
    day = dt.date(2026, 3, 2)
    with session_scope(org) as session:
        links = issue_links(session, day, "http://x.example", today=day)
    assert len(links) == 11 and email(0) not in {link.email for link in links}
    assert sum(r.person_id == inactive.id for r in invitations(org)) == 3


def test_reissue_replaces_a_link(org: str):
    with session_scope(org) as session:
        schedule(session, dt.date(2026, 1, 1), today=TODAY)
    day = dt.date(2026, 3, 2)
    with session_scope(org) as session:
        first = issue_links(session, day, "http://x.example", today=day)
    with session_scope(org) as session:
        second = issue_links(session, day, "http://x.example", reissue=True, today=day)
    assert len(first) == len(second) == 12
    hashes = {r.token_hash for r in invitations(org)}
    assert not {token_hash(link.url.rsplit("/", 1)[1]) for link in first} & hashes


def test_cli_schedule_then_todays_links(org: str, tmp_path: Path):
    yesterday = dt.date.today() - dt.timedelta(days=1)
    training(org, tmp_path, range(40, 45), day=yesterday)
    since = ["reflections", "schedule", "--since", str(yesterday), "--db", org]
    result = runner.invoke(app, since)
    assert result.exit_code == 0, result.output
    assert "5 new reflection series (15 invitations)" in result.output
    assert "0 new reflection series" in runner.invoke(app, since).output
    out = tmp_path / "links.csv"
    result = runner.invoke(app, ["reflections", "links", "--out", str(out), "--db", org])
    assert result.exit_code == 0, result.output
    assert "10 reflection links" in result.output
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    header = ["email", "name", "step", "due_on", "expires_on", "link", "subject", "body"]
    assert list(rows[0]) == header and len(rows) == 10
    assert {r["step"] for r in rows} == {"now", "day1"}
    assert rows[0]["link"].startswith("http://127.0.0.1:8000/r/")
    assert rows[0]["subject"] and rows[0]["link"] in rows[0]["body"]
    assert not list(tmp_path.glob(".*partial"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["schedule", "--since", "2026-13-01"], "--since"),
        (["schedule", "--since", "0001-01-01"], "1900-01-01"),
        (["links", "--due", "9999-12-31", "--out", "links.csv"], "2999-12-31"),
        (["links", "--due", "yesterday", "--out", "links.csv"], "--due"),
        (["links", "--out", "no/such/folder/links.csv"], "does not exist"),
        (["links", "--out", "x.csv", "--base-url", "gaplens.example"], "http"),
    ],
)
def test_cli_bad_input_exits_2_and_issues_nothing(
    org: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
):
    with session_scope(org) as session:
        schedule(session, dt.date(2026, 1, 1), today=TODAY)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["reflections", *args, "--db", org])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    with session_scope(org) as session:
        issued = session.scalar(
            select(func.count()).where(ReflectionInvitation.token_hash.is_not(None))
        )
    assert issued == 0
