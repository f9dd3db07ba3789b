"""The synthetic organisation's task preference map: a catalogue per function and a round of
anonymous answers with patterns planted on purpose, written as the CSV files an admin would
import (`gaplens import task-catalogue`, `gaplens import task-answers`).

What is planted (and what `tests/demo/test_tasks_demo.py` checks the map recovers):

- **Top augmentation candidate per function**: Engineering boilerplate code, Support ticket
  triage, Operations customs paperwork, Sales CRM data entry, Product release notes: hated
  by most, hours lost every week, little judgement.
- **Tasks to protect**: system design, customer calls, route planning, client meetings and
  user interviews: most want to keep them and rate them high on judgement.
- **Two personas per function**, with opposite stances on several tasks (e.g. Support's
  frontline hates triage and keeps calls; its specialists keep refund decisions and hate
  updating macros).
- **Free-text tasks**: about a fifth of Support's frontline types "chasing courier updates"
  (in varying case and spacing), enough to be shown; four engineers type "expense reports",
  too few to be named.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session

from gaplens.demo.generator import EXECUTIVE, SyntheticOrganisation
from gaplens.releases.tasks.service import build_task_release
from gaplens.tasks.service import (
    create_open_link,
    get_or_create_round,
    import_answers,
    import_catalogue,
)

ROUND_NAME = "Task map 2026-Q3"
ROUND_START = dt.date(2026, 9, 14)
"""The week after the Q3 pulse opened: ahead of the next rollout phase, and inside the
period of the demo's reports, so their task sections (and next steps) have a round."""
ROUND_DAYS = 10
DAY_WEIGHTS = (30, 14, 9, 7, 4, 1, 1, 16, 10, 8)
RESPONDS = 0.3
TEAM_SKIPPED = 0.1
HOURS_SD = 1.2
JUDGEMENT_SD = 0.6


@dataclass(frozen=True)
class DemoTask:
    key: str
    label: str
    hint: int | None = None
    use_cases: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()


@dataclass(frozen=True)
class Lean:
    """How one persona answers one task: chances of keep and hate, mean hours, judgement."""

    keep: float
    hate: float
    hours: float
    judgement: float


@dataclass(frozen=True)
class DemoPersona:
    name: str
    weight: float
    leans: dict[str, Lean]


@dataclass(frozen=True)
class FreeTask:
    """A task people type themselves: named by `share` of one persona (any persona when
    None), by at most `at_most` people."""

    label: str
    persona: int | None
    share: float
    at_most: int | None = None


@dataclass(frozen=True)
class DemoFunction:
    name: str
    tasks: tuple[DemoTask, ...]
    personas: tuple[DemoPersona, ...]
    top_candidate: str
    protect: str
    free_task: FreeTask | None = None


def _lean(text: str) -> Lean:
    keep, hate, hours, judgement = (float(part) for part in text.split())
    return Lean(keep, hate, hours, judgement)


def _persona(name: str, weight: float, leans: dict[str, str]) -> DemoPersona:
    return DemoPersona(name, weight, {task: _lean(text) for task, text in leans.items()})


FUNCTIONS: tuple[DemoFunction, ...] = (
    DemoFunction(
        "Engineering",
        (
            DemoTask("boilerplate", "Boilerplate code", 1, ("code completion",), ("cycle_time",)),
            DemoTask("test-scaffolding", "Test scaffolding", 2, ("test generation",),
                     ("cycle_time", "rework_cycles")),
            DemoTask("code-review", "Code review", 4, ("code review",), ("rework_cycles",)),
            DemoTask("system-design", "System design", 5),
            DemoTask("incident-response", "Incident response", 4),
            DemoTask("dependency-upgrades", "Dependency upgrades", 2, (), ("cycle_time",)),
            DemoTask("documentation", "Writing documentation", 3, ("documentation",)),
        ),
        (
            _persona("builders", 0.6, {
                "boilerplate": "0.02 0.93 6 1.3", "test-scaffolding": "0.05 0.88 4 1.8",
                "code-review": "0.10 0.70 2 3.5", "system-design": "0.92 0.02 0 4.8",
                "incident-response": "0.70 0.10 1.5 4", "dependency-upgrades": "0.05 0.75 2.5 2",
                "documentation": "0.05 0.80 2 2.5",
            }),
            _persona("reviewers", 0.4, {
                "boilerplate": "0.05 0.70 4 1.6", "test-scaffolding": "0.80 0.05 1.5 3",
                "code-review": "0.92 0.03 0.5 4.5", "system-design": "0.70 0.05 0 4.6",
                "incident-response": "0.20 0.55 2 3.8", "dependency-upgrades": "0.10 0.50 2 2.2",
                "documentation": "0.85 0.05 1 3.5",
            }),
        ),
        top_candidate="boilerplate",
        protect="system-design",
        free_task=FreeTask("Expense reports", None, 1.0, at_most=4),
    ),
    DemoFunction(
        "Support",
        (
            DemoTask("ticket-triage", "Ticket triage", 1, ("ticket summaries",),
                     ("time_to_resolution",)),
            DemoTask("customer-calls", "Customer calls", 4),
            DemoTask("email-replies", "Customer email replies", 3, ("customer replies",),
                     ("reopen_rate", "time_to_resolution")),
            DemoTask("refund-decisions", "Refund and claim decisions", 5),
            DemoTask("macro-upkeep", "Updating macros and templates", 2),
            DemoTask("handover-notes", "Escalation handover notes", 2, ("ticket summaries",)),
        ),
        (
            _persona("frontline", 0.65, {
                "ticket-triage": "0.02 0.94 6.5 1.2", "customer-calls": "0.93 0.03 0.5 4.3",
                "email-replies": "0.65 0.10 2 3.2", "refund-decisions": "0.10 0.55 1.5 3.5",
                "macro-upkeep": "0.60 0.10 0.5 2.5", "handover-notes": "0.05 0.85 2.5 2",
            }),
            _persona("specialists", 0.35, {
                "ticket-triage": "0.05 0.75 4 1.6", "customer-calls": "0.20 0.60 1.5 3.8",
                "email-replies": "0.05 0.88 3 2.8", "refund-decisions": "0.93 0.02 0.5 4.8",
                "macro-upkeep": "0.03 0.88 3 1.5", "handover-notes": "0.75 0.05 1 3",
            }),
        ),
        top_candidate="ticket-triage",
        protect="customer-calls",
        free_task=FreeTask("Chasing courier updates", 0, 0.25),
    ),
    DemoFunction(
        "Operations",
        (
            DemoTask("customs-paperwork", "Customs paperwork", 1, (), ("throughput",)),
            DemoTask("exception-reports", "Shipment exception reports", 2),
            DemoTask("shift-schedules", "Shift schedules", 3),
            DemoTask("route-planning", "Route planning", 4),
            DemoTask("carrier-negotiations", "Carrier negotiations", 5),
            DemoTask("safety-walks", "Safety walk-throughs", 4),
        ),
        (
            _persona("planners", 0.55, {
                "customs-paperwork": "0.02 0.92 6 1.2", "exception-reports": "0.05 0.88 3.5 1.8",
                "shift-schedules": "0.70 0.10 1 3.2", "route-planning": "0.92 0.03 0.5 4.5",
                "carrier-negotiations": "0.80 0.05 0.5 4.6", "safety-walks": "0.10 0.60 1.5 3.2",
            }),
            _persona("floor leads", 0.45, {
                "customs-paperwork": "0.05 0.75 4 1.5", "exception-reports": "0.70 0.10 1 3",
                "shift-schedules": "0.03 0.88 4 2", "route-planning": "0.25 0.50 1.5 3.8",
                "carrier-negotiations": "0.10 0.60 1.5 3.5", "safety-walks": "0.92 0.02 0.5 4.6",
            }),
        ),
        top_candidate="customs-paperwork",
        protect="route-planning",
    ),
    DemoFunction(
        "Sales",
        (
            DemoTask("crm-entry", "CRM data entry", 1, (), ("throughput",)),
            DemoTask("proposal-drafts", "Proposal first drafts", 2, ("email drafts",)),
            DemoTask("account-research", "Account research", 3),
            DemoTask("client-meetings", "Client meetings", 5),
            DemoTask("tender-forms", "Tender forms", 2),
            DemoTask("follow-up-emails", "Follow-up emails", 2, ("email drafts",)),
        ),
        (
            _persona("hunters", 0.6, {
                "crm-entry": "0.01 0.95 6 1.2", "proposal-drafts": "0.05 0.85 3 2",
                "account-research": "0.80 0.05 1 3.5", "client-meetings": "0.93 0.02 0 4.8",
                "tender-forms": "0.60 0.10 1 2.5", "follow-up-emails": "0.05 0.85 2.5 1.8",
            }),
            _persona("account managers", 0.4, {
                "crm-entry": "0.05 0.80 4 1.5", "proposal-drafts": "0.80 0.05 1 3.5",
                "account-research": "0.05 0.75 2.5 2.5", "client-meetings": "0.90 0.03 0 4.6",
                "tender-forms": "0.03 0.88 3.5 1.8", "follow-up-emails": "0.75 0.05 1 3",
            }),
        ),
        top_candidate="crm-entry",
        protect="client-meetings",
    ),
    DemoFunction(
        "Product",
        (
            DemoTask("release-notes", "Release notes", 1, (), ("cycle_time",)),
            DemoTask("status-updates", "Roadmap status updates", 2),
            DemoTask("user-interviews", "User interviews", 5),
            DemoTask("specs", "Writing specs", 4),
            DemoTask("meeting-notes", "Meeting notes", 1, ("meeting notes",)),
            DemoTask("research-synthesis", "Research synthesis", 4),
        ),
        (
            _persona("product managers", 0.55, {
                "release-notes": "0.02 0.92 4.5 1.3", "status-updates": "0.03 0.88 3.5 1.8",
                "user-interviews": "0.85 0.03 0 4.7", "specs": "0.85 0.05 0.5 4.2",
                "meeting-notes": "0.55 0.15 1 2", "research-synthesis": "0.10 0.60 1.5 3",
            }),
            _persona("researchers", 0.45, {
                "release-notes": "0.05 0.75 3 1.5", "status-updates": "0.60 0.10 1 2.5",
                "user-interviews": "0.93 0.02 0 4.8", "specs": "0.05 0.70 2 3",
                "meeting-notes": "0.03 0.90 2.5 1.3", "research-synthesis": "0.92 0.03 0.5 4.7",
            }),
        ),
        top_candidate="release-notes",
        protect="user-interviews",
    ),
)  # fmt: skip

CATALOGUE_COLUMNS = ("function", "key", "label", "needs_judgement", "use_cases", "metrics")
ANSWER_COLUMNS = (
    "response_id",
    "answered_on",
    "role_level",
    "team",
    "function",
    "task_key",
    "free_task",
    "stance",
    "hours_lost",
    "judgement",
)


@dataclass(frozen=True)
class DemoTaskFiles:
    catalogue: Path
    answers: Path | None
    round_name: str
    planted_personas: dict[str, list[int]]
    """Per function, each respondent's planted persona (in file order), for the tests."""


def write_catalogue(path: Path, functions: Sequence[DemoFunction] = FUNCTIONS) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CATALOGUE_COLUMNS)
        for function in functions:
            for task in function.tasks:
                writer.writerow(
                    [
                        function.name,
                        task.key,
                        task.label,
                        "" if task.hint is None else str(task.hint),
                        ";".join(task.use_cases),
                        ";".join(task.metrics),
                    ]
                )
    return path


def _spelling(label: str, n: int) -> str:
    """People type the same task differently: case and spacing vary."""
    return (label, label.lower(), f" {label} ", label.replace(" ", "  "))[n % 4]


def _hours(value: float) -> str:
    hours = min(40.0, max(0.0, round(value * 2) / 2))
    return str(int(hours)) if hours == int(hours) else f"{hours:.1f}"


def write_task_files(org: SyntheticOrganisation, out_dir: Path, seed: int) -> DemoTaskFiles:
    """The catalogue and one round's answers from about 30% of non-executive staff of the
    five functions; one seeded stream, consumed in a fixed order, so a seed gives the same
    files."""
    rng = np.random.Generator(np.random.PCG64([seed, 30]))
    catalogue = write_catalogue(out_dir / "task-catalogue.csv")
    by_name = {f.name: f for f in FUNCTIONS}
    rows: list[list[str]] = []
    planted: dict[str, list[int]] = {f.name: [] for f in FUNCTIONS}
    free_named: dict[str, int] = {}
    respondent = 0
    weights = np.asarray(DAY_WEIGHTS, dtype=np.float64) / sum(DAY_WEIGHTS)
    for person in org.people:
        function = by_name.get(person.function)
        if function is None or person.role_level == EXECUTIVE:
            continue
        if rng.random() >= RESPONDS:
            continue
        respondent += 1
        persona_weights = np.asarray([p.weight for p in function.personas], dtype=np.float64)
        persona = int(rng.choice(len(function.personas), p=persona_weights / persona_weights.sum()))
        planted[function.name].append(persona)
        day = ROUND_START + dt.timedelta(days=int(rng.choice(ROUND_DAYS, p=weights)))
        team = "" if rng.random() < TEAM_SKIPPED else person.team
        base = [f"T{seed}-{respondent:05d}", day.isoformat(), person.role_level, team,
                function.name]  # fmt: skip
        leans = function.personas[persona].leans
        for task in function.tasks:
            lean = leans[task.key]
            draw = rng.random()
            stance = (
                "keep"
                if draw < lean.keep
                else "hate"
                if draw < lean.keep + lean.hate
                else "neither"
            )
            hours = _hours(rng.normal(lean.hours, HOURS_SD) if lean.hours > 0 else 0.0)
            judgement = int(np.clip(round(rng.normal(lean.judgement, JUDGEMENT_SD)), 1, 5))
            rows.append([*base, task.key, "", stance, hours, str(judgement)])
        free = function.free_task
        if free is not None and free.persona in (None, persona) and rng.random() < free.share:
            named = free_named.get(function.name, 0)
            if free.at_most is None or named < free.at_most:
                free_named[function.name] = named + 1
                hours = _hours(rng.normal(2.5, 1.0))
                # mostly hated and routine, but not unanimously: a release never names a
                # task whose answers are all alike (that would tell each namer's answer)
                stance = "hate" if named % 5 else "neither"
                typed = "2" if named % 3 == 0 else "1"
                rows.append([*base, "", _spelling(free.label, named), stance, hours, typed])
    answers = out_dir / "task-answers.csv"
    with answers.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(ANSWER_COLUMNS)
        writer.writerows(rows)
    return DemoTaskFiles(catalogue, answers if rows else None, ROUND_NAME, planted)


def import_task_map(session: Session, files: DemoTaskFiles) -> tuple[list[str], str]:
    """The files through the importers an admin uses; (summaries, the round's open link)."""
    summaries = [import_catalogue(session, files.catalogue).describe()]
    if files.answers is not None:
        summaries.append(import_answers(session, files.answers, files.round_name).describe())
    round_, _ = get_or_create_round(session, files.round_name)
    if files.answers is not None:  # as the import command does: the round's release
        summaries.append(build_task_release(session, round_).message)
    return summaries, "/t/" + create_open_link(session, round_)
