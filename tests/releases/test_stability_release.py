"""Stability beside speed, end to end: a world built row by row, released month by month,
read over real HTTP. The speed figure's counter-metrics come from the same release, scope
and estimator, obey the release's cell rules, and the verdict follows their intervals."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.accounts.models import StaffRole
from gaplens.accounts.service import create_user
from gaplens.db.engine import session_scope
from gaplens.privacy import PrivacyPolicy
from gaplens.releases.measured.audit import staggered_findings
from gaplens.releases.measured.models import MeasuredStaggered
from gaplens.releases.measured.service import build_measured_release, month_ends
from gaplens.web.app import create_app
from gaplens.web.settings import WebSettings
from tests.metrics.builders import OrgBuilder, at
from tests.web.conftest import PASSWORD, sign_in

K = 5
START = dt.date(2025, 1, 1)
END = dt.date(2026, 1, 5)
REOPEN_BEFORE = 0.15


def _world(session: Session, *, instability: float, seed: int) -> int:
    """Cohorts of 8 adopting in March, May and July, 24 who never adopt, one function.
    Cycle time = own level - 1.5 days once using AI + noise; each item is reopened with
    probability 15%, plus `instability` once its person uses AI; rework 0-2 at random."""
    rng = np.random.default_rng(seed)
    org = OrgBuilder(session)
    team = org.team("eng")
    adoptions = [dt.date(2025, m, 1) for m in (3, 5, 7) for _ in range(8)] + [None] * 24
    for adoption in adoptions:
        person = org.person(team, adoption=adoption, function="engineering")
        level = rng.uniform(3.0, 6.0)
        day = START + dt.timedelta(days=int(rng.integers(0, 3)))
        while day < END:
            after = adoption is not None and day >= adoption
            days = level - (1.5 if after else 0.0)
            reopen = REOPEN_BEFORE + (instability if after else 0.0)
            org.item(
                person,
                at(day),
                max(days + rng.normal(0.0, 0.3), 0.1),
                reopens=int(rng.random() < reopen),
                reworks=int(rng.integers(0, 3)),
            )
            day += dt.timedelta(days=int(rng.integers(2, 4)))
    session.flush()
    return org.id


def _released(session: Session, *, instability: float, resamples: int = 499) -> int:
    """The world, released at every month end from October 2025 as the scheduler would."""
    organisation = _world(session, instability=instability, seed=2)
    first = dt.date(2025, 10, 3)
    for today in [first] + [
        end + dt.timedelta(days=3)
        for end in month_ends(first, END)
        if end + dt.timedelta(days=3) > first
    ]:
        build_measured_release(
            session, organisation, PrivacyPolicy(), today=today, staggered_resamples=resamples
        )
    return organisation


def _serve(db_url: str, *, instability: float) -> TestClient:
    with session_scope(db_url) as session:
        _released(session, instability=instability)
        create_user(session, "leader@northwind.example", "Leader", StaffRole.LEADER, PASSWORD)
    app = create_app(
        WebSettings(database_url=db_url, secure_cookies=False, slack_signing_secret=None)
    )
    return TestClient(app)


@pytest.mark.parametrize(
    ("instability", "verdict"),
    [
        (0.20, "Faster, but more work was reopened."),
        (0.0, "Faster, with no sign of less stable work."),
    ],
)
def test_speed_is_shown_with_its_stability_from_the_same_release(
    db_url: str, instability: float, verdict: str
) -> None:
    with _serve(db_url, instability=instability) as client:
        sign_in(client, "leader")
        cycle = client.get("/api/v1/metrics/cycle_time").json()
        reopen = client.get("/api/v1/metrics/reopen_rate").json()
        rework = client.get("/api/v1/metrics/rework_cycles").json()
        team = client.get("/api/v1/metrics/cycle_time", params={"team": "eng"}).json()
        team_reopen = client.get("/api/v1/metrics/reopen_rate", params={"team": "eng"}).json()
        page = client.get("/metrics").text
    assert cycle["metric"]["kind"] == "speed"
    assert cycle["metric"]["counter_metrics"] == ["reopen_rate", "rework_cycles"]
    assert reopen["stability"] is None  # a stability metric has no counter-metric
    stability = cycle["stability"]
    assert stability["method"] == "staggered" and stability["speed"] == "better"
    by_key = {c["key"]: c for c in stability["counters"]}
    # the same release and estimator: the counter-figure is the reopen rate's own staggered
    # overall effect, as the API publishes it for that metric
    for key, own in (("reopen_rate", reopen), ("rework_cycles", rework)):
        overall = own["staggered"]["overall"]
        assert overall is not None, own["staggered"]
        assert (by_key[key]["estimate"], by_key[key]["low"], by_key[key]["high"]) == (
            overall["estimate"],
            overall["low"],
            overall["high"],
        )
    planted = by_key["reopen_rate"]
    assert planted["low"] <= instability <= planted["high"], planted
    assert stability["verdict"] == verdict
    # the cells behind it obey the release's rules: k on each side
    cells = reopen["staggered"]["cells"]
    assert cells and all(c["n_treated"] >= K and c["n_control"] >= K for c in cells)
    # a team has no staggered estimate: its counter-figures are the difference in
    # differences, like its speed figure
    assert team["stability"]["method"] == "users_vs_non_users"
    team_counter = {c["key"]: c for c in team["stability"]["counters"]}["reopen_rate"]
    assert team_counter["estimate"] == team_reopen["users_vs_non_users"]["value"]
    # the page shows the verdict and the counter-figures beside the speed figure
    effects = page.split('id="h-effect-cycle_time"')[1].split("</article>")[0]
    assert verdict in effects
    low, high = (100 * planted[b] for b in ("low", "high"))
    assert "Reopen rate: " in effects and "percentage points" in effects
    assert f"{abs(low):.1f} to " in effects and f"{abs(high):.1f})" in effects
    assert "Reopen rate (percentage points), with its interval" in effects
    # the metrics table's column is the difference in differences for every metric: there,
    # the speed figure has the counter-metrics' differences in differences beside it
    row = page.split('<tr><th scope="row">Cycle time')[1].split("</tr>")[0]
    did = reopen["users_vs_non_users"]
    assert did["value"] is not None, did
    assert "Beside it: Reopen rate: " in row and "Rework cycles: " in row
    assert f"{abs(100 * did['low']):.1f} to " in row
    assert f"{abs(100 * did['high']):.1f})" in row
    assert row.count("Faster") + row.count("No clear change") + row.count("Slower") == 1
    reopen_row = page.split('<tr><th scope="row">Reopen rate')[1].split("</tr>")[0]
    assert "Beside it" not in reopen_row  # a stability metric has no counter-metric


def test_the_stability_cells_pass_the_linear_auditor(db_url: str) -> None:
    """The counter-metrics' staggered cells are released by the rules every metric's are
    (k adopters and k people not yet using AI, changes not all alike, a cell never changed
    once published): the linear attack on every month's release together finds no one."""
    with session_scope(db_url) as session:
        organisation = _released(session, instability=0.20, resamples=49)
        published: dict[str, int] = {}
        for metric, figures in session.execute(
            select(MeasuredStaggered.metric, MeasuredStaggered.figures)
        ):
            published[metric] = max(published.get(metric, 0), len(figures.get("cells", [])))
        releases, findings = staggered_findings(session, organisation, k=K)
    assert releases >= 3
    # the attack has stability cells to work on, not an empty release
    assert published.get("reopen_rate", 0) > 0 and published.get("rework_cycles", 0) > 0
    assert findings.ok, findings.describe()
