"""Validating one respondent's task answers, whatever they came from (form, API, CSV).

Pure: the caller passes the round's tasks and a `ProblemCollector` that knows the source,
and says where each value sat (a form field, a JSON path, a CSV row and column), so every
problem names what to fix. Every catalogue task of the respondent's function must be
answered: then every figure about a task describes exactly the respondents of its group, and
the privacy gate's respondent sets are the sets the numbers are computed from.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from gaplens.errors import ProblemCollector
from gaplens.friction.figures import use_case_key, use_case_label
from gaplens.i18n import N_
from gaplens.tasks.models import STANCES

MAX_HOURS = 40.0
"""Hours per week lost on one task: a working week; more is a typo."""
JUDGEMENT_MIN, JUDGEMENT_MAX = 1, 5
MAX_FREE_TASKS = 5
FREE_LABEL_MIN, FREE_LABEL_MAX = 2, 100
STANCE_LABELS = {
    "keep": N_("I want to keep doing it"),
    "hate": N_("I'd happily hand it off"),
    "neither": N_("Neither"),
}
JUDGEMENT_LABELS = {
    1: N_("1 — none, it's routine"),
    2: N_("2 — a little"),
    3: N_("3 — some"),
    4: N_("4 — a lot"),
    5: N_("5 — it's all judgement"),
}


@dataclass(frozen=True)
class Where:
    """Where a value sat, so a problem can name it: a row (CSV) and a field or column."""

    row: int | None
    field: str


@dataclass(frozen=True)
class RawTaskAnswer:
    """One task's answer as received: text fields, not yet checked."""

    key: str | None
    """A catalogue task key, or None for a free task."""
    label: str | None
    """The free task as typed, or None for a catalogue task."""
    stance: str
    hours_lost: str
    judgement: str
    stance_at: Where
    hours_at: Where
    judgement_at: Where
    task_at: Where


@dataclass(frozen=True)
class TaskAnswerValue:
    """One checked answer: stance, hours per week lost, judgement 1-5."""

    key: str | None
    label: str | None
    stance: str
    hours_lost: float
    judgement: int

    @property
    def free_key(self) -> str | None:
        """Free tasks group by case- and space-folded label ('Chasing  couriers' = 'chasing
        couriers')."""
        return use_case_key(self.label) if self.label is not None else None


ANSWERED_TWICE = (
    N_("task '%(value)s' is answered twice"),
    N_("task '%(value)s' is answered twice (first in row %(first)s)"),
)
NAMED_TWICE = (
    N_("'%(value)s' is named twice"),
    N_("'%(value)s' is named twice (first in row %(first)s)"),
)


def parse_stance(value: str, problems: ProblemCollector, at: Where) -> str | None:
    text = value.strip().lower()
    if text not in STANCES:
        allowed = ", ".join(STANCES)
        if text:
            problems.add(
                N_("'%(value)s' is not one of %(allowed)s"),
                at.row,
                at.field,
                {"value": _clip(value.strip()), "allowed": allowed},
            )
        else:
            problems.add(
                N_("an empty value is not one of %(allowed)s"),
                at.row,
                at.field,
                {"allowed": allowed},
            )
        return None
    return text


def parse_hours(value: str, problems: ProblemCollector, at: Where) -> float | None:
    text = value.strip()
    if not text:
        problems.add(N_("hours per week lost are required (0 if none)"), at.row, at.field)
        return None
    try:
        hours = float(text)
    except ValueError:
        problems.add(
            N_("'%(value)s' is not a number of hours"), at.row, at.field, {"value": _clip(text)}
        )
        return None
    if not math.isfinite(hours) or not 0 <= hours <= MAX_HOURS:
        problems.add(
            N_("'%(value)s' is outside 0 to %(high)s hours per week"),
            at.row,
            at.field,
            {"value": _clip(text), "high": f"{MAX_HOURS:g}"},
        )
        return None
    return round(hours, 1)


def parse_judgement(value: str, problems: ProblemCollector, at: Where) -> int | None:
    text = value.strip()
    if (
        not text.isascii()
        or not text.isdigit()
        or not (JUDGEMENT_MIN <= int(text) <= JUDGEMENT_MAX)
    ):
        bounds = {"low": JUDGEMENT_MIN, "high": JUDGEMENT_MAX}
        if text:
            problems.add(
                N_("'%(value)s' is not a judgement from %(low)s to %(high)s"),
                at.row,
                at.field,
                {"value": _clip(text), **bounds},
            )
        else:
            problems.add(
                N_("an empty value is not a judgement from %(low)s to %(high)s"),
                at.row,
                at.field,
                bounds,
            )
        return None
    return int(text)


def check_answers(
    raw: Sequence[RawTaskAnswer],
    catalogue: Mapping[str, str],
    function: str,
    problems: ProblemCollector,
    missing_at: Where,
) -> list[TaskAnswerValue]:
    """Every answer checked, every catalogue task (key -> label) answered exactly once, at
    most MAX_FREE_TASKS free tasks with distinct labels that are not catalogue tasks.

    Returns the answers in catalogue order, then free tasks in the order given; problems go
    to `problems` (the caller raises), and an answer with a problem is left out."""
    labels_by_key = {use_case_key(label): key for key, label in catalogue.items()}
    seen: dict[str, Where] = {}
    seen_free: dict[str, Where] = {}
    values: list[TaskAnswerValue] = []
    free_count = 0
    for item in raw:
        label: str | None = None
        if item.key is not None:
            key = item.key.strip()
            if key not in catalogue:
                problems.add(
                    N_("'%(value)s' is not a task of %(function)s's catalogue"),
                    item.task_at.row,
                    item.task_at.field,
                    {"value": _clip(key), "function": function},
                )
                continue
            if key in seen:
                _twice(problems, ANSWERED_TWICE, key, item, seen[key])
                continue
            seen[key] = item.task_at
        else:
            label = use_case_label(item.label or "")
            free_key = use_case_key(label)
            if not FREE_LABEL_MIN <= len(label) <= FREE_LABEL_MAX:
                problems.add(
                    N_("a task needs %(low)s to %(high)s characters"),
                    item.task_at.row,
                    item.task_at.field,
                    {"low": FREE_LABEL_MIN, "high": FREE_LABEL_MAX},
                )
                continue
            if free_key in labels_by_key:
                problems.add(
                    N_("'%(value)s' is already a listed task; answer it there"),
                    item.task_at.row,
                    item.task_at.field,
                    {"value": _clip(label)},
                )
                continue
            if free_key in seen_free:
                _twice(problems, NAMED_TWICE, _clip(label), item, seen_free[free_key])
                continue
            seen_free[free_key] = item.task_at
            free_count += 1
            if free_count > MAX_FREE_TASKS:
                problems.add(
                    N_("at most %(limit)s tasks of your own"),
                    item.task_at.row,
                    item.task_at.field,
                    {"limit": MAX_FREE_TASKS},
                )
                continue
            key = None
        stance = parse_stance(item.stance, problems, item.stance_at)
        hours = parse_hours(item.hours_lost, problems, item.hours_at)
        judgement = parse_judgement(item.judgement, problems, item.judgement_at)
        if stance is None or hours is None or judgement is None:
            continue
        values.append(TaskAnswerValue(key, label, stance, hours, judgement))
    missing = [key for key in catalogue if key not in seen]
    if missing:
        shown = ", ".join(f"'{key}'" for key in missing[:5])
        given: dict[str, object] = {"function": function, "missing": shown}
        if len(missing) > 5:
            message = N_(
                "every task of %(function)s needs an answer ('neither' and 0 hours are "
                "answers); missing: %(missing)s and %(more)s more"
            )
            given["more"] = len(missing) - 5
        else:
            message = N_(
                "every task of %(function)s needs an answer ('neither' and 0 hours are "
                "answers); missing: %(missing)s"
            )
        problems.add(message, missing_at.row, missing_at.field, given)
    order = {key: n for n, key in enumerate(catalogue)}
    values.sort(key=lambda v: order.get(v.key, len(order)) if v.key is not None else len(order))
    return values


def _twice(
    problems: ProblemCollector,
    messages: tuple[str, str],
    value: str,
    item: RawTaskAnswer,
    first: Where,
) -> None:
    """A task given twice; in a file, with the row it was first given in (`messages`: the
    sentence without and with that row)."""
    message = messages[0] if first.row is None else messages[1]
    problems.add(
        message, item.task_at.row, item.task_at.field, {"value": value, "first": first.row}
    )


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


FREE_SLOTS = 3
"""Free-task rows on the web form (the API and CSV take up to MAX_FREE_TASKS)."""


def form_field(kind: str, key: str) -> str:
    """The form's field name for one task's value: 'stance.ticket-triage'."""
    return f"{kind}.{key}"


def free_field(kind: str, slot: int) -> str:
    return f"free.{slot}.{kind}"


def form_answers(values: Mapping[str, str], task_keys: Sequence[str]) -> list[RawTaskAnswer]:
    """The web form's fields as raw answers; a free-task row left wholly empty is skipped."""
    raw = []
    for key in task_keys:
        fields = {kind: form_field(kind, key) for kind in ("stance", "hours", "judgement")}
        raw.append(
            RawTaskAnswer(
                key=key,
                label=None,
                stance=values.get(fields["stance"], ""),
                hours_lost=values.get(fields["hours"], ""),
                judgement=values.get(fields["judgement"], ""),
                stance_at=Where(None, fields["stance"]),
                hours_at=Where(None, fields["hours"]),
                judgement_at=Where(None, fields["judgement"]),
                task_at=Where(None, fields["stance"]),
            )
        )
    for slot in range(1, FREE_SLOTS + 1):
        kinds = ("label", "stance", "hours", "judgement")
        fields = {kind: free_field(kind, slot) for kind in kinds}
        label = values.get(fields["label"], "")
        rest = [values.get(fields[kind], "") for kind in ("stance", "hours", "judgement")]
        if not label.strip() and not any(v.strip() for v in rest):
            continue
        raw.append(
            RawTaskAnswer(
                key=None,
                label=label,
                stance=rest[0],
                hours_lost=rest[1],
                judgement=rest[2],
                stance_at=Where(None, fields["stance"]),
                hours_at=Where(None, fields["hours"]),
                judgement_at=Where(None, fields["judgement"]),
                task_at=Where(None, fields["label"]),
            )
        )
    return raw
