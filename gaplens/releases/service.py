"""Building a survey's release: the one place that reads anonymous responses for figures.

A release is built when the data changes (an import, a scheduled build, `gaplens release
build`), never per request, so every viewer reads the same cells. Responses enter a release
only once their day is over, and a later release must keep every earlier class whole (see
`privacy/recoding.py`), so watching releases arrive shows groups of at least k new
responses, never one.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from gaplens.directory.models import Team
from gaplens.privacy.binning import BIN_COUNT, number_bin
from gaplens.privacy.policy import PrivacyPolicy
from gaplens.privacy.recoding import (
    Code,
    Lattice,
    RoleFirst,
    TeamTree,
    answers_ok,
    by_part,
    coarsen,
    whole,
)
from gaplens.releases.models import (
    Release,
    ReleaseClass,
    ReleaseComment,
    ReleaseCommentGroup,
    ReleaseHistogram,
    ReleaseMember,
    ReleaseNote,
)
from gaplens.releases.noisy import build_noisy_rollup
from gaplens.surveys.models import Survey, SurveyAnswer, SurveyResponse
from gaplens.surveys.question_bank import ATTRIBUTE_QUESTIONS, BankEntry, Scale
from gaplens.surveys.service import survey_questions

Value = int | frozenset[int]
ALL_WITHHELD = "too_few_or_all_alike"


def dataset_of(survey: Survey) -> str:
    return f"survey:{survey.id}"


def team_tree(session: Session) -> TeamTree:
    return TeamTree(dict(session.execute(select(Team.id, Team.parent_id)).all()))


@dataclass(frozen=True)
class BuildOutcome:
    """What a build did, in words an admin can act on (no count of a small group)."""

    release: Release | None
    message: str


@dataclass(frozen=True)
class _Respondent:
    code: Code
    signature: tuple[int, ...]
    day: dt.date


def previous_releases(session: Session, dataset: str) -> list[Release]:
    return list(
        session.scalars(select(Release).where(Release.dataset == dataset).order_by(Release.seq))
    )


def class_members(session: Session, release_ids: Sequence[int]) -> dict[int, list[str]]:
    """The contributors of each class of the given releases."""
    members: dict[int, list[str]] = defaultdict(list)
    for class_id, response_id in session.execute(
        select(ReleaseMember.class_id, ReleaseMember.response_id).where(
            ReleaseMember.release_id.in_(release_ids)
        )
    ):
        members[class_id].append(response_id)
    return members


def earlier_classes(
    session: Session,
    previous: Sequence[Release],
    member: InstrumentedAttribute[Any] = ReleaseMember.response_id,
) -> dict[Any, tuple[int, ...]]:
    """Each contributor's class in every earlier release (0 where absent): their signature,
    which a later release must keep whole (`by_part`). `member` is the contributor column of
    a data set's member table (with `release_id` and `class_id` beside it)."""
    table = member.class_
    position = {release.id: n for n, release in enumerate(previous)}
    found: dict[Any, list[int]] = defaultdict(lambda: [0] * len(previous))
    for release_id, contributor, class_id in session.execute(
        select(table.release_id, member, table.class_id).where(table.release_id.in_(position))
    ):
        found[contributor][position[release_id]] = class_id
    return {key: tuple(ids) for key, ids in found.items()}


def write_release(
    session: Session,
    *,
    dataset: str,
    previous: Sequence[Release],
    cutoff: dt.date,
    answers_through: dt.date,
    now: dt.datetime | None,
    k: int,
    included: int,
    withheld: int,
) -> Release:
    """The next release row of a data set (its classes are written by the caller)."""
    release = Release(
        dataset=dataset,
        seq=len(previous) + 1,
        answers_through=answers_through,
        built_at=(now or dt.datetime.now(dt.UTC)).replace(tzinfo=None, microsecond=0),
        cutoff=cutoff,
        min_group_size=k,
        included=included,
        withheld=withheld,
    )
    session.add(release)
    session.flush()
    return release


@dataclass(frozen=True)
class Opened:
    """A release row just written, with where each contributor's class landed."""

    release: Release
    codes: dict[str, Code]
    class_of: dict[str, int]
    rows: dict[Code, ReleaseClass]


def open_release(
    session: Session,
    *,
    dataset: str,
    previous: Sequence[Release],
    contributors: Mapping[str, tuple[Code, tuple[int, ...], dt.date]],
    lattice: Lattice[Code],
    k: int,
    cutoff: dt.date,
    now: dt.datetime | None,
    noun: str,
) -> Opened | BuildOutcome:
    """Recode contributors (code, earlier classes, day) into classes of at least k that keep
    every earlier class whole, and write the release and its classes, or say why not.

    A release must add at least k new contributors together and must not drop anyone
    published before; otherwise it waits for more (the outcome says so, in words)."""
    new = {rid for rid, (_, signature, _) in contributors.items() if not any(signature)}
    if previous and not new:
        return BuildOutcome(None, f"No new {noun} since the last release.")
    classes = coarsen(
        {rid: code for rid, (code, _, _) in contributors.items()},
        by_part(lambda rid: contributors[rid][1], k),
        lattice,
    )
    if classes.withheld - new:
        return BuildOutcome(
            None,
            f"Not released yet: the {noun} since the last release cannot be added without "
            f"leaving a group of fewer than {k}. The release waits for more {noun}.",
        )
    if not new & classes.codes.keys():
        return BuildOutcome(
            None, f"Not released yet: fewer than {k} new {noun} can be shown together."
        )
    latest = max(contributors[rid][2] for rid in classes.codes)
    week_end = latest + dt.timedelta(days=6 - latest.weekday())
    release = write_release(
        session,
        dataset=dataset,
        previous=previous,
        cutoff=cutoff,
        answers_through=min(week_end, cutoff - dt.timedelta(days=1)),
        now=now,
        k=k,
        included=len(classes.codes),
        withheld=len(classes.withheld),
    )
    rows = write_classes(session, release, classes.codes)
    class_of = {rid: rows[code].id for rid, code in classes.codes.items()}
    return Opened(release, classes.codes, class_of, rows)


def build_survey_release(
    session: Session,
    survey: Survey,
    policy: PrivacyPolicy,
    *,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> BuildOutcome:
    """Publish a new release of `survey` if the responses of completed days allow one.

    Nothing is written unless a release results; the caller's session owns the commit.
    A closed survey's last day counts as over: no answer can arrive after the close.
    """
    cutoff = today or dt.date.today()
    if survey.closed_on is not None:
        cutoff = max(cutoff, survey.closed_on + dt.timedelta(days=1))
    k = policy.min_group_size
    dataset = dataset_of(survey)
    previous = previous_releases(session, dataset)
    respondents = _respondents(session, survey, cutoff, previous)
    opened = open_release(
        session,
        dataset=dataset,
        previous=previous,
        contributors={rid: (r.code, r.signature, r.day) for rid, r in respondents.items()},
        lattice=team_tree(session),
        k=k,
        cutoff=cutoff,
        now=now,
        noun="responses",
    )
    if isinstance(opened, BuildOutcome):
        return opened
    release, class_rows, class_of = opened.release, opened.rows, opened.class_of
    _write_histograms(session, survey, release, class_rows, class_of, previous, k)
    _write_comments(
        session, survey, release, class_rows, class_of, previous, policy.min_comment_group_size
    )
    # Imported here: the drivers' builder imports this module (released_series).
    from gaplens.releases.drivers.service import write_gain_drivers

    write_gain_drivers(
        session,
        survey,
        release,
        opened.codes,
        {rid: respondents[rid].code.tenure for rid in opened.codes},
        team_tree(session),
        k,
    )
    return BuildOutcome(
        release,
        f"Release {release.seq} of {survey.name}: {release.included} responses "
        f"in {len(class_rows)} groups of at least {k}.",
    )


def _respondents(
    session: Session, survey: Survey, cutoff: dt.date, previous: Sequence[Release]
) -> dict[str, _Respondent]:
    """Responses of completed days, each with its finest code and its earlier classes."""
    earlier = earlier_classes(session, previous)
    nowhere = (0,) * len(previous)
    rows = session.execute(
        select(
            SurveyResponse.id,
            SurveyResponse.team_id,
            SurveyResponse.function,
            SurveyResponse.role_level,
            SurveyResponse.ai_tenure_band,
            SurveyResponse.answered_on,
        ).where(SurveyResponse.survey_id == survey.id, SurveyResponse.answered_on < cutoff)
    )
    return {
        rid: _Respondent(
            Code(team, function, role, tenure),
            earlier.get(rid, nowhere),
            day,
        )
        for rid, team, function, role, tenure, day in rows
    }


def write_classes(
    session: Session, release: Release, codes: Mapping[str, Code]
) -> dict[Code, ReleaseClass]:
    sizes: dict[Code, int] = defaultdict(int)
    for code in codes.values():
        sizes[code] += 1
    rows = {
        code: ReleaseClass(
            release_id=release.id,
            team_id=code.team,
            function=code.function,
            role=code.role,
            tenure=code.tenure,
            n=sizes[code],
        )
        for code in sorted(sizes, key=_sort_key)
    }
    session.add_all(rows.values())
    session.flush()
    session.execute(
        insert(ReleaseMember),
        [
            {"release_id": release.id, "response_id": rid, "class_id": rows[code].id}
            for rid, code in sorted(codes.items())
        ],
    )
    return rows


UNSANCTIONED = "shadow_tools.unsanctioned"
"""Derived: 1 when a respondent named any tool besides the sanctioned one (option 0)."""


@dataclass(frozen=True)
class Series:
    """One released question: its values per response (an option, a set of options, a
    number's bin, or a derived yes/no), and how many values it has."""

    key: str
    values: int
    multi: bool
    answers: dict[str, Value]


def released_series(session: Session, survey: Survey) -> list[Series]:
    """Every question a release publishes counts for, with each response's value, plus the
    derived series the pages need (shadow AI: "named an unsanctioned tool")."""
    questions = {
        qid: entry
        for qid, entry in survey_questions(session, survey)
        if entry.scale is not Scale.TEXT and entry.key not in ATTRIBUTE_QUESTIONS
    }
    values = _answer_values(session, survey, questions)
    found = []
    for qid, entry in questions.items():
        answers = values.get(qid, {})
        count = BIN_COUNT if entry.scale is Scale.NUMBER else len(entry.options)
        found.append(Series(entry.key, count, entry.scale is Scale.MULTI, answers))
        if entry.key == "shadow_tools":
            derived: dict[str, Value] = {
                rid: int(bool(value - {0})) if isinstance(value, frozenset) else int(value != 0)
                for rid, value in answers.items()
            }
            found.append(Series(UNSANCTIONED, 2, False, derived))
    return found


def _write_histograms(
    session: Session,
    survey: Survey,
    release: Release,
    class_rows: Mapping[Code, ReleaseClass],
    class_of: Mapping[str, int],
    previous: Sequence[Release],
    k: int,
) -> None:
    """Per question, merge classes until each group's answers (and each earlier group's
    share of them) number at least k and are not all alike; release those counts, over
    every member of the group's classes: the last count is those who gave no answer, so
    every released set of people is a union of whole classes (a skipped question is
    derivable from the class sizes anyway, and now lines up with them)."""
    earlier = _earlier_histograms(session, previous)
    code_of_class = {row.id: code for code, row in class_rows.items()}
    tree = team_tree(session)
    in_class: dict[int, list[str]] = defaultdict(list)
    for rid, class_id in class_of.items():
        in_class[class_id].append(rid)
    for series in released_series(session, survey):
        answers = {rid: v for rid, v in series.answers.items() if rid in class_of}
        prior = earlier.get(series.key, {})

        def ok(
            group: Sequence[int],
            answers: Mapping[str, Value] = answers,
            prior: Mapping[str, tuple[int, ...]] = prior,
        ) -> bool:
            parts: dict[tuple[int, ...], list[Value]] = defaultdict(list)
            for class_id in group:
                for rid in in_class[class_id]:
                    part = parts[prior.get(rid, ())]
                    if rid in answers:
                        part.append(answers[rid])
            return all(answers_ok(part, k) for part in parts.values())

        grouped = coarsen(dict(code_of_class), whole(ok), tree)
        by_code: dict[Code, list[int]] = defaultdict(list)
        for class_id, code in grouped.codes.items():
            by_code[code].append(class_id)
        for code in sorted(by_code, key=Code.key):
            ids = sorted(by_code[code])
            counts = [0] * (series.values + 1)  # the last: members who gave no answer
            answered = 0
            for class_id in ids:
                for rid in in_class[class_id]:
                    if rid in answers:
                        answered += 1
                        _add(counts, answers[rid])
                    else:
                        counts[series.values] += 1
            session.add(
                ReleaseHistogram(
                    release_id=release.id,
                    question=series.key,
                    team_id=code.team,
                    function=code.function,
                    role=code.role,
                    tenure=code.tenure,
                    answered=answered,
                    counts=counts,
                    classes=ids,
                )
            )
        if answers and not by_code:
            session.add(
                ReleaseNote(release_id=release.id, question=series.key, reason=ALL_WITHHELD)
            )
    session.flush()


def _add(counts: list[int], value: Value) -> None:
    if isinstance(value, frozenset):
        for option in value:
            counts[option] += 1
    else:
        assert isinstance(value, int)
        counts[value] += 1


def _answer_values(
    session: Session, survey: Survey, entries: Mapping[int, BankEntry]
) -> dict[int, dict[str, Value]]:
    """Each response's answer per question as one comparable value: an option, a set of
    options (multi-choice) or a number's bin, never the number itself."""
    found: dict[int, dict[str, Value]] = defaultdict(dict)
    multi: dict[tuple[int, str], set[int]] = defaultdict(set)
    rows = session.execute(
        select(
            SurveyAnswer.question_id,
            SurveyAnswer.response_id,
            SurveyAnswer.option_index,
            SurveyAnswer.number,
        )
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(SurveyResponse.survey_id == survey.id, SurveyAnswer.question_id.in_(entries))
    )
    for qid, rid, option, number in rows:
        entry = entries[qid]
        if entry.scale is Scale.MULTI and option is not None:
            multi[(qid, rid)].add(option)
        elif entry.scale is Scale.NUMBER and number is not None:
            found[qid][rid] = number_bin(number)
        elif option is not None:
            found[qid][rid] = option
    for (qid, rid), options in multi.items():
        found[qid][rid] = frozenset(options)
    return found


def _earlier_histograms(
    session: Session, previous: Sequence[Release]
) -> dict[str, dict[str, tuple[int, ...]]]:
    """Per question, each response's earlier histogram groups (one id per earlier release)."""
    if not previous:
        return {}
    position = {release.id: n for n, release in enumerate(previous)}
    members = class_members(session, list(position))
    found: dict[str, dict[str, list[int]]] = defaultdict(dict)
    for hist_id, release_id, question, classes in session.execute(
        select(
            ReleaseHistogram.id,
            ReleaseHistogram.release_id,
            ReleaseHistogram.question,
            ReleaseHistogram.classes,
        ).where(ReleaseHistogram.release_id.in_(position))
    ):
        for class_id in classes:
            for rid in members[class_id]:
                found[question].setdefault(rid, [0] * len(previous))[position[release_id]] = hist_id
    return {q: {rid: tuple(ids) for rid, ids in by.items()} for q, by in found.items()}


def _sort_key(code: Code) -> tuple[str, ...]:
    return code.key()


def latest_release(session: Session, survey: Survey) -> Release | None:
    return session.scalars(
        select(Release)
        .where(Release.dataset == dataset_of(survey))
        .order_by(Release.seq.desc())
        .limit(1)
    ).first()


def release_count(session: Session, dataset: str) -> int:
    return session.scalar(select(func.count()).where(Release.dataset == dataset)) or 0


def build_all(
    session: Session, policy: PrivacyPolicy, *, today: dt.date | None = None
) -> list[tuple[str, BuildOutcome]]:
    """A build for every survey and every other data set (after an import, on a schedule,
    or by hand), each named for the command's report."""
    # Imported here: the data sets' builders import this module (BuildOutcome).
    from gaplens.releases.adoption.service import build_adoption_releases
    from gaplens.releases.feedback.service import build_feedback_release
    from gaplens.releases.friction.service import build_friction_release
    from gaplens.releases.measured.service import build_measured_releases
    from gaplens.releases.reflections.service import build_reflection_release
    from gaplens.releases.tasks.service import build_task_releases

    # Measured figures first: their build may load work items in a child process, which
    # needs a transaction with no writes yet (gaplens/metrics/prefetch.py).
    built = build_measured_releases(session, policy, today=today)
    for survey in session.scalars(select(Survey).order_by(Survey.id)):
        built.append((survey.name, build_survey_release(session, survey, policy, today=today)))
        build_noisy_rollup(session, survey, policy)
    built += [
        (f"Task round {round_.name}", outcome)
        for round_, outcome in build_task_releases(session, policy, today=today)
    ]
    built.append(("Feedback", build_feedback_release(session, policy, today=today)))
    built.append(("Friction log", build_friction_release(session, policy, today=today)))
    built.append(("Reflections", build_reflection_release(session, policy, today=today)))
    built += build_adoption_releases(session, policy, today=today)
    return built


def _write_comments(
    session: Session,
    survey: Survey,
    release: Release,
    class_rows: Mapping[Code, ReleaseClass],
    class_of: Mapping[str, int],
    previous: Sequence[Release],
    threshold: int,
) -> None:
    """Merge classes until each group holds at least `threshold` respondents who wrote a
    comment (and each earlier comment group's share of them is none or at least that), then
    publish the group's comments with their month only, shuffled under random ids."""
    texts = _comment_texts(session, survey, class_of)
    if not texts:
        return
    members: dict[int, list[str]] = defaultdict(list)
    for rid in texts:
        members[class_of[rid]].append(rid)
    prior = _earlier_comment_groups(session, previous)

    def ok(group: Sequence[int]) -> bool:
        parts: dict[tuple[int, ...], int] = defaultdict(int)
        for class_id in group:
            for rid in members[class_id]:
                parts[prior.get(rid, ())] += 1
        return all(count >= threshold for count in parts.values())

    code_of_class = {row.id: code for code, row in class_rows.items()}
    lattice = RoleFirst(team_tree(session))
    grouped = coarsen({c: code_of_class[c] for c in members}, whole(ok), lattice)
    by_code: dict[Code, list[int]] = defaultdict(list)
    for class_id, code in grouped.codes.items():
        by_code[code].append(class_id)
    shuffle = random.SystemRandom()
    for code in sorted(by_code, key=Code.key):
        ids = sorted(by_code[code])
        writers = [rid for class_id in ids for rid in members[class_id]]
        group = ReleaseCommentGroup(
            release_id=release.id,
            team_id=code.team,
            function=code.function,
            role=code.role,
            tenure=code.tenure,
            commenters=len(writers),
            classes=ids,
        )
        session.add(group)
        session.flush()
        comments = [comment for rid in writers for comment in texts[rid]]
        shuffle.shuffle(comments)
        session.execute(
            insert(ReleaseComment),
            [
                {"id": secrets.token_hex(16), "group_id": group.id, "text": text, "month": month}
                for text, month in comments
            ],
        )


def _comment_texts(
    session: Session, survey: Survey, class_of: Mapping[str, int]
) -> dict[str, list[tuple[str, str]]]:
    """Each released response's non-blank comments as (text, "YYYY-MM")."""
    text_questions = [
        qid for qid, entry in survey_questions(session, survey) if entry.scale is Scale.TEXT
    ]
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    if not text_questions:
        return found
    rows = session.execute(
        select(SurveyAnswer.response_id, SurveyAnswer.text, SurveyResponse.answered_on)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(
            SurveyResponse.survey_id == survey.id,
            SurveyAnswer.question_id.in_(text_questions),
            SurveyAnswer.text.is_not(None),
        )
    )
    for rid, text, day in rows:
        if rid in class_of and text and (stripped := text.strip()):
            found[rid].append((stripped, f"{day.year:04d}-{day.month:02d}"))
    return found


def _earlier_comment_groups(
    session: Session, previous: Sequence[Release]
) -> dict[str, tuple[int, ...]]:
    """Each response's earlier comment groups (one id per earlier release, 0 if none)."""
    if not previous:
        return {}
    position = {release.id: n for n, release in enumerate(previous)}
    members = class_members(session, list(position))
    found: dict[str, list[int]] = {}
    for group_id, release_id, classes in session.execute(
        select(
            ReleaseCommentGroup.id, ReleaseCommentGroup.release_id, ReleaseCommentGroup.classes
        ).where(ReleaseCommentGroup.release_id.in_(position))
    ):
        for class_id in classes:
            for rid in members[class_id]:
                found.setdefault(rid, [0] * len(previous))[position[release_id]] = group_id
    return {rid: tuple(ids) for rid, ids in found.items()}
