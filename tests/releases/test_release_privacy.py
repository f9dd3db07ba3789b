"""Releases against the attacks of the review, with the auditor as the oracle.

Each test builds releases from an adversarial organisation in a real database (SQLite and
PostgreSQL) and hands everything ever published to the auditor, which solves the system
(linear algebra, then integer feasibility with the 0/1 constraints of real answers).
"""

from __future__ import annotations

import datetime as dt
import itertools
import random

import pytest
from sqlalchemy import select

from gaplens.db.engine import session_scope
from gaplens.perception.filters import PopulationFilter
from gaplens.perception.service import released_perception
from gaplens.privacy import PrivacyPolicy
from gaplens.releases.audit import audit_survey
from gaplens.releases.models import Release, ReleaseClass, ReleaseHistogram
from gaplens.releases.service import build_survey_release
from gaplens.surveys.service import find_survey
from tests.releases.world import (
    DAY,
    NESTED,
    Person,
    add_responses,
    adversarial_people,
    make_teams,
)

POLICY = PrivacyPolicy()
AFTER = DAY + dt.timedelta(days=1)


def build(url: str, today: dt.date = AFTER) -> str:
    with session_scope(url) as session:
        return build_survey_release(
            session, find_survey(session, "Pulse"), POLICY, today=today
        ).message


def audit(url: str):
    with session_scope(url) as session:
        return audit_survey(session, find_survey(session, "Pulse")).findings


@pytest.mark.parametrize("seed", range(6))
def test_the_auditor_finds_nothing_in_a_release_of_an_adversarial_organisation(
    db_url: str, seed: int
):
    with session_scope(db_url) as session:
        make_teams(session, NESTED)
        add_responses(session, "Pulse", adversarial_people(seed))
    assert build(db_url).startswith("Release 1")
    findings = audit(db_url)
    assert findings.ok, findings.describe()
    with session_scope(db_url) as session:
        sizes = session.scalars(select(ReleaseClass.n)).all()
        assert sizes and min(sizes) >= POLICY.min_group_size
        for answered, counts in session.execute(
            select(ReleaseHistogram.answered, ReleaseHistogram.counts)
        ):
            assert answered >= POLICY.min_group_size
            assert max(counts) < answered  # never all alike: that would tell each answer


def test_every_view_is_a_sum_of_released_groups_so_differences_isolate_no_one(db_url: str):
    """Parent minus children, a function minus a team, a team minus its tenure bands: each
    difference a viewer can take is 0 or at least k, because every view sums whole groups."""
    with session_scope(db_url) as session:
        make_teams(session, NESTED)
        add_responses(session, "Pulse", adversarial_people(3))
    build(db_url)
    k = POLICY.min_group_size
    with session_scope(db_url) as session:
        survey = find_survey(session, "Pulse")

        def n(**filters: str | None) -> int:
            return (
                released_perception(session, survey, PopulationFilter(**filters)).respondents or 0
            )

        bands = ("none", "<1", "1-6", "6+")
        nested = [(n(), n(team=team)) for team in NESTED]
        nested += [(n(team=team), n(team=team, ai_tenure=b)) for team in NESTED for b in bands]
        nested += [
            (n(team="eng"), n(team="eng-payments")),
            (n(team="eng"), n(team="eng-ledger")),
            (n(function="Engineering"), n(team="eng-payments")),
            (n(), n(function="Support")),
        ]
        for whole, part in nested:
            assert whole - part == 0 or whole - part >= k
        for team in NESTED:  # a team minus all but one of its tenure bands
            whole = n(team=team)
            for left_out in bands:
                rest = sum(n(team=team, ai_tenure=b) for b in bands if b != left_out)
                assert whole - rest == 0 or whole - rest >= k
        parent = n(team="eng")
        children = n(team="eng-payments") + n(team="eng-ledger")
        assert parent - children == 0 or parent - children >= k


def test_answers_arriving_one_at_a_time_are_released_only_in_groups_of_k(db_url: str):
    """A release a day while answers trickle in: the auditor, given every release together,
    finds no one, and the published count never moves by fewer than k."""
    rng = random.Random(7)
    with session_scope(db_url) as session:
        make_teams(session, NESTED)
    included = [0]
    for offset in range(14):
        day = DAY + dt.timedelta(days=offset)
        people = [
            Person(
                rng.choice(list(NESTED)),
                rng.choice(("manager", "individual_contributor")),
                rng.choice(("1-6", "6+")),
                rng.randrange(4),
                day=day,
            )
            for _ in range(rng.randint(1, 3))
        ]
        with session_scope(db_url) as session:
            add_responses(session, "Pulse", people)
        build(db_url, today=day + dt.timedelta(days=1))
        with session_scope(db_url) as session:
            latest = session.scalars(select(Release).order_by(Release.seq.desc())).first()
            included.append(0 if latest is None else latest.included)
    steps = [b - a for a, b in itertools.pairwise(included) if b != a]
    assert steps, "some release was made"
    assert all(step >= POLICY.min_group_size for step in steps), included
    findings = audit(db_url)
    assert findings.ok, findings.describe()


def test_a_day_is_released_only_once_it_is_over(db_url: str):
    with session_scope(db_url) as session:
        make_teams(session, NESTED)
        add_responses(session, "Pulse", adversarial_people(1))
    assert build(db_url, today=DAY).startswith("Not released yet")
    assert build(db_url, today=AFTER).startswith("Release 1")
    assert build(db_url, today=AFTER + dt.timedelta(days=3)).startswith("No new responses")


def test_a_unanimous_group_is_not_published_but_its_size_may_be(db_url: str):
    """Six people who all chose 'high gains': publishing that tells each one's answer."""
    with session_scope(db_url) as session:
        make_teams(session, {"acme": None})
        add_responses(
            session, "Pulse", [Person("acme", "individual_contributor", None, 0) for _ in range(6)]
        )
    build(db_url)
    with session_scope(db_url) as session:
        shown = released_perception(session, find_survey(session, "Pulse"))
        assert shown.respondents == 6
        group = shown.figures["productivity_impact"].groups["everyone"]
        assert group.shares is None and "all alike" in (group.reason or "")
    assert audit(db_url).ok


def test_numbers_are_published_only_as_bins(db_url: str):
    """An identifying number (all in one wide bin) is never published; ordinary numbers give
    a median whose interval covers the true one."""
    rng = random.Random(3)
    speeds = [rng.uniform(-30, 60) for _ in range(40)]
    with session_scope(db_url) as session:
        make_teams(session, {"acme": None})
        add_responses(
            session,
            "Pulse",
            [
                Person("acme", "individual_contributor", None, i % 4, speedup=value)
                for i, value in enumerate(speeds)
            ],
        )
    build(db_url)
    with session_scope(db_url) as session:
        shown = released_perception(session, find_survey(session, "Pulse"))
        median = shown.figures["perceived_speedup"].groups["everyone"].number
        assert median is not None and median.mean is None
        true = sorted(speeds)[19:21]
        assert median.median.low <= sum(true) / 2 <= median.median.high


def test_release_build_and_privacy_audit_from_the_command_line(db_url: str):
    """An organisation audits its own store: exit 0 when nothing can be worked out, and a
    hand-made release that publishes a tracker pair is caught (exit 1), naming no answer."""
    from typer.testing import CliRunner

    from gaplens.cli import app
    from gaplens.releases.models import ReleaseMember

    with session_scope(db_url) as session:
        make_teams(session, NESTED)
        add_responses(session, "Pulse", adversarial_people(2))
    runner = CliRunner()
    built = runner.invoke(app, ["release", "build", "--db", db_url])
    assert built.exit_code == 0 and "Pulse: " in built.output
    clean = runner.invoke(app, ["privacy", "audit", "--db", db_url])
    assert clean.exit_code == 0, clean.output
    assert "No disclosure found" in clean.output

    # Tamper: a second release whose one class is the first release's largest class minus
    # one response, as a per-request design would have published it.
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
        group = ReleaseClass(release_id=forged.id, n=len(members) - 1)
        session.add(group)
        session.flush()
        session.add_all(
            ReleaseMember(release_id=forged.id, response_id=rid, class_id=group.id)
            for rid in members[1:]
        )
    caught = runner.invoke(app, ["privacy", "audit", "--db", db_url, "--survey", "Pulse"])
    assert caught.exit_code == 1
    assert "isolated" in caught.output and members[0] in caught.output


def test_comments_are_published_per_group_of_ten_writers_and_never_follow_writing_order(
    db_url: str,
):
    """Twelve people in Support and three in Payments wrote a comment: the three are not in
    a group of ten, so Payments has no comments and the organisation's are Support's."""
    from gaplens.releases.models import ReleaseComment
    from gaplens.report.scope import ScopeRequest, resolve_scope
    from gaplens.report.service import comments_section
    from gaplens.surveys.models import BankQuestion, SurveyAnswer, SurveyQuestion

    with session_scope(db_url) as session:
        make_teams(session, NESTED)
        people = [Person("support", "individual_contributor", None, i % 4) for i in range(12)]
        people += [Person("eng-payments", "individual_contributor", None, i % 4) for i in range(8)]
        ids = add_responses(session, "Pulse", people)
        survey = find_survey(session, "Pulse")
        comment = session.scalars(
            select(BankQuestion.id)
            .join(SurveyQuestion, SurveyQuestion.question_id == BankQuestion.id)
            .where(SurveyQuestion.survey_id == survey.id, BankQuestion.scale == "text")
        ).first()
        assert comment is not None
        writers = ids[:12] + ids[12:15]
        session.add_all(
            SurveyAnswer(response_id=rid, question_id=comment, ordinal=0, text=f"note {n}")
            for n, rid in enumerate(writers)
        )
    build(db_url)
    with session_scope(db_url) as session:
        stored = list(session.scalars(select(ReleaseComment.text)))
        assert sorted(stored) == sorted(f"note {n}" for n in range(12))
        assert stored != [f"note {n}" for n in range(12)]  # not in writing order
        whole = comments_section(session, find_survey(session, "Pulse"))
        assert whole.n == 12 and {c["month"] for c in whole.comments} == {"2026-09"}
        payments = resolve_scope(session, ScopeRequest("team", "eng-payments"))
        assert comments_section(session, find_survey(session, "Pulse"), payments).n is None
