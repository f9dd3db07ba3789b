"""Feedback services: take an anonymous item, and build the digest through the privacy gate."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

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
from gaplens.privacy import (
    CellDecision,
    Comment,
    PrivacyPolicy,
    SuppressionReason,
    release_comments,
    suppress_breakdown,
)
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
    """Counts by kind, themes and a few representative comments, each above its threshold.

    The counts by kind are one breakdown of the period's total, and each kind's theme sizes
    one breakdown of that kind's count: both go through `suppress_breakdown`, so a reader who
    subtracts the shown figures from the shown total never finds 1 to k-1 items.
    """
    rows = session.execute(
        select(FeedbackItem.kind, FeedbackItem.text, FeedbackItem.received_on).where(
            FeedbackItem.received_on >= period_from, FeedbackItem.received_on <= period_to
        )
    ).all()
    return digest_of(
        [(kind, text, day) for kind, text, day in rows], policy, period_from, period_to
    )


def digest_of(
    rows: Sequence[tuple[str, str, dt.date]],
    policy: PrivacyPolicy,
    period_from: dt.date,
    period_to: dt.date,
) -> Digest:
    """The digest of the period's items (kind, text, day): the privacy decisions, no I/O."""
    by_kind: dict[str, list[tuple[str, dt.date]]] = {k.value: [] for k in FeedbackKind}
    for kind, text, day in rows:
        by_kind.setdefault(kind, []).append((text, day))
    # Items of a kind no longer offered still count in the total (like a blank attribute).
    decisions = suppress_breakdown(
        len(rows), {k.value: len(by_kind[k.value]) for k in FeedbackKind}, policy
    )
    kinds = [
        kind_digest(kind, by_kind[kind.value], decisions[kind.value], policy)
        for kind in FeedbackKind
    ]
    return Digest(
        period_from=period_from,
        period_to=period_to,
        total=len(rows) if len(rows) >= policy.min_group_size else 0,
        min_group_size=policy.min_group_size,
        min_comment_group_size=policy.min_comment_group_size,
        kinds=kinds,
    )


def count_hidden_reason(decision: CellDecision, policy: PrivacyPolicy) -> str | None:
    """Why a kind's count is withheld, in words a leader reading the digest understands."""
    if decision.shown:
        return None
    if decision.reason is SuppressionReason.PARENT_HIDDEN:
        return f"fewer than {policy.min_group_size} items in the period in all"
    if decision.reason is SuppressionReason.BELOW_THRESHOLD:
        return f"fewer than {policy.min_group_size} items"
    return (
        "hidden so that the total minus the shown counts cannot reveal a kind "
        f"with fewer than {policy.min_group_size} items"
    )


def kind_digest(
    kind: FeedbackKind,
    items: list[tuple[str, dt.date]],
    decision: CellDecision,
    policy: PrivacyPolicy,
) -> KindDigest:
    count = len(items)
    result = KindDigest(
        kind=kind.value,
        label=KIND_LABELS[kind],
        count=decision.shown_n,
        hidden_reason=count_hidden_reason(decision, policy),
    )
    released = release_comments(
        [Comment(text, day) for text, day in items], count, policy, seed=DIGEST_SEED
    )
    if released is None:
        return result
    texts = [text for text, _ in items]
    found = [
        theme
        for theme in extract_themes(texts, min_theme_size=policy.min_comment_group_size)
        if theme.size >= policy.min_comment_group_size
    ]
    sizes = theme_size_decisions(count, decision.shown, [t.size for t in found], policy)
    themes = [
        ThemeOut(
            label=theme.label,
            terms=list(theme.terms),
            size=size,
            size_hidden_reason=why,
            sentiment=round(theme.sentiment, 3),
            sentiment_label=theme.sentiment_label,
            examples=[texts[i] for i in theme.representative],
        )
        for theme, (size, why) in zip(found, sizes, strict=True)
    ]
    return result.model_copy(
        update={
            "themes": themes,
            "comments": [{"text": c.text, "month": c.month} for c in released[:DIGEST_COMMENTS]],
        }
    )


def theme_size_decisions(
    kind_count: int, kind_shown: bool, sizes: list[int], policy: PrivacyPolicy
) -> list[tuple[int | None, str | None]]:
    """Each theme's size to show (or None) and why not; themes do not overlap, so their sizes
    are a breakdown of the kind's count (texts in no theme are the blank part).

    A kind whose count is hidden shows no theme sizes: they would add up to a lower bound of
    the hidden count, and the total minus that bound to a small group.
    """
    if not kind_shown:
        return [(None, "hidden because this kind's count is hidden")] * len(sizes)
    decisions = suppress_breakdown(
        kind_count, {str(i): size for i, size in enumerate(sizes)}, policy
    )
    why = (
        "hidden so that this kind's count minus the shown theme sizes cannot reveal "
        f"fewer than {policy.min_group_size} comments"
    )
    ordered = [decisions[str(i)] for i in range(len(sizes))]
    return [(d.shown_n, None if d.shown else why) for d in ordered]
