"""Friction services: log one anonymous entry, import a CSV of them, and the per-use-case view.

Every figure leaving `use_case_friction` went through the privacy gate: use cases as a
breakdown of all entries, then teams and months as breakdowns of each use case, so no small
group can be read directly or by subtracting shown groups from their parent.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from gaplens.connectors.csv_file import CsvReader
from gaplens.directory.models import Team
from gaplens.errors import InputError, InputProblem, ProblemCollector
from gaplens.friction.figures import (
    Fact,
    MonthRate,
    correction_trend,
    group_figures,
    month_of,
    most_common_label,
    needs_correction,
    use_case_key,
    use_case_label,
)
from gaplens.friction.models import OUTCOMES, SEVERITIES, FrictionEntry
from gaplens.friction.schemas import (
    BACKDATE_DAYS,
    MAX_MINUTES,
    FrictionEntryIn,
    FrictionSummary,
    Interval,
    Minutes,
    TeamFigure,
    TrendPoint,
    UseCaseFriction,
)
from gaplens.imports.raw import RawRowWriter, forget_raw_of_same_file
from gaplens.imports.service import ConnectorSummary, ProgressCallback, finish_run, start_run
from gaplens.perception.filters import team_subtree
from gaplens.privacy import Comment, PrivacyGate, PrivacyPolicy
from gaplens.stats.intervals import Estimate, wilson_interval

IMPORT_KIND = "friction"
REQUIRED_COLUMNS = ("date", "use_case", "tool", "minutes_correcting", "severity", "outcome")
OPTIONAL_COLUMNS = ("minutes_saved", "team", "note")
BATCH_ROWS = 1000
ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://gaplens.invalid/friction-entry")
MEMBER_PREFIX = "friction:"
"""Entry ids as the query auditor sees them, apart from survey response ids."""
SERVICE_VIEWER = "service"
COMMENT_SEED = 15485863
SHOWN_COMMENTS = 5


def validate_entry(data: Mapping[str, object]) -> FrictionEntryIn:
    """Pydantic validation with each problem named by its field, as forms and the API need."""
    try:
        return FrictionEntryIn.model_validate(data)
    except ValidationError as error:
        raise InputError(
            [
                InputProblem(e["msg"], column=".".join(str(p) for p in e["loc"]) or None)
                for e in error.errors()
            ]
        ) from None


def log_entry(
    session: Session, entry: FrictionEntryIn, source: str = "web", today: dt.date | None = None
) -> str:
    """Store one entry: use case, tool, minutes, severity, outcome, day and at most a team.

    The id is random (it must not be derivable from the content, which a reader may know),
    and nothing about the person or the request is kept.
    """
    today = today or dt.date.today()
    day = entry.day or today
    if day > today or day < today - dt.timedelta(days=BACKDATE_DAYS):
        raise InputError.single(
            f"the day must be within the last {BACKDATE_DAYS} days and not in the future",
            column="day",
        )
    team_id = None
    if entry.team:
        team_id = _team_ids(session).get(entry.team)
        if team_id is None:
            raise InputError.single(f"unknown team '{entry.team}'", column="team")
    entry_id = str(uuid.uuid4())
    session.add(
        FrictionEntry(
            id=entry_id,
            logged_on=day,
            use_case=entry.use_case,
            tool=entry.tool,
            minutes_correcting=entry.minutes_correcting,
            minutes_saved=entry.minutes_saved,
            severity=entry.severity.value,
            outcome=entry.outcome.value,
            team_id=team_id,
            note=entry.note,
            source=source,
            import_run_id=None,
        )
    )
    session.flush()
    return entry_id


def _team_ids(session: Session) -> dict[str, int]:
    return {key: team_id for team_id, key in session.execute(select(Team.id, Team.key))}


# --- CSV import -------------------------------------------------------------------------


def import_friction(
    session: Session, path: Path, progress: ProgressCallback | None = None
) -> ConnectorSummary:
    """Import a friction-log CSV in the caller's transaction, all or nothing.

    Rows stream into the database in batches while every row is validated; any problem
    raises InputError at the end (file, row, column named), so the transaction rolls back.
    Ids are uuid5 of the row's content and date (plus its occurrence number, so two
    identical rows stay two entries), hence a re-import rewrites the same rows.
    """
    reader = CsvReader(path, REQUIRED_COLUMNS, OPTIONAL_COLUMNS)
    problems = ProblemCollector(reader.source)
    teams = _team_ids(session)
    run = start_run(session, IMPORT_KIND, path)
    raw = RawRowWriter(session, run)
    today = dt.date.today()
    seen: dict[str, int] = defaultdict(int)
    batch: list[dict[str, object]] = []
    rows_read = written = 0
    for row_number, fields in reader:
        rows_read += 1
        raw.add(row_number, _csv_line(fields))
        record = parse_row(reader, fields, row_number, problems, teams, today)
        if record is not None and not problems:
            content = _content_key(record)
            seen[content] += 1
            record["id"] = str(uuid.uuid5(ID_NAMESPACE, f"{content}|{seen[content]}"))
            record["import_run_id"] = run.id
            batch.append(record)
            if len(batch) >= BATCH_ROWS:
                written += _write(session, batch)
                batch = []
        if progress is not None and rows_read % BATCH_ROWS == 0:
            progress(reader.bytes_read)
    problems.raise_if_any()
    written += _write(session, batch)
    raw.close()
    finish_run(run, rows_read, written)
    forget_raw_of_same_file(session, IMPORT_KIND, run.sha256, run.id)
    if progress is not None:
        progress(reader.bytes_read)
    return ConnectorSummary(IMPORT_KIND, reader.source, rows_read, written)


def parse_row(
    reader: CsvReader,
    fields: list[str],
    row: int,
    problems: ProblemCollector,
    teams: Mapping[str, int],
    today: dt.date,
) -> dict[str, object] | None:
    """One CSV row as table values, or None with every problem of the row recorded."""
    before = problems.count
    day = _parse_day(reader.get(fields, "date"), problems, row, today)
    use_case = _text(reader.get(fields, "use_case"), problems, row, "use_case", required=True)
    tool = _text(reader.get(fields, "tool"), problems, row, "tool", required=True)
    correcting = _minutes(reader.get(fields, "minutes_correcting"), problems, row, True)
    saved = _minutes(reader.get(fields, "minutes_saved"), problems, row, False)
    severity = _choice(reader.get(fields, "severity"), SEVERITIES, problems, row, "severity")
    outcome = _choice(reader.get(fields, "outcome"), OUTCOMES, problems, row, "outcome")
    team_key = reader.get(fields, "team").strip()
    team_id = teams.get(team_key) if team_key else None
    if team_key and team_id is None:
        problems.add(f"unknown team '{_clip(team_key)}'", row, "team")
    note = _text(reader.get(fields, "note"), problems, row, "note", max_length=2000)
    if problems.count > before:
        return None
    return {
        "logged_on": day,
        "use_case": use_case,
        "tool": tool,
        "minutes_correcting": correcting,
        "minutes_saved": saved,
        "severity": severity,
        "outcome": outcome,
        "team_id": team_id,
        "note": note,
        "source": "csv",
    }


def _write(session: Session, batch: list[dict[str, object]]) -> int:
    """Replace rows with these ids: a re-import rewrites what it made, never duplicates it."""
    if not batch:
        return 0
    session.execute(delete(FrictionEntry).where(FrictionEntry.id.in_([r["id"] for r in batch])))
    session.execute(insert(FrictionEntry), batch)
    return len(batch)


def _content_key(record: Mapping[str, object]) -> str:
    parts = ("logged_on", "use_case", "tool", "minutes_correcting", "minutes_saved")
    rest = ("severity", "outcome", "team_id", "note")
    return "|".join("" if record[k] is None else str(record[k]) for k in (*parts, *rest))


def _csv_line(fields: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(fields)
    return buffer.getvalue()


def _parse_day(value: str, problems: ProblemCollector, row: int, today: dt.date) -> dt.date | None:
    text = value.strip()
    if not text:
        problems.add("a date is required (YYYY-MM-DD)", row, "date")
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        problems.add(f"'{_clip(text)}' is not a date (YYYY-MM-DD)", row, "date")
        return None
    if day > today:
        problems.add(f"{day.isoformat()} is in the future", row, "date")
        return None
    return day


def _text(
    value: str,
    problems: ProblemCollector,
    row: int,
    column: str,
    required: bool = False,
    max_length: int = 100,
) -> str | None:
    text = use_case_label(value)
    if not text:
        if required:
            problems.add("a value is required", row, column)
        return None
    if len(text) > max_length:
        problems.add(f"longer than {max_length} characters", row, column)
        return None
    return text


def _minutes(value: str, problems: ProblemCollector, row: int, required: bool) -> int | None:
    column = "minutes_correcting" if required else "minutes_saved"
    text = value.strip()
    if not text:
        if required:
            problems.add("a number of minutes is required (0 if none)", row, column)
        return None
    if not text.isascii() or not text.isdigit():
        problems.add(f"'{_clip(text)}' is not a whole number of minutes", row, column)
        return None
    minutes = int(text)
    if minutes > MAX_MINUTES:
        problems.add(f"{minutes} is more than a day ({MAX_MINUTES} minutes)", row, column)
        return None
    return minutes


def _choice(
    value: str, allowed: Sequence[str], problems: ProblemCollector, row: int, column: str
) -> str | None:
    text = value.strip().lower()
    if text not in allowed:
        shown = f"'{_clip(value.strip())}'" if text else "an empty value"
        problems.add(f"{shown} is not one of {', '.join(allowed)}", row, column)
        return None
    return text


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- the per-use-case view --------------------------------------------------------------


def complete_months(today: dt.date, months: int) -> tuple[dt.date, dt.date]:
    """The last `months` whole calendar months before `today`'s month.

    Views use whole, finished months so two views cannot differ by a day's entries (a
    tracker attack) and a figure does not change while the month is still filling up.
    """
    if months < 1:
        raise ValueError("months must be at least 1")
    end = today.replace(day=1) - dt.timedelta(days=1)
    start = end.replace(day=1)
    for _ in range(months - 1):
        start = (start - dt.timedelta(days=1)).replace(day=1)
    return start, end


def load_facts(
    session: Session, start: dt.date, end: dt.date, team_ids: Sequence[int] | None = None
) -> list[Fact]:
    """Entries logged within [start, end], optionally only those of the given teams."""
    query = (
        select(
            FrictionEntry.id,
            FrictionEntry.use_case,
            FrictionEntry.logged_on,
            FrictionEntry.minutes_correcting,
            FrictionEntry.minutes_saved,
            FrictionEntry.outcome,
            Team.name,
            FrictionEntry.note,
        )
        .outerjoin(Team, Team.id == FrictionEntry.team_id)
        .where(FrictionEntry.logged_on >= start, FrictionEntry.logged_on <= end)
    )
    if team_ids is not None:
        query = query.where(FrictionEntry.team_id.in_(team_ids))
    names: dict[str, tuple[str, str]] = {}  # a year holds many entries but few use cases
    facts = []
    for entry_id, use_case, day, correcting, saved, outcome, team, note in session.execute(query):
        named = names.get(use_case)
        if named is None:
            named = names[use_case] = (use_case_key(use_case), use_case_label(use_case))
        facts.append(
            Fact(
                id=entry_id,
                key=named[0],
                label=named[1],
                logged_on=day,
                minutes_correcting=correcting,
                minutes_saved=saved,
                outcome=outcome,
                team=team,
                note=note,
            )
        )
    return facts


def members(facts: Sequence[Fact]) -> frozenset[str]:
    return frozenset(MEMBER_PREFIX + f.id for f in facts)


def group_by_key(facts: Sequence[Fact]) -> dict[str, list[Fact]]:
    groups: dict[str, list[Fact]] = defaultdict(list)
    for fact in facts:
        groups[fact.key].append(fact)
    return dict(groups)


def use_case_friction(
    session: Session,
    scope: str | None,
    start: dt.date,
    end: dt.date,
    *,
    gate: PrivacyGate | None = None,
    viewer: str = SERVICE_VIEWER,
) -> FrictionSummary:
    """Per use case: entries, correction rate, minutes lost vs saved, net per output, trend.

    `scope` is a team key (that team and every team below it) or None for everyone; entries
    logged without a team count only in the whole-organisation view. Pass the web's
    database-backed gate so the per-viewer differencing check holds across views.
    """
    if start > end:
        raise InputError.single("the period starts after it ends", column="period_from")
    gate = gate if gate is not None else PrivacyGate(PrivacyPolicy())
    team_ids = team_subtree(session, scope) if scope else None
    facts = load_facts(session, start, end, team_ids)
    return summarise(facts, gate, viewer, start, end, scope)


def summarise(
    facts: Sequence[Fact],
    gate: PrivacyGate,
    viewer: str,
    start: dt.date,
    end: dt.date,
    scope: str | None = None,
) -> FrictionSummary:
    """The summary from loaded entries; every group passes `gate` before a figure is made."""
    policy = gate.policy
    groups = group_by_key(facts)
    decisions = gate.breakdown(
        viewer, members(facts), {key: members(group) for key, group in groups.items()}
    )
    shown = [key for key, decision in decisions.items() if decision.shown]
    use_cases = [_use_case(groups[key], gate, viewer) for key in shown]
    use_cases.sort(key=lambda u: (-u.n, u.label))
    return FrictionSummary(
        period_from=start,
        period_to=end,
        scope=scope,
        total=len(facts) if gate.count_is_shown(len(facts)) else None,
        min_group_size=policy.min_group_size,
        min_comment_group_size=policy.min_comment_group_size,
        use_cases=use_cases,
        hidden_use_cases=len(groups) - len(shown),
    )


def _use_case(group: list[Fact], gate: PrivacyGate, viewer: str) -> UseCaseFriction:
    figures = group_figures(group, gate.policy.min_group_size)
    parent = members(group)

    by_month: dict[str, list[Fact]] = defaultdict(list)
    for fact in group:
        by_month[month_of(fact.logged_on)].append(fact)
    month_decisions = gate.breakdown(
        viewer, parent, {month: members(f) for month, f in by_month.items()}
    )
    shown_months = [
        MonthRate(month, sum(needs_correction(f) for f in by_month[month]), len(by_month[month]))
        for month, decision in month_decisions.items()
        if decision.shown
    ]
    trend = correction_trend(shown_months)

    by_team: dict[str, list[Fact]] = defaultdict(list)
    for fact in group:
        if fact.team is not None:
            by_team[fact.team].append(fact)
    team_decisions = gate.breakdown(
        viewer, parent, {team: members(f) for team, f in by_team.items()}
    )
    teams = [
        TeamFigure(
            team=team,
            n=len(by_team[team]),
            correction_rate=_interval(
                wilson_interval(sum(map(needs_correction, by_team[team])), len(by_team[team]))
            ),
        )
        for team, decision in sorted(team_decisions.items())
        if decision.shown
    ]

    released = gate.comments(
        viewer,
        parent,
        [Comment(f.note, f.logged_on) for f in group if f.note],
        seed=COMMENT_SEED,
    )
    return UseCaseFriction(
        key=group[0].key,
        label=most_common_label([f.label for f in group]),
        n=figures.n,
        corrected=figures.corrected,
        correction_rate=_interval(figures.correction_rate),
        minutes=Minutes(
            lost=figures.minutes_lost,
            saved_self_reported=figures.minutes_saved,
            saved_claims_forfeited=figures.saved_claims_forfeited,
            net_n=figures.net_n,
            net_per_output=Interval.of(figures.net_per_output),
        ),
        trend=[
            TrendPoint(
                month=step.month,
                n=step.n,
                correction_rate=_interval(step.rate),
                change=Interval.of(step.change),
                flag=step.flag,
            )
            for step in trend
        ],
        trend_flag=trend[-1].flag if trend else None,
        teams=teams,
        hidden_teams=len(by_team) - len(teams),
        hidden_months=len(by_month) - len(shown_months),
        comments=[{"text": c.text, "month": c.month} for c in (released or [])[:SHOWN_COMMENTS]],
    )


def _interval(estimate: Estimate) -> Interval:
    return Interval(value=estimate.value, low=estimate.low, high=estimate.high)
