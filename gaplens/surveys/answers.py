"""Validating one response's bands and answers, whatever carried them (CSV row, web form,
JSON): every channel accepts exactly the same values and reports problems the same way."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from gaplens.connectors.fields import optional_text, parse_key, parse_number, parse_role_level
from gaplens.errors import ProblemCollector
from gaplens.i18n import N_
from gaplens.surveys.question_bank import (
    AGREE5_OPTIONS,
    ATTRIBUTE_QUESTIONS,
    Audience,
    BankEntry,
    Scale,
)

TENURE_BANDS = ("none", "<1", "1-6", "6+")
MAX_TEXT = 4000
LEADER_ROLES = frozenset({"executive", "manager"})
Getter = Callable[[str], str]
"""Returns the raw text given for a field ('' when absent); multi-choice options joined by ';'."""


@dataclass(frozen=True)
class ParsedAnswer:
    question_key: str
    ordinal: int
    option_index: int | None
    number: float | None
    text: str | None


@dataclass(frozen=True)
class Bands:
    role_level: str
    team: str | None
    function: str | None
    ai_tenure_band: str | None


def parse_bands(get: Getter, problems: ProblemCollector, row: int | None) -> Bands | None:
    before = problems.count
    role = parse_role_level(get("role_level"), problems, row, "role_level")
    team_text = get("team").strip()
    team = parse_key(team_text, problems, row, "team") if team_text else None
    function = optional_text(get("function"), problems, row, "function", 100)
    tenure = get("ai_tenure").strip()
    if tenure and tenure not in TENURE_BANDS:
        problems.add(
            N_("'%(value)s' is not a tenure band (%(allowed)s)"),
            row,
            "ai_tenure",
            {"value": tenure[:40], "allowed": ", ".join(TENURE_BANDS)},
        )
    if role is None or problems.count != before:
        return None
    return Bands(role.value, team, function, tenure or None)


class AnswerParser:
    def __init__(self, questions: Mapping[str, BankEntry], problems: ProblemCollector) -> None:
        self.questions = [
            (key, entry) for key, entry in questions.items() if key not in ATTRIBUTE_QUESTIONS
        ]
        self.problems = problems
        self._option_lookup = {key: _option_lookup(entry) for key, entry in questions.items()}

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(key for key, _ in self.questions)

    def answers(self, row: int | None, get: Getter, role: str | None) -> list[ParsedAnswer]:
        answers: list[ParsedAnswer] = []
        for key, entry in self.questions:
            raw = get(key)
            if not raw or raw.isspace():
                continue
            if entry.audience is Audience.LEADERS and role is not None and role not in LEADER_ROLES:
                self.problems.add(N_("this question is for executives and managers only"), row, key)
                continue
            answers.extend(self._parse(row, key, entry, raw))
        return answers

    def _parse(self, row: int | None, key: str, entry: BankEntry, raw: str) -> list[ParsedAnswer]:
        scale = entry.scale
        if scale is Scale.NUMBER:
            number = parse_number(raw, self.problems, row, key, entry.bounds)
            return [] if number is None else [ParsedAnswer(key, 0, None, number, None)]
        if scale is Scale.TEXT:
            text = raw.strip()
            if len(text) > MAX_TEXT:
                self.problems.add(
                    N_("longer than %(limit)s characters"), row, key, {"limit": MAX_TEXT}
                )
                return []
            return [ParsedAnswer(key, 0, None, None, text)]
        lookup = self._option_lookup[key]
        parts = raw.split(";") if scale is Scale.MULTI else [raw]
        chosen: list[ParsedAnswer] = []
        for part in parts:
            label = part.strip().lower()
            if not label and scale is Scale.MULTI:
                continue
            index = lookup.get(label)
            if index is None:
                allowed = "; ".join(entry.options)
                self.problems.add(
                    N_("'%(value)s' is not an option (%(allowed)s)"),
                    row,
                    key,
                    {"value": part.strip()[:40], "allowed": allowed},
                )
                return []
            if scale is Scale.MULTI:
                if any(a.option_index == index for a in chosen):
                    continue
                chosen.append(ParsedAnswer(key, index, index, None, None))
            else:
                chosen.append(ParsedAnswer(key, 0, index, None, None))
        return chosen


def _option_lookup(entry: BankEntry) -> dict[str, int]:
    lookup = {option.lower(): index for index, option in enumerate(entry.options)}
    if entry.options == AGREE5_OPTIONS:
        lookup.update({str(index + 1): index for index in range(5)})
    return lookup
