"""Feedback services: take an anonymous item, and read the digest from the feedback release."""

from __future__ import annotations

import datetime as dt

from pydantic import ValidationError
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gaplens.errors import InputError, validation_problems
from gaplens.feedback.models import FeedbackItem, SlackReplay
from gaplens.feedback.schemas import (
    KIND_LABELS,
    Digest,
    FeedbackIn,
    FeedbackKind,
    KindDigest,
    ThemeOut,
)
from gaplens.privacy import PrivacyPolicy, configured_policy
from gaplens.releases.feedback.periods import Period, newest_first
from gaplens.releases.feedback.queries import FeedbackRelease, latest_feedback_release
from gaplens.releases.feedback.service import KINDS

DIGEST_COMMENTS = 5


def validate_feedback(data: dict[str, object]) -> FeedbackIn:
    """Each problem named by its field and translatable (the form shows it in its language)."""
    try:
        return FeedbackIn.model_validate(data)
    except ValidationError as error:
        raise InputError(validation_problems(error)) from None


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
    """Replay protection shared by every server worker (the primary key is the lock).

    Slack stores the request signature; Teams a keyed hash of the activity (prefixed
    ``teams:``). Rows hold that key and an expiry only, apart from feedback rows (no link).
    """

    def __init__(self, session: Session) -> None:
        self.session = session

    def remember_once(self, key: str, expires_at: float, now: float) -> bool:
        """Remember ``key`` until ``expires_at`` (Unix time); False if it is already held."""
        current = dt.datetime.fromtimestamp(now, dt.UTC)
        self.session.execute(delete(SlackReplay).where(SlackReplay.expires_at < current))
        try:
            with self.session.begin_nested():
                self.session.add(
                    SlackReplay(
                        signature=key,
                        expires_at=dt.datetime.fromtimestamp(expires_at, dt.UTC),
                    )
                )
        except IntegrityError:
            return False
        return True

    def check_and_remember(self, signature: str, timestamp: int, now: float) -> None:
        from gaplens.integrations.slack import SlackRequestRejected

        if not self.remember_once(signature, timestamp + 600, now):
            raise SlackRequestRejected("replayed request", 409)


def digest(session: Session, period_from: dt.date, period_to: dt.date) -> Digest:
    """The digest of whole released weeks within [period_from, period_to], read from the
    latest feedback release only (the same figures for every viewer and every output).

    The period snaps inward to whole ISO weeks that are over. Counts are sums of the
    released classes whose whole period lies inside; themes and comments are those of the
    completed months overlapping the period, published per month and kind.
    """
    first = period_from + dt.timedelta(days=(7 - period_from.weekday()) % 7)
    last = period_to - dt.timedelta(days=(period_to.weekday() + 1) % 7)
    return digest_of(latest_feedback_release(session), first, last, configured_policy())


def published_periods(session: Session) -> list[Period]:
    """The weeks, months and quarters the latest feedback release publishes groups for,
    newest first: what a reader can pick, the first being the latest with data (a
    digest of "last week" is empty whenever the latest weeks were quiet or had no
    feedback at all, as in the demo, whose data ends months ago)."""
    release = latest_feedback_release(session)
    return [] if release is None else newest_first({c.period for c in release.classes})


def digest_of(
    release: FeedbackRelease | None, first: dt.date, last: dt.date, policy: PrivacyPolicy
) -> Digest:
    """The digest from a loaded release: no item is read, no threshold decided here."""
    k = release.min_group_size if release is not None else policy.min_group_size
    base = Digest(
        period_from=first,
        period_to=last,
        total=0,
        min_group_size=k,
        min_comment_group_size=policy.min_comment_group_size,
        kinds=[],
        release=None if release is None else release.seq,
        released_through=None if release is None else release.through,
    )
    if release is None or first > last:
        nothing = "nothing published yet: feedback is published once its week is over"
        return base.model_copy(update={"kinds": _hidden_kinds(nothing), "note": nothing + "."})
    total, counts = release.counts(first, last)
    elsewhere = sorted({p.describe() for p in release.straddling(first, last)})
    note = None
    if elsewhere:
        note = (
            f"Quiet weeks in this period are published only with their month or quarter "
            f"({', '.join(elsewhere)}), so their items are not in these counts; ask for a "
            "longer period to see them."
        )
    if last > release.through:
        note = (note + " " if note else "") + (
            f"Weeks after {release.through} are not published yet."
        )
    reason: str | None = None
    if not total:
        reason = (
            f"no group of at least {k} items was published for these weeks alone (a quiet "
            "week is published with its month or quarter, or waits for more items)"
        )
    texts = release.texts_for(first, last)
    kinds = []
    for kind in FeedbackKind:
        mine = [t for t in texts if t.kind == kind.value]
        kinds.append(
            KindDigest(
                kind=kind.value,
                label=KIND_LABELS[kind],
                count=counts[KINDS.index(kind.value)] if total else None,
                hidden_reason=reason,
                themes=[ThemeOut(month=t.month, **theme) for t in mine for theme in t.themes],
                comments=[c for t in mine for c in t.comments][:DIGEST_COMMENTS],
                text_months=[t.month for t in mine],
            )
        )
    return base.model_copy(update={"total": total, "kinds": kinds, "note": note})


def _hidden_kinds(reason: str) -> list[KindDigest]:
    return [
        KindDigest(kind=kind.value, label=KIND_LABELS[kind], count=None, hidden_reason=reason)
        for kind in FeedbackKind
    ]
