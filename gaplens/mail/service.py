"""Schedules and rounds: who is invited, who is reminded, and what admins see of it.

A person's link is HMAC(server key, survey, person, the schedule's salt), so a reminder can
carry the same link without anything readable being stored; its SHA-256 is the invitation's
`survey_link` row as for any invitation. A reminder goes to the invitations whose spent tag
is absent (gaplens.spent, computed in memory with the key) and writes nothing per person.
Every message is sent outside a database transaction, and what it did is committed at once
after it, so a long round never holds a write lock and a crash loses at most one row.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from gaplens.connectors.delivery_reports import Bounce
from gaplens.db.engine import session_scope
from gaplens.directory.models import Person
from gaplens.directory.queries import people_to_invite
from gaplens.errors import InputError
from gaplens.i18n import DEFAULT_LANGUAGE, language_query, person_language
from gaplens.keys import keyed_tag
from gaplens.mail.channels import Channel, ChannelUnusable, Throttle
from gaplens.mail.compose import Kind, compose
from gaplens.mail.models import MailInvitation, MailRound, MailSchedule
from gaplens.spent.service import SURVEY, spent_among
from gaplens.surveys.intake import INVITATION, token_hash
from gaplens.surveys.models import Survey, SurveyLink

CHANNELS = ("email", "slack")
CLOSING_STEP = -1
INVITATION_STEP = 0


def link_token(survey_id: int, person_id: str, salt: str) -> str:
    """The person's single-use token: recomputable with the key, stored nowhere."""
    return keyed_tag("mail-link", f"{survey_id}:{person_id}:{salt}")[:32]


def schedule_survey(
    session: Session,
    survey: Survey,
    *,
    opens_on: dt.date,
    closes_on: dt.date,
    reminder_days: Sequence[int] = (3, 7),
    closing_reminder: bool = True,
    team: str | None = None,
    channel: str = "email",
) -> MailSchedule:
    """Create or change the survey's schedule (the link salt stays, so links sent stay valid)."""
    if survey.closed_on is not None:
        raise InputError.single(f"survey '{survey.name}' is closed: nothing can be sent for it")
    if channel not in CHANNELS:
        raise InputError.single(f"channel '{channel}' must be email or slack", column="channel")
    if closes_on <= opens_on:
        raise InputError.single(
            f"the close day {closes_on} must come after the opening day {opens_on}",
            column="closes_on",
        )
    span = (closes_on - opens_on).days
    days = sorted(set(reminder_days))
    for day in days:
        if not 0 < day < span:
            raise InputError.single(
                f"a reminder {day} days after opening is not between the opening and the "
                f"close ({span} days later)",
                column="reminders",
            )
    people_to_invite(session, team)  # an unknown or empty team is an error now, not at send
    schedule = session.scalar(select(MailSchedule).where(MailSchedule.survey_id == survey.id))
    if schedule is None:
        schedule = MailSchedule(survey_id=survey.id, link_salt=secrets.token_hex(16))
        session.add(schedule)
    schedule.team_key = team
    schedule.channel = channel
    schedule.opens_on = opens_on
    schedule.closes_on = closes_on
    schedule.reminder_days = days
    schedule.closing_reminder = closing_reminder
    session.flush()
    return schedule


@dataclass
class RoundReport:
    """What one round did, in words an admin can act on; reminders carry no sent count."""

    survey: str
    kind: Kind
    sent: int = 0
    failed: int = 0
    bounced: int = 0
    not_attempted: int = 0
    stopped: str | None = None
    failures: list[str] = field(default_factory=list)

    def describe(self) -> str:
        if self.kind == "invitation":
            head = f"{self.survey}: {self.sent} invitations sent"
        else:
            # The number reminded is the number not yet answered: not shown (see docs/mail.md).
            what = "closing reminder" if self.kind == "closing" else "reminder"
            head = f"{self.survey}: {what} sent to every unused invitation"
            if self.stopped:
                head = f"{self.survey}: {what} round stopped"
        parts = [head]
        if self.failed or self.bounced:
            parts.append(f"{self.failed} failed, {self.bounced} bounced (see /admin/mail)")
        if self.stopped:
            parts.append(f"stopped: {self.stopped}")
            if self.kind == "invitation" and self.not_attempted:
                parts.append(f"{self.not_attempted} not attempted yet (the next run tries them)")
        return "; ".join(parts)


def _schedule_of(session: Session, survey: Survey) -> MailSchedule:
    schedule = session.scalar(select(MailSchedule).where(MailSchedule.survey_id == survey.id))
    if schedule is None:
        raise InputError.single(
            f"survey '{survey.name}' has no mail schedule: create one first "
            "(gaplens invitations schedule, or /admin/mail)"
        )
    return schedule


def _open_survey(session: Session, survey_id: int) -> Survey:
    survey = session.get(Survey, survey_id)
    if survey is None:
        raise InputError.single(f"no survey with id {survey_id}")
    if survey.closed_on is not None:
        raise InputError.single(f"survey '{survey.name}' is closed: nothing is sent for it")
    return survey


def _note_round(
    session: Session, survey_id: int, kind: Kind, step: int, today: dt.date, report: RoundReport
) -> None:
    row = session.scalar(
        select(MailRound).where(
            MailRound.survey_id == survey_id, MailRound.kind == kind, MailRound.step == step
        )
    )
    if row is None:
        row = MailRound(survey_id=survey_id, kind=kind, step=step, sent_on=today, failed=0)
        session.add(row)
    row.sent_on = today
    if kind == "invitation":
        row.failed = (
            session.scalar(
                select(func.count()).where(
                    MailInvitation.survey_id == survey_id, MailInvitation.status != "sent"
                )
            )
            or 0
        )
    else:
        row.failed = (row.failed or 0) + report.failed + report.bounced
    row.note = f"stopped: {report.stopped}" if report.stopped else None


def send_invitations(
    url: str,
    survey_id: int,
    channel: Channel,
    throttle: Throttle,
    *,
    base_url: str,
    k: int,
    today: dt.date,
    default_language: str = DEFAULT_LANGUAGE,
) -> RoundReport:
    """Invite everyone in scope not yet reached: never invited, failed before, or bounced at
    an address that has changed since. Safe to run again: nobody gets a second invitation."""
    with session_scope(url) as session:
        survey = _open_survey(session, survey_id)
        schedule = _schedule_of(session, survey)
        people = people_to_invite(session, schedule.team_key)
        done = {
            row.person_id: row
            for row in session.scalars(
                select(MailInvitation).where(MailInvitation.survey_id == survey.id)
            )
        }
        targets = [
            (p.id, p.email, p.display_name, p.language)
            for p in people
            if p.id not in done
            or done[p.id].status == "failed"
            or (done[p.id].status == "bounced" and done[p.id].address != p.email)
        ]
        name, closes_on, salt = survey.name, schedule.closes_on, schedule.link_salt
    report = RoundReport(name, "invitation")
    if not targets:
        return report  # nobody new: the round's day stays the day it last sent something
    for n, (person_id, email, display_name, tag) in enumerate(targets):
        token = link_token(survey_id, person_id, salt)
        hashed = token_hash(token)
        with session_scope(url) as session:
            if session.get(SurveyLink, hashed) is None:
                session.add(
                    SurveyLink(
                        token_hash=hashed, survey_id=survey_id, kind=INVITATION, person_id=person_id
                    )
                )
        message = compose(
            "invitation",
            to=email,
            name=display_name,
            survey=name,
            link=f"{base_url}/s/{token}{language_query(tag)}",
            closes_on=closes_on,
            k=k,
            language=person_language(tag, default_language),
        )
        throttle.wait()
        try:
            outcome = channel.deliver(message)
        except ChannelUnusable as error:
            throttle.done()
            report.stopped = str(error)
            report.not_attempted = len(targets) - n
            with session_scope(url) as session:
                # Not received: the link goes, so "invitations sent" counts what arrived.
                session.execute(delete(SurveyLink).where(SurveyLink.token_hash == hashed))
            break
        throttle.done()
        with session_scope(url) as session:
            row = session.scalar(
                select(MailInvitation).where(
                    MailInvitation.survey_id == survey_id, MailInvitation.person_id == person_id
                )
            )
            if row is None:
                row = MailInvitation(survey_id=survey_id, person_id=person_id)
                session.add(row)
            row.channel = channel.name
            row.status = outcome.status
            row.address = email
            row.detail = outcome.detail
            row.attempts = outcome.attempts
            row.sent_on = today
            if outcome.status != "sent":
                session.execute(delete(SurveyLink).where(SurveyLink.token_hash == hashed))
        if outcome.status == "sent":
            report.sent += 1
        elif outcome.status == "bounced":
            report.bounced += 1
            report.failures.append(email)
        else:
            report.failed += 1
            report.failures.append(email)
    with session_scope(url) as session:
        _note_round(session, survey_id, "invitation", INVITATION_STEP, today, report)
    return report


def send_reminders(
    url: str,
    survey_id: int,
    channel: Channel,
    throttle: Throttle,
    *,
    base_url: str,
    k: int,
    today: dt.date,
    kind: Kind = "reminder",
    step: int | None = None,
    default_language: str = DEFAULT_LANGUAGE,
) -> RoundReport:
    """Remind the people whose invitation was delivered and is still unused.

    Reads only "is this invitation's spent tag present" (with the key, in memory) and
    writes one round row (day, failures): nothing says who was reminded."""
    with session_scope(url) as session:
        survey = _open_survey(session, survey_id)
        schedule = _schedule_of(session, survey)
        delivered = session.execute(
            select(Person.id, Person.email, Person.display_name, Person.language)
            .join(MailInvitation, MailInvitation.person_id == Person.id)
            .where(MailInvitation.survey_id == survey_id, MailInvitation.status == "sent")
            .order_by(Person.email)
        ).all()
        salt = schedule.link_salt
        tokens = {pid: link_token(survey_id, pid, salt) for pid, _, _, _ in delivered}
        used = spent_among(session, SURVEY, [token_hash(t) for t in tokens.values()])
        targets = [
            (pid, email, dname, tag)
            for pid, email, dname, tag in delivered
            if token_hash(tokens[pid]) not in used
        ]
        name, closes_on = survey.name, schedule.closes_on
    report = RoundReport(name, kind)
    for pid, email, display_name, tag in targets:
        message = compose(
            kind,
            to=email,
            name=display_name,
            survey=name,
            link=f"{base_url}/s/{tokens[pid]}{language_query(tag)}",
            closes_on=closes_on,
            k=k,
            language=person_language(tag, default_language),
        )
        throttle.wait()
        try:
            outcome = channel.deliver(message)
        except ChannelUnusable as error:
            report.stopped = str(error)
            break
        finally:
            throttle.done()
        if outcome.status == "bounced":
            report.bounced += 1
        elif outcome.status == "failed":
            report.failed += 1
    with session_scope(url) as session:
        chosen = step if step is not None else (CLOSING_STEP if kind == "closing" else 0)
        _note_round(session, survey_id, kind, chosen, today, report)
    return report


@dataclass(frozen=True)
class DueRound:
    survey_id: int
    kind: Kind
    step: int


def due_rounds(session: Session, today: dt.date) -> list[DueRound]:
    """What the schedules ask for today: the invitation (every day of the open window, for
    people added since), the latest reminder due and not yet run (earlier missed ones are
    folded into it), and the closing reminder on the day before the close."""
    due: list[DueRound] = []
    rows = session.execute(
        select(MailSchedule, Survey.closed_on).join(Survey, Survey.id == MailSchedule.survey_id)
    ).all()
    for schedule, closed_on in rows:
        if closed_on is not None or not schedule.opens_on <= today < schedule.closes_on:
            continue
        done = {
            (kind, step): note
            for kind, step, note in session.execute(
                select(MailRound.kind, MailRound.step, MailRound.note).where(
                    MailRound.survey_id == schedule.survey_id
                )
            )
        }
        due.append(DueRound(schedule.survey_id, "invitation", INVITATION_STEP))
        last_day = schedule.closes_on - dt.timedelta(days=1)
        if schedule.closing_reminder and today >= last_day:
            if _not_done(done, "closing", CLOSING_STEP):
                due.append(DueRound(schedule.survey_id, "closing", CLOSING_STEP))
            continue  # the closing reminder replaces a reminder that would fall on its day
        reached = [
            d for d in schedule.reminder_days if schedule.opens_on + dt.timedelta(d) <= today
        ]
        if reached and _not_done(done, "reminder", reached[-1]):
            due.append(DueRound(schedule.survey_id, "reminder", reached[-1]))
    return due


def _not_done(done: dict[tuple[str, int], str | None], kind: str, step: int) -> bool:
    """Never run, or stopped before the end (a stopped round runs again, in full)."""
    return (kind, step) not in done or (done[(kind, step)] or "").startswith("stopped")


def run_due(
    url: str,
    channel_for: Callable[[str], Channel],
    throttle: Throttle,
    *,
    base_url: str,
    k: int,
    today: dt.date,
    default_language: str = DEFAULT_LANGUAGE,
) -> list[RoundReport]:
    """Run every round due today (the web server's scheduler, `gaplens invitations run`)."""
    with session_scope(url) as session:
        rounds = due_rounds(session, today)
        channels = {
            s.survey_id: s.channel
            for s in session.scalars(
                select(MailSchedule).where(
                    MailSchedule.survey_id.in_({r.survey_id for r in rounds})
                )
            )
        }
    reports = []
    opened: dict[str, Channel] = {}
    try:
        for due in rounds:
            try:
                report = _run_round(
                    url,
                    due,
                    channels[due.survey_id],
                    opened,
                    channel_for,
                    throttle,
                    base_url=base_url,
                    k=k,
                    today=today,
                    default_language=default_language,
                )
            except InputError as error:
                # One survey's problem (its team emptied, a channel not configured) is
                # reported on its page and does not hold up the others.
                note_stopped(url, due.survey_id, str(error))
                continue
            if report is not None:
                reports.append(report)
    finally:
        for channel in opened.values():
            channel.close()
    return reports


def _run_round(
    url: str,
    due: DueRound,
    channel_name: str,
    opened: dict[str, Channel],
    channel_for: Callable[[str], Channel],
    throttle: Throttle,
    *,
    base_url: str,
    k: int,
    today: dt.date,
    default_language: str,
) -> RoundReport | None:
    if channel_name not in opened:
        opened[channel_name] = channel_for(channel_name)
    channel = opened[channel_name]
    if due.kind == "invitation":
        report = send_invitations(
            url,
            due.survey_id,
            channel,
            throttle,
            base_url=base_url,
            k=k,
            today=today,
            default_language=default_language,
        )
        if not (report.sent or report.failed or report.bounced or report.stopped):
            return None  # nobody new to invite: nothing to report
        return report
    return send_reminders(
        url,
        due.survey_id,
        channel,
        throttle,
        base_url=base_url,
        k=k,
        today=today,
        kind=due.kind,
        step=due.step,
        default_language=default_language,
    )


@dataclass(frozen=True)
class FailedAddress:
    name: str
    address: str
    status: str
    detail: str | None
    day: dt.date


@dataclass(frozen=True)
class SurveyMail:
    """One survey's mail, for admins: counts of invitation messages and the failing
    addresses (directory data, not answers); reminder rounds as days and failures only."""

    survey: str
    survey_id: int
    channel: str
    team: str | None
    opens_on: dt.date
    closes_on: dt.date
    reminder_days: list[int]
    closing_reminder: bool
    sent: int
    failed: int
    bounced: int
    failures: list[FailedAddress]
    rounds: list[tuple[str, int, dt.date, int, str | None]]


def mail_overview(session: Session) -> list[SurveyMail]:
    overview = []
    for schedule, survey in session.execute(
        select(MailSchedule, Survey)
        .join(Survey, Survey.id == MailSchedule.survey_id)
        .order_by(Survey.name)
    ).all():
        counts = dict(
            session.execute(
                select(MailInvitation.status, func.count())
                .where(MailInvitation.survey_id == survey.id)
                .group_by(MailInvitation.status)
            ).all()
        )
        failures = [
            FailedAddress(name, row.address, row.status, row.detail, row.sent_on)
            for row, name in session.execute(
                select(MailInvitation, Person.display_name)
                .join(Person, Person.id == MailInvitation.person_id)
                .where(MailInvitation.survey_id == survey.id, MailInvitation.status != "sent")
                .order_by(MailInvitation.address)
            ).all()
        ]
        rounds = [
            (r.kind, r.step, r.sent_on, r.failed, r.note)
            for r in session.scalars(
                select(MailRound)
                .where(MailRound.survey_id == survey.id)
                .order_by(MailRound.sent_on, MailRound.kind, MailRound.step)
            )
        ]
        overview.append(
            SurveyMail(
                survey=survey.name,
                survey_id=survey.id,
                channel=schedule.channel,
                team=schedule.team_key,
                opens_on=schedule.opens_on,
                closes_on=schedule.closes_on,
                reminder_days=list(schedule.reminder_days),
                closing_reminder=schedule.closing_reminder,
                sent=int(counts.get("sent", 0)),
                failed=int(counts.get("failed", 0)),
                bounced=int(counts.get("bounced", 0)),
                failures=failures,
                rounds=rounds,
            )
        )
    return overview


def open_surveys(session: Session) -> list[Survey]:
    """Surveys a schedule can be set for: those not closed."""
    return list(
        session.scalars(select(Survey).where(Survey.closed_on.is_(None)).order_by(Survey.name))
    )


def note_stopped(url: str, survey_id: int, message: str) -> None:
    """A round that could not start (nothing configured, no schedule) says why on the page."""
    with session_scope(url) as session:
        row = session.scalar(
            select(MailRound).where(
                MailRound.survey_id == survey_id,
                MailRound.kind == "invitation",
                MailRound.step == INVITATION_STEP,
            )
        )
        if row is None:
            row = MailRound(
                survey_id=survey_id,
                kind="invitation",
                step=INVITATION_STEP,
                sent_on=dt.date.today(),
                failed=0,
            )
            session.add(row)
        row.note = f"stopped: {message}"


@dataclass(frozen=True)
class BounceSummary:
    marked: int
    """Delivered invitations now marked bounced."""
    addresses: int
    """Addresses the reports name."""
    unknown: int
    """Of those, how many match no delivered invitation (another mail, or fixed already)."""

    def describe(self) -> str:
        return (
            f"{self.marked} invitations marked bounced ({self.addresses} addresses in the "
            f"reports, {self.unknown} matching no delivered invitation); see /admin/mail"
        )


def mark_bounced(session: Session, bounces: Sequence[Bounce]) -> BounceSummary:
    """Mark the delivered invitations to each bounced address as bounced, with the report's
    status and words. Only `mail_invitation` changes, and every delivered invitation to the
    address alike, so it says nothing about answering; the link stays as it was (whether it
    was used is not asked, which would single out answered invitations)."""
    by_address: dict[str, Bounce] = {}
    for bounce in bounces:
        by_address.setdefault(bounce.address, bounce)
    marked = unknown = 0
    for address, bounce in by_address.items():
        rows = session.scalars(
            select(MailInvitation).where(
                func.lower(MailInvitation.address) == address, MailInvitation.status == "sent"
            )
        ).all()
        if not rows:
            unknown += 1
        for row in rows:
            row.status = "bounced"
            words = " ".join(p for p in (bounce.status, bounce.diagnostic) if p)
            row.detail = f"delivery report: {words}"[:1000]
            marked += 1
    session.flush()
    return BounceSummary(marked, len(by_address), unknown)
