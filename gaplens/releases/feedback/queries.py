"""Reading the feedback release: a period's figures are sums of the classes inside it.

Nothing here reads a feedback item. A view asks for whole weeks; a class counts in it only
if its whole period (a week, or the weeks of its month or quarter) lies inside, so any two
views differ by whole classes of at least k items, never by one item.
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
class FeedbackRelease:
    seq: int
    through: dt.date
    min_group_size: int
    classes: tuple[tuple[Period, int, tuple[int, ...]], ...]
    texts: tuple[KindTexts, ...]

    def counts(self, first: dt.date, last: dt.date) -> tuple[int, list[int]]:
        """Items and items per kind over the classes whose whole period is inside."""
        total, counts = 0, [0] * len(KINDS)
        for period, n, by_kind in self.classes:
            if period.inside(first, last):
                total += n
                for index, count in enumerate(by_kind):
                    counts[index] += count
        return total, counts

    def straddling(self, first: dt.date, last: dt.date) -> list[Period]:
        """Classes that overlap the view without lying inside it (counted elsewhere)."""
        return [
            p for p, _, _ in self.classes if p.overlaps(first, last) and not p.inside(first, last)
        ]

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
        (Period(row.level, row.start, row.end), row.n, tuple(row.counts))
        for row in session.scalars(
            select(FeedbackReleaseClass)
            .where(FeedbackReleaseClass.release_id == release.id)
            .order_by(FeedbackReleaseClass.start, FeedbackReleaseClass.level)
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
