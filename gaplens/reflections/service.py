"""Reflection loops: schedule invitations from the data, issue email-ready links, take a
reflection (through a link or the Slack command), and the staff view and report part, read
from the reflections release (gaplens.releases.reflections).

Services take the caller's session and never commit. Privacy in one paragraph: using a link
writes an entry and a spent tag in the same transaction and leaves the invitation's row as
it was; the entry gets a random id, the writer's function, the step and the month, and
nothing else; the tag is a keyed hash of the link that only the server's key maps back to
the invitation (gaplens.spent). See docs/privacy.md.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from pydantic import ValidationError
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from gaplens.directory.models import Organisation, Person, Team
from gaplens.errors import InputError, validation_problems
from gaplens.friction.service import complete_months
from gaplens.i18n import DEFAULT_LANGUAGE, N_, language_query, person_language
from gaplens.metrics.schemas import MetricScope
from gaplens.privacy import PrivacyPolicy
from gaplens.privacy.recoding import TeamTree
from gaplens.reflections import queries
from gaplens.reflections.figures import (
    confidence_by_step,
    plan_series,
    step_participation,
    themes_of,
    usage_comparison,
)
from gaplens.reflections.models import ReflectionEntry, ReflectionInvitation
from gaplens.reflections.schemas import (
    Reference,
    ReflectionIn,
    ReflectionLink,
    ReflectionsSummary,
    ScheduleSummary,
    StepConfidence,
    ThemesOut,
)
from gaplens.reflections.steps import (
    LINK_VALID_DAYS,
    STEPS,
    email_body,
    email_subject,
    expires_on,
    step,
)
from gaplens.releases.reflections.lattice import period_bounds
from gaplens.releases.reflections.queries import cell, load_reflection_release
from gaplens.releases.reflections.service import INVITATION
from gaplens.sections import SectionContext, section
from gaplens.spent.service import REFLECTION, is_spent, spend, spent_among
from gaplens.surveys.intake import LinkNotUsable, token_hash
from gaplens.surveys.question_bank import DERIVED_BENCHMARKS

ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://gaplens.invalid/reflection")
BATCH = 1000
MAX_TOKEN_CHARS = 100
USAGE_SEED = 1_000_003
REPORT_MONTHS = 12
SOURCES = ("link", "slack", "teams")
TEAM_THEMES_REASON = (
    "reflections are kept by function, not by team (so that one cannot be traced to a "
    "small team): choose a function to see themes"
)
NOTES = [
    "Invited means a link was sent for that step; reflected means the link was used. Shares "
    "use Wilson 95% intervals.",
    "Reflections sent with the Slack or Teams command are anonymous: they count in the themes, "
    "never in anyone's participation.",
    "What someone wrote is stored apart from their invitation, with the function, the step "
    "and the month only: no view, export or query can join a reflection to a person.",
    "Later usage counts days with any AI-tool activity in the imported usage data.",
]


def series_id(trigger_key: str) -> str:
    return str(uuid.uuid5(ID_NAMESPACE, trigger_key))


def invitation_id(trigger_key: str, step_key: str) -> str:
    return str(uuid.uuid5(ID_NAMESPACE, f"{trigger_key}|{step_key}"))


# --- scheduling and links ------------------------------------------------------------------


def schedule(session: Session, since: dt.date, today: dt.date | None = None) -> ScheduleSummary:
    """Three invitations (right after, +1 day, +1 week) per training completion or first AI
    use from `since` to today. Ids are uuid5 of the trigger, so re-running adds only what is
    new; a trigger within a week of another series of the same person is skipped."""
    until = today or dt.date.today()
    if since > until:
        raise InputError.single(f"{since} is after today ({until})", column="since")
    triggers = [
        *queries.training_triggers(session, since, until),
        *queries.first_use_triggers(session, since, until),
    ]
    plan = plan_series(triggers, queries.existing_series(session), series_id)
    rows = [
        {
            "id": invitation_id(trigger.key, s.key),
            "series_id": series_id(trigger.key),
            "person_id": trigger.person_id,
            "trigger": trigger.kind,
            "trigger_on": trigger.day,
            "step": s.key,
            "due_on": trigger.day + dt.timedelta(days=s.offset_days),
            "token_hash": None,
            "link_issued_on": None,
        }
        for trigger in plan.new
        for s in STEPS
    ]
    for offset in range(0, len(rows), BATCH):
        session.execute(insert(ReflectionInvitation), rows[offset : offset + BATCH])
    session.flush()
    return ScheduleSummary(
        since=since,
        until=until,
        triggers=len(triggers),
        series_created=len(plan.new),
        invitations_created=len(rows),
        already_scheduled=plan.already,
        overlapping=plan.overlapping,
    )


_DUE = (
    select(
        ReflectionInvitation.id,
        ReflectionInvitation.trigger,
        ReflectionInvitation.step,
        ReflectionInvitation.due_on,
        Person.email,
        Person.display_name,
        ReflectionInvitation.token_hash,
        Person.language,
    )
    .join(Person, Person.id == ReflectionInvitation.person_id)
    .where(
        ReflectionInvitation.due_on <= bindparam("due"),
        ReflectionInvitation.due_on >= bindparam("oldest"),
        # a person the identity provider deactivated (SCIM) gets no more links
        Person.active.is_(True),
    )
    .order_by(ReflectionInvitation.due_on, Person.email, ReflectionInvitation.step)
)
_DUE_WITHOUT_LINK = _DUE.where(ReflectionInvitation.token_hash.is_(None))


def issue_links(
    session: Session,
    due: dt.date,
    base_url: str,
    *,
    reissue: bool = False,
    today: dt.date | None = None,
    default_language: str = DEFAULT_LANGUAGE,
) -> list[ReflectionLink]:
    """One single-use link per unused invitation due on or before `due` that has not expired
    and has no link yet (with `reissue`, earlier links are replaced and stop working).

    Tokens are returned once, for the mail tool, and only their hash is stored. The text is
    in the person's language (their directory tag), else in `default_language`."""
    today = today or dt.date.today()
    if not base_url.startswith(("http://", "https://")):
        raise InputError.single("must start with http:// or https://", column="base_url")
    query = _DUE if reissue else _DUE_WITHOUT_LINK
    params = {"due": due, "oldest": today - dt.timedelta(days=LINK_VALID_DAYS)}
    due_rows = session.execute(query, params).all()
    # A used invitation keeps its link (its row never says it was used): its spent tag,
    # recomputed with the server's key, is what keeps it from being issued again.
    spent = spent_among(session, REFLECTION, (row.token_hash for row in due_rows))
    links: list[ReflectionLink] = []
    issued: list[dict[str, object]] = []
    for invitation, trigger, step_key, due_on, email, name, hashed, tag in due_rows:
        if hashed in spent:
            continue
        token = secrets.token_urlsafe(18)
        issued.append({"id": invitation, "token_hash": token_hash(token), "link_issued_on": today})
        url = f"{base_url.rstrip('/')}/r/{token}{language_query(tag)}"
        language = person_language(tag, default_language)
        links.append(
            ReflectionLink(
                email=email,
                name=name,
                step=step_key,
                step_label=step(step_key).label,
                due_on=due_on,
                expires_on=expires_on(due_on),
                url=url,
                subject=email_subject(step_key, language),
                body=email_body(name, trigger, step_key, url, due_on, language),
                language=language,
            )
        )
    if issued:
        session.execute(update(ReflectionInvitation), issued)  # by primary key, one batch
    session.flush()
    return links


# --- answering -----------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenReflection:
    """What the answer page shows: the step and why, never whose link it is."""

    step: str
    trigger: str
    expires_on: dt.date


@dataclass(frozen=True)
class _Link:
    token_hash: str
    function: str
    trigger: str
    step: str
    due_on: dt.date


# Statements built once: answering is the hot path, and building a statement per call costs
# more than running it on SQLite.
_LINK = (
    select(
        Person.function,
        ReflectionInvitation.trigger,
        ReflectionInvitation.step,
        ReflectionInvitation.due_on,
    )
    .join(Person, Person.id == ReflectionInvitation.person_id)
    .where(ReflectionInvitation.token_hash == bindparam("hashed"))
)
_ENTRY = insert(ReflectionEntry)


def _usable_link(session: Session, token: str, today: dt.date) -> _Link:
    if not token or len(token) > MAX_TOKEN_CHARS:
        raise LinkNotUsable(N_("This reflection link is not valid."), 404)
    hashed = token_hash(token)
    row = session.connection().execute(_LINK, {"hashed": hashed}).one_or_none()
    if row is None:
        raise LinkNotUsable(N_("This reflection link is not valid or has been replaced."), 404)
    function, trigger, step_key, due_on = row
    if is_spent(session, REFLECTION, hashed):
        raise LinkNotUsable(N_("This link has already been used. Thank you for reflecting."), 410)
    if today > expires_on(due_on):
        raise LinkNotUsable(
            N_("This link expired on %(day)s. The next one will come by email."),
            410,
            {"day": expires_on(due_on)},
        )
    return _Link(hashed, function, trigger, step_key, due_on)


def open_reflection(session: Session, token: str, today: dt.date | None = None) -> OpenReflection:
    link = _usable_link(session, token, today or dt.date.today())
    return OpenReflection(link.step, link.trigger, expires_on(link.due_on))


def validate_reflection(data: Mapping[str, object]) -> ReflectionIn:
    """Pydantic validation with each problem named by its field, as forms and the API need."""
    try:
        return ReflectionIn.model_validate(data)
    except ValidationError as error:
        # Nothing written at all is reported on the first prompt.
        raise InputError(validation_problems(error, blank_column="learned")) from None


def submit_reflection(
    session: Session, token: str, answer: ReflectionIn, today: dt.date | None = None
) -> None:
    """Use the link and store the reflection, in one transaction, or do neither.

    The link is spent by inserting its keyed tag (the primary key of `spent_link`), so of two
    concurrent submissions with one link exactly one succeeds; the invitation's row is not
    touched. The entry copies only the writer's function (looked up, not linked), the step
    and the month."""
    today = today or dt.date.today()
    link = _usable_link(session, token, today)
    if not spend(session.connection(), REFLECTION, link.token_hash):
        raise LinkNotUsable(N_("This link has already been used. Thank you for reflecting."), 410)
    _store_entry(session, answer, "link", link.step, link.function, today)


def submit_anonymous_reflection(
    session: Session, answer: ReflectionIn, source: str = "slack", today: dt.date | None = None
) -> None:
    """A reflection with no invitation (the Slack or Teams command): no step, no function, no
    person; it counts in themes, never in participation."""
    if source not in SOURCES:
        raise ValueError(f"unknown reflection source {source!r}")
    _store_entry(session, answer, source, None, None, today or dt.date.today())


def _store_entry(
    session: Session,
    answer: ReflectionIn,
    source: str,
    step_key: str | None,
    function: str | None,
    today: dt.date,
) -> None:
    session.connection().execute(
        _ENTRY,
        {
            "id": secrets.token_hex(16),
            "source": source,
            "step": step_key,
            "function": function,
            "written_in": queries.month_start(today),
            "learned": answer.learned or None,
            "means": answer.means or None,
            "confidence": answer.confidence,
        },
    )


# --- the staff view and the report ---------------------------------------------------------


def scope_label(session: Session, scope: MetricScope) -> str:
    parts = []
    if scope.team_id is not None:
        name = session.scalar(select(Team.name).where(Team.id == scope.team_id))
        parts.append(f"Team {name}")
    if scope.function is not None:
        parts.append(f"Function {scope.function}")
    return " · ".join(parts) or "Whole organisation"


class NoOrganisationError(LookupError):
    """Nothing imported yet: there is no organisation to show reflections for."""


def view_scope(session: Session, team: str | None, function: str | None) -> MetricScope:
    """Whom the staff view is about; one declared filter at a time (team or function)."""
    if team and function:
        raise InputError.single("choose a team or a function, not both", column="function")
    organisation = session.scalars(select(Organisation.id).order_by(Organisation.id)).first()
    if organisation is None:
        raise NoOrganisationError("no organisation imported yet")
    team_id = None
    if team:
        team_id = session.scalar(
            select(Team.id).where(Team.key == team, Team.organisation_id == organisation)
        )
        if team_id is None:
            raise InputError.single(f"unknown team '{team}'", column="team")
    if function:
        known = session.scalar(select(Person.id).where(Person.function == function).limit(1))
        if known is None:
            raise InputError.single(f"unknown function '{function}'", column="function")
    return MetricScope(organisation_id=organisation, team_id=team_id, function=function or None)


def filter_choices(session: Session) -> tuple[list[tuple[str, str]], list[str]]:
    """The teams (key, name) and functions the staff page offers as filters."""
    teams = [
        (key, name)
        for key, name in session.execute(select(Team.key, Team.name).order_by(Team.name))
    ]
    functions = sorted(
        f for (f,) in session.execute(select(Person.function).distinct()) if f is not None
    )
    return teams, functions


def released_months(session: Session) -> list[dt.date]:
    """The last day of each month from the first to the last the reflections release has
    invitations for, newest first: what a reader can pick as the last month of a view, the
    first being the latest with data (not the month before today, which is empty whenever
    the latest invitations are older)."""
    release = load_reflection_release(session)
    if release is None:
        return []
    periods = [period_bounds(code.period) for code in release.codes(INVITATION, lambda _: True)]
    if not periods:
        return []
    first = min(start for start, _ in periods)
    last = max(end for _, end in periods)
    months: list[dt.date] = []
    month = last.replace(day=1)
    while month >= first:
        months.append((month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1))
        month = (month - dt.timedelta(days=1)).replace(day=1)
    return months


def reflections_summary(
    session: Session,
    scope: MetricScope,
    start: dt.date,
    end: dt.date,
    policy: PrivacyPolicy | None = None,
    *,
    by: str = "function",
) -> ReflectionsSummary:
    """Participation per step (by function or team), confidence per step, themes and the
    later-usage comparison for the released months within [start, end], read from the
    reflections release only: the same figures for every viewer, whatever they saw before."""
    if start > end:
        raise InputError.single("the period starts after it ends", column="period_from")
    if by not in ("function", "team"):
        raise InputError.single("must be 'function' or 'team'", column="by")
    policy = policy or PrivacyPolicy()
    release = load_reflection_release(session)
    tree = release.tree if release is not None else TeamTree({})
    inside = cell(tree, start, end, team=scope.team_id, function=scope.function)
    teams = {
        tid: (key, name) for tid, key, name in session.execute(select(Team.id, Team.key, Team.name))
    }
    labels = {key: name for key, name in teams.values()}
    team_keys = {tid: key for tid, (key, _) in teams.items()}
    steps = [step_participation(s, release, inside, by, labels, team_keys) for s in STEPS]
    if scope.team_id is not None:
        confidence = [
            StepConfidence(step=s.key, label=s.label, status="not_enough_data") for s in STEPS
        ]
        themes = ThemesOut(status="not_enough_data", reason=TEAM_THEMES_REASON)
    else:
        confidence = confidence_by_step(release, inside)
        themes = themes_of(release, inside, policy.min_comment_group_size)
    rng = np.random.Generator(np.random.PCG64(USAGE_SEED))
    later = usage_comparison(release, inside, rng)
    benchmark = DERIVED_BENCHMARKS["training_retention"]
    released = (
        f"Released through {release.through:%B %Y} ({release.releases} releases); later "
        "months appear once they are over and their links have expired."
        if release is not None
        else "Nothing released yet: `gaplens release build` publishes whole past months."
    )
    return ReflectionsSummary(
        period_from=start,
        period_to=end,
        scope=scope_label(session, scope),
        by="team" if by == "team" else "function",
        min_group_size=policy.min_group_size,
        min_comment_group_size=policy.min_comment_group_size,
        steps=steps,
        confidence=confidence,
        themes=themes,
        later_usage=later,
        reference=Reference(text=benchmark.text, source=benchmark.source),
        notes=[*NOTES, released],
    )


def has_reflections(session: Session) -> bool:
    found = session.scalar(select(ReflectionInvitation.id).limit(1))
    return found is not None or session.scalar(select(ReflectionEntry.id).limit(1)) is not None


def report_window(
    session: Session, today: dt.date, months: int = REPORT_MONTHS
) -> tuple[MetricScope, dt.date, dt.date]:
    """The report's scope and period: the organisation over the last whole months, ending
    no later than the month after the last invitation fell due (so a report on old data
    still covers the loop's last year rather than empty months)."""
    organisation = session.scalars(select(Organisation.id).order_by(Organisation.id)).first()
    last_due = session.scalar(select(func.max(ReflectionInvitation.due_on)))
    if last_due is not None:
        today = min(today, last_due + dt.timedelta(days=31))
    start, end = complete_months(today, months)
    return MetricScope(organisation_id=organisation or 0), start, end


@section("reflections", title="Reflection loops", order=50)
def report_section(
    session: Session,
    scope: MetricScope,
    start: dt.date,
    end: dt.date,
    policy: PrivacyPolicy,
    context: SectionContext | None = None,
) -> ReflectionsSummary | None:
    """The report's reflection section, or None when no reflection was ever scheduled or
    written. Read from the reflections release like the staff view, so a staff export and
    a reflections page publish the same groups for every viewer."""
    del context  # needs nothing the report has read
    if not has_reflections(session):
        return None
    return reflections_summary(session, scope, start, end, policy, by="function")
