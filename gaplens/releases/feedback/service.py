"""Building the feedback release: the one place that reads feedback items for figures.

Items enter only once their ISO week is over. Each item starts at (its use case, its week),
or (no use case, its week) when it names none; a group whose items (of each earlier class)
number fewer than k, or are all of one kind, moves whole to its month, then its quarter,
then (a use case too small alone) to no use case in that quarter, and is withheld beyond
that until more arrive. Completed weeks never gain items, so an item published in a class
stays in that class in every later release (`by_part` keeps earlier classes whole; an item
starts from the use case it was published with, none for classes built before use cases
were) and a new release adds groups of at least k new items or waits. One partition holds
every item: a period's figures and a use case's are sums of the same classes, so no view
can be subtracted from another to leave less than a class. Themes and comments are
published per completed month over the classes inside it, for a kind with at least
`min_comment_group_size` items there; that set of items never changes again, so neither do
its texts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from gaplens.feedback.models import FeedbackItem
from gaplens.feedback.schemas import FeedbackKind
from gaplens.friction.figures import use_case_key, use_case_label
from gaplens.privacy.comments import Comment, release_comments
from gaplens.privacy.policy import PrivacyPolicy
from gaplens.privacy.recoding import Split, answers_ok, coarsen
from gaplens.releases.feedback.models import (
    FeedbackReleaseClass,
    FeedbackReleaseMember,
    FeedbackReleaseText,
)
from gaplens.releases.feedback.periods import (
    Period,
    complete_months,
    monday_of,
    month_of,
    quarter_of,
    week,
)
from gaplens.releases.models import Release
from gaplens.releases.service import (
    BuildOutcome,
    earlier_classes,
    previous_releases,
    write_release,
)

DATASET = "feedback"
KINDS = (*(kind.value for kind in FeedbackKind), "other")
"""Kind counts are published in this order; "other" holds kinds no longer offered."""
COMMENTS = 5
COMMENT_SEED = 104729


_LEVEL_RANK = {"week": 3, "month": 2, "quarter": 1}


@dataclass(frozen=True)
class FeedbackCode:
    """A use case (None: no use case named, or one too small alone) and a period of whole
    ISO weeks."""

    use_case: str | None
    period: Period


@dataclass(frozen=True)
class FeedbackLattice:
    """(use case, week) -> (.., month) -> (.., quarter) -> (no use case, quarter) ->
    withheld: the friction release's path without teams. A use case keeps its name as long
    as a period can hold it, because the scorecard reads use cases over months and
    quarters."""

    def up(self, code: FeedbackCode) -> FeedbackCode | None:
        if code.period.level == "week":
            return FeedbackCode(code.use_case, month_of(code.period))
        if code.period.level == "month":
            return FeedbackCode(code.use_case, quarter_of(code.period))
        if code.use_case is not None:
            return FeedbackCode(None, code.period)
        return None

    def rank(self, code: FeedbackCode) -> int:
        return (code.use_case is not None) + _LEVEL_RANK[code.period.level]

    def key(self, code: FeedbackCode) -> tuple[str, ...]:
        return (code.period.start.isoformat(), code.period.level, code.use_case or "")


@dataclass(frozen=True)
class _Item:
    kind: int
    day: dt.date
    text: str
    signature: tuple[int, ...]
    use_case: str | None
    """Where the item starts: its use-case key, or the one it was last published with."""
    label: str


def kind_index(kind: str) -> int:
    return KINDS.index(kind) if kind in KINDS[:-1] else len(KINDS) - 1


def releases_of(session: Session) -> list[Release]:
    return previous_releases(session, DATASET)


def items_before(
    session: Session, cutoff: dt.date, previous: Sequence[Release]
) -> dict[int, _Item]:
    """Items of completed weeks, each with the class it sat in in every earlier release.

    An item published before starts from the use case of its latest class (None for a class
    without one, including every class built before classes had use cases): a class never
    splits along a use case it was not published with."""
    earlier = earlier_classes(session, previous, FeedbackReleaseMember.item_id)
    published: dict[int, str | None] = {
        class_id: use_case
        for class_id, use_case in session.execute(
            select(FeedbackReleaseClass.id, FeedbackReleaseClass.use_case).where(
                FeedbackReleaseClass.release_id.in_([release.id for release in previous])
            )
        )
    }
    nowhere = (0,) * len(previous)
    rows = session.execute(
        select(
            FeedbackItem.id,
            FeedbackItem.kind,
            FeedbackItem.received_on,
            FeedbackItem.text,
            FeedbackItem.use_case,
        )
        .where(FeedbackItem.received_on < cutoff)
        .order_by(FeedbackItem.id)
    )
    found = {}
    for item_id, kind, day, text, use_case in rows:
        signature = earlier.get(item_id, nowhere)
        key = use_case_key(use_case or "") or None
        if any(signature):
            key = published[next(c for c in reversed(signature) if c)]
        found[item_id] = _Item(
            kind_index(kind), day, text, signature, key, use_case_label(use_case or "")
        )
    return found


def parts_alike_ok(
    signature: Mapping[int, Hashable], kinds: Mapping[int, int], k: int
) -> Split[int]:
    """`by_part` with the kinds check: each earlier class's share of a group stays if it holds
    at least k items not all of one kind (a unanimous group tells every member's kind)."""

    def split(members: Sequence[int]) -> tuple[Sequence[int], Sequence[int]]:
        parts: dict[Hashable, list[int]] = defaultdict(list)
        for member in members:
            parts[signature[member]].append(member)
        good = [p for p in parts.values() if answers_ok([kinds[m] for m in p], k)]
        stay = [m for part in good for m in part]
        kept = set(stay)
        return stay, [m for m in members if m not in kept]

    return split


def build_feedback_release(
    session: Session,
    policy: PrivacyPolicy,
    *,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> BuildOutcome:
    """Publish a new feedback release if the items of completed weeks allow one."""
    cutoff = monday_of(today or dt.date.today())
    k = policy.min_group_size
    previous = releases_of(session)
    items = items_before(session, cutoff, previous)
    new = {item_id for item_id, item in items.items() if not any(item.signature)}
    if not new and not previous:
        return BuildOutcome(None, "No new feedback from completed weeks.")
    recoded = coarsen(
        {item_id: FeedbackCode(item.use_case, week(item.day)) for item_id, item in items.items()},
        parts_alike_ok(
            {i: item.signature for i, item in items.items()},
            {i: item.kind for i, item in items.items()},
            k,
        ),
        FeedbackLattice(),
    )
    if recoded.withheld - new:
        return BuildOutcome(
            None,
            "Not released: items published before would fall out of their groups "
            f"(was the group size changed from {previous[-1].min_group_size} to {k}?).",
        )
    since = previous[-1].cutoff if previous else dt.date.min
    if not new & recoded.codes.keys() and not _months_with_texts(
        recoded.codes, items, since, cutoff, policy
    ):
        if not new:
            return BuildOutcome(None, "No new feedback from completed weeks.")
        return BuildOutcome(
            None,
            f"Not released yet: fewer than {k} new items of completed weeks can be "
            "shown together (or they are all of one kind). The release waits for more.",
        )
    release = write_release(
        session,
        dataset=DATASET,
        previous=previous,
        cutoff=cutoff,
        answers_through=cutoff - dt.timedelta(days=1),
        now=now,
        k=k,
        included=len(recoded.codes),
        withheld=len(recoded.withheld),
    )
    by_code: dict[FeedbackCode, list[int]] = defaultdict(list)
    for item_id, code in recoded.codes.items():
        by_code[code].append(item_id)
    rows: dict[FeedbackCode, FeedbackReleaseClass] = {}
    for code in sorted(by_code, key=FeedbackLattice().key):
        members = by_code[code]
        counts = [0] * len(KINDS)
        for item_id in members:
            counts[items[item_id].kind] += 1
        rows[code] = FeedbackReleaseClass(
            release_id=release.id,
            use_case=code.use_case,
            label=None if code.use_case is None else _label(code.use_case, members, items, k),
            level=code.period.level,
            start=code.period.start,
            end=code.period.end,
            n=len(members),
            counts=counts,
        )
    session.add_all(rows.values())
    session.flush()
    session.execute(
        insert(FeedbackReleaseMember),
        [
            {"release_id": release.id, "item_id": item_id, "class_id": rows[code].id}
            for item_id, code in sorted(recoded.codes.items())
        ],
    )
    texts = _write_texts(session, release, rows, by_code, items, policy)
    return BuildOutcome(
        release,
        f"Release {release.seq}: {release.included} items of weeks up to "
        f"{release.answers_through} in {len(rows)} groups of at least {k}"
        + (f"; themes and comments for {texts} month and kind pairs." if texts else "."),
    )


def _label(key: str, members: Sequence[int], items: Mapping[int, _Item], k: int) -> str:
    """The most used spelling if at least k items used it; else the grouping key (one
    person's spelling is theirs)."""
    counts: dict[str, int] = defaultdict(int)
    for member in members:
        counts[items[member].label] += 1
    label = min(counts, key=lambda text: (-counts[text], text))
    return label if counts[label] >= k else key


def _months_with_texts(
    codes: Mapping[int, FeedbackCode],
    items: Mapping[int, _Item],
    since: dt.date,
    cutoff: dt.date,
    policy: PrivacyPolicy,
) -> bool:
    """Did a month with enough texts of some kind end since the last release? Its themes
    and comments are due even when no new class is."""
    texts: dict[tuple[Period, int], int] = defaultdict(int)
    for item_id, code in codes.items():
        if code.period.level != "quarter":
            month = month_of(code.period)
            if since <= month.end < cutoff:
                texts[(month, items[item_id].kind)] += 1
    return any(n >= policy.min_comment_group_size for n in texts.values())


def _write_texts(
    session: Session,
    release: Release,
    rows: Mapping[FeedbackCode, FeedbackReleaseClass],
    by_code: Mapping[FeedbackCode, list[int]],
    items: Mapping[int, _Item],
    policy: PrivacyPolicy,
) -> int:
    """Per completed month and kind, themes and a shuffled, month-dated sample of comments
    over the classes inside the month, when the kind has enough texts there."""
    written = 0
    for month in complete_months(release.cutoff, [code.period for code in by_code]):
        codes = [c for c in by_code if c.period.level != "quarter" and month_of(c.period) == month]
        members = sorted(m for code in codes for m in by_code[code])
        for index, kind in enumerate(KINDS):
            mine = [m for m in members if items[m].kind == index]
            released = release_comments(
                [Comment(items[m].text, items[m].day) for m in mine],
                len(mine),
                policy,
                seed=COMMENT_SEED,
            )
            if released is None:
                continue
            session.add(
                FeedbackReleaseText(
                    release_id=release.id,
                    month=month.describe(),
                    start=month.start,
                    end=month.end,
                    kind=kind,
                    n=len(mine),
                    classes=sorted(rows[code].id for code in codes),
                    themes=_themes([items[m].text for m in mine], mine, policy),
                    # Dated by the published month (its ISO weeks), never finer.
                    comments=[
                        {"text": c.text, "month": month.describe()} for c in released[:COMMENTS]
                    ],
                )
            )
            written += 1
    session.flush()
    return written


def _themes(texts: list[str], ids: list[int], policy: PrivacyPolicy) -> list[dict[str, Any]]:
    """Themes of at least the comment threshold. A theme holding every text of the month and
    kind is named without its size: the size would say what each item is about."""
    from gaplens.themes import extract_themes  # SciPy and scikit-learn: seconds to import

    size = policy.min_comment_group_size
    return [
        {
            "label": theme.label,
            "terms": list(theme.terms),
            "size": theme.size if theme.size < len(texts) else None,
            "size_hidden_reason": None
            if theme.size < len(texts)
            else "it holds every comment of this kind that month, so its size is not shown",
            "sentiment": round(theme.sentiment, 3),
            "sentiment_label": theme.sentiment_label,
            "examples": [texts[i] for i in theme.representative],
            "members": sorted(ids[i] for i in theme.members),
        }
        for theme in extract_themes(texts, min_theme_size=size)
        if theme.size >= size
    ]
