"""Task-map releases against the attacks of the review, with the auditor as the oracle.

Each test builds releases of an adversarial task round in a real database (SQLite and
PostgreSQL) and hands everything ever published for the round to the auditor.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random

import pytest
from sqlalchemy import select

from gaplens.db.engine import session_scope
from gaplens.privacy import PrivacyPolicy
from gaplens.privacy.disclosure import AuditFindings
from gaplens.releases.models import Release, ReleaseClass, ReleaseHistogram, ReleaseMember
from gaplens.releases.service import build_all
from gaplens.releases.tasks.audit import audit_task_round
from gaplens.releases.tasks.service import build_task_release
from gaplens.tasks.service import find_round
from gaplens.tasks.views import TaskScope, task_map
from tests.releases.task_world import (
    DAY,
    TREE,
    Answer,
    Respondent,
    add_respondents,
    adversarial_people,
    person,
    setup_round,
)

POLICY = PrivacyPolicy()
AFTER = DAY + dt.timedelta(days=1)


def build(url: str, today: dt.date = AFTER) -> str:
    with session_scope(url) as session:
        return build_task_release(session, find_round(session, None), POLICY, today=today).message


def audit(url: str) -> AuditFindings:
    with session_scope(url) as session:
        return audit_task_round(session, find_round(session, None))[1]


@pytest.mark.parametrize("seed", range(5))
def test_the_auditor_finds_nothing_in_a_release_of_an_adversarial_round(db_url: str, seed: int):
    with session_scope(db_url) as session:
        setup_round(session)
        add_respondents(session, adversarial_people(seed))
    assert build(db_url).startswith("Release 1")
    findings = audit(db_url)
    assert findings.ok, findings.describe()
    with session_scope(db_url) as session:
        classes = session.execute(select(ReleaseClass.function, ReleaseClass.n)).all()
        assert classes and min(n for _, n in classes) >= POLICY.min_group_size
        assert "Legal" not in {function for function, _ in classes}  # one respondent
        for answered, counts in session.execute(
            select(ReleaseHistogram.answered, ReleaseHistogram.counts)
        ):
            assert answered >= POLICY.min_group_size
            assert max(counts) < answered  # never all alike


def test_every_cell_is_a_sum_of_released_groups_so_differences_isolate_no_one(db_url: str):
    """Parent minus children, a function minus a team: every difference a viewer can take
    is 0 or at least k, for counts and for every task's answers."""
    with session_scope(db_url) as session:
        setup_round(session)
        add_respondents(session, adversarial_people(3))
    build(db_url)
    k = POLICY.min_group_size
    with session_scope(db_url) as session:

        def view(**scope: str) -> dict[str, int]:
            shown = task_map(session, None, TaskScope(**scope))
            found = {"n": shown.n or 0}
            for f in shown.functions:
                for t in [*f.candidates, *f.protect]:
                    found[t.key] = t.n
            return found

        everyone = view()
        for a, b in [
            (everyone, view(team="eng")),
            (view(team="eng"), view(team="eng-payments")),
            (view(team="eng"), view(team="eng-ledger")),
            (everyone, view(function="Support")),
            (view(function="Engineering"), view(team="eng-payments")),
        ]:
            for key, n in a.items():
                assert n - b.get(key, 0) == 0 or n - b.get(key, 0) >= k
        parent = view(team="eng")["n"]
        children = view(team="eng-payments")["n"] + view(team="eng-ledger")["n"]
        assert parent - children == 0 or parent - children >= k


def test_answers_arriving_one_a_day_are_released_only_in_groups_of_k(db_url: str):
    """A build a day while answers trickle in: the published count never moves by fewer
    than k, and the auditor, given every release together, finds no one."""
    rng = random.Random(11)
    with session_scope(db_url) as session:
        setup_round(session)
    included = [0]
    teams = [t for t in TREE if t != "legal"]
    for offset in range(16):
        day = DAY + dt.timedelta(days=offset)
        people = [
            person(rng, rng.choice(teams), ("Expense reports",) if rng.random() < 0.7 else (), day)
            for _ in range(rng.randint(1, 3))
        ]
        with session_scope(db_url) as session:
            add_respondents(session, people)
        build(db_url, today=day + dt.timedelta(days=1))
        with session_scope(db_url) as session:
            latest = session.scalars(select(Release).order_by(Release.seq.desc())).first()
            included.append(0 if latest is None else latest.included)
    steps = [b - a for a, b in itertools.pairwise(included) if b != a]
    assert len(steps) >= 2, included
    assert all(step >= POLICY.min_group_size for step in steps), included
    findings = audit(db_url)
    assert findings.ok, findings.describe()


def test_a_day_is_released_only_once_it_is_over(db_url: str):
    with session_scope(db_url) as session:
        setup_round(session)
        add_respondents(session, adversarial_people(1))
    assert build(db_url, today=DAY).startswith("Not released yet")
    assert build(db_url, today=AFTER).startswith("Release 1")
    # the one Legal respondent stays withheld: nothing new can be shown, so no release
    assert build(db_url, today=AFTER + dt.timedelta(days=3)).startswith("Not released yet")


def test_a_free_task_is_named_only_by_ten_and_its_non_namers_stay_in_groups(db_url: str):
    """Eleven of sixteen support people typed 'Expense reports': named, with its figures.
    'Night shifts' typed by nine is never named, and neither is anything about who typed."""
    rng = random.Random(5)
    people = [
        person(rng, "support", ("Expense reports",) + (("Night shifts",) if n < 9 else ()))
        for n in range(11)
    ] + [person(rng, "support") for _ in range(5)]
    with session_scope(db_url) as session:
        setup_round(session)
        add_respondents(session, people)
    build(db_url)
    with session_scope(db_url) as session:
        support = task_map(session, None, TaskScope(function="Support")).functions[0]
        assert [(t.label, t.n) for t in support.free_tasks] == [("Expense reports", 11)]
    assert audit(db_url).ok


def test_a_unanimous_task_is_not_published_and_the_page_says_why(db_url: str):
    """Six engineers who all hate boilerplate: publishing that tells each one's stance."""
    alike = {"boilerplate": Answer("hate", 6.0, 1)}
    people = [
        Respondent(
            "eng-payments",
            "Engineering",
            {
                **alike,
                "tests": Answer("keep", float(n), 1 + n % 5),
                "design": Answer(("keep", "hate", "neither")[n % 3], float(n), 1 + (n + 1) % 5),
            },
        )
        for n in range(6)
    ]
    with session_scope(db_url) as session:
        setup_round(session)
        add_respondents(session, people)
    build(db_url)
    with session_scope(db_url) as session:
        eng = task_map(session, None, TaskScope()).functions[0]
        assert eng.n == 6
        assert "Boilerplate" in eng.withheld_tasks and "Tests" in eng.withheld_tasks
        shown = {t.key for t in [*eng.candidates, *eng.protect]}
        assert "boilerplate" not in shown
    assert audit(db_url).ok


def test_build_all_builds_task_rounds_too(db_url: str):
    with session_scope(db_url) as session:
        setup_round(session)
        add_respondents(session, adversarial_people(4))
    with session_scope(db_url) as session:
        built = dict(build_all(session, POLICY, today=AFTER))
        assert built["Task round Task map"].message.startswith("Release 1")


def test_a_forged_per_request_release_is_caught(db_url: str):
    """A second release whose one class is the first's largest class minus one respondent,
    as a per-request design answering "children first, parent last" would have published:
    the auditor isolates the missing respondent."""
    with session_scope(db_url) as session:
        setup_round(session)
        add_respondents(session, adversarial_people(2))
    build(db_url)
    assert audit(db_url).ok
    with session_scope(db_url) as session:
        first = session.scalars(select(Release)).one()
        largest = max(
            session.scalars(select(ReleaseClass).where(ReleaseClass.release_id == first.id)),
            key=lambda c: c.n,
        )
        members = sorted(
            session.scalars(
                select(ReleaseMember.response_id).where(ReleaseMember.class_id == largest.id)
            )
        )
        forged = Release(
            dataset=first.dataset,
            seq=2,
            built_at=first.built_at,
            cutoff=first.cutoff,
            answers_through=first.answers_through,
            min_group_size=5,
            included=len(members) - 1,
            withheld=0,
        )
        session.add(forged)
        session.flush()
        group = ReleaseClass(release_id=forged.id, function=largest.function, n=len(members) - 1)
        session.add(group)
        session.flush()
        session.add_all(
            ReleaseMember(release_id=forged.id, response_id=rid, class_id=group.id)
            for rid in members[1:]
        )
    findings = audit(db_url)
    assert not findings.ok
    assert members[0] in findings.isolated
