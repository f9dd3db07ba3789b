"""What stays the same: make, reword and retire statements, read them (every earlier wording
included), a per-process cache for the answer and feedback pages, exports, and the report
section beside the job-security-clarity answers. Services never commit.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence

from pydantic import ValidationError
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from gaplens.accounts.models import StaffRole, StaffUser
from gaplens.accounts.service import account_with_role
from gaplens.commitments.models import Commitment, CommitmentRevision
from gaplens.commitments.queries import (
    QUESTION,
    YES,
    Pulse,
    asks_clarity,
    pulses,
)
from gaplens.commitments.schemas import (
    CATEGORY_LABELS,
    Category,
    ClarityChange,
    ClarityGroup,
    ClarityPoint,
    ClarityTrend,
    CommitmentsSection,
    PointsChange,
    Proportion,
    RetireIn,
    RevisionOut,
    StatementIn,
    StatementOut,
)
from gaplens.db.engine import session_scope
from gaplens.directory.service import check_function, scope_function
from gaplens.errors import InputError, InputProblem
from gaplens.metrics.schemas import MetricScope
from gaplens.privacy import PrivacyPolicy
from gaplens.releases.queries import SurveyRelease, cell_predicate, latest_survey_release
from gaplens.sections import SectionContext, section
from gaplens.stats import newcombe_difference, wilson_interval
from gaplens.surveys.models import Survey
from gaplens.surveys.question_bank import entry
from gaplens.wording import day, percent, percent_range

EDITOR_ROLES = (StaffRole.LEADER, StaffRole.ADMIN)
CACHE_SECONDS = 30.0
FRONTLINE = "individual_contributor"
EXPORT_COLUMNS = (
    "id",
    "category",
    "text",
    "stated_by",
    "function",
    "published_on",
    "review_on",
    "revision",
    "revised_on",
    "earlier_wordings",
    "retired_on",
    "retired_reason",
)


class StatementNotFound(LookupError):  # noqa: N818 - a state, answered with 404
    def __init__(self, statement_id: int) -> None:
        super().__init__(f"there is no statement {statement_id}")


# --- writing ----------------------------------------------------------------------------


def _problems(error: ValidationError) -> InputError:
    return InputError(
        [
            InputProblem(e["msg"], column=".".join(str(p) for p in e["loc"]) or None)
            for e in error.errors()
        ]
    )


def validate_statement(data: Mapping[str, object]) -> StatementIn:
    try:
        return StatementIn.model_validate(data)
    except ValidationError as error:
        raise _problems(error) from None


def validate_retirement(data: Mapping[str, object]) -> RetireIn:
    try:
        return RetireIn.model_validate(data)
    except ValidationError as error:
        raise _problems(error) from None


def editor_account(session: Session, user_id: int) -> StaffUser:
    return account_with_role(session, user_id, EDITOR_ROLES, "make statements")


def _check(
    session: Session, statement: StatementIn, today: dt.date, kept_review: dt.date | None = None
) -> None:
    """The function exists; a new review date lies ahead (a kept one may have passed)."""
    check_function(session, statement.function)
    review = statement.review_on
    if review is not None and review != kept_review and review <= today:
        raise InputError.single(
            f"the review date must be after {today.isoformat()} (or left empty)",
            column="review_on",
        )


def _revision(row: Commitment, revised_on: dt.date, by: int) -> CommitmentRevision:
    return CommitmentRevision(
        commitment_id=row.id,
        number=row.revision,
        category=row.category,
        text=row.text,
        stated_by=row.stated_by,
        function=row.function,
        review_on=row.review_on,
        revised_on=revised_on,
        revised_by_id=by,
    )


def create_statement(
    session: Session, entered_by: int, statement: StatementIn, today: dt.date | None = None
) -> Commitment:
    """Publish a statement now; its first wording is kept as revision 1."""
    today = today or dt.date.today()
    editor_account(session, entered_by)
    _check(session, statement, today)
    row = Commitment(
        category=statement.category.value,
        text=statement.text,
        stated_by=statement.stated_by,
        function=statement.function,
        published_on=today,
        review_on=statement.review_on,
        revision=1,
        entered_by_id=entered_by,
        retired_on=None,
        retired_reason=None,
        retired_by_id=None,
    )
    session.add(row)
    session.flush()
    session.add(_revision(row, today, entered_by))
    session.flush()
    return row


def _open(session: Session, statement_id: int) -> Commitment:
    row = session.get(Commitment, statement_id)
    if row is None:
        raise StatementNotFound(statement_id)
    if row.retired_on is not None:
        raise InputError.single(
            f"statement {statement_id} was retired on {row.retired_on.isoformat()}; "
            "make a new statement instead",
            column="statement",
        )
    return row


def revise_statement(
    session: Session,
    statement_id: int,
    revised_by: int,
    statement: StatementIn,
    today: dt.date | None = None,
) -> Commitment:
    """Reword a statement: the new wording is a new revision, the earlier ones stay visible."""
    today = today or dt.date.today()
    editor_account(session, revised_by)
    row = _open(session, statement_id)
    _check(session, statement, today, kept_review=row.review_on)
    values = {
        "category": statement.category.value,
        "text": statement.text,
        "stated_by": statement.stated_by,
        "function": statement.function,
        "review_on": statement.review_on,
    }
    if all(getattr(row, name) == value for name, value in values.items()):
        raise InputError.single("nothing changed: the statement is as it was", column="text")
    for name, value in values.items():
        setattr(row, name, value)
    row.revision += 1
    session.add(_revision(row, today, revised_by))
    session.flush()
    return row


def retire_statement(
    session: Session,
    statement_id: int,
    retired_by: int,
    retirement: RetireIn,
    today: dt.date | None = None,
) -> Commitment:
    """A statement that no longer holds is retired, not deleted: it stays visible as such."""
    editor_account(session, retired_by)
    row = _open(session, statement_id)
    row.retired_on = today or dt.date.today()
    row.retired_reason = retirement.reason
    row.retired_by_id = retired_by
    session.flush()
    return row


# --- reading ----------------------------------------------------------------------------


def _scope_filter(function: str | None) -> list[ColumnElement[bool]]:
    if function is None:
        return []
    return [or_(Commitment.function.is_(None), Commitment.function == function)]


def _statements(
    session: Session, where: Sequence[ColumnElement[bool]] = (), as_of: dt.date | None = None
) -> list[StatementOut]:
    """Statements with their wordings; with `as_of`, worded as they were on that day."""
    rows = list(
        session.scalars(
            select(Commitment)
            .where(*where)
            .order_by(Commitment.function.is_not(None), Commitment.published_on, Commitment.id)
        )
    )
    if not rows:
        return []
    revisions: dict[int, list[tuple[CommitmentRevision, str]]] = {}
    for revision, name in session.execute(
        select(CommitmentRevision, StaffUser.display_name)
        .join(StaffUser, StaffUser.id == CommitmentRevision.revised_by_id)
        .where(CommitmentRevision.commitment_id.in_([r.id for r in rows]))
        .order_by(CommitmentRevision.number.desc())
    ):
        revisions.setdefault(revision.commitment_id, []).append((revision, name))
    result = []
    for row in rows:
        history = revisions.get(row.id, [])
        if as_of is not None:
            history = [(r, n) for r, n in history if r.revised_on <= as_of]
        if not history:
            continue
        current, *earlier = history
        retired = row.retired_on is not None and (as_of is None or row.retired_on <= as_of)
        result.append(
            StatementOut(
                id=row.id,
                category=Category(current[0].category),
                category_label=CATEGORY_LABELS[Category(current[0].category)],
                text=current[0].text,
                stated_by=current[0].stated_by,
                function=current[0].function,
                published_on=row.published_on,
                review_on=current[0].review_on,
                revision=current[0].number,
                revised_on=current[0].revised_on if current[0].number > 1 else None,
                earlier=[_revision_out(r, n) for r, n in earlier],
                retired_on=row.retired_on if retired else None,
                retired_reason=row.retired_reason if retired else None,
            )
        )
    return result


def _revision_out(revision: CommitmentRevision, by: str) -> RevisionOut:
    return RevisionOut(
        number=revision.number,
        category=Category(revision.category),
        text=revision.text,
        stated_by=revision.stated_by,
        function=revision.function,
        review_on=revision.review_on,
        revised_on=revision.revised_on,
        revised_by=by,
    )


def list_statements(session: Session, include_retired: bool = True) -> list[StatementOut]:
    """Organisation-wide statements first, then per function; oldest first within each."""
    where = [] if include_retired else [Commitment.retired_on.is_(None)]
    return _statements(session, where)


def current_statements(session: Session) -> list[StatementOut]:
    """The statements in force: what the answer and feedback pages show."""
    return list_statements(session, include_retired=False)


def get_statement(session: Session, statement_id: int) -> StatementOut:
    found = _statements(session, [Commitment.id == statement_id])
    if not found:
        raise StatementNotFound(statement_id)
    return found[0]


class StatementCache:
    """The statements in force, kept per server worker for `ttl` seconds.

    The survey answer page is the busiest page: a fresh cache answers it without touching
    the database, and a stale one is refreshed through its own short session. Writes in this
    worker invalidate it at once; other workers see a change within `ttl` seconds.
    """

    def __init__(
        self,
        database_url: str,
        ttl: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.database_url = database_url
        self.ttl = ttl
        self.clock = clock
        self._lock = threading.Lock()
        self._statements: list[StatementOut] | None = None
        self._loaded_at = 0.0
        self.loads = 0

    def get(self) -> list[StatementOut]:
        with self._lock:
            if self._statements is not None and self.clock() - self._loaded_at < self.ttl:
                return self._statements
        with session_scope(self.database_url) as session:
            statements = current_statements(session)
        with self._lock:
            self._statements, self._loaded_at = statements, self.clock()
            self.loads += 1
        return statements

    def peek(self) -> list[StatementOut]:
        """Whatever is cached, never a database read (for paths that must not add one)."""
        with self._lock:
            return list(self._statements or [])

    def invalidate(self) -> None:
        with self._lock:
            self._statements = None


# --- export -----------------------------------------------------------------------------


def _cell(value: object) -> str:
    """A cell a spreadsheet will not run as a formula (OWASP CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export_statements(statements: Sequence[StatementOut], fmt: str) -> str:
    """CSV (one row per statement, earlier wordings joined) or JSON (the API's shape)."""
    if fmt == "json":
        return json.dumps([s.model_dump(mode="json") for s in statements], indent=2) + "\n"
    if fmt != "csv":
        raise InputError.single(f"unknown format '{fmt}' (csv or json)", column="format")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    for s in statements:
        earlier = " | ".join(f"{r.revised_on.isoformat()}: {r.text}" for r in s.earlier)
        values = (
            s.id,
            s.category.value,
            s.text,
            s.stated_by,
            s.function,
            s.published_on.isoformat(),
            s.review_on.isoformat() if s.review_on else None,
            s.revision,
            s.revised_on.isoformat() if s.revised_on else None,
            earlier,
            s.retired_on.isoformat() if s.retired_on else None,
            s.retired_reason,
        )
        writer.writerow([_cell(v) for v in values])
    return buffer.getvalue()


# --- the report section -----------------------------------------------------------------


def _in_force(on: dt.date) -> list[ColumnElement[bool]]:
    return [
        Commitment.published_on <= on,
        or_(Commitment.retired_on.is_(None), Commitment.retired_on > on),
    ]


def _count(session: Session, where: Sequence[ColumnElement[bool]]) -> int:
    return session.scalar(select(func.count()).select_from(Commitment).where(*where)) or 0


def clarity_change(points: Sequence[ClarityPoint]) -> ClarityChange | None:
    """First pulse to last, for individual contributors if shown in both, else everyone."""
    if len(points) < 2:
        return None
    first, last = points[0], points[-1]
    for name in ("individual_contributors", "everyone"):
        a: ClarityGroup = getattr(first, name)
        b: ClarityGroup = getattr(last, name)
        if a.status == b.status == "shown":
            assert a.n is not None and a.yes is not None and b.n is not None and b.yes is not None
            estimate = newcombe_difference(b.yes, b.n, a.yes, a.n)
            change = PointsChange(
                estimate=100 * estimate.value, low=100 * estimate.low, high=100 * estimate.high
            )
            direction = (
                "clearer"
                if change.low > 0
                else "less clear"
                if change.high < 0
                else "no clear change"
            )
            return ClarityChange(
                group="individual_contributors"
                if name == "individual_contributors"
                else "everyone",
                from_survey=first.survey,
                to_survey=last.survey,
                change_pp=change,
                direction=direction,
            )
    return None


def released_clarity_point(
    pulse: Pulse,
    release: SurveyRelease | None,
    team_id: int | None,
    function: str | None,
    statements_in_force: int,
) -> ClarityPoint:
    """One pulse's clarity for the scope and its individual contributors, read from the
    pulse's release: sums of published groups, the same for every viewer."""
    groups = []
    for role in (None, FRONTLINE):
        found = None
        if release is not None:
            inside = cell_predicate(release.tree, team=team_id, function=function, role=role)
            found = release.answers(QUESTION, inside)
        if found is None:
            groups.append(ClarityGroup(status="not_enough_responses"))
            continue
        answered, counts = found
        yes = counts[entry(QUESTION).options.index(YES)]
        estimate = wilson_interval(yes, answered)
        groups.append(
            ClarityGroup(
                status="shown",
                n=answered,
                yes=yes,
                clarity=Proportion(share=estimate.value, low=estimate.low, high=estimate.high),
            )
        )
    return ClarityPoint(
        survey=pulse.name,
        first_week=pulse.first_week,
        answers_through=pulse.answers_through,
        statements_in_force=statements_in_force,
        everyone=groups[0],
        individual_contributors=groups[1],
    )


def clarity_trend(
    session: Session,
    survey: Survey,
    scope: MetricScope,
    end: dt.date,
    function: str | None,
) -> ClarityTrend | None:
    """Job-security clarity per pulse of the survey's series, from each pulse's release."""
    if not asks_clarity(session, survey.id):
        return None
    scope_where = _scope_filter(function)
    points = []
    for pulse in pulses(session, survey, end):
        found = session.get(Survey, pulse.survey_id)
        release = latest_survey_release(session, found) if found is not None else None
        points.append(
            released_clarity_point(
                pulse,
                release,
                scope.team_id,
                scope.function,
                _count(session, [*scope_where, *_in_force(pulse.first_week)]),
            )
        )
    question = entry(QUESTION)
    bench = question.benchmark
    return ClarityTrend(
        question=question.text,
        series=survey.series,
        points=points,
        change=clarity_change(points),
        benchmark=None if bench is None else f"{bench.text} ({bench.source}).",
    )


@section("commitments", title="Commitments", order=44)
def report_section(
    session: Session,
    scope: MetricScope,
    start: dt.date,
    end: dt.date,
    policy: PrivacyPolicy,
    context: SectionContext | None = None,
) -> CommitmentsSection | None:
    """The statements in force at `end` beside job-security clarity per pulse of the report's
    survey's series (`context.survey`); None when there is neither a statement nor a clarity
    answer to show. Clarity is read from each pulse's release, the same for every viewer;
    statements are signed."""
    del policy  # the releases carry their own threshold
    survey: Survey | None = None if context is None else context.survey
    if start > end:
        raise InputError.single("the period starts after it ends", column="period_from")
    function = scope_function(session, scope.function, scope.team_id)
    where = _scope_filter(function)
    statements = _statements(session, [*where, *_in_force(end)], as_of=end)
    clarity = clarity_trend(session, survey, scope, end, function) if survey else None
    if not statements and (clarity is None or not clarity.points):
        return None
    since = clarity.points[0].first_week if clarity and clarity.points else None
    made_in_period = _count(
        session, [*where, Commitment.published_on >= start, Commitment.published_on <= end]
    )
    made_since = (
        _count(session, [*where, Commitment.published_on >= since, Commitment.published_on <= end])
        if since
        else made_in_period
    )
    retired = _count(
        session, [*where, Commitment.retired_on >= start, Commitment.retired_on <= end]
    )
    due = sum(1 for s in statements if s.review_on is not None and s.review_on <= end)
    return CommitmentsSection(
        period_from=start,
        period_to=end,
        statements=statements,
        made_in_period=made_in_period,
        retired_in_period=retired,
        since=since,
        made_since=made_since,
        review_due=due,
        clarity=clarity,
        summary=summary_sentence(len(statements), made_since, since, clarity),
    )


def summary_sentence(
    in_force: int, made_since: int, since: dt.date | None, clarity: ClarityTrend | None
) -> str:
    """The section's lead: the statements, then clarity as measured, never as their effect."""
    plural = "statement" if made_since == 1 else "statements"
    if in_force == 0:
        parts = ["No statement of what stays the same is in force."]
    elif since is not None:
        parts = [
            f"{made_since} {plural} of what stays the same made since the week of "
            f"{day(since)}, the first week with published answers of the first pulse."
        ]
    else:
        parts = [f"{in_force} {'statement' if in_force == 1 else 'statements'} in force."]
    if clarity is not None and clarity.change is not None:
        c = clarity.change
        first, last = clarity.points[0], clarity.points[-1]
        group = "individual contributors" if c.group == "individual_contributors" else "everyone"
        before: ClarityGroup = getattr(first, c.group)
        after: ClarityGroup = getattr(last, c.group)
        assert before.clarity is not None and after.clarity is not None
        parts.append(
            f"Job-security clarity among {group} went from {_share(before.clarity)} in "
            f"{first.survey} to {_share(after.clarity)} in {last.survey}: "
            f"{c.change_pp.estimate:+.0f} points ({c.change_pp.low:+.0f} to "
            f"{c.change_pp.high:+.0f}), {_direction(c.direction)}."
        )
    elif clarity is not None and clarity.points:
        last = clarity.points[-1]
        shown = [
            (name, g)
            for name, g in (
                ("individual contributors", last.individual_contributors),
                ("everyone", last.everyone),
            )
            if g.clarity is not None
        ]
        if shown:
            name, g = shown[0]
            assert g.clarity is not None
            parts.append(
                f"Job-security clarity among {name} is {_share(g.clarity)} ({last.survey}, "
                f"n={g.n})."
            )
        else:
            parts.append("Too few answers to show job-security clarity.")
    parts.append("Shown side by side: this does not say that one caused the other.")
    return " ".join(parts)


def _share(p: Proportion) -> str:
    return f"{percent(p.share)} ({percent_range(p.low, p.high)})"


def _direction(direction: str) -> str:
    if direction == "no clear change":
        return "within noise"
    return f"{direction} beyond noise"
