"""Adversarial reflection data written straight into a real database: invitations with
issued links (some used, through the real spent tags), entries and AI-usage days."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.directory.models import Organisation, Person, Team
from gaplens.directory.schemas import RoleLevel
from gaplens.reflections.models import ReflectionEntry, ReflectionInvitation
from gaplens.spent.service import REFLECTION, spend
from gaplens.telemetry.models import AiUsageDay

TREE = {
    "acme": None,
    "eng": "acme",
    "eng-payments": "eng",
    "eng-ledger": "eng",
    "support": "acme",
    "legal": "acme",
}
FUNCTIONS = {"acme": "Leadership", "legal": "Legal", "support": "Support"}


@dataclass(frozen=True)
class Invite:
    team: str
    step: str
    due: dt.date
    used: bool
    confidence: int | None = None
    person: str | None = None
    active_after: int = 0
    active_before: int = 0


def make_org(session: Session) -> dict[str, int]:
    org = Organisation(name="Acme")
    session.add(org)
    session.flush()
    ids: dict[str, int] = {}
    for key, parent in TREE.items():
        team = Team(
            organisation_id=org.id,
            key=key,
            name=key.title(),
            function=FUNCTIONS.get(key, "Engineering"),
            parent_id=None if parent is None else ids[parent],
        )
        session.add(team)
        session.flush()
        ids[key] = team.id
    return ids


def add_invitations(session: Session, invites: list[Invite]) -> list[str]:
    """One person per invitation unless named; returns the invitation ids in order."""
    org = session.scalars(select(Organisation.id)).one()
    teams = dict(session.execute(select(Team.key, Team.id)).all())
    known = set(session.scalars(select(Person.id)))
    found = []
    for invite in invites:
        person = invite.person or uuid.uuid4().hex
        if person not in known:
            known.add(person)
            session.add(
                Person(
                    id=person,
                    organisation_id=org,
                    email=f"{person}@acme.example",
                    display_name=person,
                    role_level=RoleLevel("individual_contributor"),
                    function=FUNCTIONS.get(invite.team, "Engineering"),
                    team_id=teams[invite.team],
                )
            )
            session.flush()
        trigger = invite.due - dt.timedelta(days={"now": 0, "day1": 1, "week1": 7}[invite.step])
        token_hash = hashlib.sha256(uuid.uuid4().bytes).hexdigest()
        invitation = ReflectionInvitation(
            id=str(uuid.uuid4()),
            series_id=str(uuid.uuid4()),
            person_id=person,
            trigger="training",
            trigger_on=trigger,
            step=invite.step,
            due_on=invite.due,
            token_hash=token_hash,
            link_issued_on=invite.due,
        )
        session.add(invitation)
        session.flush()
        found.append(invitation.id)
        if invite.used:
            assert spend(session, REFLECTION, token_hash)
            session.add(
                ReflectionEntry(
                    id=uuid.uuid4().hex,
                    source="link",
                    step=invite.step,
                    function=FUNCTIONS.get(invite.team, "Engineering"),
                    written_in=invite.due.replace(day=1),
                    learned=f"Summaries of long threads save time, note {len(found)}",
                    means=None,
                    confidence=invite.confidence,
                )
            )
        for offset in range(invite.active_after):
            _active(session, person, invite.due + dt.timedelta(days=1 + offset))
        for offset in range(invite.active_before):
            _active(session, person, trigger - dt.timedelta(days=1 + offset))
    session.flush()
    return found


def _active(session: Session, person: str, day: dt.date) -> None:
    if session.get(AiUsageDay, (person, day, "chat", "web")) is None:
        session.add(AiUsageDay(person_id=person, day=day, tool="chat", app="web"))


def adversarial(seed: int, month: dt.date) -> list[Invite]:
    """Parents keeping one or two direct invitees, children of 3-9, a function (Legal) in
    which exactly one person reflected, every step, links used about half the time."""
    rng = random.Random(seed)
    invites = []
    for team, size in (
        ("acme", rng.choice((1, 2))),
        ("eng", rng.choice((1, 2))),
        ("eng-payments", rng.randint(5, 9)),
        ("eng-ledger", rng.randint(3, 9)),
        ("support", rng.randint(6, 14)),
        ("legal", 3),
    ):
        for n in range(size):
            person = f"{team}-{n}-{seed}-{month:%Y%m}"
            for step in ("now", "day1", "week1"):
                used = (team == "legal" and n == 0 and step == "now") or (
                    team != "legal" and rng.random() < 0.5
                )
                invites.append(
                    Invite(
                        team,
                        step,
                        month + dt.timedelta(days=rng.randrange(20)),
                        used,
                        rng.choice((None, 2, 3, 4, 5)),
                        person,
                    )
                )
    return invites
