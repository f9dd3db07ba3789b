"""The messages: an invitation, a reminder, a closing reminder, each plain text and HTML."""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Literal

Kind = Literal["invitation", "reminder", "closing"]

PRIVACY_SENTENCE = (
    "Your answers are anonymous: they are stored without your name, your address or this "
    "link, and leaders see them only in groups of at least {k} people."
)


@dataclass(frozen=True)
class Message:
    """What one person receives, by whatever channel."""

    to: str
    name: str
    subject: str
    text: str
    html: str


def _long_day(day: dt.date) -> str:
    return f"{day.strftime('%A')} {day.day} {day.strftime('%B %Y')}"


def compose(
    kind: Kind, *, to: str, name: str, survey: str, link: str, closes_on: dt.date, k: int
) -> Message:
    """The message for one person; the link is theirs alone and works once."""
    closes = _long_day(closes_on)
    subject, opening = {
        "invitation": (
            f"Your invitation: {survey}",
            f"You are invited to answer {survey}. It takes about five minutes.",
        ),
        "reminder": (
            f"Reminder: {survey}",
            f"A reminder: {survey} is still open, and your invitation has not been used yet.",
        ),
        "closing": (
            f"Last day tomorrow: {survey}",
            f"{survey} closes tomorrow, and your invitation has not been used yet.",
        ),
    }[kind]
    subject = " ".join(subject.split())  # no line break can reach a header
    privacy = PRIVACY_SENTENCE.format(k=k)
    lines = [
        f"Hello {name},",
        "",
        opening,
        "",
        f"Your personal link (it works once): {link}",
        "",
        f"The survey is open until {closes}.",
        "",
        privacy,
        "",
        "You receive this message because your organisation runs this survey; there is "
        "nothing to unsubscribe from. If you have answered already, please ignore it.",
    ]
    e = html.escape
    body = (
        '<!DOCTYPE html><html lang="en"><body style="font-family: sans-serif">'
        f"<p>Hello {e(name)},</p><p>{e(opening)}</p>"
        f'<p><a href="{e(link)}">Answer the survey</a> (your personal link, it works once)'
        f"</p><p>The survey is open until <strong>{e(closes)}</strong>.</p>"
        f'<p>{e(privacy)}</p><p style="color: #555">You receive this message because your '
        "organisation runs this survey; there is nothing to unsubscribe from. If you have "
        "answered already, please ignore it.</p></body></html>"
    )
    return Message(to=to, name=name, subject=subject, text="\n".join(lines) + "\n", html=body)


def as_email(message: Message, sender: str) -> EmailMessage:
    """multipart/alternative: plain text first, HTML preferred by clients that show it."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = message.to
    mail["Subject"] = message.subject
    mail["Date"] = formatdate(localtime=False, usegmt=True)
    domain = sender.rsplit("@", 1)[-1].strip(" >") or None
    mail["Message-ID"] = make_msgid(domain=domain)
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(message.text)
    mail.add_alternative(message.html, subtype="html")
    return mail


def slack_text(message: Message) -> str:
    """Slack mrkdwn: the plain text with the link made clickable."""
    return message.text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
