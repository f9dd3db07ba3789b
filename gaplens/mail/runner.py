"""Channels and throttle from the environment, for the CLI and the web server's scheduler."""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from gaplens.audit.service import record
from gaplens.db.engine import session_scope
from gaplens.errors import InputError
from gaplens.mail.channels import Channel, SlackChannel, SmtpChannel, Throttle
from gaplens.mail.reflections import ReflectionRound, send_reflection_prompts
from gaplens.mail.service import RoundReport, run_due
from gaplens.mail.settings import SendingSettings, SlackSettings, SmtpSettings
from gaplens.privacy import configured_policy
from gaplens.releases.schedule.models import ReleaseBuildLease

SCHEDULER = "scheduler"
MAIL_LEASE = "mail-send"
MAIL_LEASE_SECONDS = 6 * 3600

log = logging.getLogger("gaplens.mail")


def channel_from_environment(name: str, sending: SendingSettings) -> Channel:
    """The configured channel by name; an error naming the variable to set if it is not."""
    if name == "slack":
        slack = SlackSettings.from_environment()
        if slack is None:
            raise InputError.single("Slack is not configured: set GAPLENS_SLACK_BOT_TOKEN")
        return SlackChannel(slack, sending)
    smtp = SmtpSettings.from_environment()
    if smtp is None:
        raise InputError.single(
            "email is not configured: set GAPLENS_SMTP_HOST and GAPLENS_SMTP_FROM (docs/mail.md)"
        )
    return SmtpChannel(smtp, sending)


def mail_configured() -> bool:
    return SmtpSettings.from_environment() is not None or (
        SlackSettings.from_environment() is not None
    )


def _take_lease(url: str, holder: str) -> bool:
    """One sender at a time across server processes (the release build's lease table, under
    its own name): two workers must not both send a round."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    try:
        with session_scope(url) as session:
            session.execute(
                delete(ReleaseBuildLease).where(
                    ReleaseBuildLease.name == MAIL_LEASE, ReleaseBuildLease.expires_at < now
                )
            )
            session.add(
                ReleaseBuildLease(
                    name=MAIL_LEASE,
                    holder=holder,
                    expires_at=now + dt.timedelta(seconds=MAIL_LEASE_SECONDS),
                )
            )
            session.flush()
    except IntegrityError:
        return False
    return True


def scheduled_mail(url: str) -> list[RoundReport]:
    """The scheduler's job: run what is due today; log one line per round, no address."""
    holder = f"{os.getpid()}-{secrets.token_hex(4)}"
    if not _take_lease(url, holder):
        return []
    try:
        return _scheduled_mail(url)
    finally:
        with session_scope(url) as session:
            session.execute(
                delete(ReleaseBuildLease).where(
                    ReleaseBuildLease.name == MAIL_LEASE, ReleaseBuildLease.holder == holder
                )
            )


def reflections_channel() -> str | None:
    """`GAPLENS_REFLECTIONS_CHANNEL`: email or slack to send reflection prompts when due;
    unset or off: they stay a CSV for the organisation's mail tool (`reflections links`)."""
    value = os.environ.get("GAPLENS_REFLECTIONS_CHANNEL", "").strip().lower()
    if value in ("", "off"):
        return None
    if value not in ("email", "slack"):
        raise InputError.single(
            f"GAPLENS_REFLECTIONS_CHANNEL={value!r} must be email, slack or off"
        )
    return value


def send_reflections_now(
    url: str, actor: str, channel_name: str, today: dt.date | None = None
) -> ReflectionRound:
    """Issue and send the reflection prompts due by today, in the audit log."""
    day = today or dt.date.today()
    sending = SendingSettings.from_environment()
    channel = channel_from_environment(channel_name, sending)
    try:
        result = send_reflection_prompts(
            url,
            channel,
            Throttle(sending.per_minute),
            base_url=sending.base_url,
            today=day,
            default_language=sending.default_language,
        )
    finally:
        channel.close()
    detail: dict[str, object] = {
        "channel": channel_name,
        "sent": result.sent,
        "failed": result.failed,
        "bounced": result.bounced,
    }
    if result.stopped:
        detail["stopped"] = result.stopped
    idle = not (result.sent or result.failed or result.bounced or result.stopped)
    if idle and actor == SCHEDULER:
        return result  # the scheduler's empty runs (every 15 minutes) are not admin actions
    with session_scope(url) as session:
        record(session, actor, "mail_reflections", day.isoformat(), detail)
    return result


def _scheduled_mail(url: str) -> list[RoundReport]:
    try:
        channel = reflections_channel()
        if channel is not None:
            result = send_reflections_now(url, SCHEDULER, channel)
            log.info("reflection prompts: %s", "stopped" if result.stopped else "done")
    except InputError as error:
        log.warning("reflection prompts not sent: %s", error)
    sending = SendingSettings.from_environment()
    try:
        reports = run_due(
            url,
            lambda name: channel_from_environment(name, sending),
            Throttle(sending.per_minute),
            base_url=sending.base_url,
            k=configured_policy().min_group_size,
            today=dt.date.today(),
            default_language=sending.default_language,
        )
    except InputError as error:
        log.warning("scheduled mail not sent: %s", error)
        return []
    for report in reports:
        log.info(
            "%s round of %s: %s",
            report.kind,
            report.survey,
            "stopped" if report.stopped else "done",
        )
        with session_scope(url) as session:
            record(session, SCHEDULER, f"mail_{report.kind}", report.survey, audit_detail(report))
    return reports


def audit_detail(report: RoundReport) -> dict[str, object]:
    """Failures always; the number sent for invitations only (a reminder's would be the
    number not yet answered)."""
    detail: dict[str, object] = {"failed": report.failed, "bounced": report.bounced}
    if report.kind == "invitation":
        detail["sent"] = report.sent
    if report.stopped:
        detail["stopped"] = report.stopped
    return detail


def send_now(
    url: str, survey_id: int, action: str, actor: str, today: dt.date | None = None
) -> RoundReport:
    """An admin's "send" (invitations to whoever has none yet) or "remind" / "remind-closing"
    (unused invitations only), through the schedule's channel, written to the audit log
    (without the number reminded, which would be the number not yet answered)."""
    from sqlalchemy import select

    from gaplens.mail.compose import Kind
    from gaplens.mail.models import MailSchedule
    from gaplens.mail.service import send_invitations, send_reminders
    from gaplens.surveys.models import Survey

    day = today or dt.date.today()
    with session_scope(url) as session:
        survey = session.get(Survey, survey_id)
        schedule = session.scalar(select(MailSchedule).where(MailSchedule.survey_id == survey_id))
        if survey is None or schedule is None:
            raise InputError.single(
                "this survey has no mail schedule: create one first (gaplens invitations schedule)"
            )
        name, channel_name = survey.name, schedule.channel
    sending = SendingSettings.from_environment()
    channel = channel_from_environment(channel_name, sending)
    throttle = Throttle(sending.per_minute)
    k = configured_policy().min_group_size
    try:
        if action == "send":
            report = send_invitations(
                url,
                survey_id,
                channel,
                throttle,
                base_url=sending.base_url,
                k=k,
                today=day,
                default_language=sending.default_language,
            )
        elif action in ("remind", "remind-closing"):
            kind: Kind = "closing" if action == "remind-closing" else "reminder"
            step = -1 if kind == "closing" else (day - dt.date(1970, 1, 1)).days
            # A manual reminder is its own round (step = its day), beside the scheduled ones.
            report = send_reminders(
                url,
                survey_id,
                channel,
                throttle,
                base_url=sending.base_url,
                k=k,
                today=day,
                kind=kind,
                step=step,
                default_language=sending.default_language,
            )
        else:
            raise InputError.single(f"unknown action '{action}': send, remind or remind-closing")
    finally:
        channel.close()
    detail = {"channel": channel_name, **audit_detail(report)}
    with session_scope(url) as session:
        record(session, actor, f"mail_{action.replace('-', '_')}", name, detail)
    return report
