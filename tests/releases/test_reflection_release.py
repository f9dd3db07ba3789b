"""The reflections release against the attacks of the review, with the auditor as oracle.

Participation (whether someone used their link) is the sensitive value: it is audited as a
0/1 answer with every class, confidence group, text group and later-usage group of every
release pooled, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random

import pytest
from sqlalchemy import select

from gaplens.db.engine import session_scope
from gaplens.metrics.schemas import MetricScope
from gaplens.privacy import PrivacyPolicy
from gaplens.reflections.service import reflections_summary
from gaplens.releases.models import Release
from gaplens.releases.reflections.audit import audit_reflections
from gaplens.releases.reflections.models import (
    ReflectionReleaseClass,
    ReflectionReleaseGroup,
    ReflectionReleaseMember,
)
from gaplens.releases.reflections.service import DATASET, build_reflection_release
from tests.releases.reflection_world import Invite, add_invitations, adversarial, make_org

POLICY = PrivacyPolicy()
K = POLICY.min_group_size
MARCH = dt.date(2026, 3, 1)
AFTER_MARCH = dt.date(2026, 4, 20)  # March is over and every March link has expired


def build(url: str, today: dt.date = AFTER_MARCH) -> str:
    with session_scope(url) as session:
        return build_reflection_release(session, POLICY, today=today).message


def findings(url: str):
    with session_scope(url) as session:
        return audit_reflections(session, k=K)


def summary(url: str, team: int | None = None, function: str | None = None, by: str = "function"):
    with session_scope(url) as session:
        scope = MetricScope(organisation_id=1, team_id=team, function=function)
        return reflections_summary(
            session, scope, MARCH, dt.date(2026, 3, 31), POLICY, by=by
        ).model_dump()


@pytest.mark.parametrize("seed", range(5))
def test_the_auditor_finds_nothing_in_a_release_of_an_adversarial_organisation(
    db_url: str, seed: int
):
    with session_scope(db_url) as session:
        make_org(session)
        add_invitations(session, adversarial(seed, MARCH))
    assert build(db_url).startswith("Release 1"), build(db_url)
    result = findings(db_url)
    assert result.ok, result.describe()
    with session_scope(db_url) as session:
        for row in session.scalars(select(ReflectionReleaseClass)):
            assert row.n >= K
            if row.kind == "invitation":  # some but never all links used
                assert row.used is not None and 0 < row.used < row.n
            assert row.function != "Legal"  # one person reflected there: never on its own
        for group in session.scalars(select(ReflectionReleaseGroup)):
            if group.kind == "confidence":
                assert group.n >= K and max(group.counts["ratings"]) < group.n
            if group.kind == "texts":
                assert group.n >= POLICY.min_comment_group_size


def test_every_view_is_a_sum_of_released_groups_so_parent_minus_children_isolates_no_one(
    db_url: str,
):
    with session_scope(db_url) as session:
        teams = make_org(session)
        add_invitations(session, adversarial(3, MARCH))
    build(db_url)

    def sent(**scope: object) -> list[tuple[int, int]]:
        steps = summary(db_url, **scope)["steps"]  # type: ignore[arg-type]
        return [(s["invited"] or 0, s["reflected"] or 0) for s in steps]

    whole = sent()
    views = [
        sent(team=teams["eng"]),
        sent(team=teams["eng-payments"]),
        sent(team=teams["eng-ledger"]),
        sent(function="Engineering"),
        sent(function="Legal"),
    ]
    pairs = [(whole, view) for view in views] + [(views[0], views[1]), (views[0], views[2])]
    children = [(a[0] + b[0], a[1] + b[1]) for a, b in zip(views[1], views[2], strict=True)]
    pairs.append((views[0], children))
    pairs.append((views[3], views[0]))
    for parent, child in pairs:
        for (n_parent, _), (n_child, _) in zip(parent, child, strict=True):
            assert n_parent - n_child == 0 or n_parent - n_child >= K
    assert all(n == 0 for n, _ in sent(function="Legal"))
    # rows by function never list Legal, and are the same whatever the viewer asked before
    rows = summary(db_url)["steps"][0]["groups"]
    assert "Legal" not in [r["label"] for r in rows]
    assert summary(db_url) == summary(db_url)


def test_invitations_answered_one_a_day_across_a_month_boundary(db_url: str):
    """One new invitation a day from 20 January to 10 February, a build every day: a month
    enters only once it is over and its links have expired, the published counts move only
    by whole released classes, and the auditor, given every release, finds no one."""
    rng = random.Random(11)
    with session_scope(db_url) as session:
        make_org(session)
    sent: list[tuple[int, int]] = [(0, 0)]
    day = dt.date(2026, 1, 20)
    while day <= dt.date(2026, 3, 31):
        if day <= dt.date(2026, 2, 10):
            team = rng.choice(("eng-payments", "support", "eng"))
            with session_scope(db_url) as session:
                add_invitations(session, [Invite(team, "now", day, day.day % 2 == 0, 3)])
        build(db_url, today=day + dt.timedelta(days=1))
        with session_scope(db_url) as session:
            rows = session.scalars(
                select(ReflectionReleaseClass).where(ReflectionReleaseClass.kind == "invitation")
            ).all()
            sent.append((sum(r.n for r in rows), sum(r.used or 0 for r in rows)))
            first = session.scalars(select(Release).where(Release.dataset == DATASET)).first()
            if first is not None:
                assert first.cutoff > dt.date(2026, 2, 14), "January before its links expired"
        day += dt.timedelta(days=1)
    moves = [(b[0] - a[0], b[1] - a[1]) for a, b in itertools.pairwise(sent) if b != a]
    assert moves, "some release was made"
    for invited, used in moves:
        assert invited >= K and 0 < used < invited  # a whole mixed class, never one person
    result = findings(db_url)
    assert result.ok, result.describe()
    assert build(db_url, today=dt.date(2026, 4, 1)).startswith(("No new", "Not released"))


def test_a_forged_release_is_caught(db_url: str):
    """What a per-request design would have published: a class of the largest released one
    minus one invitation, and Engineering beside its two child teams (parent minus children
    leaves Engineering's own one or two invitees). The auditor names both."""
    with session_scope(db_url) as session:
        make_org(session)
        add_invitations(session, adversarial(2, MARCH))
    build(db_url)
    assert findings(db_url).ok
    with session_scope(db_url) as session:
        first = session.scalars(select(Release).where(Release.dataset == DATASET)).one()
        largest = max(
            session.scalars(
                select(ReflectionReleaseClass).where(ReflectionReleaseClass.kind == "invitation")
            ),
            key=lambda c: c.n,
        )
        members = sorted(
            session.scalars(
                select(ReflectionReleaseMember.member).where(
                    ReflectionReleaseMember.class_id == largest.id
                )
            )
        )
        forged = Release(
            dataset=DATASET,
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
        group = ReflectionReleaseClass(
            release_id=forged.id,
            kind="invitation",
            step=largest.step,
            period=largest.period,
            n=len(members) - 1,
            used=None,
        )
        session.add(group)
        session.flush()
        session.add_all(
            ReflectionReleaseMember(release_id=forged.id, member=m, class_id=group.id)
            for m in members[1:]
        )
    caught = findings(db_url)
    assert not caught.ok and members[0] in caught.isolated


def test_a_naive_parent_and_children_release_is_caught(db_url: str):
    """Per-request figures for Engineering and for its two child teams (no coarsening):
    parent minus children is Engineering's own one or two invitees, which the auditor finds."""
    from gaplens.directory.models import Person, Team
    from gaplens.reflections.models import ReflectionInvitation

    with session_scope(db_url) as session:
        make_org(session)
        add_invitations(session, adversarial(4, MARCH))
    build(db_url)
    with session_scope(db_url) as session:
        first = session.scalars(select(Release).where(Release.dataset == DATASET)).one()
        rows = session.execute(
            select(ReflectionInvitation.id, Team.key)
            .join(Person, Person.id == ReflectionInvitation.person_id)
            .join(Team, Team.id == Person.team_id)
            .where(ReflectionInvitation.step == "now")
        ).all()
        parent = sorted(i for i, team in rows if team.startswith("eng"))
        children = sorted(i for i, team in rows if team in ("eng-payments", "eng-ledger"))
        for seq, members in ((2, parent), (3, children)):
            naive = Release(
                dataset=DATASET,
                seq=seq,
                built_at=first.built_at,
                cutoff=first.cutoff,
                answers_through=first.answers_through,
                min_group_size=K,
                included=len(members),
                withheld=0,
            )
            session.add(naive)
            session.flush()
            group = ReflectionReleaseClass(
                release_id=naive.id, kind="invitation", step="now", period="2026-03", n=len(members)
            )
            session.add(group)
            session.flush()
            session.add_all(
                ReflectionReleaseMember(release_id=naive.id, member=m, class_id=group.id)
                for m in members
            )
    # two per-request views (a member sits in one class per release): the auditor pools them
    own = set(parent) - set(children)
    caught = findings(db_url)
    assert not caught.ok
    assert any(set(group) <= own for group in caught.small_groups), caught.describe()
