"""Audit log writes, and the database-backed query auditor for privacy rule 3."""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.audit.models import AuditEvent, ViewedMember, ViewedSet
from gaplens.privacy import PrivacyGate, PrivacyPolicy, QueryRefused


def record(
    session: Session, actor: str, action: str, target: str, detail: dict[str, object] | None = None
) -> None:
    """Staff actions only: who viewed or exported which aggregate, never a respondent."""
    session.add(
        AuditEvent(
            at=dt.datetime.now(dt.UTC), actor=actor, action=action, target=target, detail=detail
        )
    )


MEMBER_LENGTH = 32
"""`viewed_member.member` holds 32 characters: an anonymous response id exactly."""


def stored_member(member: str) -> str:
    """A member as the table keeps it: a response id (32 characters) as it is; anything
    longer (a prefixed person id, a friction entry id, a Copilot login) as the first 32 hex
    digits of its SHA-256, so it fits, and no raw person id or login is stored. The mapping
    is fixed, so sets compare exactly as their members would (a collision with a response id
    has probability 2**-128)."""
    if len(member) <= MEMBER_LENGTH:
        return member
    return hashlib.sha256(member.encode()).hexdigest()[:MEMBER_LENGTH]


def fingerprint(members: frozenset[str]) -> str:
    digest = hashlib.sha256()
    for member in sorted(members):
        digest.update(member.encode())
        digest.update(b"\n")
    return digest.hexdigest()


class DatabaseQueryAuditor:
    """Keeps each viewer's released respondent sets in the store, so the differencing check
    holds across requests, server workers and restarts.

    Members are anonymous response ids (already salted hashes), or the populations of
    aggregate views over people, entries or logins, stored hashed (`stored_member`): the
    table links a staff member to aggregates they saw, never to an answer.
    """

    def __init__(
        self, session: Session, policy: PrivacyPolicy, threshold: int | None = None
    ) -> None:
        self.session = session
        self.threshold = threshold if threshold is not None else policy.min_group_size
        self._cache: dict[str, list[frozenset[str]]] = {}

    def _history(self, viewer: str) -> list[frozenset[str]]:
        if viewer not in self._cache:
            sets: dict[int, set[str]] = {}
            rows = self.session.execute(
                select(ViewedSet.id, ViewedMember.member)
                .join(ViewedMember, ViewedMember.set_id == ViewedSet.id)
                .where(ViewedSet.viewer == viewer)
            )
            for set_id, member in rows:
                sets.setdefault(set_id, set()).add(member)
            self._cache[viewer] = [frozenset(s) for s in sets.values()]
        return self._cache[viewer]

    def check(self, viewer: str, respondents: frozenset[str]) -> None:
        respondents = frozenset(map(stored_member, respondents))
        for earlier in self._history(viewer):
            # The size gap is a lower bound on the symmetric difference: a cheap skip.
            if abs(len(earlier) - len(respondents)) >= self.threshold:
                continue
            difference = len(earlier ^ respondents)
            if 0 < difference < self.threshold:
                raise QueryRefused(self.threshold)

    def record(self, viewer: str, respondents: frozenset[str]) -> None:
        respondents = frozenset(map(stored_member, respondents))
        history = self._history(viewer)
        if respondents in history:
            return
        history.append(respondents)
        viewed = ViewedSet(
            viewer=viewer, size=len(respondents), fingerprint=fingerprint(respondents)
        )
        self.session.add(viewed)
        self.session.flush()
        self.session.add_all(ViewedMember(set_id=viewed.id, member=m) for m in respondents)
        self.session.flush()

    def check_and_record(self, viewer: str, respondents: frozenset[str]) -> None:
        self.check(viewer, respondents)
        self.record(viewer, respondents)


def staff_gate(session: Session, policy: PrivacyPolicy) -> PrivacyGate:
    """The privacy gate for a staff view, remembering what each viewer saw (rule 3)."""
    return PrivacyGate(policy, auditor=DatabaseQueryAuditor(session, policy))
