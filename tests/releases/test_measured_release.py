"""Measured releases: leadership metrics per month end, attacked by the auditor.

The world is adversarial on purpose: a parent team with one person of its own, a team of
one, AI users adopting one a month (so each month's newcomers are fewer than k), a team
whose reopen rate is 0 for everyone, and monthly builds. The auditor (it rebuilds every
figure's set of people from the published classes and solves them all together) is the
oracle; a naive build that publishes each team's own people is caught by it.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.accounts.models import StaffRole
from gaplens.accounts.service import create_user
from gaplens.db.engine import session_scope
from gaplens.metrics import MetricScope, metric_overviews
from gaplens.privacy import PrivacyPolicy
from gaplens.privacy.recoding import Code, TeamTree
from gaplens.releases.measured import service as measured_service
from gaplens.releases.measured.audit import measured_findings
from gaplens.releases.measured.models import MeasuredFigure
from gaplens.releases.measured.queries import measured_releases, released_overviews
from gaplens.releases.measured.service import build_measured_release, classes, month_ends
from gaplens.web.app import create_app
from gaplens.web.settings import WebSettings
from tests.metrics.builders import OrgBuilder, at
from tests.web.conftest import PASSWORD, sign_in

K = 5
START = dt.date(2025, 1, 6)
END = dt.date(2026, 1, 5)


def _world(session: Session, seed: int = 7) -> int:
    """Engineering (1 person of its own) over Payments (9) and Core (8); Ops (7, support,
    nobody's work ever reopened); Solo (1). Users adopt one a month from March."""
    rng = np.random.default_rng(seed)
    org = OrgBuilder(session)
    eng = org.team("eng")
    teams = {
        "pay": org.team("pay", eng),
        "core": org.team("core", eng),
        "eng": eng,
        "ops": org.team("ops"),
        "solo": org.team("solo"),
    }
    sizes = {"pay": 9, "core": 8, "eng": 1, "ops": 7, "solo": 1}
    month = 0
    for key, size in sizes.items():
        for n in range(size):
            user = n < (size + 1) // 2
            adoption = None
            if user:
                adoption = dt.date(2025, 3 + month % 8, 3)
                month += 1
            function = "support" if key == "ops" else "engineering"
            person = org.person(teams[key], adoption=adoption, function=function)
            speed = rng.uniform(1.0, 4.0)
            day = START
            while day < END:
                faster = adoption is not None and day > adoption
                cycle = float(rng.gamma(2.0, (speed * (0.7 if faster else 1.0)) / 2.0))
                reopens = 0 if key == "ops" else int(rng.random() < 0.2)
                org.item(person, at(day), cycle, reopens=reopens)
                if faster and rng.random() < 0.6:
                    org.usage(person, day)
                day += dt.timedelta(days=int(rng.integers(5, 10)))
    session.flush()
    return org.id


def _monthly_builds(session: Session, organisation: int) -> None:
    """The first build on 5 July (January to June), then one a month to January."""
    for today in [dt.date(2025, 7, 5)] + [
        end + dt.timedelta(days=5) for end in month_ends(dt.date(2025, 7, 1), END)
    ]:
        build_measured_release(session, organisation, PrivacyPolicy(), today=today)


@pytest.fixture
def world(db_url: str) -> tuple[str, int]:
    with session_scope(db_url) as session:
        organisation = _world(session)
        _monthly_builds(session, organisation)
    return db_url, organisation


def _figures(session: Session, organisation: int) -> dict[tuple[Any, ...], dict[str, Any]]:
    """(month end, team, function, metric) -> overview, over every release."""
    found = {}
    for release in measured_releases(session, organisation):
        for row in session.scalars(
            select(MeasuredFigure).where(MeasuredFigure.release_id == release.id)
        ):
            found[(release.answers_through, row.team_id, row.function, row.metric)] = row.overview
    return found


def test_the_auditor_finds_nothing_in_monthly_releases(world: tuple[str, int]) -> None:
    db_url, organisation = world
    with session_scope(db_url) as session:
        releases, findings = measured_findings(session, organisation, k=K)
        ends = [r.answers_through for r in measured_releases(session, organisation)]
        figures = _figures(session, organisation)
    assert ends == month_ends(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert releases == 12
    assert findings.ok, findings.describe()
    assert findings.rows >= 5  # it had something to attack: sets that grew over the months
    # Users arrive one a month, yet the organisation's count of AI users moves in steps of
    # at least k (or not at all) from one month to the next.
    counts = [
        (figures.get((end, None, None, "cycle_time")) or {}).get("before_after", {}).get("n", {})
        for end in ends
    ]
    users = [c.get("ai_users", 0) for c in counts]
    assert max(users) >= 2 * K
    assert all(b == a or b - a >= K for a, b in itertools.pairwise(users))


def test_no_figure_is_about_a_team_of_one_or_a_parents_own_person(
    world: tuple[str, int],
) -> None:
    db_url, organisation = world
    with session_scope(db_url) as session:
        figures = _figures(session, organisation)
        teams = dict(session.execute(select_team_ids(organisation)).all())
    for (_, team, _, _), overview in figures.items():
        for part in ("current", "before_after", "users_vs_non_users", "by_tenure"):
            figure = overview[part]
            if figure["value"] is not None:
                assert all(n >= K for n in figure["n"].values()), (team, part, figure["n"])
    solo = teams["solo"]
    assert not any(
        team == solo and o["current"]["value"] is not None for (_, team, _, _), o in figures.items()
    )


def select_team_ids(organisation: int) -> Any:
    from gaplens.directory.models import Team

    return select(Team.key, Team.id).where(Team.organisation_id == organisation)


def test_a_team_whose_values_are_all_alike_is_merged_not_dropped(
    world: tuple[str, int],
) -> None:
    """Nobody in Ops ever had work reopened: a figure of Ops alone would say so of each of
    them, so Ops is merged into a mixed class; the organisation still counts them."""
    db_url, organisation = world
    with session_scope(db_url) as session:
        release = measured_releases(session, organisation)[-1]
        teams = dict(session.execute(select_team_ids(organisation)).all())
        whole = released_overviews(
            session, release, MetricScope(organisation_id=organisation), ["reopen_rate"]
        )[0]
        ops = released_overviews(
            session,
            release,
            MetricScope(organisation_id=organisation, team_id=teams["ops"]),
            ["reopen_rate"],
        )[0]
        reference = metric_overviews(
            session,
            MetricScope(organisation_id=organisation),
            release.answers_through,
            ["reopen_rate"],
        )[0]
    assert ops.current.value is None and ops.current.not_enough_data
    assert whole.current.n == reference.current.n  # Ops counted in the organisation
    assert whole.current.value == pytest.approx(reference.current.value)


def test_ai_usage_before_adoption_is_not_published_and_says_why(
    world: tuple[str, int],
) -> None:
    """Nobody used AI before adopting it: every user's before value is 0, so no group of
    them can be published, and the figure says why instead of "no data"."""
    db_url, organisation = world
    with session_scope(db_url) as session:
        release = measured_releases(session, organisation)[-1]
        (usage,) = released_overviews(
            session, release, MetricScope(organisation_id=organisation), ["ai_usage_intensity"]
        )
    assert usage.current.shown
    for figure in (usage.before_after, usage.users_vs_non_users):
        assert figure.value is None
        assert figure.not_enough_data and "nobody used AI before adopting" in figure.not_enough_data


def test_a_naive_release_of_each_teams_own_people_is_caught(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Publishing every team's own figures (no classes of k) lets the parent minus its
    children isolate Engineering's own person: the auditor must say so."""

    def naive(codes: dict[int, Code], checks: Any, k: int, tree: TeamTree) -> dict[int, Code]:
        return dict(codes)

    monkeypatch.setattr(measured_service, "classes", naive)
    with session_scope(db_url) as session:
        organisation = _world(session)
        _monthly_builds(session, organisation)
        _, findings = measured_findings(session, organisation, k=K)
    assert not findings.ok
    assert findings.isolated or findings.small_groups


def test_the_pure_grouping_keeps_k_and_merges_alike_groups() -> None:
    tree = TeamTree({1: None, 2: 1, 3: 1})
    codes = {i: Code(2, "x") for i in range(6)} | {i: Code(3, "x") for i in range(6, 12)}
    codes |= {12: Code(1, "x")}
    values = np.array([0.0] * 6 + [1.0, 2.0, 3.0, 4.0, 5.0, 6.0] + [7.0])
    placed = classes(codes, [values], K, tree)
    groups: dict[Code, set[int]] = defaultdict(set)
    for person, code in placed.items():
        groups[code].add(person)
    assert all(len(g) >= K and len({values[i] for i in g}) > 1 for g in groups.values())
    # team 2 is all zeros: merged with the smallest mixed class under team 1, not dropped
    assert set(range(6)) <= groups[Code(1, "x")]
    # team 1's own person is alone at every level up to the top: left out
    assert sorted(placed) == list(range(12))
    # everyone alike: nothing can be published
    assert classes(codes, [np.zeros(13)], K, tree) == {}


def test_every_viewer_reads_the_same_figures(world: tuple[str, int]) -> None:
    db_url, organisation = world
    with session_scope(db_url) as session:
        for who, role in (("leader", StaffRole.LEADER), ("analyst", StaffRole.ANALYST)):
            create_user(session, f"{who}@northwind.example", who.title(), role, PASSWORD)
        teams = dict(session.execute(select_team_ids(organisation)).all())
    app = create_app(
        WebSettings(database_url=db_url, secure_cookies=False, slack_signing_secret=None)
    )
    bodies = []
    with TestClient(app) as client:
        for who in ("leader", "analyst"):
            sign_in(client, who)
            asked = []
            for params in ({}, {"team": "eng"}, {"team": "pay"}, {"as_of": "2025-08-17"}):
                got = client.get("/api/v1/metrics/cycle_time", params=params)
                assert got.status_code == 200, got.text
                asked.append(got.json())
            bodies.append(asked)
            page = client.get("/metrics", params={"as_of": "2025-08-17"})
            assert page.status_code == 200 and "August 2025" in page.text
            client.cookies.clear()
    assert bodies[0] == bodies[1]
    latest, eng, pay, august = bodies[0]
    assert latest["as_of"] == "2025-12-31" and august["as_of"] == "2025-07-31"
    assert pay["scope"]["team_id"] == teams["pay"] and eng["scope"]["team_id"] == teams["eng"]
    # Engineering holds Payments and Core: never fewer people in any figure than Payments
    for part, key in (("current", "persons"), ("before_after", "ai_users")):
        if pay[part]["value"] is not None:
            assert eng[part]["n"][key] >= pay[part]["n"][key]
