"""Reading a release: a cell is the sum of the released groups whose code lies inside it.

Nothing here reads a response. Whatever declared filters a viewer combines, the answer is a
sum of groups of at least k that were published to everyone, so two viewers asking the same
question get the same figures, and no set of questions can split a group.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.privacy.recoding import Code, TeamTree
from gaplens.releases.models import (
    Release,
    ReleaseClass,
    ReleaseComment,
    ReleaseCommentGroup,
    ReleaseHistogram,
    ReleaseNote,
)
from gaplens.releases.service import dataset_of, latest_release, team_tree
from gaplens.surveys.models import Survey
from gaplens.surveys.schemas import SurveySummary

Predicate = Callable[[Code], bool]


@dataclass(frozen=True)
class Histogram:
    code: Code
    answered: int
    counts: tuple[int, ...]


@dataclass(frozen=True)
class SurveyRelease:
    """One published release of a survey, as plain data."""

    survey: str
    seq: int
    cutoff: dt.date
    answers_through: dt.date
    built_at: dt.datetime
    min_group_size: int
    classes: tuple[tuple[Code, int], ...]
    histograms: Mapping[str, tuple[Histogram, ...]]
    notes: Mapping[str, str]
    tree: TeamTree

    def respondents(self, inside: Predicate) -> int:
        return sum(n for code, n in self.classes if inside(code))

    def answers(self, question: str, inside: Predicate) -> tuple[int, list[int]] | None:
        """(answers, counts per value) over the released groups inside the cell, or None."""
        found = [h for h in self.histograms.get(question, ()) if inside(h.code)]
        if not found:
            return None
        counts = [0] * (len(found[0].counts) - 1)  # the last count is "no answer"
        for histogram in found:
            for index, count in enumerate(histogram.counts[:-1]):
                counts[index] += count
        return sum(h.answered for h in found), counts


T = TypeVar("T")
CACHE_KEY = "gaplens.releases.loaded"


@contextmanager
def reading_releases(session: Session) -> Iterator[None]:
    """While open, each release this session loads is read from the database once: a
    report or a dashboard that reads the same release for a hundred teams loads it once.
    Releases are never rewritten, so a loaded one stays true; the cache ends with the block
    (and is not used by builders, which write releases)."""
    outer = CACHE_KEY in session.info
    if not outer:
        session.info[CACHE_KEY] = {}
    try:
        yield
    finally:
        if not outer:
            del session.info[CACHE_KEY]


def cached(session: Session, key: tuple[str, int], load: Callable[[], T]) -> T:
    """`load()` once per key while `reading_releases` is open; every time otherwise."""
    cache: dict[tuple[str, int], object] | None = session.info.get(CACHE_KEY)
    if cache is None:
        return load()
    if key not in cache:
        cache[key] = load()
    return cache[key]  # type: ignore[return-value]  # stored by the same key's loader


def latest_survey_release(session: Session, survey: Survey) -> SurveyRelease | None:
    release = session.scalars(
        select(Release)
        .where(Release.dataset == dataset_of(survey))
        .order_by(Release.seq.desc())
        .limit(1)
    ).first()
    if release is None:
        return None
    found = release
    return cached(
        session, ("survey", release.id), lambda: load_survey_release(session, survey, found)
    )


def released_cells(
    session: Session, release: Release
) -> tuple[tuple[tuple[Code, int], ...], dict[str, tuple[Histogram, ...]], dict[str, str]]:
    """A release's classes (code, n), histograms per question and notes, in stored order:
    what every reader of a release built on the shared tables sums over."""
    classes = tuple(
        (Code(row.team_id, row.function, row.role, row.tenure), row.n)
        for row in session.scalars(
            select(ReleaseClass)
            .where(ReleaseClass.release_id == release.id)
            .order_by(ReleaseClass.id)
        )
    )
    histograms: dict[str, list[Histogram]] = {}
    for row in session.scalars(
        select(ReleaseHistogram)
        .where(ReleaseHistogram.release_id == release.id)
        .order_by(ReleaseHistogram.id)
    ):
        histograms.setdefault(row.question, []).append(
            Histogram(
                Code(row.team_id, row.function, row.role, row.tenure),
                row.answered,
                tuple(row.counts),
            )
        )
    notes: dict[str, str] = {
        question: reason
        for question, reason in session.execute(
            select(ReleaseNote.question, ReleaseNote.reason).where(
                ReleaseNote.release_id == release.id
            )
        )
    }
    return classes, {q: tuple(h) for q, h in histograms.items()}, notes


def load_survey_release(session: Session, survey: Survey, release: Release) -> SurveyRelease:
    classes, histograms, notes = released_cells(session, release)
    return SurveyRelease(
        survey=survey.name,
        seq=release.seq,
        cutoff=release.cutoff,
        answers_through=release.answers_through,
        built_at=release.built_at,
        min_group_size=release.min_group_size,
        classes=classes,
        histograms=histograms,
        notes=notes,
        tree=team_tree(session),
    )


def cell_predicate(
    tree: TeamTree,
    *,
    team: int | None = None,
    function: str | None = None,
    tenure: str | None = None,
    role: str | None = None,
) -> Predicate:
    """Which released codes lie inside a cell of declared dimensions (None: not filtered).

    A group generalised above a filter (its team is the parent of the filtered team, its
    tenure band is "any") is not inside: it counts only in the broader cells it belongs to.
    """

    def inside(code: Code) -> bool:
        if team is not None and (code.team is None or not tree.within(code.team, team)):
            return False
        if function is not None and code.function != function:
            return False
        if tenure is not None and code.tenure != tenure:
            return False
        return not (role is not None and code.role != role)

    return inside


def released_comments(
    session: Session, survey: Survey, inside: Predicate, seed: int
) -> tuple[int, list[tuple[str, str]]] | None:
    """(commenters, comments as (text, month)) of the latest release's comment groups inside a
    cell, or None when none is. The order is canonical, then shuffled with `seed`: the same
    for every viewer, and it depends only on which comments there are."""
    release = session.scalars(
        select(Release)
        .where(Release.dataset == dataset_of(survey))
        .order_by(Release.seq.desc())
        .limit(1)
    ).first()
    if release is None:
        return None
    groups = [
        group
        for group in session.scalars(
            select(ReleaseCommentGroup).where(ReleaseCommentGroup.release_id == release.id)
        )
        if inside(Code(group.team_id, group.function, group.role, group.tenure))
    ]
    if not groups:
        return None
    comments = sorted(
        (text, month)
        for text, month in session.execute(
            select(ReleaseComment.text, ReleaseComment.month).where(
                ReleaseComment.group_id.in_([g.id for g in groups])
            )
        )
    )
    random.Random(seed).shuffle(comments)
    return sum(g.commenters for g in groups), comments


def survey_summaries(session: Session) -> list[SurveySummary]:
    """Every survey, oldest first, with its released response count: it moves only when a
    release is built, in steps that cannot single out one response."""
    result = []
    for survey in session.scalars(select(Survey).order_by(Survey.id)):
        release = latest_release(session, survey)
        result.append(
            SurveySummary(
                name=survey.name,
                bank_version=survey.bank_version,
                anonymous=survey.anonymous,
                responses=None if release is None else release.included,
            )
        )
    return result
