"""A small organisation with a task catalogue and planted answers, written as the CSV files a
user would import, so the tests go through the same import paths."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path

from gaplens.db.engine import session_scope
from gaplens.directory.service import import_teams
from gaplens.releases.tasks.service import build_task_release
from gaplens.tasks.service import find_round, import_answers, import_catalogue
from tests.files import write_csv

ROUND = "Task map 2026-Q4"
DAY = "2026-10-05"
AFTER = dt.date(2026, 10, 6)
TEAMS = [
    {"key": "acme", "name": "Acme", "parent": "", "function": "Leadership"},
    {"key": "eng", "name": "Engineering", "parent": "acme", "function": "Engineering"},
    {"key": "eng-core", "name": "Core", "parent": "eng", "function": "Engineering"},
    {"key": "eng-web", "name": "Web", "parent": "eng", "function": "Engineering"},
    {"key": "eng-tiny", "name": "Tiny", "parent": "eng", "function": "Engineering"},
    {"key": "support", "name": "Support", "parent": "acme", "function": "Support"},
    {"key": "support-emea", "name": "EMEA", "parent": "support", "function": "Support"},
    {"key": "support-night", "name": "Nights", "parent": "support", "function": "Support"},
]  # fmt: skip
CATALOGUE_HEADER = ["function", "key", "label", "needs_judgement", "use_cases", "metrics"]
CATALOGUE = [
    {"function": "Engineering", "key": "boilerplate", "label": "Boilerplate code",
     "needs_judgement": "1", "use_cases": "code completion", "metrics": "cycle_time"},
    {"function": "Engineering", "key": "test-scaffolding", "label": "Test scaffolding",
     "needs_judgement": "2", "use_cases": "", "metrics": ""},
    {"function": "Engineering", "key": "design", "label": "System design",
     "needs_judgement": "5", "use_cases": "", "metrics": ""},
    {"function": "Support", "key": "triage", "label": "Ticket triage",
     "needs_judgement": "", "use_cases": "", "metrics": "time_to_resolution"},
    {"function": "Support", "key": "calls", "label": "Customer calls",
     "needs_judgement": "4", "use_cases": "", "metrics": ""},
]  # fmt: skip
ANSWER_HEADER = [
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
]
ENGINEERING = ("boilerplate", "test-scaffolding", "design")
SUPPORT = ("triage", "calls")


def respondent(
    rid: str,
    function: str,
    team: str,
    answers: dict[str, tuple[str, float, int]],
    free: Sequence[tuple[str, str, float, int]] = (),
    role: str = "individual_contributor",
    day: str = DAY,
) -> list[dict[str, str]]:
    """One respondent's CSV rows: catalogue answers (key -> stance, hours, judgement) and
    free tasks (label, stance, hours, judgement)."""
    base = {
        "response_id": rid,
        "answered_on": day,
        "role_level": role,
        "team": team,
        "function": function,
    }
    rows = [
        {**base, "task_key": key, "free_task": "", "stance": s, "hours_lost": str(h),
         "judgement": str(j)}
        for key, (s, h, j) in answers.items()
    ]  # fmt: skip
    rows += [
        {**base, "task_key": "", "free_task": label, "stance": s, "hours_lost": str(h),
         "judgement": str(j)}
        for label, s, h, j in free
    ]  # fmt: skip
    return rows


def _index(rid: str) -> int:
    """The number at the end of a respondent id ('core-r3' -> 3), to vary answers by."""
    digits = "".join(ch for ch in rid if ch.isdigit())
    return int(digits or 0)


def engineer(
    rid: str, team: str, pattern: str = "builder", free: Sequence[tuple[str, str, float, int]] = ()
) -> list[dict[str, str]]:
    """Builders hate boilerplate and scaffolding and keep design; reviewers keep everything
    but boilerplate. Every fourth one differs on stances and every other one on hours and
    judgement: a release never publishes a group whose answers are all alike (that would
    tell each member's answer), so a group of identical answers would show nothing."""
    odd, fourth = _index(rid) % 2, _index(rid) % 4 == 3
    if pattern == "builder":
        answers = {
            "boilerplate": ("neither" if fourth else "hate", 12.0 if odd else 6.0, 1 + odd),
            "test-scaffolding": ("keep" if fourth else "hate", 1.0 if odd else 3.0, 2 + odd),
            "design": ("neither" if fourth else "keep", 1.5 if odd else 0.0, 5 - odd),
        }
    else:
        answers = {
            "boilerplate": ("hate" if fourth else "neither", 0.5 if odd else 2.0, 2 + odd),
            "test-scaffolding": ("neither" if fourth else "keep", 2.0 if odd else 1.0, 3 + odd),
            "design": ("neither" if fourth else "keep", 1.5 if odd else 0.0, 5 - odd),
        }
    return respondent(rid, "Engineering", team, answers, free)


def support_agent(
    rid: str, team: str, free: Sequence[tuple[str, str, float, int]] = ()
) -> list[dict[str, str]]:
    odd, fourth = _index(rid) % 2, _index(rid) % 4 == 3
    answers = {
        "triage": ("neither" if fourth else "hate", 1.5 if odd else 5.0, 1 + odd),
        "calls": ("hate" if fourth else "keep", 3.0 if odd else 0.5, 4 + odd),
    }
    return respondent(rid, "Support", team, answers, free)


def rows_of(*respondents: Iterable[dict[str, str]]) -> list[dict[str, str]]:
    return [row for rows in respondents for row in rows]


def load_teams_and_catalogue(url: str, tmp_path: Path) -> None:
    with session_scope(url) as session:
        import_teams(session, write_csv(tmp_path / "teams.csv", TEAMS), "Acme")
        import_catalogue(
            session, write_csv(tmp_path / "catalogue.csv", CATALOGUE, CATALOGUE_HEADER)
        )


def import_rows(
    url: str, tmp_path: Path, rows: list[dict[str, str]], name: str = "answers.csv"
) -> None:
    """Import as `gaplens import task-answers` does: the answers, then the round's release
    (built the day after DAY, so DAY's answers are complete)."""
    with session_scope(url) as session:
        done = import_answers(session, write_csv(tmp_path / name, rows, ANSWER_HEADER), ROUND)
        build_task_release(session, find_round(session, done.round), today=AFTER)


def standard(url: str, tmp_path: Path) -> None:
    """Engineering: Core 12 (8 builders, 4 reviewers), Web 9 builders, Tiny 4 builders;
    Support: EMEA 11, Nights 3, 2 who did not name a team. Ten Core engineers name 'Flaky CI
    reruns' (spelt two ways); three Web ones 'Expense reports'."""
    load_teams_and_catalogue(url, tmp_path)
    flaky = [("Flaky  CI reruns", "hate", 2.0, 1)]
    flaky_lower = [("flaky ci reruns ", "neither", 1.0, 2)]
    expenses = [("Expense reports", "hate", 1.0, 1)]
    rows = rows_of(
        *(engineer(f"core-{n}", "eng-core", "builder", flaky if n < 8 else ()) for n in range(8)),
        *(
            engineer(f"core-r{n}", "eng-core", "reviewer", flaky_lower if n < 2 else ())
            for n in range(4)
        ),
        *(engineer(f"web-{n}", "eng-web", "builder", expenses if n < 3 else ()) for n in range(9)),
        *(engineer(f"tiny-{n}", "eng-tiny") for n in range(4)),
        *(support_agent(f"sup-{n}", "support-emea") for n in range(11)),
        *(support_agent(f"night-{n}", "support-night") for n in range(3)),
        *(support_agent(f"anon-{n}", "") for n in range(2)),
    )
    import_rows(url, tmp_path, rows)
