"""Reflection prompts by email or Slack: the links due, issued and sent in one go.

Each prompt goes out once, on its due day, carrying the same text the CSV for a mail tool
carries (`gaplens.reflections.service.issue_links`). A prompt that is not delivered has its
link withdrawn (the invitation's hash and issue day cleared), so the next run issues and
sends a new one until the link's step expires. Failing addresses are counted, never listed:
a reflection prompt says its person just finished a training or first used AI, which no
admin page shows about one person (docs/mail.md)."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import update

from gaplens.db.engine import session_scope
from gaplens.i18n import DEFAULT_LANGUAGE
from gaplens.mail.channels import Channel, ChannelUnusable, Throttle
from gaplens.mail.compose import Message
from gaplens.reflections.models import ReflectionInvitation
from gaplens.reflections.schemas import ReflectionLink
from gaplens.reflections.service import issue_links
from gaplens.surveys.intake import token_hash

URL = re.compile(r"https?://\S+")


@dataclass
class ReflectionRound:
    sent: int = 0
    failed: int = 0
    bounced: int = 0
    withdrawn: int = 0
    stopped: str | None = None

    def describe(self) -> str:
        parts = [f"{self.sent} reflection prompts sent"]
        if self.failed or self.bounced:
            parts.append(
                f"{self.failed} failed, {self.bounced} bounced (their links were withdrawn "
                "and are sent again at the next run)"
            )
        if self.stopped:
            parts.append(f"stopped: {self.stopped}; {self.withdrawn} links withdrawn")
        return "; ".join(parts)


def _message(link: ReflectionLink) -> Message:
    escaped = html.escape(link.body)
    linked = URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
    paragraphs = "".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in linked.split("\n\n"))
    return Message(
        to=link.email,
        name=link.name,
        subject=" ".join(link.subject.split()),
        text=link.body + "\n",
        html=f'<!DOCTYPE html><html lang="{html.escape(link.language)}">'
        '<body style="font-family: sans-serif">'
        f"{paragraphs}</body></html>",
    )


def _withdraw(url: str, links: Sequence[ReflectionLink]) -> None:
    hashes = [token_hash(link.url.rsplit("/", 1)[1].split("?", 1)[0]) for link in links]
    if not hashes:
        return
    with session_scope(url) as session:
        session.execute(
            update(ReflectionInvitation)
            .where(ReflectionInvitation.token_hash.in_(hashes))
            .values(token_hash=None, link_issued_on=None)
        )


def send_reflection_prompts(
    url: str,
    channel: Channel,
    throttle: Throttle,
    *,
    base_url: str,
    today: dt.date,
    default_language: str = DEFAULT_LANGUAGE,
) -> ReflectionRound:
    """Issue the links due by today (committed first) and send each; withdraw the ones that
    did not arrive. Nothing is written about who received or used one."""
    with session_scope(url) as session:
        links = issue_links(
            session, today, base_url, today=today, default_language=default_language
        )
    result = ReflectionRound()
    undelivered: list[ReflectionLink] = []
    for n, link in enumerate(links):
        throttle.wait()
        try:
            outcome = channel.deliver(_message(link))
        except ChannelUnusable as error:
            result.stopped = str(error)
            undelivered.extend(links[n:])
            break
        finally:
            throttle.done()
        if outcome.status == "sent":
            result.sent += 1
            continue
        undelivered.append(link)
        if outcome.status == "bounced":
            result.bounced += 1
        else:
            result.failed += 1
    _withdraw(url, undelivered)
    result.withdrawn = len(undelivered)
    return result
