"""A synthetic 10,000-person organisation with a year of data, for the full-report benchmark.

Every part of the report's measured section gets data, written straight into the domain
tables (and the Copilot tool tables the scorecard reads) with Core inserts, so building it
takes a minute rather than the hours the real importers would need for these volumes:

- 10,000 persons in 100 teams (20 top-level teams, 14 engineering and 6 support, with 4
  sub-teams each; about 5% of people sit in a top-level team itself), 1% executives and 9%
  managers; 80% hold an AI licence (January to June), and 75% of those adopt AI after their
  licence (February to November); adopters were about 10% faster before (selection) and are
  20% faster from 14 days after adoption (the planted effect).
- Engineers (70%) work issues (about 2 a week, sprints, story points), support agents tickets
  (about 3 a week); ~1.2M work items with reopen and rework counts.
- AI usage per person-day: engineers on GitHub Copilot (an `ai_usage_day` row with counts and
  a `copilot_user_day` row with `totals_by_feature`, compact as the connector stores it, and
  its `copilot_user_day_feature` rows, as the importer writes them),
  support on Microsoft 365 Copilot (an "any" row plus one row per app); a fifth of adopters
  stop after their first month (performative adoption).
- Training for half of the licensed, certification for a fifth; 15,000 friction entries and
  2,000 feedback items over seven use cases (two that help, two that hurt); one survey with
  about 3,000 responses (productivity impact, perceived speed-up, job security, involvement).

One calendar year (2025); the report is built as of 2025-12-31.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import numpy as np
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from gaplens.db.engine import session_scope
from gaplens.db.migrate import upgrade
from gaplens.directory.models import Organisation, Person, Team
from gaplens.directory.schemas import RoleLevel
from gaplens.feedback.models import FeedbackItem
from gaplens.friction.models import FrictionEntry
from gaplens.imports.models import ImportRun
from gaplens.privacy import PrivacyPolicy
from gaplens.releases.service import build_all
from gaplens.surveys.models import BankQuestion, SurveyAnswer, SurveyResponse
from gaplens.surveys.service import get_or_create_survey
from gaplens.telemetry.models import AiUsageDay, TrainingRecord
from gaplens.telemetry.schemas import GITHUB_COPILOT, M365_COPILOT
from gaplens.telemetry.service import FEATURE_COUNTS
from gaplens.telemetry.tools import M365_APPS, CopilotUserDay, CopilotUserDayFeature
from gaplens.work.models import WorkItem
from gaplens.work.schemas import ISSUE, TICKET

PERSONS = 10_000
YEAR = dt.date(2025, 1, 1)
AS_OF = dt.date(2025, 12, 31)
SURVEY = "Bench pulse 2025-Q4"
CHUNK = 20_000
TOP_TEAMS = 20
ENGINEERING_TOP_TEAMS = 14
SUB_TEAMS = 4
USE_CASES = (
    # label, tool, share of entries, p(needed correcting), minutes correcting, minutes saved
    ("code completion", "GitHub Copilot", 0.25, 0.25, 4, 20),
    ("writing tests", "GitHub Copilot", 0.15, 0.30, 6, 25),
    ("code review", "GitHub Copilot", 0.15, 0.75, 30, 5),
    ("email drafts", "Microsoft 365 Copilot", 0.15, 0.70, 20, 5),
    ("documentation", "Microsoft 365 Copilot", 0.10, 0.45, 10, 12),
    ("chat edits", "GitHub Copilot", 0.10, 0.45, 10, 12),
    ("agent mode", "GitHub Copilot", 0.10, 0.50, 15, 15),
)


def _day(offset: float) -> dt.date:
    return YEAR + dt.timedelta(days=int(offset))


def _at(offset: float) -> dt.datetime:
    return dt.datetime(2025, 1, 1) + dt.timedelta(days=float(offset))


class _Writer:
    """Core inserts in chunks; counts what it wrote per table."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.rows: dict[Any, list[dict[str, Any]]] = {}
        self.counts: dict[str, int] = {}

    def add(self, table: Any, row: dict[str, Any]) -> None:
        rows = self.rows.setdefault(table, [])
        rows.append(row)
        if len(rows) >= CHUNK:
            # Every table, in the order first written (parents before children): flushing
            # only the full one wrote survey answers before their responses at 100,000
            # people (a foreign-key error).
            self.flush()

    def flush(self, table: Any | None = None) -> None:
        for key in [table] if table is not None else list(self.rows):
            rows = self.rows.get(key)
            if rows:
                self.session.execute(insert(key), rows)
                name = key.__tablename__
                self.counts[name] = self.counts.get(name, 0) + len(rows)
                self.rows[key] = []


def build(url: str, seed: int = 1, persons: int = PERSONS) -> dict[str, int]:
    """Create the schema at `url` and fill it; returns rows written per table."""
    rng = np.random.default_rng(seed)
    upgrade(url)
    with session_scope(url) as session:
        out = _Writer(session)
        session.execute(insert(Organisation), [{"id": 1, "name": "Bench"}])
        session.execute(
            insert(ImportRun),
            [
                {
                    "id": 1,
                    "kind": "bench",
                    "source_name": "bench",
                    "sha256": "0" * 64,
                    "rows_read": 0,
                    "rows_written": 0,
                    "imported_at": dt.datetime.now(dt.UTC),
                }
            ],
        )
        team_function = {}
        teams = []
        for t in range(1, TOP_TEAMS + 1):
            function = "engineering" if t <= ENGINEERING_TOP_TEAMS else "support"
            team_function[t] = function
            teams.append(
                {
                    "id": t,
                    "organisation_id": 1,
                    "key": f"t{t}",
                    "name": f"Team {t}",
                    "function": function,
                    "parent_id": None,
                }
            )
        for i in range(1, TOP_TEAMS * SUB_TEAMS + 1):
            parent = (i - 1) // SUB_TEAMS + 1
            team_function[TOP_TEAMS + i] = team_function[parent]
            teams.append(
                {
                    "id": TOP_TEAMS + i,
                    "organisation_id": 1,
                    "key": f"t{TOP_TEAMS + i}",
                    "name": f"Team {TOP_TEAMS + i}",
                    "function": team_function[parent],
                    "parent_id": parent,
                }
            )
        session.execute(insert(Team), teams)

        n_teams = TOP_TEAMS * (SUB_TEAMS + 1)
        in_top = rng.random(persons) < 0.05
        team_of = np.where(
            in_top,
            rng.integers(1, TOP_TEAMS + 1, persons),
            rng.integers(TOP_TEAMS + 1, n_teams + 1, persons),
        )
        engineer = np.array([team_function[int(t)] == "engineering" for t in team_of])
        role_draw = rng.random(persons)
        roles = np.where(role_draw < 0.01, 0, np.where(role_draw < 0.10, 1, 2))
        role_values = (RoleLevel.EXECUTIVE, RoleLevel.MANAGER, RoleLevel.INDIVIDUAL_CONTRIBUTOR)
        licensed = rng.random(persons) < 0.8
        licence = rng.integers(0, 181, persons)  # January to June
        user = licensed & (rng.random(persons) < 0.75)
        adoption = np.minimum(licence + rng.integers(14, 200, persons), 333)  # by November
        stops = user & (rng.random(persons) < 0.2)  # active for a month, then never again
        ids = [str(uuid.UUID(int=i + 1)) for i in range(persons)]
        logins = [f"dev{i:05d}" for i in range(persons)]
        session.execute(
            insert(Person),
            [
                {
                    "id": ids[i],
                    "organisation_id": 1,
                    "email": f"p{i}@bench.example",
                    "display_name": f"P {i}",
                    "role_level": role_values[int(roles[i])],
                    "function": "engineering" if engineer[i] else "support",
                    "team_id": int(team_of[i]),
                    "ai_licence_date": _day(licence[i]) if licensed[i] else None,
                    "ai_adoption_date": _day(adoption[i]) if user[i] else None,
                }
                for i in range(persons)
            ],
        )

        n_item = 0
        for i in range(persons):
            per_week = 2.0 if engineer[i] else 3.0
            n = int(rng.poisson(per_week * 52))
            created = rng.uniform(-20, 365, n)
            base = 1.0 if engineer[i] else 0.0
            speed = np.full(n, 0.9 if user[i] else 1.0)  # adopters were faster before
            if user[i] and not stops[i]:
                speed[created >= adoption[i] + 14] *= 0.8
            span = rng.lognormal(base, 0.8, n) * speed
            resolved = created + span
            points = rng.integers(1, 9, n)
            reopened = rng.random(n) < 0.1
            reworks = rng.poisson(0.3, n)
            for j in range(n):
                n_item += 1
                c, r, s = float(created[j]), float(resolved[j]), float(span[j])
                done = r < 365
                out.add(
                    WorkItem,
                    {
                        "id": str(uuid.UUID(int=n_item)),
                        "source": "bench",
                        "key": f"B-{n_item}",
                        "kind": ISSUE if engineer[i] else TICKET,
                        "status": "Done" if done else "Open",
                        "status_category": "done" if done else "in_progress",
                        "person_id": ids[i],
                        "team_id": int(team_of[i]),
                        "created_at": _at(c),
                        "started_at": _at(c + s * 0.1) if engineer[i] else None,
                        "resolved_at": _at(r) if done else None,
                        "story_points": float(points[j]) if engineer[i] else None,
                        "sprint": f"S{int(c // 14)}" if engineer[i] else None,
                        "reopen_count": int(reopened[j]),
                        "rework_count": int(reworks[j]),
                        "import_run_id": 1,
                    },
                )
        out.flush()

        for i in np.flatnonzero(user).tolist():
            first = int(adoption[i])
            last = min(first + 30, 365) if stops[i] else 365
            rate = 3 / 7 if engineer[i] or i % 2 else 2 / 7
            active = np.flatnonzero(rng.random(last - first) < rate) + first
            for d in active.tolist():
                day = _day(d)
                if engineer[i]:
                    generated = int(rng.integers(5, 60))
                    accepted = int(rng.binomial(generated, 0.3))
                    added = int(accepted * rng.integers(1, 6))
                    chat = int(rng.integers(0, 6))
                    out.add(
                        AiUsageDay,
                        {
                            "person_id": ids[i],
                            "day": day,
                            "tool": GITHUB_COPILOT,
                            "app": "ide",
                            "interactions": generated + chat,
                            "suggestions": generated,
                            "acceptances": accepted,
                            "loc_suggested": generated * 3,
                            "loc_added": added,
                            "import_run_id": 1,
                        },
                    )
                    features: dict[str, dict[str, int]] = {
                        "code_completion": {"generations": generated, "acceptances": accepted}
                    }
                    if chat:
                        features["chat_panel_agent_mode"] = {
                            "interactions": chat,
                            "generations": chat * 2,
                            "acceptances": int(rng.binomial(chat * 2, 0.15)),
                        }
                    user_day = {
                        "day": day,
                        "user_login": logins[i],
                        "user_id": i + 1,
                        "interactions": generated + chat,
                        "code_generations": generated + chat * 2,
                        "code_acceptances": accepted,
                        "loc_suggested": generated * 3,
                        "loc_added": added,
                        "used_agent": bool(chat),
                        "used_chat": bool(chat),
                        "features": json.dumps(features, separators=(",", ":")),
                        "import_run_id": 1,
                        "source_row": out.counts.get("copilot_user_day", 0) + 1,
                    }
                    out.add(CopilotUserDay, user_day)
                    for name, counts in features.items():
                        out.add(
                            CopilotUserDayFeature,
                            {
                                "day": day,
                                "user_login": logins[i],
                                "feature": name,
                                **{c: counts.get(c, 0) for c in FEATURE_COUNTS},
                            },
                        )
                else:
                    apps = rng.choice(len(M365_APPS), size=int(rng.integers(1, 4)), replace=False)
                    for app in ("any", *(M365_APPS[int(a)] for a in apps)):
                        out.add(
                            AiUsageDay,
                            {
                                "person_id": ids[i],
                                "day": day,
                                "tool": M365_COPILOT,
                                "app": app,
                                "interactions": None,
                                "suggestions": None,
                                "acceptances": None,
                                "loc_suggested": None,
                                "loc_added": None,
                                "import_run_id": 1,
                            },
                        )
        out.flush()

        n_training = 0
        for i in np.flatnonzero(licensed).tolist():
            for kind, p in (("training", 0.5), ("certification", 0.2)):
                if rng.random() < p:
                    n_training += 1
                    out.add(
                        TrainingRecord,
                        {
                            "id": str(uuid.UUID(int=n_training)),
                            "person_id": ids[i],
                            "kind": kind,
                            "name": "AI at work" if kind == "training" else "Copilot certified",
                            "completed_on": _day(int(licence[i]) + int(rng.integers(0, 120))),
                            "import_run_id": 1,
                        },
                    )

        shares = np.array([u[2] for u in USE_CASES])
        picks = rng.choice(len(USE_CASES), size=15_000, p=shares / shares.sum())
        for n, pick in enumerate(picks.tolist()):
            label, tool, p_fix, correcting, saved = USE_CASES[pick][:2] + USE_CASES[pick][3:]
            fixed = rng.random() < p_fix
            out.add(
                FrictionEntry,
                {
                    "id": str(uuid.UUID(int=n + 1)),
                    "logged_on": _day(rng.integers(0, 365)),
                    "use_case": label,
                    "tool": tool,
                    "minutes_correcting": int(rng.poisson(correcting)) if fixed else 0,
                    "minutes_saved": int(rng.poisson(saved)),
                    "severity": ("low", "medium", "high")[int(rng.integers(0, 3))],
                    "outcome": ("fixed" if rng.random() < 0.8 else "discarded")
                    if fixed
                    else "kept",
                    "team_id": int(rng.integers(1, n_teams + 1)),
                    "note": None,
                    "source": "import",
                    "import_run_id": 1,
                },
            )
        for n in range(2_000):
            pick = int(rng.choice(len(USE_CASES), p=shares / shares.sum()))
            helps = USE_CASES[pick][3] < 0.5
            working = rng.random() < (0.8 if helps else 0.2)
            out.add(
                FeedbackItem,
                {
                    "id": n + 1,
                    "kind": "working" if working else "friction",
                    "use_case": USE_CASES[pick][0],
                    "tool": USE_CASES[pick][1],
                    "text": "words",
                    "received_on": _day(rng.integers(0, 365)),
                    "channel": "web",
                },
            )
        out.flush()
        _survey(session, out, rng, team_of, engineer, roles, user, adoption, persons)
        out.flush()
        # What every page and report reads: the survey's release, built as an import would.
        build_all(session, PrivacyPolicy())
        counts = {"person": persons, "team": len(teams), **out.counts}
    return counts


def _survey(
    session: Session,
    out: _Writer,
    rng: np.random.Generator,
    team_of: np.ndarray[Any, Any],
    engineer: np.ndarray[Any, Any],
    roles: np.ndarray[Any, Any],
    user: np.ndarray[Any, Any],
    adoption: np.ndarray[Any, Any],
    persons: int,
) -> None:
    """About 30% answer in December; leaders perceive far more speed-up than measured."""
    survey, _ = get_or_create_survey(session, SURVEY)
    questions = dict(
        session.execute(
            select(BankQuestion.key, BankQuestion.id).where(
                BankQuestion.version == survey.bank_version
            )
        ).all()
    )
    role_names = ("executive", "manager", "individual_contributor")
    answering = np.flatnonzero(rng.random(persons) < np.where(roles == 2, 0.28, 0.5))
    for n, i in enumerate(answering.tolist()):
        rid = f"{n + 1:032x}"
        leader = roles[i] < 2
        if not user[i]:
            tenure = "none"
        else:
            months = (335 - int(adoption[i])) / 30
            tenure = "6+" if months >= 6 else "1-6" if months >= 1 else "<1"
        out.add(
            SurveyResponse,
            {
                "id": rid,
                "survey_id": survey.id,
                "answered_on": dt.date(2025, 12, 1) + dt.timedelta(days=int(rng.integers(0, 14))),
                "role_level": role_names[int(roles[i])],
                "team_id": int(team_of[i]),
                "function": "engineering" if engineer[i] else "support",
                "ai_tenure_band": tenure,
            },
        )
        impact = rng.choice(4, p=[0.45, 0.35, 0.15, 0.05] if leader else [0.1, 0.3, 0.45, 0.15])
        speedup = rng.normal(35 if leader else 12, 15)
        answers = [
            ("productivity_impact", int(impact), None),
            ("perceived_speedup", None, round(float(speedup))),
            ("job_security_clarity", int(rng.choice(3, p=[0.3, 0.3, 0.4])), None),
            ("decision_involvement", int(rng.integers(0, 5)), None),
        ]
        for key, option, number in answers:
            out.add(
                SurveyAnswer,
                {
                    "response_id": rid,
                    "question_id": questions[key],
                    "ordinal": 0,
                    "option_index": option,
                    "number": number,
                    "text": None,
                },
            )
