"""Reading the feedback release: a period's figures are sums of the classes inside it.

Nothing here reads a feedback item. A view asks for whole weeks (and maybe one use case); a
class counts in it only if its whole period (a week, or the weeks of its month or quarter)
lies inside, so any two views differ by whole classes of at least k items, never by one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.releases.feedback.models import FeedbackReleaseClass, FeedbackReleaseText
from gaplens.releases.feedback.periods import Period
from gaplens.releases.feedback.service import DATASET, KINDS
from gaplens.releases.models import Release


@dataclass(frozen=True)
class KindTexts:
    month: str
    period: Period
    kind: str
    n: int
    themes: tuple[dict[str, Any], ...]
    comments: tuple[dict[str, str], ...]


@dataclass(frozen=True)
class FeedbackClass:
    use_case: str | None
    """The grouping key; None: no use case named, or one too small alone."""
    label: str | None
    period: Period
    n: int
    counts: tuple[int, ...]
    """Items per kind, in `KINDS` order."""

    def count(self, kind: str) -> int:
        return self.counts[KINDS.index(kind)]


@dataclass(frozen=True)
class FeedbackRelease:
    seq: int
    through: dt.date
    min_group_size: int
    classes: tuple[FeedbackClass, ...]
    texts: tuple[KindTexts, ...]

    def counts(self, first: dt.date, last: dt.date) -> tuple[int, list[int]]:
        """Items and items per kind over the classes whose whole period is inside."""
        total, counts = 0, [0] * len(KINDS)
        for c in self.inside(first, last):
            total += c.n
            for index, count in enumerate(c.counts):
                counts[index] += count
        return total, counts

    def inside(self, first: dt.date, last: dt.date) -> list[FeedbackClass]:
        """Classes whose whole period lies in [first, last]."""
        return [c for c in self.classes if c.period.inside(first, last)]

    def use_cases(self, first: dt.date, last: dt.date) -> dict[str, list[FeedbackClass]]:
        """The classes inside [first, last] that name a use case, by its key."""
        found: dict[str, list[FeedbackClass]] = {}
        for c in self.inside(first, last):
            if c.use_case is not None:
                found.setdefault(c.use_case, []).append(c)
        return found

    def straddling(self, first: dt.date, last: dt.date) -> list[Period]:
        """Periods of classes that overlap the view without lying inside it (counted
        elsewhere)."""
        return sorted(
            {
                c.period
                for c in self.classes
                if c.period.overlaps(first, last) and not c.period.inside(first, last)
            },
            key=lambda p: (p.start, p.level),
        )

    def texts_for(self, first: dt.date, last: dt.date) -> list[KindTexts]:
        """Themes and comments of the completed months that overlap the view."""
        return [t for t in self.texts if t.period.overlaps(first, last)]


def latest_feedback_release(session: Session) -> FeedbackRelease | None:
    release = session.scalars(
        select(Release).where(Release.dataset == DATASET).order_by(Release.seq.desc()).limit(1)
    ).first()
    if release is None:
        return None
    classes = tuple(
        FeedbackClass(
            row.use_case,
            row.label,
            Period(row.level, row.start, row.end),
            row.n,
            tuple(row.counts),
        )
        for row in session.scalars(
            select(FeedbackReleaseClass)
            .where(FeedbackReleaseClass.release_id == release.id)
            .order_by(
                FeedbackReleaseClass.start, FeedbackReleaseClass.level, FeedbackReleaseClass.id
            )
        )
    )
    texts = tuple(
        KindTexts(
            row.month,
            Period("month", row.start, row.end),
            row.kind,
            row.n,
            tuple({k: v for k, v in theme.items() if k != "members"} for theme in row.themes),
            tuple(row.comments),
        )
        for row in session.scalars(
            select(FeedbackReleaseText)
            .where(FeedbackReleaseText.release_id == release.id)
            .order_by(FeedbackReleaseText.start, FeedbackReleaseText.kind)
        )
    )
    return FeedbackRelease(
        release.seq, release.answers_through, release.min_group_size, classes, texts
    )
