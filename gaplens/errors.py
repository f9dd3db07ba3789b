"""Errors a user can act on: they name the file, row and column (or the field) at fault."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from gaplens.i18n import N_


@dataclass(frozen=True)
class InputProblem:
    """One thing wrong with an input, located as precisely as the input allows."""

    message: str
    source: str | None = None
    row: int | None = None
    column: str | None = None
    template: str | None = None
    """The message before its values were filled in (a gettext msgid with `%(name)s`
    placeholders), so a respondent page can show it in the page's language."""
    values: tuple[tuple[str, object], ...] = ()

    @classmethod
    def worded(
        cls,
        template: str,
        values: Mapping[str, object],
        source: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> InputProblem:
        """A problem from a template and its values: the English text filled in now, the
        template kept for a page to translate."""
        kept = tuple(values.items())
        return cls(template % values, source, row, column, template=template, values=kept)

    def __str__(self) -> str:
        where = []
        if self.source:
            where.append(self.source)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column '{self.column}'")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


@dataclass
class InputError(Exception):
    """Raised before anything is written; adapters turn it into exit status 2 or a 4xx."""

    problems: list[InputProblem] = field(default_factory=list)
    more: int = 0

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        lines = [str(p) for p in self.problems]
        if self.more:
            lines.append(f"... and {self.more} more problem(s)")
        return "\n".join(lines)

    @classmethod
    def single(
        cls,
        message: str,
        source: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> InputError:
        return cls([InputProblem(message, source, row, column)])


class ProblemCollector:
    """Gathers problems during one validation pass, keeping the first few for the message."""

    def __init__(self, source: str, limit: int = 20) -> None:
        self.source = source
        self.limit = limit
        self.problems: list[InputProblem] = []
        self.count = 0

    def add(
        self,
        message: str,
        row: int | None = None,
        column: str | None = None,
        values: Mapping[str, object] | None = None,
    ) -> None:
        """`message` with `values` is a template (`'%(value)s' is not a number`): the English
        text is filled in here, and the template kept for translation."""
        self.count += 1
        if len(self.problems) < self.limit:
            if values is None:
                self.problems.append(InputProblem(message, self.source, row, column))
                return
            self.problems.append(InputProblem.worded(message, values, self.source, row, column))

    def __bool__(self) -> bool:
        return self.count > 0

    def raise_if_any(self) -> None:
        if self.count:
            raise InputError(list(self.problems), self.count - len(self.problems))


_QUOTED = re.compile(r"'([^']*)'")
_CLIP = 40


def _typed(value: object) -> str:
    """What was typed, short enough to quote in a sentence."""
    text = str(value).strip()
    return text if len(text) <= _CLIP else text[: _CLIP - 1] + "…"


def _check_words(check: Mapping[str, Any]) -> tuple[str, dict[str, object]]:
    """One Pydantic check's failure as a catalogue template and its named values, so a
    respondent page can say it in its own language; an unknown kind keeps Pydantic's words
    (they only reach the JSON API and the CLI, never a form's own fields)."""
    kind = check["type"]
    ctx = check.get("ctx") or {}
    typed = check.get("input")
    blank = typed is None or (isinstance(typed, str) and not typed.strip())
    if kind == "missing" or (kind == "string_too_short" and ctx.get("min_length", 0) <= 1):
        return N_("a value is required"), {}
    if kind == "string_too_short":
        return N_("needs at least %(limit)s characters"), {"limit": ctx["min_length"]}
    if kind == "string_too_long":
        return N_("longer than %(limit)s characters"), {"limit": ctx["max_length"]}
    if kind in ("enum", "literal_error"):
        if blank:
            return N_("please choose one."), {}
        allowed = ", ".join(_QUOTED.findall(str(ctx.get("expected", ""))))
        return N_("'%(value)s' is not an option (%(allowed)s)"), {
            "value": _typed(typed),
            "allowed": allowed,
        }
    if kind in ("int_parsing", "int_from_float", "int_type"):
        if blank:
            return N_("a value is required"), {}
        return N_("'%(value)s' is not a whole number"), {"value": _typed(typed)}
    if kind == "greater_than_equal":
        return N_("must be %(limit)s or more"), {"limit": ctx["ge"]}
    if kind == "less_than_equal":
        return N_("must be %(limit)s or less"), {"limit": ctx["le"]}
    if kind == "extra_forbidden":
        return N_("not a field of this form"), {}
    if kind == "value_error" and "error" in ctx:
        # A validator's own sentence: marked N_ where it is raised, so it is a msgid.
        return str(ctx["error"]), {}
    return str(check["msg"]), {}


def validation_problems(
    error: ValidationError,
    source: str | None = None,
    row: int | None = None,
    blank_column: str | None = None,
) -> list[InputProblem]:
    """A Pydantic error as problems named by field, each a translatable template with its
    values (the English text filled in at once, as ProblemCollector does). `blank_column`
    names the field of a check on the whole model (whose location is empty)."""
    return check_problems(error.errors(), source, row, blank_column)


def check_problems(
    checks: Iterable[Mapping[str, Any]],
    source: str | None = None,
    row: int | None = None,
    blank_column: str | None = None,
    skip_location: int = 0,
) -> list[InputProblem]:
    """Pydantic's error dicts (a model's, or FastAPI's request validation, whose locations
    start with "body" or "query": `skip_location=1`) as translatable problems."""
    problems = []
    for check in checks:
        column = ".".join(str(p) for p in check["loc"][skip_location:]) or blank_column
        template, values = _check_words(check)
        if values:
            problems.append(InputProblem.worded(template, values, source, row, column))
        else:
            problems.append(InputProblem(template, source, row, column))
    return problems
