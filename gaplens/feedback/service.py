"""Feedback services: take an anonymous item, and build the digest through the privacy gate."""

from __future__ import annotations

import datetime as dt

from pydantic import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gaplens.errors import InputError, InputProblem
from gaplens.feedback.models import FeedbackItem, SlackReplay
from gaplens.feedback.schemas import (
    KIND_LABELS,
    Digest,
    FeedbackIn,
    FeedbackKind,
    KindDigest,
    ThemeOut,
)
from gaplens.privacy import Comment, PrivacyPolicy, release_comments
from gaplens.themes import extract_themes

DIGEST_COMMENTS = 5
DIGEST_SEED = 104729


def validate_feedback(data: dict[str, object]) -> FeedbackIn:
    try:
        return FeedbackIn.model_validate(data)
    except ValidationError as error:
        raise InputError(
            [
                InputProblem(e["msg"], column=".".join(str(p) for p in e["loc"]))
                for e in error.errors()
            ]
        ) from None


def submit_feedback(
    session: Session, item: FeedbackIn, channel: str, today: dt.date | None = None
) -> None:
    """Stores the words and the day only: no account, address, agent or time of day."""
    session.add(
        FeedbackItem(
            kind=item.kind.value,
            use_case=item.use_case or None,
            tool=item.tool or None,
            text=item.text,
            received_on=today or dt.date.today(),
            channel=channel,
        )
    )
    session.flush()


class DatabaseReplayStore:
    """Slack replay protection shared by every server worker (the primary key is the lock)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def check_and_remember(self, signature: str, timestamp: int, now: float) -> None:
        from gaplens.integrations.slack import SlackRequestRejected

        current = dt.datetime.fromtimestamp(now, dt.UTC)
        self.session.execute(delete(SlackReplay).where(SlackReplay.expires_at < current))
        try:
            with self.session.begin_nested():
                self.session.add(
                    SlackReplay(
                        signature=signature,
                        expires_at=dt.datetime.fromtimestamp(timestamp + 600, dt.UTC),
                    )
                )
        except IntegrityError:
            raise SlackRequestRejected("replayed request", 409) from None


def digest(
    session: Session,
    policy: PrivacyPolicy,
    period_from: dt.date,
    period_to: dt.date,
) -> Digest:
    """Counts by kind, themes and a few representative comments, each above its threshold."""
    rows = session.execute(
        select(FeedbackItem.kind, FeedbackItem.text, FeedbackItem.received_on).where(
            FeedbackItem.received_on >= period_from, FeedbackItem.received_on <= period_to
        )
    ).all()
    by_kind: dict[str, list[tuple[str, dt.date]]] = {k.value: [] for k in FeedbackKind}
    for kind, text, day in rows:
        by_kind.setdefault(kind, []).append((text, day))
    kinds = [
        kind_digest(FeedbackKind(kind), items, policy)
        for kind, items in by_kind.items()
        if kind in FeedbackKind.__members__.values()
    ]
    return Digest(
        period_from=period_from,
        period_to=period_to,
        total=len(rows) if len(rows) >= policy.min_group_size else 0,
        min_group_size=policy.min_group_size,
        min_comment_group_size=policy.min_comment_group_size,
        kinds=kinds,
    )


def kind_digest(
    kind: FeedbackKind, items: list[tuple[str, dt.date]], policy: PrivacyPolicy
) -> KindDigest:
    count = len(items)
    result = KindDigest(
        kind=kind.value,
        label=KIND_LABELS[kind],
        count=count if count >= policy.min_group_size else None,
    )
    released = release_comments(
        [Comment(text, day) for text, day in items], count, policy, seed=DIGEST_SEED
    )
    if released is None:
        return result
    texts = [text for text, _ in items]
    themes = [
        ThemeOut(
            label=theme.label,
            terms=list(theme.terms),
            size=theme.size,
            sentiment=round(theme.sentiment, 3),
            sentiment_label=theme.sentiment_label,
            examples=[texts[i] for i in theme.representative],
        )
        for theme in extract_themes(texts, min_theme_size=policy.min_comment_group_size)
        if theme.size >= policy.min_comment_group_size
    ]
    return result.model_copy(
        update={
            "themes": themes,
            "comments": [{"text": c.text, "month": c.month} for c in released[:DIGEST_COMMENTS]],
        }
    )
