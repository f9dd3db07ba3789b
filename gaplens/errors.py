"""Errors a user can act on: they name the file, row and column (or the field) at fault."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


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
            filled = message % values
            kept = tuple(values.items())
            self.problems.append(
                InputProblem(filled, self.source, row, column, template=message, values=kept)
            )

    def __bool__(self) -> bool:
        return self.count > 0

    def raise_if_any(self) -> None:
        if self.count:
            raise InputError(list(self.problems), self.count - len(self.problems))
