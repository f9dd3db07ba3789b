"""The weekly digest as something to send: the week's bounds, and email-ready text or HTML.

Rendering takes only the `Digest` read from the feedback release, so a mailed digest holds
exactly what the /digest page and the API show for the same weeks: sums of published groups,
and themes and comments of completed months.
"""

from __future__ import annotations

import datetime as dt
import re

import jinja2

from gaplens.dates import EARLIEST_DAY, LATEST_DAY, RANGE_TEXT
from gaplens.errors import InputError
from gaplens.feedback.schemas import Digest

WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def week_bounds(week: str | None, today: dt.date) -> tuple[dt.date, dt.date]:
    """Monday to Sunday of an ISO week ("2026-W47"); by default the last complete week."""
    if week is None:
        monday = today - dt.timedelta(days=today.weekday() + 7)
        return monday, monday + dt.timedelta(days=6)
    match = WEEK.match(week.strip())
    if match is None:
        raise InputError.single("expected an ISO week such as 2026-W47", column="week")
    try:
        monday = dt.date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise InputError.single(f"no such ISO week: {week}", column="week") from None
    if not EARLIEST_DAY <= monday <= LATEST_DAY - dt.timedelta(days=6):
        raise InputError.single(f"{week} is not a plausible week ({RANGE_TEXT})", column="week")
    return monday, monday + dt.timedelta(days=6)


def digest_text(digest: Digest) -> str:
    lines = [
        f"Feedback digest, {digest.period_from:%d %b} – {digest.period_to:%d %b %Y}",
        "",
        f"{digest.total} anonymous items this week"
        if digest.total
        else f"No counts are shown: {_why_none(digest)}.",
        *([digest.note] if digest.note else []),
        "",
    ]
    for kind in digest.kinds:
        count = kind.count if kind.count is not None else f"not shown ({kind.hidden_reason})"
        lines.append(f"{kind.label}: {count}")
        for theme in kind.themes:
            size = theme.size if theme.size is not None else "size not shown"
            lines.append(f"  - {theme.label} ({theme.month}: {size}, {theme.sentiment_label})")
            lines.extend(f'      "{example}"' for example in theme.examples[:2])
        for comment in kind.comments[:3]:
            lines.append(f"  > {comment.get('text', '')}")
    lines += [
        "",
        f"Counts are sums of published groups of at least {digest.min_group_size} items; "
        f"themes and comments appear per completed month for at least "
        f"{digest.min_comment_group_size} items; nothing here identifies who wrote what.",
    ]
    return "\n".join(lines) + "\n"


def _why_none(digest: Digest) -> str:
    reasons = [kind.hidden_reason for kind in digest.kinds if kind.hidden_reason]
    return reasons[0] if reasons else "nothing published for these weeks"


_HTML = jinja2.Environment(autoescape=True).from_string(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Feedback digest {{ d.period_from }} – {{ d.period_to }}</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 1rem auto;
 color: #1f2328; line-height: 1.5">
<h1 style="font-size: 1.4rem">Feedback digest,
 {{ d.period_from.strftime('%d %b') }} – {{ d.period_to.strftime('%d %b %Y') }}</h1>
<p>{% if d.total %}{{ d.total }} anonymous items this week.{% else %}No counts are
 shown: {{ why }}.{% endif %}</p>
{% if d.note %}<p>{{ d.note }}</p>{% endif %}
{% for kind in d.kinds %}
<h2 style="font-size: 1.1rem">{{ kind.label }}:
 {{ kind.count if kind.count is not none else 'not shown (%s)' % kind.hidden_reason }}</h2>
{% if kind.themes %}<ul>{% for theme in kind.themes %}
<li><strong>{{ theme.label }}</strong> ({{ theme.month }}: {{ theme.size if theme.size is not none
 else 'size not shown: %s' % theme.size_hidden_reason }}, {{ theme.sentiment_label }})
{% for example in theme.examples[:2] %}<br><q>{{ example }}</q>{% endfor %}</li>
{% endfor %}</ul>{% endif %}
{% for comment in kind.comments[:3] %}<blockquote>{{ comment.text }}</blockquote>{% endfor %}
{% endfor %}
<p style="color: #57606a; font-size: .9rem">Counts are sums of published groups of at least
 {{ d.min_group_size }} items; themes and comments appear per completed month for at least
 {{ d.min_comment_group_size }} items; nothing here identifies who wrote what.</p>
</body></html>
"""
)


def digest_html(digest: Digest) -> str:
    return _HTML.render(d=digest, why=_why_none(digest))
