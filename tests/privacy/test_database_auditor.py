"""The database-backed auditor (rule 3 across requests) on both backends, with members of
every kind the views use: response ids, and longer ones (prefixed person ids, logins)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from gaplens.audit.models import ViewedMember
from gaplens.audit.service import DatabaseQueryAuditor, stored_member
from gaplens.db.engine import session_scope
from gaplens.privacy import PrivacyPolicy, QueryRefused


def test_long_members_are_stored_hashed_and_still_compared_exactly(db_url: str):
    people = [f"metrics:{uuid.uuid4()}" for _ in range(12)]
    responses = [uuid.uuid4().hex for _ in range(6)]
    with session_scope(db_url) as session:
        auditor = DatabaseQueryAuditor(session, PrivacyPolicy())
        auditor.check_and_record("leader", frozenset(people[:10]))
        auditor.check_and_record("leader", frozenset(responses))
    with session_scope(db_url) as session:  # a new request: the history comes from the table
        auditor = DatabaseQueryAuditor(session, PrivacyPolicy())
        with pytest.raises(QueryRefused):
            auditor.check("leader", frozenset(people[:11]))  # one person more
        with pytest.raises(QueryRefused):
            auditor.check("leader", frozenset(responses[:5]))
        auditor.check("leader", frozenset(people[:10]))  # the same set again is allowed
        auditor.check("leader", frozenset(people[5:12]))  # 5 out, 2 in: 7 apart, allowed
        auditor.check("analyst", frozenset(people[:11]))  # another viewer
        stored = set(session.scalars(select(ViewedMember.member)))
        longest = session.scalar(select(func.max(func.length(ViewedMember.member))))
    assert longest == 32
    assert set(responses) <= stored  # response ids are kept as they are
    assert not any(p in stored for p in people)  # no raw person id in the table
    assert {stored_member(p) for p in people[:10]} <= stored
