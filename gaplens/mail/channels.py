"""Delivering one message: through SMTP (smtplib) or as a Slack direct message (Web API).

Each delivery ends in an `Outcome` (sent, failed, bounced) after at most `attempts` tries
for temporary failures, or raises `ChannelUnusable` (the server cannot be reached at all,
or refuses our credentials or certificate): then the round stops, since every further
message would fail the same way, and what was not tried is tried at the next run.
"""

from __future__ import annotations

import json
import smtplib
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

from gaplens.mail.compose import Message, as_email, slack_text
from gaplens.mail.settings import SendingSettings, SlackSettings, SmtpSettings

Status = Literal["sent", "failed", "bounced"]
Sleep = Callable[[float], None]


@dataclass(frozen=True)
class Outcome:
    status: Status
    attempts: int
    detail: str | None = None


class ChannelUnusable(Exception):  # noqa: N818 - a state of the channel, reported to admins
    """Nothing can be sent now: unreachable after every try, or our settings are refused."""


class Channel(Protocol):
    name: str

    def deliver(self, message: Message) -> Outcome: ...

    def close(self) -> None: ...


class Throttle:
    """At most `per_minute` messages a minute: the next message starts `60 / per_minute`
    seconds after the previous one was accepted, so the server never sees two closer than
    that (relays count per minute: Exchange Online 30, Google's relay per user)."""

    def __init__(
        self,
        per_minute: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = time.sleep,
    ) -> None:
        self.interval = 60.0 / per_minute
        self._clock = clock
        self._sleep = sleep
        self._next: float | None = None

    def wait(self) -> None:
        """Before a message: sleep until the interval since the last one has passed."""
        if self._next is not None:
            now = self._clock()
            if self._next > now:
                self._sleep(self._next - now)

    def done(self) -> None:
        """After a message (delivered or not): the interval starts now."""
        self._next = self._clock() + self.interval


def _reply(code: int, text: bytes | str) -> str:
    said = text.decode(errors="replace") if isinstance(text, bytes) else text
    return f"{code} {said}".strip()[:500]


class SmtpChannel:
    """One connection reused for a round; reconnects after a temporary failure."""

    name = "email"

    def __init__(
        self, smtp: SmtpSettings, sending: SendingSettings, sleep: Sleep = time.sleep
    ) -> None:
        self.settings = smtp
        self.sending = sending
        self._sleep = sleep
        self._smtp: smtplib.SMTP | None = None

    def _tls(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if self.settings.ca_file:
            context.load_verify_locations(cafile=self.settings.ca_file)
        return context

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        client: smtplib.SMTP
        if s.security == "tls":
            client = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=self._tls())
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        try:
            client.ehlo()
            if s.security == "starttls":
                client.starttls(context=self._tls())
                client.ehlo()
            if s.username:
                client.login(s.username, s.password or "")
        except BaseException:
            client.close()
            raise
        return client

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None

    def _drop(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None

    def deliver(self, message: Message) -> Outcome:
        mail = as_email(message, self.settings.sender)
        last = "no attempt"
        unreachable = False
        for attempt in range(1, self.sending.attempts + 1):
            if attempt > 1:
                self._sleep(self.sending.retry_seconds * 2 ** (attempt - 2))
            try:
                if self._smtp is None:
                    self._smtp = self._connect()
                self._smtp.send_message(mail, to_addrs=[message.to])
                return Outcome("sent", attempt)
            except smtplib.SMTPRecipientsRefused as error:
                code, said = next(iter(error.recipients.values()))
                last = _reply(code, said)
                if code >= 500:
                    return Outcome("bounced", attempt, last)
                unreachable = False
            except smtplib.SMTPAuthenticationError as error:
                self._drop()
                raise ChannelUnusable(
                    "the SMTP server refused GAPLENS_SMTP_USERNAME / password: "
                    + _reply(error.smtp_code, error.smtp_error)
                ) from None
            except smtplib.SMTPSenderRefused as error:
                if error.smtp_code >= 500:
                    self._drop()
                    raise ChannelUnusable(
                        f"the SMTP server refused GAPLENS_SMTP_FROM {error.sender}: "
                        + _reply(error.smtp_code, error.smtp_error)
                    ) from None
                last = _reply(error.smtp_code, error.smtp_error)
                unreachable = False
            except smtplib.SMTPNotSupportedError as error:
                self._drop()
                raise ChannelUnusable(
                    f"the SMTP server does not offer what GAPLENS_SMTP_SECURITY / "
                    f"GAPLENS_SMTP_USERNAME need: {error}"
                ) from None
            except smtplib.SMTPResponseException as error:
                last = _reply(error.smtp_code, error.smtp_error)
                if error.smtp_code >= 500:
                    self._drop()
                    return Outcome("failed", attempt, last)
                self._drop()
                unreachable = False
            except ssl.SSLCertVerificationError as error:
                self._drop()
                raise ChannelUnusable(
                    f"the SMTP server's certificate is not trusted ({error.verify_message}); "
                    "set GAPLENS_SMTP_CA_FILE to the CA that signed it"
                ) from None
            except (smtplib.SMTPException, OSError) as error:
                self._drop()
                last = f"{type(error).__name__}: {error}"[:500]
                unreachable = True
        if unreachable:
            raise ChannelUnusable(
                f"the SMTP server {self.settings.host}:{self.settings.port} could not be "
                f"reached after {self.sending.attempts} tries: {last}"
            )
        return Outcome("failed", self.sending.attempts, last)


FATAL_SLACK = {
    "invalid_auth",
    "not_authed",
    "account_inactive",
    "token_revoked",
    "token_expired",
    "missing_scope",
    "no_permission",
    "not_allowed_token_type",
}
BOUNCED_SLACK = {"users_not_found", "user_not_found", "user_disabled", "cannot_dm_bot"}


class SlackChannel:
    """`users.lookupByEmail`, then `chat.postMessage` to the user's id (a direct message)."""

    name = "slack"

    def __init__(
        self, slack: SlackSettings, sending: SendingSettings, sleep: Sleep = time.sleep
    ) -> None:
        self.settings = slack
        self.sending = sending
        self._sleep = sleep

    def close(self) -> None:
        return None

    def _call(
        self, method: str, *, query: dict[str, str] | None = None, body: object = None
    ) -> tuple[dict[str, object] | None, float | None, str]:
        """(JSON reply, Retry-After seconds if rate limited, a description of a failure)."""
        url = f"{self.settings.api_url}/{method}"
        headers = {"Authorization": f"Bearer {self.settings.token}"}
        data = None
        if query:
            url += "?" + urllib.parse.urlencode(query)
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json; charset=utf-8"
        request = urllib.request.Request(url, data=data, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.settings.timeout) as reply:
                return json.loads(reply.read() or b"{}"), None, ""
        except urllib.error.HTTPError as error:
            if error.code == 429:
                wait = error.headers.get("Retry-After", "1")
                return None, float(wait) if wait.strip().isdigit() else 1.0, "ratelimited"
            return None, None, f"HTTP {error.code} from Slack {method}"
        except (urllib.error.URLError, OSError, ValueError) as error:
            return None, None, f"Slack {method} unreachable: {error}"[:500]

    def _ask(
        self, method: str, tries: list[int], **kwargs: object
    ) -> tuple[dict[str, object] | None, str]:
        last = ""
        while tries[0] < self.sending.attempts:
            tries[0] += 1
            reply, retry_after, last = self._call(method, **kwargs)  # type: ignore[arg-type]
            if reply is not None:
                return reply, ""
            if tries[0] < self.sending.attempts:
                self._sleep(
                    retry_after
                    if retry_after is not None
                    else self.sending.retry_seconds * 2 ** (tries[0] - 1)
                )
        return None, last

    def _check(self, reply: dict[str, object], method: str) -> Outcome | None:
        if reply.get("ok") is True:
            return None
        error = str(reply.get("error", "unknown_error"))
        if error in FATAL_SLACK:
            raise ChannelUnusable(f"Slack refused GAPLENS_SLACK_BOT_TOKEN ({method}: {error})")
        status: Status = "bounced" if error in BOUNCED_SLACK else "failed"
        return Outcome(status, 1, f"Slack {method}: {error}")

    def deliver(self, message: Message) -> Outcome:
        tries = [0]
        found, last = self._ask("users.lookupByEmail", tries, query={"email": message.to})
        if found is None:
            raise ChannelUnusable(f"{last} after {tries[0]} tries")
        refused = self._check(found, "users.lookupByEmail")
        if refused is not None:
            return Outcome(refused.status, tries[0], refused.detail)
        user = found.get("user")
        user_id = user.get("id") if isinstance(user, dict) else None
        if not isinstance(user_id, str):
            return Outcome("failed", tries[0], "Slack users.lookupByEmail: no user id")
        posted, last = self._ask(
            "chat.postMessage",
            tries,
            body={"channel": user_id, "text": slack_text(message), "unfurl_links": False},
        )
        if posted is None:
            raise ChannelUnusable(f"{last} after {tries[0]} tries")
        refused = self._check(posted, "chat.postMessage")
        if refused is not None:
            return Outcome(refused.status, tries[0], refused.detail)
        return Outcome("sent", tries[0])
