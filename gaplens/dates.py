"""The days gaplens accepts from a user (query parameters, command options, export periods).

A day outside 1900-01-01..2999-12-31 is a typing error, and near the ends of Python's range
(year 1 or 9999) the windows and periods built from it overflow date arithmetic. The bounds
leave room for any window gaplens adds or subtracts (years, not centuries), so a day that
passes never raises OverflowError further in.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field

from gaplens.errors import InputError

EARLIEST_DAY = dt.date(1900, 1, 1)
LATEST_DAY = dt.date(2999, 12, 31)
RANGE_TEXT = f"between {EARLIEST_DAY.isoformat()} and {LATEST_DAY.isoformat()}"

PlausibleDay = Annotated[dt.date, Field(ge=EARLIEST_DAY, le=LATEST_DAY)]
"""For request models and query parameters: a 422 naming the field outside the bounds."""


def plausible_day(value: dt.date, column: str) -> dt.date:
    """The same bounds for days parsed by hand (the report's --from/--to): InputError naming
    `column` outside them."""
    if not EARLIEST_DAY <= value <= LATEST_DAY:
        raise InputError.single(
            f"{value.isoformat()} is not a plausible day (use one {RANGE_TEXT})", column=column
        )
    return value
