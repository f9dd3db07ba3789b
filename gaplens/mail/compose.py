"""The messages: an invitation, a reminder, a closing reminder, each plain text and HTML, in
the person's language (gettext catalogues, gaplens/locale; docs/languages.md)."""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Literal

from gaplens.i18n import DEFAULT_LANGUAGE, N_, long_date, translate

Kind = Literal["invitation", "reminder", "closing"]

SUBJECTS: dict[Kind, str] = {
    "invitation": N_("Your invitation: %(survey)s"),
    "reminder": N_("Reminder: %(survey)s"),
    "closing": N_("Last day tomorrow: %(survey)s"),
}
OPENINGS: dict[Kind, str] = {
    "invitation": N_("You are invited to answer %(survey)s. It takes about five minutes."),
    "reminder": N_(
        "A reminder: %(survey)s is still open, and your invitation has not been used yet."
    ),
    "closing": N_("%(survey)s closes tomorrow, and your invitation has not been used yet."),
}
GREETING = N_("Hello %(name)s,")
LINK_LINE = N_("Your personal link (it works once): %(link)s")
LINK_TEXT = N_("Answer the survey")
LINK_NOTE = N_("(your personal link, it works once)")
OPEN_UNTIL = N_("The survey is open until %(day)s.")
PRIVACY_SENTENCE = N_(
    "Your answers are anonymous: they are stored without your name, your address or this "
    "link, and leaders see them only in groups of at least %(k)s people."
)
WHY_SENT = N_(
    "You receive this message because your organisation runs this survey; there is "
    "nothing to unsubscribe from. If you have answered already, please ignore it."
)
_MARK = "\x00"
"""Stands for the day while the sentence around it is translated and escaped."""


@dataclass(frozen=True)
class Message:
    """What one person receives, by whatever channel."""

    to: str
    name: str
    subject: str
    text: str
    html: str


def compose(
    kind: Kind,
    *,
    to: str,
    name: str,
    survey: str,
    link: str,
    closes_on: dt.date,
    k: int,
    language: str = DEFAULT_LANGUAGE,
) -> Message:
    """The message for one person, in `language`; the link is theirs alone and works once."""

    def t(message: str, **values: object) -> str:
        return translate(language, message, **values)

    closes = long_date(closes_on, language)
    subject = " ".join(t(SUBJECTS[kind], survey=survey).split())  # no line break in a header
    opening = t(OPENINGS[kind], survey=survey)
    privacy = t(PRIVACY_SENTENCE, k=k)
    why = t(WHY_SENT)
    lines = [
        t(GREETING, name=name),
        "",
        opening,
        "",
        t(LINK_LINE, link=link),
        "",
        t(OPEN_UNTIL, day=closes),
        "",
        privacy,
        "",
        why,
    ]
    e = html.escape
    until = e(t(OPEN_UNTIL, day=_MARK)).replace(_MARK, f"<strong>{e(closes)}</strong>")
    body = (
        f'<!DOCTYPE html><html lang="{e(language)}"><body style="font-family: sans-serif">'
        f"<p>{e(t(GREETING, name=name))}</p><p>{e(opening)}</p>"
        f'<p><a href="{e(link)}">{e(t(LINK_TEXT))}</a> {e(t(LINK_NOTE))}'
        f"</p><p>{until}</p>"
        f'<p>{e(privacy)}</p><p style="color: #555">{e(why)}</p></body></html>'
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
