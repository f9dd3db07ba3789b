"""Field parsers shared by the CSV connectors; each reports a located problem, never raises."""

from __future__ import annotations

import datetime as dt
import math
import re

from gaplens.directory.schemas import ROLE_LEVEL_ALIASES, RoleLevel
from gaplens.errors import ProblemCollector
from gaplens.i18n import N_

KEY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$")
EMAIL_PATTERN = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")


def parse_date(
    value: str, problems: ProblemCollector, row: int | None, column: str, allow_time: bool = False
) -> dt.date | None:
    text = value.strip()
    if not text:
        return None
    try:
        if allow_time and len(text) > 10:
            return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date()
        return dt.date.fromisoformat(text)
    except ValueError:
        expected = "YYYY-MM-DD or an ISO timestamp" if allow_time else "YYYY-MM-DD"
        problems.add(f"'{_clip(text)}' is not a date ({expected})", row, column)
        return None


def parse_role_level(
    value: str, problems: ProblemCollector, row: int | None, column: str
) -> RoleLevel | None:
    text = value.strip().lower()
    role = ROLE_LEVEL_ALIASES.get(text)
    if role is None:
        allowed = ", ".join(r.value for r in RoleLevel)
        if text:
            problems.add(
                N_("'%(value)s' is not a role level (%(allowed)s)"),
                row,
                column,
                {"value": _clip(value), "allowed": allowed},
            )
        else:
            problems.add(
                N_("an empty value is not a role level (%(allowed)s)"),
                row,
                column,
                {"allowed": allowed},
            )
    return role


def parse_key(value: str, problems: ProblemCollector, row: int | None, column: str) -> str | None:
    text = value.strip()
    if not KEY_PATTERN.match(text):
        problems.add(
            N_("'%(value)s' is not a valid key (letters, digits, '-', '_', '.', at most 100)"),
            row,
            column,
            {"value": _clip(text)},
        )
        return None
    return text


def parse_number(
    value: str,
    problems: ProblemCollector,
    row: int | None,
    column: str,
    bounds: tuple[float, float] | None = None,
) -> float | None:
    text = value.strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        problems.add(N_("'%(value)s' is not a number"), row, column, {"value": _clip(text)})
        return None
    if not math.isfinite(number):
        problems.add(N_("'%(value)s' is not a finite number"), row, column, {"value": _clip(text)})
        return None
    if bounds is not None and not bounds[0] <= number <= bounds[1]:
        problems.add(
            N_("%(value)s is outside %(low)s to %(high)s"),
            row,
            column,
            {"value": f"{number:g}", "low": f"{bounds[0]:g}", "high": f"{bounds[1]:g}"},
        )
        return None
    return number


def required_text(
    value: str, problems: ProblemCollector, row: int | None, column: str, max_length: int = 200
) -> str | None:
    text = value.strip()
    if not text:
        problems.add(N_("a value is required"), row, column)
        return None
    if len(text) > max_length:
        problems.add(N_("longer than %(limit)s characters"), row, column, {"limit": max_length})
        return None
    return text


def optional_text(
    value: str, problems: ProblemCollector, row: int | None, column: str, max_length: int = 200
) -> str | None:
    text = value.strip()
    if not text:
        return None
    if len(text) > max_length:
        problems.add(N_("longer than %(limit)s characters"), row, column, {"limit": max_length})
        return None
    return text


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
