"""Friction services: log one anonymous entry, import a CSV of them, and the per-use-case view.

The per-use-case view (`use_case_friction`) reads the latest friction release only
(`releases/friction`): every figure is a sum of published classes of at least k entries, the
same for every viewer; the scorecard, the report and its cost section read the same release
(nothing outside `releases/friction/` reads entries for figures).
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
from gaplens.directory.queries import team_subtree
from gaplens.errors import InputError, InputProblem, ProblemCollector, validation_problems
from gaplens.friction.figures import (
    MonthRate,
    correction_trend,
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
from gaplens.i18n import N_
from gaplens.imports.raw import RawRowWriter, forget_raw_of_same_file
from gaplens.imports.service import ConnectorSummary, ProgressCallback, finish_run, start_run
from gaplens.privacy import PrivacyPolicy
from gaplens.releases.feedback.periods import Period, monday_of, month_of, months_between, week
from gaplens.releases.friction.queries import (
    FrictionClass,
    FrictionRelease,
    Sums,
    latest_friction_release,
)
from gaplens.stats.intervals import Estimate, wilson_interval

IMPORT_KIND = "friction"
REQUIRED_COLUMNS = ("date", "use_case", "tool", "minutes_correcting", "severity", "outcome")
OPTIONAL_COLUMNS = ("minutes_saved", "team", "note")
BATCH_ROWS = 1000
ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://gaplens.invalid/friction-entry")


def validate_entry(data: Mapping[str, object]) -> FrictionEntryIn:
    """Pydantic validation with each problem named by its field, as forms and the API need,
    and translatable (the form shows it in its language)."""
    try:
        return FrictionEntryIn.model_validate(data)
    except ValidationError as error:
        raise InputError(validation_problems(error)) from None


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
            unknown = {"value": entry.team}
            problem = InputProblem.worded(N_("unknown team '%(value)s'"), unknown, column="team")
            raise InputError([problem])
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


def team_choices(session: Session) -> list[tuple[str, str]]:
    """(key, name) of every team, by name: the form's and the summary's team options."""
    rows = session.execute(select(Team.key, Team.name).order_by(Team.name))
    return [(key, name) for key, name in rows]


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


def released_months(today: dt.date, months: int) -> tuple[dt.date, dt.date]:
    """The last `months` published months over before `today`: each the run of ISO weeks
    whose Thursday falls in it, so a view is a run of whole released periods."""
    if months < 1:
        raise ValueError("months must be at least 1")
    before = monday_of(today)
    last = month_of(week(before - dt.timedelta(days=1)))
    if last.end >= before:
        last = month_of(week(last.start - dt.timedelta(days=1)))
    first = last
    for _ in range(months - 1):
        first = month_of(week(first.start - dt.timedelta(days=1)))
    return first.start, last.end


def published_months(session: Session) -> list[Period]:
    """The months (runs of ISO weeks) from the first to the last the latest friction
    release publishes entries for, newest first: what a reader can pick as the last month
    of a view, the first being the latest with data."""
    release = latest_friction_release(session)
    if release is None or not release.classes:
        return []
    first = min(c.period.start for c in release.classes)
    return months_between(first, max(c.period.end for c in release.classes))


def use_case_friction(
    session: Session, scope: str | None, months: int, today: dt.date | None = None
) -> FrictionSummary:
    """Per use case over whole published months: entries, correction rate, minutes lost
    and saved, the monthly trend and teams, read from the latest friction release only.

    `scope` is a team key (the groups published with that team or a team below it) or None
    for everyone. No entry is read and nothing depends on the viewer.
    """
    first, last = released_months(today or dt.date.today(), months)
    team_ids = frozenset(team_subtree(session, scope)) if scope else None
    names = {team_id: name for team_id, name in session.execute(select(Team.id, Team.name))}
    return summary_of(latest_friction_release(session), first, last, scope, team_ids, names)


def summary_of(
    release: FrictionRelease | None,
    first: dt.date,
    last: dt.date,
    scope: str | None,
    team_ids: frozenset[int] | None,
    names: Mapping[int, str],
) -> FrictionSummary:
    """The summary from a loaded release: sums of its classes, no threshold decided here."""
    k = release.min_group_size if release is not None else PrivacyPolicy().min_group_size
    base = FrictionSummary(
        period_from=first,
        period_to=last,
        scope=scope,
        total=0,
        min_group_size=k,
        use_cases=[],
        other_use_cases=0,
        release=None if release is None else release.seq,
        released_through=None if release is None else release.through,
    )
    if release is None:
        return base.model_copy(
            update={
                "notes": [
                    "Nothing published yet: entries are published once their week "
                    "is over and at least "
                    f"{k} of them can be shown together."
                ]
            }
        )
    in_scope = None if team_ids is None else (lambda team: team in team_ids)
    classes = release.inside(first, last, in_scope)
    notes = [
        f"Whole months as published: {first} to {last} (a month is the ISO weeks whose "
        "Thursday falls in it, so every view is made of whole published periods)."
    ]
    elsewhere = sorted({p.describe() for p in release.straddling(first, last)})
    if elsewhere:
        notes.append(
            "Entries of quiet weeks are published only with their quarter "
            f"({', '.join(elsewhere)}), which runs past this period, so they are not in "
            "these figures; ask for a longer period to see them."
        )
    if scope is not None:
        notes.append(
            "For a team: groups published with this team or a team below it; entries of a "
            "team too small alone are published with its parent team or with no team, and "
            "are not counted here."
        )
    if last > release.through:
        notes.append(f"Weeks after {release.through} are not published yet.")
    by_key: dict[str, list[FrictionClass]] = defaultdict(list)
    for c in classes:
        if c.use_case is not None:
            by_key[c.use_case].append(c)
    use_cases = [_use_case(key, mine, names, k) for key, mine in by_key.items()]
    use_cases.sort(key=lambda u: (-u.n, u.label))
    return base.model_copy(
        update={
            "total": sum(c.n for c in classes),
            "use_cases": use_cases,
            "other_use_cases": sum(c.n for c in classes if c.use_case is None),
            "notes": notes,
        }
    )


def _use_case(
    key: str, classes: Sequence[FrictionClass], names: Mapping[int, str], k: int
) -> UseCaseFriction:
    sums = Sums.of(classes)
    by_month: dict[Period, list[FrictionClass]] = defaultdict(list)
    for c in classes:
        if c.period.level != "quarter":
            by_month[month_of(c.period)].append(c)
    trend = correction_trend(
        [
            MonthRate(month.describe(), Sums.of(mine).corrected, Sums.of(mine).n)
            for month, mine in by_month.items()
        ]
    )
    by_team: dict[int, list[FrictionClass]] = defaultdict(list)
    for c in classes:
        if c.team is not None:
            by_team[c.team].append(c)
    teams = sorted(
        (
            TeamFigure(
                team=names.get(team, f"team {team}"),
                n=Sums.of(mine).n,
                correction_rate=_interval(
                    wilson_interval(Sums.of(mine).corrected, Sums.of(mine).n)
                ),
            )
            for team, mine in by_team.items()
        ),
        key=lambda t: t.team,
    )
    notes = []
    in_months = sum(Sums.of(mine).n for mine in by_month.values())
    if in_months < sums.n:
        notes.append(
            f"{sums.n - in_months} outputs are published by quarter only (their months had "
            f"fewer than {k}, or all alike), so they are in no month of the trend."
        )
    if sums.lost_n < sums.n or sums.saved_n < sums.n:
        notes.append(
            "Minutes of a group whose outputs all gave the same figure are not published "
            "(they would tell each one); the sums say over how many outputs they run."
        )
    if sum(t.n for t in teams) < sums.n:
        notes.append(
            f"Outputs of a team with fewer than {k} in a month (or all alike) are counted "
            "with its parent team or with no team."
        )
    weight: dict[str, int] = defaultdict(int)
    for c in classes:
        weight[c.label or key] += c.n
    return UseCaseFriction(
        key=key,
        label=min(weight, key=lambda text: (-weight[text], text)),
        n=sums.n,
        corrected=sums.corrected,
        correction_rate=_interval(wilson_interval(sums.corrected, sums.n)),
        minutes=Minutes(
            lost=sums.lost if sums.lost_n else None,
            lost_n=sums.lost_n,
            saved_self_reported=sums.saved if sums.saved_n else None,
            saved_n=sums.saved_n,
            net_n=sums.net_n,
            net_per_output=sums.net_sum / sums.net_n if sums.net_n else None,
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
        notes=notes,
    )


def _interval(estimate: Estimate) -> Interval:
    return Interval(value=estimate.value, low=estimate.low, high=estimate.high)
