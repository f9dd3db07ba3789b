"""The friction release against the review's attacks, with the auditor as the oracle.

Entries go into a real database (SQLite and PostgreSQL) as the form stores them; releases
are built the way `gaplens release build` builds them; everything ever published is handed
to the auditor, and the summary (what the page and the API render) is read from it.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random

from sqlalchemy import select

from gaplens.db.engine import session_scope
from gaplens.friction.models import FrictionEntry
from gaplens.friction.schemas import FrictionSummary
from gaplens.friction.service import summary_of
from gaplens.privacy import PrivacyPolicy
from gaplens.privacy.disclosure import AuditFindings
from gaplens.releases.friction.audit import friction_findings
from gaplens.releases.friction.models import FrictionReleaseClass, FrictionReleaseMember
from gaplens.releases.friction.queries import latest_friction_release
from gaplens.releases.friction.service import build_friction_release
from gaplens.releases.models import Release
from gaplens.releases.service import build_all
from tests.friction.conftest import plant

POLICY = PrivacyPolicy()
K = POLICY.min_group_size
MONDAY = dt.date(2026, 9, 7)  # ISO week 2026-W37


def mixed(url: str, use_case: str, day: dt.date, fixed: int, kept: int, **kw: object) -> None:
    with session_scope(url) as session:
        plant(session, use_case, day, fixed, correcting=7, saved=5, outcome="fixed", **kw)  # type: ignore[arg-type]
        plant(session, use_case, day, kept, saved=20, **kw)  # type: ignore[arg-type]


def build(url: str, today: dt.date) -> str:
    with session_scope(url) as session:
        return build_friction_release(session, POLICY, today=today).message


def findings(url: str) -> AuditFindings:
    with session_scope(url) as session:
        return friction_findings(session, k=K)[1]


def view(url: str, first: dt.date, last: dt.date) -> FrictionSummary:
    with session_scope(url) as session:
        return summary_of(latest_friction_release(session), first, last, None, None, {})


def figures(found: FrictionSummary) -> dict[str, tuple[int, int]]:
    shown = {u.key: (u.n, u.corrected) for u in found.use_cases}
    return {"": (found.total, found.other_use_cases), **shown}


def test_a_week_is_released_only_once_it_is_over(db_url: str):
    mixed(db_url, "Review", MONDAY, 3, 3)
    assert build(db_url, MONDAY + dt.timedelta(days=6)).startswith("No new friction")
    assert build(db_url, MONDAY + dt.timedelta(days=7)).startswith("Release 1: 6 entries")
    assert build(db_url, MONDAY + dt.timedelta(days=9)).startswith("No new friction")


def test_a_use_case_with_one_entry_and_a_week_with_one_entry_are_safe(db_url: str):
    """Week 1: six Review entries and a single 'Solo' entry; week 2: one more Review entry;
    week 3: six entries all kept (unanimous). Neither single entry nor the unanimous week
    is published on its own (the two weeks go up to their month together; Solo is
    withheld); the auditor, holding everything, finds no one."""
    mixed(db_url, "Review", MONDAY, 3, 3)
    mixed(db_url, "Solo", MONDAY, 1, 0)
    mixed(db_url, "Review", MONDAY + dt.timedelta(days=8), 1, 0)
    mixed(db_url, "Review", MONDAY + dt.timedelta(days=15), 0, 6)
    build(db_url, MONDAY + dt.timedelta(days=21))
    found = findings(db_url)
    assert found.ok, found.describe()
    with session_scope(db_url) as session:
        rows = list(session.scalars(select(FrictionReleaseClass)))
        assert rows and all(r.n >= K and max(r.outcomes) < r.n for r in rows)
        assert all(0 < r.corrected < r.n for r in rows)
    september = view(db_url, MONDAY - dt.timedelta(days=7), MONDAY + dt.timedelta(days=27))
    assert [u.key for u in september.use_cases] == ["review"]
    # the lone week and the unanimous one are published only together, as September
    assert figures(september)["review"] == (6 + 7, 3 + 1)
    lone = view(db_url, MONDAY + dt.timedelta(days=7), MONDAY + dt.timedelta(days=13))
    assert lone.total == 0 and lone.use_cases == []
    assert any("2026-09" in note for note in lone.notes)


def test_late_entries_into_a_published_week_wait_for_k_companions(db_url: str):
    """A week published, then one entry backdated into it: the next build publishes
    nothing new (the week's class stays whole), and the auditor over both finds no one."""
    mixed(db_url, "Review", MONDAY, 3, 3)
    build(db_url, MONDAY + dt.timedelta(days=7))
    mixed(db_url, "Review", MONDAY + dt.timedelta(days=2), 1, 0)
    assert build(db_url, MONDAY + dt.timedelta(days=8)).startswith("Not released yet")
    mixed(db_url, "Review", MONDAY + dt.timedelta(days=3), 2, 2)
    assert build(db_url, MONDAY + dt.timedelta(days=8)).startswith("Release 2: 11 entries")
    found = findings(db_url)
    assert found.ok, found.describe()


def test_minutes_all_alike_are_not_summed(db_url: str):
    """Six entries with 0 minutes correcting (kept and fixed): a sum of 0 would tell each
    one, so minutes lost is not published; the saved sum is (5 and 20 differ)."""
    with session_scope(db_url) as session:
        plant(session, "Review", MONDAY, 3, saved=5, outcome="fixed")
        plant(session, "Review", MONDAY, 3, saved=20)
    build(db_url, MONDAY + dt.timedelta(days=7))
    [review] = view(db_url, MONDAY, MONDAY + dt.timedelta(days=6)).use_cases
    assert review.minutes.lost is None and review.minutes.lost_n == 0
    assert review.minutes.saved_self_reported == 75 and review.minutes.net_per_output is None


def test_every_pair_of_overlapping_periods_differs_by_whole_groups(db_url: str, tmp_path):
    """Twelve weeks of 0 to 7 entries over three use cases and two teams; every window of
    whole weeks against every window inside it: per use case and in total, the
    difference is nobody or at least k entries."""
    from tests.friction.conftest import load_teams

    load_teams(db_url, tmp_path)
    rng = random.Random(11)
    with session_scope(db_url) as session:
        for offset in range(12):
            for _ in range(rng.randrange(8)):
                plant(
                    session,
                    rng.choice(["Review", "Docs", "Tests"]),
                    MONDAY + dt.timedelta(days=7 * offset + rng.randrange(7)),
                    1,
                    correcting=rng.choice([0, 0, 5, 30]),
                    saved=rng.choice([None, 10, 45]),
                    outcome=rng.choice(["kept", "kept", "fixed", "discarded"]),
                    team=rng.choice([None, "eng-payments", "support"]),
                )
    build(db_url, MONDAY + dt.timedelta(days=7 * 20))
    windows = {
        (a, b): figures(
            view(db_url, MONDAY + dt.timedelta(days=7 * a), MONDAY + dt.timedelta(days=7 * b - 1))
        )
        for a in range(12)
        for b in range(a + 1, 13)
    }
    for (a, b), outer in windows.items():
        for (c, d), inner in windows.items():
            if a <= c and d <= b:
                for key, (n, _) in outer.items():
                    left = n - inner.get(key, (0, 0))[0]
                    assert left == 0 or left >= K, ((a, b), (c, d), key, outer, inner)
    found = findings(db_url)
    assert found.ok, found.describe()


def test_entries_arriving_one_a_day_are_released_only_in_groups_of_k(db_url: str):
    """A build every day while one entry arrives a day for ten weeks: the published count
    never moves by fewer than k, and the auditor, given every release, finds no one."""
    rng = random.Random(5)
    included = [0]
    for offset in range(70):
        day = MONDAY + dt.timedelta(days=offset)
        with session_scope(db_url) as session:
            outcome = rng.choice(["kept", "fixed", "discarded"])
            plant(session, "Review", day, 1, correcting=rng.choice([0, 3, 9]), outcome=outcome)
        build(db_url, day + dt.timedelta(days=1))
        with session_scope(db_url) as session:
            latest = session.scalars(
                select(Release).where(Release.dataset == "friction").order_by(Release.seq.desc())
            ).first()
            included.append(0 if latest is None else latest.included)
    steps = [b - a for a, b in itertools.pairwise(included) if b != a]
    assert steps and all(step >= K for step in steps), included
    found = findings(db_url)
    assert found.ok, found.describe()


def test_a_forged_per_request_release_is_caught(db_url: str):
    """A second release whose one class is the first release's class minus one entry, as a
    per-request view over a slightly shorter period would have published it: the auditor
    isolates the entry and determines its outcome."""
    mixed(db_url, "Review", MONDAY, 3, 4)
    build(db_url, MONDAY + dt.timedelta(days=7))
    assert findings(db_url).ok
    with session_scope(db_url) as session:
        first = session.scalars(select(Release).where(Release.dataset == "friction")).one()
        members = sorted(
            session.scalars(
                select(FrictionReleaseMember.entry_id).where(
                    FrictionReleaseMember.release_id == first.id
                )
            )
        )
        dropped = session.get(FrictionEntry, members[0])
        assert dropped is not None and dropped.outcome == "fixed"  # planted first
        forged = Release(
            dataset="friction",
            seq=2,
            built_at=first.built_at,
            cutoff=first.cutoff,
            answers_through=first.answers_through,
            min_group_size=K,
            included=len(members) - 1,
            withheld=0,
        )
        session.add(forged)
        session.flush()
        group = FrictionReleaseClass(
            release_id=forged.id,
            use_case="review",
            label="Review",
            team_id=None,
            level="week",
            start=MONDAY,
            end=MONDAY + dt.timedelta(days=6),
            n=len(members) - 1,
            outcomes=[4, 2, 0],
            corrected=2,
            minutes_lost=None,
            minutes_saved=None,
        )
        session.add(group)
        session.flush()
        session.add_all(
            FrictionReleaseMember(release_id=forged.id, entry_id=entry, class_id=group.id)
            for entry in members[1:]
        )
    caught = findings(db_url)
    assert not caught.ok and f"friction:{members[0]}" in caught.isolated


def test_build_all_builds_friction(db_url: str):
    mixed(db_url, "Review", MONDAY, 3, 3)
    with session_scope(db_url) as session:
        built = dict(build_all(session, POLICY, today=MONDAY + dt.timedelta(days=7)))
    assert built["Friction log"].message.startswith("Release 1: 6 entries")


def test_the_release_build_and_audit_commands_cover_friction(db_url: str):
    from typer.testing import CliRunner

    from gaplens.cli import app

    today = dt.date.today()
    mixed(db_url, "Review", today - dt.timedelta(days=today.weekday() + 7), 3, 3)
    runner = CliRunner()
    built = runner.invoke(app, ["release", "build", "--db", db_url])
    assert built.exit_code == 0, built.output
    assert "Friction log: Release 1: 6 entries" in built.output
    audited = runner.invoke(app, ["privacy", "audit", "--db", db_url])
    assert audited.exit_code == 0 and "Friction log (1 release): No disclosure" in audited.output
