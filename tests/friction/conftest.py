"""Planted friction entries for the service, scorecard and web tests."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.db.engine import session_scope
from gaplens.directory.models import Team
from gaplens.directory.service import import_teams
from gaplens.friction.models import FrictionEntry
from tests.files import TEAMS, write_csv

_ids = itertools.count(1)


def load_teams(url: str, tmp_path: Path) -> None:
    with session_scope(url) as session:
        import_teams(session, write_csv(tmp_path / "teams.csv", TEAMS), "Acme")


def plant(
    session: Session,
    use_case: str,
    day: dt.date,
    count: int,
    *,
    correcting: int = 0,
    saved: int | None = None,
    outcome: str = "kept",
    team: str | None = None,
    note: str | None = None,
) -> None:
    """`count` identical entries (each its own row), as if logged through the form."""
    team_id = None
    if team is not None:
        team_id = session.scalars(select(Team.id).where(Team.key == team)).one()
    for _ in range(count):
        session.add(
            FrictionEntry(
                id=f"planted-{next(_ids):08d}",
                logged_on=day,
                use_case=use_case,
                tool="GitHub Copilot",
                minutes_correcting=correcting,
                minutes_saved=saved,
                severity="medium",
                outcome=outcome,
                team_id=team_id,
                note=note,
                source="web",
                import_run_id=None,
            )
        )
    session.flush()


JAN = dt.date(2026, 1, 15)
FEB = dt.date(2026, 2, 10)
START, END = dt.date(2026, 1, 1), dt.date(2026, 3, 31)


def plant_standard(url: str) -> None:
    """Code review (20, rising), meeting notes (9 with notes), two tiny use cases (3 + 2)."""
    with session_scope(url) as session:
        # Code review, January: 2 fixed (10 min, saved 30) and 8 kept (saved 15); 2/10 corrected
        plant(
            session,
            "Code review",
            JAN,
            2,
            correcting=10,
            saved=30,
            outcome="fixed",
            team="eng-payments",
            note="Invented an API that does not exist",
        )
        plant(
            session,
            "code-review",
            JAN,
            8,
            saved=15,
            team="eng-payments",
            note="Fine <script>alert(1)</script>",
        )
        # February: 5 fixed (20 min, saved 10), 4 discarded (30 min, claimed 20), 1 kept
        plant(
            session,
            "Code review",
            FEB,
            5,
            correcting=20,
            saved=10,
            outcome="fixed",
            team="eng-payments",
        )
        plant(
            session,
            "Code review",
            FEB,
            4,
            correcting=30,
            saved=20,
            outcome="discarded",
            team="support",
        )
        plant(session, "Code review", FEB, 1, team="support")
        # 20 code-review entries: Payments 15, Support 5
        plant(session, "Meeting notes", JAN, 9, saved=5, note="Summary missed the decision")
        plant(session, "Tiny", FEB, 3, correcting=5, outcome="fixed")
        plant(session, "Odd one", FEB, 2)
