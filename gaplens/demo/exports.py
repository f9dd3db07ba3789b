"""The synthetic organisation's tool exports, in the formats the real tools write, with effects
planted on purpose so the report can be checked against a known truth.

What is planted (and what the report must recover):

- **Selection.** People who become heavy AI users were already faster: their personal
  baseline cycle time is shorter before they ever had a licence. A raw users-vs-non-users
  comparison therefore overstates the effect; within-person and difference-in-differences
  estimates do not.
- **Staggered adoption.** People adopt in different months (licence waves, then a lag).
  A fifth of the engineers who use AI have no adoption date in the directory: the release
  derives it from their Copilot telemetry (first sustained use).
- **Cycle time (Jira, Engineering and Product).** After a person's adoption date their cycle
  time falls by up to 35% (heavy users), 25% (moderate), 10% (light) or 0% (minimal). The
  effect grows with time since adoption (half its size in the first weeks, all of it after
  `RAMP_DAYS`) and differs by cohort (people who adopted before 2026 get more of it:
  `EARLY_COHORT_SCALE`, later ones `LATE_COHORT_SCALE`). Everyone, users or not, gets 4%
  faster from 2026-01-01 (a tooling upgrade unrelated to AI), which a before/after on users
  alone, or users against non-users pivoted on another date, would wrongly credit to AI.
  `planted_cycle_time_effects` gives the planted effect per person and month.
- **Instability (Jira, Engineering).** Faster is not free (DORA 2025: AI raises throughput
  and instability together). Engineering issues are reopened after they were done 5% of
  the time; an AI user's, `ISSUE_REOPEN_EFFECT` (4 points) more after adoption, ramping
  like the speed effect (half on the adoption day, all of it after `RAMP_DAYS`).
  `planted_reopen_effects` gives the planted change per person and month. Issues sent back
  from review rise from 10% to 17% after adoption (the code-review friction shows up in the
  workflow data too).
- **Support tickets (Zendesk).** After adoption, time to resolution falls by 20% (AI ticket
  summaries help) but the reopen rate rises from 7% to 13% (AI-drafted customer replies get
  policy details wrong).
- `ai_effect=False` removes the speed effects, `instability=False` the three instability
  effects (reopens, rework, ticket reopens), each leaving everything else in place.
- **Friction log.** Test generation, meeting notes and ticket summaries work (few
  corrections, minutes saved); code review and customer replies create friction (most
  outputs corrected, more minutes lost than saved); data analysis has too few entries to say.
- **Performative adoption.** Most licensed people who never adopt still "activate": a few
  days of use right after the licence arrives, then nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gaplens.demo.generator import DemoPerson, SyntheticOrganisation

DATA_START = dt.date(2025, 7, 1)
DATA_END = dt.date(2026, 9, 30)
DATA_END_TIME = dt.datetime(2026, 9, 30, 23, 59)
SECULAR_CHANGE_FROM = dt.date(2026, 1, 1)
SECULAR_FACTOR = 0.96
INTENSITY_EFFECT = {"heavy": 0.65, "moderate": 0.75, "light": 0.90, "minimal": 1.0}
RAMP_START = 0.5
"""Share of the full AI effect on the adoption day; it grows linearly to all of it."""
RAMP_DAYS = 90
EARLY_COHORT_BEFORE = dt.date(2026, 1, 1)
EARLY_COHORT_SCALE = 1.15
LATE_COHORT_SCALE = 0.85
"""The full effect's size, by cohort: early adopters (before 2026) gain more than later ones."""
ACTIVE_DAY_SHARE = {"heavy": 0.9, "moderate": 0.6, "light": 0.3, "minimal": 0.08}
ACCEPTANCE = {"heavy": 0.34, "moderate": 0.28, "light": 0.14, "minimal": 0.08}
"""Light and minimal users keep little of what Copilot suggests: active, not integrated."""
REWORK_BEFORE, REWORK_AFTER = 0.10, 0.17
"""Engineering issues sent back from review: more after adoption (AI code review misses)."""
SELECTION_STRENGTH = 0.25
"""Baseline cycle time multiplier per standard deviation of the heavy-use propensity."""
SELECTION_SHIFT = 0.4
"""Adopters' propensity is shifted up and non-adopters' down by this much: before any AI,
adopters' cycle times are about 18% shorter (exp(-0.25 * 0.8))."""
TICKET_RESOLUTION_FACTOR = 0.80
REOPEN_BEFORE, REOPEN_AFTER = 0.07, 0.13
ISSUE_REOPEN_BEFORE = 0.05
ISSUE_REOPEN_EFFECT = 0.04
"""Engineering issues reopened after done: 5%, and for an AI user 4 points more after
adoption (ramping like the speed effect)."""
M365_EXPORTS = 6
"""Weekly Microsoft 365 exports up to DATA_END: each holds last-activity dates only."""
JIRA_FUNCTIONS = ("Engineering", "Product")
SUPPORT = "Support"
SPRINT_DAYS = 14
FRICTION_USE_CASES: dict[str, tuple[str, int, float, float, float]] = {
    # use case: (tool, entries, correction probability, minutes correcting, minutes saved)
    "test generation": ("GitHub Copilot", 160, 0.15, 6.0, 25.0),
    "meeting notes": ("Microsoft 365 Copilot", 140, 0.20, 4.0, 20.0),
    "ticket summaries": ("Zendesk AI", 120, 0.18, 3.0, 12.0),
    "code review": ("GitHub Copilot", 150, 0.72, 22.0, 10.0),
    "customer replies": ("Microsoft 365 Copilot", 130, 0.65, 15.0, 8.0),
    "data analysis": ("ChatGPT Enterprise", 4, 0.5, 10.0, 10.0),
}
WORKING_USE_CASES = ("test generation", "meeting notes", "ticket summaries")
FRICTION_USE_CASES_PLANTED = ("code review", "customer replies")


@dataclass(frozen=True)
class DemoExports:
    copilot_usage: Path | None
    m365_copilot: tuple[Path, ...]
    jira: Path | None
    """Product's issues, as Jira's CSV export (no status history)."""
    jira_json: Path | None
    """Engineering's issues, as Jira REST search JSON with changelog (status history)."""
    tickets: Path | None
    friction: Path
    training: Path | None
    training_mapping: Path


@dataclass(frozen=True)
class _Worker:
    person: DemoPerson
    propensity: float
    intensity: str | None
    """None for people without an adoption date."""


def _intensity(z: float) -> str:
    if z > 0.8:
        return "heavy"
    if z > 0.0:
        return "moderate"
    if z > -0.8:
        return "light"
    return "minimal"


def _workers(org: SyntheticOrganisation, rng: np.random.Generator) -> list[_Worker]:
    """Heavy-use propensity: adopters were drawn from people already faster (selection)."""
    adopted = np.asarray([p.adopted is not None for p in org.people])
    z = rng.normal(size=len(org.people)) + np.where(adopted, SELECTION_SHIFT, -SELECTION_SHIFT)
    return [
        _Worker(p, float(z[i]), _intensity(float(z[i])) if p.adopted else None)
        for i, p in enumerate(org.people)
    ]


def _days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=d) for d in range((end - start).days + 1)]


def _workdays(start: dt.date, end: dt.date) -> list[dt.date]:
    return [d for d in _days(start, end) if d.weekday() < 5]


def ai_factor(full: float, adopted: dt.date | None, day: dt.date) -> float:
    """The AI multiplier on a duration finished on `day` for someone whose full effect is
    `full` (e.g. 0.65: 35% shorter): 1 before adoption; then scaled by cohort and ramping
    from RAMP_START of the effect to all of it over RAMP_DAYS."""
    if adopted is None or day < adopted:
        return 1.0
    scale = EARLY_COHORT_SCALE if adopted < EARLY_COHORT_BEFORE else LATE_COHORT_SCALE
    ramp = min(1.0, RAMP_START + (1.0 - RAMP_START) * (day - adopted).days / RAMP_DAYS)
    return 1.0 - (1.0 - full) * scale * ramp


def _ai(worker: _Worker, day: dt.date) -> float:
    if worker.intensity is None:
        return 1.0
    return ai_factor(INTENSITY_EFFECT[worker.intensity], worker.person.adopted, day)


def _secular(day: dt.date) -> float:
    """Multiplier on a duration finished on `day` from the change that is not AI."""
    return SECULAR_FACTOR if day >= SECULAR_CHANGE_FROM else 1.0


# --- GitHub Copilot usage metrics (NDJSON, one user-day per line) -----------------------------


def _active_days(
    worker: _Worker, rng: np.random.Generator, workdays: Sequence[dt.date]
) -> list[dt.date]:
    person = worker.person
    if person.adopted is not None and worker.intensity is not None:
        share = ACTIVE_DAY_SHARE[worker.intensity]
        after = [d for d in workdays if d >= person.adopted]
        picked = rng.random(len(after)) < share
        return [d for d, on in zip(after, picked, strict=True) if on]
    if person.ai_licence_date is not None and rng.random() < 0.6:
        # Performative: tried it a few times in the first two weeks, then stopped.
        start = max(person.ai_licence_date, DATA_START)
        window = [d for d in workdays if start <= d < start + dt.timedelta(days=14)]
        count = min(len(window), int(rng.integers(1, 5)))
        chosen = rng.permutation(len(window))[:count]
        return sorted(window[int(i)] for i in chosen)
    return []


def write_copilot_usage(workers: Sequence[_Worker], rng: np.random.Generator, path: Path) -> None:
    workdays = _workdays(DATA_START, DATA_END)
    lines: list[tuple[dt.date, str]] = []
    for n, worker in enumerate(workers):
        login = worker.person.github_login
        if login is None:
            continue
        scale = {"heavy": 3.0, "moderate": 1.6, "light": 0.8, "minimal": 0.4}.get(
            worker.intensity or "minimal", 0.3
        )
        for day in _active_days(worker, rng, workdays):
            generations = max(1, int(rng.poisson(40 * scale)))
            acceptances = int(rng.binomial(generations, ACCEPTANCE[worker.intensity or "minimal"]))
            suggested = int(generations * rng.integers(3, 9))
            added = int(acceptances * rng.integers(3, 9))
            chat = bool(rng.random() < 0.5)
            agent = bool(rng.random() < (0.3 if worker.intensity == "heavy" else 0.05))
            interactions = int(rng.poisson(6 * scale)) if chat or agent else 0
            record = {
                "report_start_day": day.isoformat(),
                "report_end_day": day.isoformat(),
                "day": day.isoformat(),
                "enterprise_id": "4419",
                "user_id": 7_000_000 + n,
                "user_login": login,
                "user_initiated_interaction_count": interactions,
                "code_generation_activity_count": generations,
                "code_acceptance_activity_count": acceptances,
                "loc_suggested_to_add_sum": suggested,
                "loc_suggested_to_delete_sum": 0,
                "loc_added_sum": added,
                "loc_deleted_sum": int(added * 0.2),
                "used_agent": agent,
                "used_chat": chat,
                "totals_by_ide": [
                    {
                        "ide": "vscode",
                        "user_initiated_interaction_count": interactions,
                        "code_generation_activity_count": generations,
                        "code_acceptance_activity_count": acceptances,
                        "loc_suggested_to_add_sum": suggested,
                        "loc_added_sum": added,
                    }
                ],
                "totals_by_feature": [
                    {
                        "feature": "code_completion",
                        "user_initiated_interaction_count": 0,
                        "code_generation_activity_count": generations,
                        "code_acceptance_activity_count": acceptances,
                        "loc_suggested_to_add_sum": suggested,
                        "loc_added_sum": added,
                    }
                ],
            }
            lines.append((day, json.dumps(record, separators=(",", ":"))))
    lines.sort(key=lambda item: item[0])
    with path.open("w", encoding="utf-8") as handle:
        for _, line in lines:
            handle.write(line + "\n")


# --- Microsoft 365 Copilot usage user detail (CSV, last-activity dates only) -----------------

M365_HEADER = (
    "Report Refresh Date",
    "User Principal Name",
    "Display Name",
    "Last Activity Date",
    "Microsoft Teams Copilot Last Activity Date",
    "Word Copilot Last Activity Date",
    "Excel Copilot Last Activity Date",
    "PowerPoint Copilot Last Activity Date",
    "Outlook Copilot Last Activity Date",
    "OneNote Copilot Last Activity Date",
    "Loop Copilot Last Activity Date",
    "Copilot Chat Last Activity Date",
    "Report Period",
)
M365_APP_USE = (0.6, 0.45, 0.25, 0.15, 0.5, 0.05, 0.03, 0.55)


def write_m365_exports(
    workers: Sequence[_Worker], rng: np.random.Generator, out_dir: Path
) -> tuple[Path, ...]:
    refreshes = [DATA_END - dt.timedelta(days=7 * k) for k in range(M365_EXPORTS - 1, -1, -1)]
    history_start = refreshes[0] - dt.timedelta(days=60)
    workdays = _workdays(history_start, DATA_END)
    people = [
        w for w in workers if w.person.github_login is None and w.person.ai_licence_date is not None
    ]
    activity: dict[str, list[list[dt.date]]] = {}
    for worker in people:
        days = _active_days(worker, rng, workdays)
        use = np.asarray(M365_APP_USE)
        if worker.intensity in (None, "light", "minimal"):
            use = np.zeros_like(use)  # one app only (Teams): present, not integrated
            use[0] = 1.0
        apps = rng.random((len(days), len(M365_APP_USE))) < use
        activity[worker.person.email] = [
            [d for d, on in zip(days, apps[:, a], strict=True) if on]
            for a in range(len(M365_APP_USE))
        ]
    paths = []
    for refresh in refreshes:
        path = out_dir / f"CopilotUsageUserDetail-{refresh.isoformat()}.csv"
        with path.open("w", newline="", encoding="utf-8-sig") as handle:
            writer = csv.writer(handle)
            writer.writerow(M365_HEADER)
            for worker in people:
                per_app = [
                    max((d for d in days if d <= refresh), default=None)
                    for days in activity[worker.person.email]
                ]
                seen = [d for d in per_app if d is not None]
                writer.writerow(
                    [
                        refresh.isoformat(),
                        worker.person.email,
                        worker.person.name,
                        max(seen).isoformat() if seen else "",
                        *(d.isoformat() if d else "" for d in per_app),
                        "30",
                    ]
                )
        paths.append(path)
    return tuple(paths)


# --- Jira CSV export ---------------------------------------------------------------------------

JIRA_HEADER = (
    "Summary",
    "Issue key",
    "Issue id",
    "Issue Type",
    "Status",
    "Project key",
    "Project name",
    "Priority",
    "Assignee",
    "Assignee Id",
    "Reporter",
    "Created",
    "Updated",
    "Resolved",
    "Sprint",
    "Sprint",
    "Labels",
    "Labels",
    "Description",
    "Custom field (Story Points)",
    "Custom field (Start date)",
)
ISSUE_TYPES = ("Story", "Task", "Bug")
JIRA_SUMMARIES = (
    "Handle {thing} timeouts",
    "Add {thing} to the export",
    "Fix flaky {thing} test",
    "Refactor {thing} module",
    "Document {thing} API",
)
JIRA_THINGS = ("carrier", "route", "invoice", "manifest", "tracking", "warehouse", "label")


def _jira_time(moment: dt.datetime) -> str:
    """Jira's export format: 03/Feb/25 2:14 PM."""
    hour = moment.hour % 12 or 12
    meridiem = "AM" if moment.hour < 12 else "PM"
    return f"{moment:%d/%b/%y} {hour}:{moment:%M} {meridiem}"


def _sprint(day: dt.date, prefix: str) -> str:
    number = (day - DATA_START).days // SPRINT_DAYS + 1
    return f"{prefix} Sprint {number}"


@dataclass
class _Issue:
    project: str
    number: int
    worker: _Worker
    summary: str
    thing: str
    issue_type: str
    created: dt.datetime
    started: dt.datetime
    resolved: dt.datetime | None
    points: int
    sprints: list[str]
    reworked: bool
    ai_label: bool
    ai: float = 1.0
    """The planted AI multiplier on this issue's cycle time (1: none)."""
    reopen_shift: float = 0.0
    """The planted rise in this issue's chance of being reopened (0: none)."""
    reopened: bool = False


def reopen_shift(worker: _Worker, day: dt.date) -> float:
    """The planted rise in the chance that an AI user's issue finished on `day` is reopened:
    0 before adoption, then `ISSUE_REOPEN_EFFECT` ramping from RAMP_START of it to all of
    it over RAMP_DAYS, like the speed effect."""
    adopted = worker.person.adopted
    if worker.intensity is None or adopted is None or day < adopted:
        return 0.0
    return ISSUE_REOPEN_EFFECT * min(
        1.0, RAMP_START + (1.0 - RAMP_START) * (day - adopted).days / RAMP_DAYS
    )


def _issues(
    workers: Sequence[_Worker],
    rng: np.random.Generator,
    ai_effect: bool = True,
    instability: bool = True,
    reopen_rng: np.random.Generator | None = None,
) -> list[_Issue]:
    """Every issue; reopens are drawn from `reopen_rng` (none without it), one draw per
    issue after all the rest, so they shift no other figure of the demo."""
    issues: list[_Issue] = []
    counter = {"ENG": 0, "PROD": 0}
    span = (DATA_END - DATA_START).days
    for worker in workers:
        person = worker.person
        if person.function not in JIRA_FUNCTIONS or person.jira_account_id is None:
            continue
        project = "ENG" if person.function == "Engineering" else "PROD"
        baseline = 4.0 * float(np.exp(-SELECTION_STRENGTH * worker.propensity))
        adopted = person.adopted
        for _ in range(int(rng.poisson(1.2 * span / 7))):
            created = dt.datetime.combine(
                DATA_START + dt.timedelta(days=int(rng.integers(0, span))),
                dt.time(int(rng.integers(8, 18)), int(rng.integers(0, 60))),
            )
            started = created + dt.timedelta(hours=float(rng.lognormal(2.5, 0.8)))
            nominal = baseline * float(rng.lognormal(0.0, 0.6))
            finish = (started + dt.timedelta(days=nominal)).date()
            ai = _ai(worker, finish) if ai_effect else 1.0
            cycle = nominal * _secular(finish) * ai
            resolved = started + dt.timedelta(days=cycle)
            after = (
                worker.intensity is not None and adopted is not None and started.date() >= adopted
            )
            counter[project] += 1
            thing = JIRA_THINGS[int(rng.integers(0, len(JIRA_THINGS)))]
            sprints = [_sprint(created.date(), project)]
            if _sprint(resolved.date(), project) != sprints[0]:
                sprints.append(_sprint(resolved.date(), project))
            issues.append(
                _Issue(
                    project=project,
                    number=counter[project],
                    worker=worker,
                    summary=JIRA_SUMMARIES[int(rng.integers(0, len(JIRA_SUMMARIES)))].format(
                        thing=thing
                    ),
                    thing=thing,
                    issue_type=ISSUE_TYPES[int(rng.integers(0, 3))],
                    created=created,
                    started=started,
                    resolved=resolved if resolved.date() <= DATA_END else None,
                    points=int(rng.choice([1, 2, 3, 5, 8])),
                    sprints=sprints,
                    reworked=bool(
                        rng.random() < (REWORK_AFTER if after and instability else REWORK_BEFORE)
                    ),
                    ai_label=worker.intensity is not None and bool(rng.random() < 0.3),
                    ai=ai,
                )
            )
    if reopen_rng is not None:
        draws = reopen_rng.random(len(issues))
        for issue, draw in zip(issues, draws, strict=True):
            if issue.resolved is None or issue.project != "ENG":
                continue  # Product's issues come from a CSV without status history
            if instability:
                issue.reopen_shift = reopen_shift(issue.worker, issue.resolved.date())
            issue.reopened = bool(draw < ISSUE_REOPEN_BEFORE + issue.reopen_shift)
    return issues


def planted_reopen_effects(
    org: SyntheticOrganisation, seed: int, instability: bool = True
) -> dict[tuple[str, int], float]:
    """The planted effect of AI on each engineer's monthly reopen rate: for every (email,
    month number) with Engineering issues resolved in the month, the mean planted rise in
    those issues' chance of being reopened (what the reopen rate's expected value moves by).
    Rebuilt from the streams `write_exports` uses, like `planted_cycle_time_effects`."""
    workers = _workers(org, np.random.Generator(np.random.PCG64([seed, 10])))
    issues = _issues(
        workers,
        np.random.Generator(np.random.PCG64([seed, 13])),
        True,
        instability,
        np.random.Generator(np.random.PCG64([seed, 31])),
    )
    shifts: dict[tuple[str, int], list[float]] = {}
    for issue in issues:
        if issue.resolved is None or issue.project != "ENG":
            continue
        month = issue.resolved.year * 12 + issue.resolved.month - 1
        shifts.setdefault((issue.worker.person.email, month), []).append(issue.reopen_shift)
    return {key: float(np.mean(values)) for key, values in shifts.items()}


def planted_cycle_time_effects(
    org: SyntheticOrganisation, seed: int, ai_effect: bool = True
) -> dict[tuple[str, int], float]:
    """The planted effect of AI on each person's monthly cycle time, in days: for every
    (email, month number = year * 12 + month - 1) with issues resolved in the month, the
    median cycle time of those issues minus the median of the same issues without AI.

    Rebuilt from the same random streams `write_exports` uses, so it is about exactly the
    issues the exports hold. An estimator applied to these values (instead of the
    metric's) over the same people, months and cells gives the planted truth it should
    recover: everything else in the data (selection, the calendar shock, noise) is then
    absent by construction.
    """
    workers = _workers(org, np.random.Generator(np.random.PCG64([seed, 10])))
    issues = _issues(workers, np.random.Generator(np.random.PCG64([seed, 13])), ai_effect)
    cycles: dict[tuple[str, int], list[tuple[float, float]]] = {}
    for issue in issues:
        if issue.resolved is None:
            continue
        days = (issue.resolved - issue.started).total_seconds() / 86_400.0
        month = issue.resolved.year * 12 + issue.resolved.month - 1
        cycles.setdefault((issue.worker.person.email, month), []).append((days, days / issue.ai))
    return {
        key: float(np.median([a for a, _ in pairs]) - np.median([b for _, b in pairs]))
        for key, pairs in cycles.items()
    }


def write_jira_csv(issues: Sequence[_Issue], path: Path) -> None:
    """Jira's CSV export (all fields): BOM, repeated Sprint and Labels columns, newest first."""
    rows = []
    for n, issue in enumerate(sorted(issues, key=lambda i: i.created, reverse=True)):
        person = issue.worker.person
        done = issue.resolved is not None
        rows.append(
            [
                issue.summary,
                f"{issue.project}-{issue.number}",
                str(20_000 + n),
                issue.issue_type,
                "Done" if done else "In Progress",
                issue.project,
                "Product",
                "Medium",
                person.name,
                person.jira_account_id or "",
                person.name,
                _jira_time(issue.created),
                _jira_time(issue.resolved or issue.started),
                _jira_time(issue.resolved) if issue.resolved else "",
                issue.sprints[0],
                issue.sprints[1] if len(issue.sprints) > 1 else "",
                issue.thing,
                "ai-assisted" if issue.ai_label else "",
                f"As described in the {issue.thing} runbook.\nSteps:\n1. check\n2. fix",
                str(issue.points),
                _jira_time(issue.started),
            ]
        )
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(JIRA_HEADER)
        writer.writerows(rows)


def _rest_time(moment: dt.datetime) -> str:
    return f"{moment:%Y-%m-%dT%H:%M:%S}.000+0000"


STATUS_CATEGORY = {"To Do": "new", "In Progress": "indeterminate", "In Review": "indeterminate"}


def _changelog(issue: _Issue) -> list[dict[str, object]]:
    """To Do -> In Progress -> In Review (-> In Progress -> In Review) -> Done."""
    moves = [(issue.started, "To Do", "In Progress")]
    end = issue.resolved or DATA_END_TIME
    review = issue.started + (end - issue.started) * 0.6
    moves.append((review, "In Progress", "In Review"))
    if issue.reworked:
        back = issue.started + (end - issue.started) * 0.75
        moves += [
            (back, "In Review", "In Progress"),
            (back + (end - back) * 0.5, "In Progress", "In Review"),
        ]
    if issue.resolved is not None:
        if issue.reopened:  # done, then reopened for another review
            done = issue.started + (issue.resolved - issue.started) * 0.9
            again = issue.started + (issue.resolved - issue.started) * 0.95
            moves += [(done, "In Review", "Done"), (again, "Done", "In Review")]
        moves.append((issue.resolved, "In Review", "Done"))
    moves = [m for m in moves if m[0] <= DATA_END_TIME]
    return [
        {
            "id": str(n + 1),
            "created": _rest_time(at),
            "items": [{"field": "status", "fieldtype": "jira", "fromString": old, "toString": new}],
        }
        for n, (at, old, new) in enumerate(moves)
    ]


def write_jira_json(issues: Sequence[_Issue], path: Path) -> None:
    """Jira REST search results with `expand=changelog,names` (one page holding all issues)."""
    records = []
    for n, issue in enumerate(issues):
        person = issue.worker.person
        log = _changelog(issue)
        status = log[-1]["items"][0]["toString"] if log else "To Do"  # type: ignore[index]
        records.append(
            {
                "expand": "operations,changelog",
                "id": str(10_000 + n),
                "key": f"{issue.project}-{issue.number}",
                "fields": {
                    "summary": issue.summary,
                    "issuetype": {"name": issue.issue_type},
                    "project": {"key": issue.project, "name": "Engineering"},
                    "status": {
                        "name": status,
                        "statusCategory": {"key": STATUS_CATEGORY.get(str(status), "done")},
                    },
                    "assignee": {"accountId": person.jira_account_id, "displayName": person.name},
                    "created": _rest_time(issue.created),
                    "updated": _rest_time(issue.resolved or issue.started),
                    "resolutiondate": _rest_time(issue.resolved) if issue.resolved else None,
                    "customfield_10016": float(issue.points),
                    "customfield_10020": [
                        {"id": 1, "name": name, "state": "closed"} for name in issue.sprints
                    ],
                    "labels": ["ai-assisted"] if issue.ai_label else [],
                },
                "changelog": {
                    "startAt": 0,
                    "maxResults": len(log),
                    "total": len(log),
                    "histories": log,
                },
            }
        )
    document = {
        "expand": "names,schema",
        "startAt": 0,
        "maxResults": len(records),
        "total": len(records),
        "issues": records,
        "names": {"customfield_10016": "Story point estimate", "customfield_10020": "Sprint"},
    }
    with path.open("w", encoding="utf-8") as handle:
        json.dump(document, handle, separators=(",", ":"))


# --- Zendesk ticket export -------------------------------------------------------------------

ZENDESK_HEADER = (
    "Id",
    "Requester",
    "Requester email",
    "Assignee",
    "Assignee email",
    "Group",
    "Subject",
    "Tags",
    "Status",
    "Priority",
    "Ticket type",
    "Created at",
    "Updated at",
    "Solved at",
    "Reopens",
    "Replies",
)


def _zendesk_time(moment: dt.datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} +0000"


def write_tickets(
    workers: Sequence[_Worker],
    rng: np.random.Generator,
    path: Path,
    ai_effect: bool = True,
    instability: bool = True,
) -> None:
    rows: list[tuple[dt.datetime, list[str]]] = []
    span = (DATA_END - DATA_START).days
    for worker in workers:
        person = worker.person
        if person.function != SUPPORT or person.role_level != "individual_contributor":
            continue
        baseline = 20.0 * float(np.exp(-SELECTION_STRENGTH * worker.propensity))
        adopted = person.adopted
        for _ in range(int(rng.poisson(3 * span / 7))):
            created = dt.datetime.combine(
                DATA_START + dt.timedelta(days=int(rng.integers(0, span))),
                dt.time(int(rng.integers(0, 24)), int(rng.integers(0, 60))),
            )
            after = instability and adopted is not None and created.date() >= adopted
            hours = baseline * float(rng.lognormal(0.0, 0.7))
            if ai_effect:
                hours *= ai_factor(TICKET_RESOLUTION_FACTOR, adopted, created.date())
            solved = created + dt.timedelta(hours=hours)
            reopens = int(rng.random() < (REOPEN_AFTER if after else REOPEN_BEFORE))
            done = solved.date() <= DATA_END
            rows.append(
                (
                    created,
                    [
                        str(100_000 + len(rows)),
                        f"Customer {int(rng.integers(1, 9999))}",
                        f"customer{int(rng.integers(1, 9999))}@shipper.example",
                        person.name,
                        person.email,
                        "Frontline",
                        "Where is my parcel?",
                        "delivery",
                        "Solved" if done else "Open",
                        "Normal",
                        "Question",
                        _zendesk_time(created),
                        _zendesk_time(solved if done else created),
                        _zendesk_time(solved) if done else "",
                        str(reopens),
                        str(int(rng.integers(1, 6))),
                    ],
                )
            )
    rows.sort(key=lambda item: item[0])
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(ZENDESK_HEADER)
        writer.writerows(row for _, row in rows)


# --- friction log and training ---------------------------------------------------------------

FRICTION_HEADER = (
    "date",
    "use_case",
    "tool",
    "minutes_correcting",
    "minutes_saved",
    "severity",
    "outcome",
    "team",
    "note",
)


def write_friction(org: SyntheticOrganisation, rng: np.random.Generator, path: Path) -> None:
    teams = [t.key for t in org.teams if t.parent is not None]
    span = (DATA_END - dt.date(2026, 1, 1)).days
    rows: list[list[str]] = []
    for use_case, (tool, entries, p_correct, correcting, saved) in FRICTION_USE_CASES.items():
        for _ in range(entries):
            day = dt.date(2026, 1, 1) + dt.timedelta(days=int(rng.integers(0, span)))
            corrected = bool(rng.random() < p_correct)
            outcome = "kept" if not corrected else ("fixed" if rng.random() < 0.7 else "discarded")
            minutes = int(max(1, rng.normal(correcting, correcting / 3))) if corrected else 0
            saved_minutes = int(max(0, rng.normal(saved, saved / 3)))
            severity = "low" if not corrected else ("high" if rng.random() < 0.25 else "medium")
            rows.append(
                [
                    day.isoformat(),
                    use_case,
                    tool,
                    str(minutes),
                    str(saved_minutes),
                    severity,
                    outcome,
                    teams[int(rng.integers(0, len(teams)))] if rng.random() < 0.5 else "",
                    "",
                ]
            )
    rows.sort(key=lambda row: row[0])
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(FRICTION_HEADER)
        writer.writerows(rows)


TRAINING_MAPPING = """# The learning platform's completion export (see docs/import-formats.md).
target = "training"
source = "learning-platform"
identity = "email"

[columns]
person = "Learner Email"
name = "Course"
completed_on = "Completed On"
kind = "Type"

[formats]
completed_on = "%d.%m.%Y"
"""


def write_training(
    workers: Sequence[_Worker], rng: np.random.Generator, csv_path: Path, mapping: Path
) -> None:
    rows = []
    for worker in workers:
        licence = worker.person.ai_licence_date
        if licence is None or rng.random() > 0.45:
            continue
        done = max(licence, DATA_START) + dt.timedelta(days=int(rng.integers(0, 30)))
        if done > DATA_END:
            continue
        rows.append([worker.person.email, "AI at Northwind: the basics", done, "training"])
        if rng.random() < 0.25:
            later = done + dt.timedelta(days=int(rng.integers(20, 60)))
            if later <= DATA_END:
                rows.append(
                    [worker.person.email, "Prompting for your role", later, "certification"]
                )
    with csv_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Learner Email", "Course", "Completed On", "Type"])
        writer.writerows([e, c, f"{d:%d.%m.%Y}", k] for e, c, d, k in rows)
    mapping.write_text(TRAINING_MAPPING, encoding="utf-8")


def _if_rows(path: Path | None) -> Path | None:
    """The path if the file holds more than a header line."""
    if path is None:
        return None
    with path.open("rb") as handle:
        lines = sum(1 for _, _ in zip(range(2), handle, strict=False))
    return path if lines > 1 else None


def write_exports(
    org: SyntheticOrganisation,
    out_dir: Path,
    seed: int,
    *,
    ai_effect: bool = True,
    instability: bool = True,
) -> DemoExports:
    """Every export, each from its own random stream so adding one never shifts another.
    `ai_effect=False` plants no effect of AI on cycle time or time to resolution (usage,
    selection and the calendar shock stay): an estimator must then find none.
    `instability=False` plants no rise in reopened issues, rework or reopened tickets."""
    exports = out_dir / "exports"
    exports.mkdir(parents=True, exist_ok=True)
    workers = _workers(org, np.random.Generator(np.random.PCG64([seed, 10])))

    def stream(n: int) -> np.random.Generator:
        return np.random.Generator(np.random.PCG64([seed, n]))

    copilot = exports / "copilot-usage-users.ndjson"
    jira_csv = exports / "Jira Export.csv"
    jira_json = exports / "jira-search-ENG.json"
    tickets = exports / "zendesk-tickets.csv"
    friction = exports / "friction-log.csv"
    training = exports / "learning-completions.csv"
    mapping = exports / "learning-completions.toml"
    write_copilot_usage(workers, stream(11), copilot)
    m365 = write_m365_exports(workers, stream(12), exports)
    issues = _issues(workers, stream(13), ai_effect, instability, stream(31))
    write_jira_csv([i for i in issues if i.project == "PROD"], jira_csv)
    write_jira_json([i for i in issues if i.project == "ENG"], jira_json)
    write_tickets(workers, stream(14), tickets, ai_effect, instability)
    write_friction(org, stream(15), friction)
    write_training(workers, stream(16), training, mapping)
    # A tiny organisation may have no one in a function: an export with no rows is not
    # imported (the importers rightly refuse a file with a header and nothing else).
    return DemoExports(
        copilot_usage=_if_rows(copilot),
        m365_copilot=m365,
        jira=_if_rows(jira_csv),
        jira_json=jira_json if any(i.project == "ENG" for i in issues) else None,
        tickets=_if_rows(tickets),
        friction=friction,
        training=_if_rows(training),
        training_mapping=mapping,
    )


FEEDBACK_PLANTED: dict[str, tuple[str, str, int]] = {
    # use case: (kind, text, items) -- what people said through the anonymous channel
    "test generation": ("working", "Copilot writes the boring edge-case tests for me", 30),
    "meeting notes": ("working", "Meeting summaries are accurate and save me the write-up", 28),
    "ticket summaries": ("working", "Ticket summaries get me up to speed on escalations", 26),
    "code review": ("friction", "AI review comments miss the real problems and add noise", 24),
    "customer replies": ("friction", "Drafted replies quote the wrong refund policy", 27),
}
FEEDBACK_IDEAS: dict[str, str] = {
    # use case: an idea about it, said once a month -- real feedback about a workflow is
    # never of one kind, and a release never publishes a group whose items are all alike
    "test generation": "It could also suggest property-based tests",
    "meeting notes": "Action items could go straight into the tracker",
    "ticket summaries": "Summaries could link the customer's earlier tickets",
    "code review": "Let the reviewer bot read the design doc first",
    "customer replies": "Replies should cite the policy page they use",
}


def feedback_items(seed: int) -> list[tuple[str, str, str, dt.date]]:
    """(kind, use case, text, day) for the demo's anonymous feedback channel."""
    rng = np.random.Generator(np.random.PCG64([seed, 17]))
    span = (DATA_END - dt.date(2026, 1, 1)).days
    items = []
    for use_case, (kind, text, count) in FEEDBACK_PLANTED.items():
        for n in range(count):
            day = dt.date(2026, 1, 1) + dt.timedelta(days=int(rng.integers(0, span)))
            items.append((kind, use_case, f"{text} ({n + 1})", day))
    for use_case, text in FEEDBACK_IDEAS.items():
        for month in range(1, DATA_END.month + 1):
            # days 4 to 25 lie in the month's ISO weeks (those whose Thursday is in it)
            day = dt.date(2026, month, int(rng.integers(4, 26)))
            items.append(("idea", use_case, f"{text} ({month})", day))
    return items
