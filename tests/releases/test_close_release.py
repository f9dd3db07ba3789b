"""The release at a survey's close: the close day counts as over, and the same rules hold,
so closing right after one more answer publishes no one (the auditor is the oracle)."""

from __future__ import annotations

import datetime as dt
import itertools
import random

import pytest
from sqlalchemy import select

from gaplens.db.engine import session_scope
from gaplens.errors import InputError
from gaplens.privacy import configured_policy
from gaplens.releases.audit import audit_survey
from gaplens.releases.closing import close_and_release
from gaplens.releases.models import Release
from gaplens.releases.service import build_survey_release
from gaplens.surveys.service import find_survey
from tests.releases.world import DAY, NESTED, Person, add_responses, make_teams

POLICY = configured_policy()


def included(url: str) -> int:
    with session_scope(url) as session:
        latest = session.scalars(select(Release).order_by(Release.seq.desc())).first()
        return 0 if latest is None else latest.included


def test_closing_after_one_more_answer_publishes_no_one(db_url: str):
    with session_scope(db_url) as session:
        make_teams(session, NESTED)
        add_responses(
            session, "Pulse", [Person("eng-payments", "manager", "6+", n % 4) for n in range(6)]
        )
    close_day = DAY + dt.timedelta(days=3)
    with session_scope(db_url) as session:  # the scheduled build on the close day's morning
        built = build_survey_release(
            session, find_survey(session, "Pulse"), POLICY, today=close_day
        )
        assert built.release is not None and built.release.included == 6
    with session_scope(db_url) as session:  # one answer on the close day, then the close
        add_responses(session, "Pulse", [Person("eng-payments", "manager", "6+", 1, day=close_day)])
    with session_scope(db_url) as session:
        at_close = close_and_release(
            session, find_survey(session, "Pulse"), POLICY, today=close_day
        )
        assert at_close.release is None and at_close.message.startswith("Not released yet")
    assert included(db_url) == 6  # the one late answer is never published alone
    with session_scope(db_url) as session:
        findings = audit_survey(session, find_survey(session, "Pulse")).findings
        assert findings.ok, findings.describe()
        with pytest.raises(InputError, match="already closed"):
            close_and_release(session, find_survey(session, "Pulse"), POLICY)


@pytest.mark.parametrize("seed", range(4))
def test_answers_trickling_in_until_the_close_are_released_only_in_groups_of_k(
    db_url: str, seed: int
):
    """Builds several times a day (each excludes the day under way), one to three answers a
    day, and the close on the last day: the published count moves only in steps of at least
    k, and every release together isolates no one."""
    rng = random.Random(seed)
    with session_scope(db_url) as session:
        make_teams(session, NESTED)
    counts = [0]
    last = DAY + dt.timedelta(days=9)
    for offset in range(10):
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
        for _ in range(2):  # the hourly schedule, twice on the same day
            with session_scope(db_url) as session:
                build_survey_release(session, find_survey(session, "Pulse"), POLICY, today=day)
            counts.append(included(db_url))
    with session_scope(db_url) as session:
        close_and_release(session, find_survey(session, "Pulse"), POLICY, today=last)
    counts.append(included(db_url))
    steps = [b - a for a, b in itertools.pairwise(counts) if b != a]
    assert steps and all(step >= POLICY.min_group_size for step in steps), counts
    with session_scope(db_url) as session:
        findings = audit_survey(session, find_survey(session, "Pulse")).findings
        assert findings.ok, findings.describe()
