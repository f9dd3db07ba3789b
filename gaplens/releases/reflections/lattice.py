"""Codes of the reflections data set and their generalisation path.

A code is (step, period, team, function). The step is never generalised: every figure is
per step. A group that fails its check climbs, one step at a time: team to its parent (up to
the root), function to any, team to any, month to its quarter; above that it is withheld.
Team detail goes before time because views span several months.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from gaplens.privacy.recoding import TeamTree


def month_key(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def quarter_of(month: str) -> str:
    year, number = month.split("-")
    return f"{year}-Q{(int(number) - 1) // 3 + 1}"


def period_bounds(period: str) -> tuple[dt.date, dt.date]:
    """First and last day of a month ('2026-03') or quarter ('2026-Q1')."""
    year, part = period.split("-")
    if part.startswith("Q"):
        first = dt.date(int(year), 3 * (int(part[1:]) - 1) + 1, 1)
        months = 3
    else:
        first = dt.date(int(year), int(part), 1)
        months = 1
    last = first
    for _ in range(months):
        last = (last + dt.timedelta(days=32)).replace(day=1)
    return first, last - dt.timedelta(days=1)


@dataclass(frozen=True)
class ReflectionCode:
    step: str | None
    period: str
    team: int | None = None
    function: str | None = None

    def describe(self) -> str:
        parts = [f"step={self.step or 'any'}", f"period={self.period}"]
        if self.team is not None:
            parts.append(f"team={self.team}")
        if self.function is not None:
            parts.append(f"function={self.function}")
        return ", ".join(parts)


@dataclass(frozen=True)
class ReflectionLattice:
    """The lattice `coarsen` walks for reflection classes and groups."""

    tree: TeamTree

    def up(self, code: ReflectionCode) -> ReflectionCode | None:
        if code.team is not None and self.tree.parents.get(code.team) is not None:
            return replace(code, team=self.tree.parents[code.team])
        if code.function is not None:
            return replace(code, function=None)
        if code.team is not None:
            return replace(code, team=None)
        if "Q" not in code.period:
            return replace(code, period=quarter_of(code.period))
        return None

    def rank(self, code: ReflectionCode) -> int:
        team = 0 if code.team is None else self.tree.depth(code.team) + 1
        return team + (code.function is not None) + (1 if "Q" in code.period else 2)

    def key(self, code: ReflectionCode) -> tuple[str, ...]:
        values = (code.step, code.period, code.team, code.function)
        return tuple("" if v is None else f"{v}" for v in values)
