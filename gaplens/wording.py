"""Wording and number formatting shared by the report, its charts and the pages.

One place decides how a share, an interval, a ratio or a gap is written, and what a figure
that is not shown says instead of a number, so every rendering reads the same.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from gaplens.figures import FigureStatus

MINUS = "\u2212"
EN_DASH = "\u2013"
TIMES = "\u00d7"
NO_VALUE = "\u2014"
NBSP = "\u00a0"

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

LEADERS = "executives and managers"
"""Who "leaders" are, everywhere a page or report says the word (gaplens/perception/gap.py)."""
FRONTLINE = "individual contributors"
"""Who "the frontline" is."""
LEADERS_DEFINITION = (
    f"Leaders are {LEADERS}; the frontline is {FRONTLINE}. The gap is the share of leaders "
    "who report high or some productivity gains from AI minus the share of the frontline, "
    "in percentage points."
)
GAP_QUESTION = (
    f"Share of leaders ({LEADERS}) reporting high or some productivity gains minus the share "
    f"of {FRONTLINE}"
)

GROUP_LABELS: dict[str, str] = {
    "leaders": f"Leaders ({LEADERS})",
    "executive": "Executives",
    "manager": "Managers",
    "individual_contributor": "Individual contributors",
    "everyone": "Everyone",
}


def group_label(key: str) -> str:
    """Display name of a group key: 'individual_contributor' -> 'Individual contributors'."""
    if key in GROUP_LABELS:
        return GROUP_LABELS[key]
    words = key.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:] if words else key


def group_phrase(key: str) -> str:
    """A group's name inside a sentence: 'individual contributors'."""
    label = group_label(key)
    return label[:1].lower() + label[1:]


def status_text(status: FigureStatus, min_size: int) -> str:
    """What a figure says instead of a number. Never contains the hidden value."""
    if status is FigureStatus.NOT_ENOUGH_RESPONSES:
        return f"Not enough responses (fewer than {min_size})"
    if status is FigureStatus.SUPPRESSED:
        return "Hidden to protect a small group"
    if status is FigureStatus.NOT_ESTIMABLE:
        return "Not estimable (no one in a group chose this answer)"
    return ""


def signed(value: float, decimals: int = 0) -> str:
    """'+12', '−3', '0' with a real minus sign."""
    text = f"{abs(value):.{decimals}f}"
    if float(text) == 0:
        return text
    return ("+" if value > 0 else MINUS) + text


def plain(value: float, decimals: int = 1) -> str:
    """A number with a real minus sign and no plus sign."""
    text = f"{abs(value):.{decimals}f}"
    if value < 0 and float(text) != 0:
        return MINUS + text
    return text


def percent_number(share: float) -> str:
    """A share (0-1) as a whole percentage without the sign: 0.438 -> '44'."""
    if 0 < share < 0.005:
        return "<1"
    if 0.995 < share < 1:
        return ">99"
    return f"{share * 100:.0f}"


def percent(share: float) -> str:
    """0.438 -> '44%'."""
    return percent_number(share) + "%"


def percent_range(low: float, high: float) -> str:
    """(0.31, 0.58) -> '31–58%'."""
    return f"{percent_number(low)}{EN_DASH}{percent_number(high)}%"


def ratio(value: float) -> str:
    """A risk ratio: 4.07 -> '4.1×'; 13.9 -> '14×'."""
    return number_of_times(value) + TIMES


def number_of_times(value: float) -> str:
    return f"{value:.0f}" if value >= 9.95 else f"{value:.1f}"


def ratio_range(low: float, high: float) -> str:
    """(2.6, 6.4) -> '2.6–6.4'."""
    return f"{number_of_times(low)}{EN_DASH}{number_of_times(high)}"


def points(value: float) -> str:
    """A percentage-point gap's size: 41.8 -> '42 points'."""
    size = f"{abs(value):.0f}"
    return f"{size} point" if size == "1" else f"{size} points"


def points_range(low: float, high: float) -> str:
    """A signed interval of a gap: '+25 to +57', '−4 to +12'."""
    return f"{signed(low)} to {signed(high)}"


def benchmark_value(value: float) -> str:
    """A published benchmark figure without context: shares as %, others as numbers."""
    if 0 <= value <= 1:
        return percent(value)
    return f"{value:g}"


def day(date: dt.date) -> str:
    """'2 April 2026' (no locale involved)."""
    return f"{date.day} {MONTHS[date.month - 1]} {date.year}"


def answers_window(through: dt.date | None) -> str:
    """When a pulse's answers ran, as its releases date them: 'through 15 March 2026' (a
    week end), never the day of one answer; "not released yet" without a release."""
    return f"through {day(through)}" if through is not None else "not released yet"


def window(first: dt.date | None, last: dt.date | None) -> str:
    """A survey window: '3–28 March 2026', '24 February – 13 March 2026'."""
    if first is None and last is None:
        return "Dates not recorded"
    if first is None or last is None:
        only = first or last
        assert only is not None
        return day(only)
    if first == last:
        return day(first)
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}{EN_DASH}{last.day} {MONTHS[last.month - 1]} {last.year}"
    if first.year == last.year:
        return f"{first.day} {MONTHS[first.month - 1]} {EN_DASH} {day(last)}"
    return f"{day(first)} {EN_DASH} {day(last)}"


def month(value: str) -> str:
    """A comment's coarse date: '2026-03' -> 'March 2026'; anything else is kept as given."""
    year, sep, mon = value.partition("-")
    if sep and year.isdigit() and mon.isdigit() and 1 <= int(mon) <= 12:
        return f"{MONTHS[int(mon) - 1]} {year}"
    return value


def options_phrase(options: list[str] | tuple[str, ...]) -> str:
    """('agree', 'strongly agree') -> 'agree or strongly agree'."""
    items = [o for o in options if o]
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " or " + items[-1]


def sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


def quoted(text: str) -> str:
    return f"\u201c{text}\u201d"


@dataclass(frozen=True)
class Figure:
    """One formatted figure: its number and its interval, or the words that replace them."""

    main: str
    detail: str = ""
    shown: bool = True

    @property
    def text(self) -> str:
        return f"{self.main} {self.detail}".strip()
