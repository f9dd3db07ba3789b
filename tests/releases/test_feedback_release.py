"""The feedback release against the review's attacks, with the auditor as the oracle.

Feedback items go into a real database (SQLite and PostgreSQL) as the form stores them;
releases are built the way `gaplens release build` builds them; everything ever published
is handed to the auditor, and the digest (what every output renders) is read from it.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random

import pytest
from sqlalchemy import select

from gaplens.db.engine import session_scope
from gaplens.feedback.models import FeedbackItem
from gaplens.feedback.schemas import Digest, FeedbackIn, FeedbackKind
from gaplens.feedback.service import digest, submit_feedback
from gaplens.privacy import PrivacyPolicy
from gaplens.privacy.disclosure import AuditFindings
from gaplens.releases.feedback.audit import feedback_findings
from gaplens.releases.feedback.models import FeedbackReleaseClass, FeedbackReleaseMember
from gaplens.releases.feedback.periods import last_weeks, monday_of, month_of, quarter_of, week
from gaplens.releases.feedback.queries import latest_feedback_release
from gaplens.releases.feedback.service import KINDS as FEEDBACK_KINDS
from gaplens.releases.feedback.service import build_feedback_release, kind_index
from gaplens.releases.models import Release

POLICY = PrivacyPolicy()
K = POLICY.min_group_size
MONDAY = dt.date(2026, 9, 7)  # ISO week 2026-W37
KINDS = [kind for kind in FeedbackKind]


def add(url: str, day: dt.date, kinds: list[FeedbackKind], text: str = "item") -> None:
    with session_scope(url) as session:
        for n, kind in enumerate(kinds):
            submit_feedback(session, FeedbackIn(kind=kind, text=f"{text} {n} {day}"), "web", day)


def build(url: str, today: dt.date) -> str:
    with session_scope(url) as session:
        return build_feedback_release(session, POLICY, today=today).message


def findings(url: str) -> AuditFindings:
    with session_scope(url) as session:
        return feedback_findings(session, k=K)[1]


def view(url: str, first: dt.date, last: dt.date) -> Digest:
    with session_scope(url) as session:
        return digest(session, first, last)


def counts(found: Digest) -> tuple[int, ...]:
    return (found.total, *(k.count or 0 for k in found.kinds))


def test_periods_are_runs_of_whole_iso_weeks():
    w = week(dt.date(2026, 10, 1))  # Thursday 1 Oct: its week belongs to October
    assert (w.start, w.end) == (dt.date(2026, 9, 28), dt.date(2026, 10, 4))
    october = month_of(w)
    assert (october.start, october.end) == (dt.date(2026, 9, 28), dt.date(2026, 11, 1))
    q4 = quarter_of(october)
    assert (q4.start, q4.end) == (dt.date(2026, 9, 28), dt.date(2027, 1, 3))
    december = month_of(week(dt.date(2026, 12, 31)))
    assert december.end == dt.date(2027, 1, 3) and december.describe() == "2026-12"
    assert last_weeks(dt.date(2026, 9, 16), 2) == (dt.date(2026, 8, 31), dt.date(2026, 9, 13))


def test_a_week_is_released_only_once_it_is_over(db_url: str):
    add(db_url, MONDAY, [FeedbackKind.FRICTION] * 4 + [FeedbackKind.IDEA] * 2)
    assert build(db_url, MONDAY + dt.timedelta(days=6)).startswith("No new feedback")
    assert build(db_url, MONDAY + dt.timedelta(days=7)).startswith("Release 1")
    assert build(db_url, MONDAY + dt.timedelta(days=9)).startswith("No new feedback")


def test_a_week_with_one_item_of_a_kind_and_a_unanimous_week_are_safe(db_url: str):
    """Week 1: five frictions and one concern (published: the concern is one of six, not
    isolated). Week 2: six frictions only (all alike: it moves up with its month). Week 3:
    a single idea (moves up, withheld until its quarter has company)."""
    add(db_url, MONDAY, [FeedbackKind.FRICTION] * 5 + [FeedbackKind.CONCERN])
    add(db_url, MONDAY + dt.timedelta(days=7), [FeedbackKind.FRICTION] * 6)
    add(db_url, MONDAY + dt.timedelta(days=15), [FeedbackKind.IDEA])
    build(db_url, MONDAY + dt.timedelta(days=21))
    assert findings(db_url).ok, findings(db_url).describe()
    with session_scope(db_url) as session:
        for row in session.scalars(select(FeedbackReleaseClass)):
            assert row.n >= K and max(row.counts) < row.n, (row.level, row.counts)
    first = view(db_url, MONDAY, MONDAY + dt.timedelta(days=6))
    assert counts(first) == (6, 0, 5, 0, 1)
    unanimous = view(db_url, MONDAY + dt.timedelta(days=7), MONDAY + dt.timedelta(days=13))
    assert unanimous.total == 0 and all(k.count is None for k in unanimous.kinds)
    assert "for these weeks alone" in (unanimous.kinds[0].hidden_reason or "")
    assert "2026-09" in (unanimous.note or "")


def test_days_14_minus_days_7_gives_nothing(db_url: str):
    """The review's attack: two weeks minus the last one used to give the week before, down
    to counts of 1 to 4. Now the quiet last week is not published alone, and the two-week
    digest shows only what the earlier week's own release shows."""
    add(db_url, MONDAY, [FeedbackKind.FRICTION] * 4 + [FeedbackKind.IDEA] * 3)
    add(db_url, MONDAY + dt.timedelta(days=8), [FeedbackKind.CONCERN, FeedbackKind.IDEA])
    today = MONDAY + dt.timedelta(days=16)  # a Wednesday two weeks on
    build(db_url, today)
    seven, fourteen = (view(db_url, *last_weeks(today, weeks)) for weeks in (1, 2))
    earlier = view(db_url, MONDAY, MONDAY + dt.timedelta(days=6))
    assert seven.total == 0 and all(k.count is None for k in seven.kinds)
    assert counts(fourteen) == counts(earlier) == (7, 0, 4, 3, 0)
    assert findings(db_url).ok


def test_every_pair_of_overlapping_periods_differs_by_whole_groups(db_url: str):
    """Twelve weeks of 0 to 7 items of random kinds; every window of whole weeks, compared
    with every window inside it: the difference is nobody or at least k items."""
    rng = random.Random(11)
    for offset in range(12):
        day = MONDAY + dt.timedelta(days=7 * offset + rng.randrange(7))
        add(db_url, day, [rng.choice(KINDS) for _ in range(rng.randrange(8))])
    build(db_url, MONDAY + dt.timedelta(days=7 * 14))
    windows = {
        (a, b): counts(
            view(db_url, MONDAY + dt.timedelta(days=7 * a), MONDAY + dt.timedelta(days=7 * b - 1))
        )
        for a in range(12)
        for b in range(a + 1, 13)
    }
    for (a, b), outer in windows.items():
        for (c, d), inner in windows.items():
            if a <= c and d <= b:
                left = [x - y for x, y in zip(outer, inner, strict=True)]
                assert left[0] == 0 or left[0] >= K, ((a, b), (c, d), outer, inner)
                assert min(left) >= 0
    assert findings(db_url).ok, findings(db_url).describe()


def test_items_arriving_one_a_day_are_released_only_in_groups_of_k(db_url: str):
    """A build every day while one item arrives a day for ten weeks: the published count
    never moves by fewer than k, and the auditor, given every release, finds no one."""
    rng = random.Random(5)
    included = [0]
    for offset in range(70):
        day = MONDAY + dt.timedelta(days=offset)
        add(db_url, day, [rng.choice(KINDS)])
        build(db_url, day + dt.timedelta(days=1))
        with session_scope(db_url) as session:
            latest = session.scalars(
                select(Release).where(Release.dataset == "feedback").order_by(Release.seq.desc())
            ).first()
            included.append(0 if latest is None else latest.included)
    steps = [b - a for a, b in itertools.pairwise(included) if b != a]
    assert steps and all(step >= K for step in steps), included
    found = findings(db_url)
    assert found.ok, found.describe()


def test_themes_and_comments_come_only_from_a_completed_month_of_ten(db_url: str):
    september = month_of(week(MONDAY))
    for n in range(12):
        add(
            db_url,
            september.start + dt.timedelta(days=2 * n),
            [FeedbackKind.FRICTION],
            f"The code review assistant invents APIs and wastes my time, case {n}",
        )
    for offset in (0, 7, 14, 21):  # an idea every week, so no week is all frictions
        add(db_url, september.start + dt.timedelta(days=offset), [FeedbackKind.IDEA], "share")
    build(db_url, september.end - dt.timedelta(days=6))  # the month's last week not over
    before = view(db_url, september.start, september.end)
    assert all(not k.comments and not k.themes for k in before.kinds)
    build(db_url, september.end + dt.timedelta(days=1))
    after = view(db_url, *last_weeks(september.end + dt.timedelta(days=1), 1))
    [friction] = [k for k in after.kinds if k.kind == "friction"]
    assert len(friction.comments) == 5 and friction.text_months == ["2026-09"]
    assert all(set(c) == {"text", "month"} and c["month"] == "2026-09" for c in friction.comments)
    assert all(not k.comments for k in after.kinds if k.kind != "friction")
    # The twelve frictions say one thing: a theme holding all of them is named without its
    # size, which would tell what each of them is about.
    assert friction.themes
    for theme in friction.themes:
        assert (theme.size is None and theme.size_hidden_reason) or 10 <= (theme.size or 0) < 12
    assert findings(db_url).ok


def test_a_forged_per_request_release_is_caught(db_url: str):
    """A second release whose one class is the first release's largest class minus one
    item, as a per-request digest would have published it: the auditor isolates the item."""
    add(db_url, MONDAY, [FeedbackKind.FRICTION] * 4 + [FeedbackKind.IDEA] * 3)
    build(db_url, MONDAY + dt.timedelta(days=7))
    assert findings(db_url).ok
    with session_scope(db_url) as session:
        first = session.scalars(select(Release).where(Release.dataset == "feedback")).one()
        members = sorted(
            session.scalars(
                select(FeedbackReleaseMember.item_id).where(
                    FeedbackReleaseMember.release_id == first.id
                )
            )
        )
        forged = Release(
            dataset="feedback",
            seq=2,
            built_at=first.built_at,
            cutoff=first.cutoff,
            answers_through=first.answers_through,
            min_group_size=K,
            included=len(members) - 1,
            withheld=0,
        )
        session.add(forged)
        session.flush()
        group = FeedbackReleaseClass(
            release_id=forged.id,
            level="week",
            start=monday_of(MONDAY),
            end=MONDAY + dt.timedelta(days=6),
            n=len(members) - 1,
            counts=[0, 3, 3, 0, 0],  # the first item (lowest id) was a friction
        )
        session.add(group)
        session.flush()
        session.add_all(
            FeedbackReleaseMember(release_id=forged.id, item_id=item, class_id=group.id)
            for item in members[1:]
        )
    caught = findings(db_url)
    assert not caught.ok and f"feedback:{members[0]}" in caught.isolated


@pytest.mark.parametrize("weeks", [1, 2, 5])
def test_the_release_build_command_builds_feedback(db_url: str, weeks: int):
    from typer.testing import CliRunner

    from gaplens.cli import app

    today = dt.date.today()
    monday = monday_of(today) - dt.timedelta(days=7 * weeks)
    add(db_url, monday, [FeedbackKind.FRICTION] * 3 + [FeedbackKind.WORKING] * 3)
    runner = CliRunner()
    built = runner.invoke(app, ["release", "build", "--db", db_url])
    assert built.exit_code == 0 and "Feedback: Release 1: 6 items" in built.output, built.output
    audited = runner.invoke(app, ["privacy", "audit", "--db", db_url])
    assert audited.exit_code == 0 and "Feedback (1 release): No disclosure" in audited.output


# --- use cases --------------------------------------------------------------------------------

WO, FR, ID, CO = (
    FeedbackKind.WORKING,
    FeedbackKind.FRICTION,
    FeedbackKind.IDEA,
    FeedbackKind.CONCERN,
)


def say(url: str, use_case: str | None, day: dt.date, kinds: list[FeedbackKind]) -> None:
    """Items naming `use_case` (None: naming none), as the form stores them."""
    with session_scope(url) as session:
        for n, kind in enumerate(kinds):
            item = FeedbackIn(kind=kind, text=f"about {use_case} {n} {day}", use_case=use_case)
            submit_feedback(session, item, "web", day)


def use_cases(url: str, first: dt.date, last: dt.date) -> dict[str, tuple[int, ...]]:
    """Per use case in the latest release: (items, items per kind), sums of its classes."""
    with session_scope(url) as session:
        release = latest_feedback_release(session)
        assert release is not None
        return {
            key: tuple(map(sum, zip(*((c.n, *c.counts) for c in classes), strict=True)))
            for key, classes in release.use_cases(first, last).items()
        }


def class_rows(url: str) -> list[tuple[str | None, str | None, str, int, list[int]]]:
    with session_scope(url) as session:
        latest = session.scalars(select(Release.id).order_by(Release.seq.desc())).first()
        return [
            (row.use_case, row.label, row.level, row.n, row.counts)
            for row in session.scalars(
                select(FeedbackReleaseClass)
                .where(FeedbackReleaseClass.release_id == latest)
                .order_by(FeedbackReleaseClass.id)
            )
        ]


def test_use_cases_are_classes_of_k_items_not_all_alike(db_url: str):
    """Week 1: 'Code-Review' said 6 times (4 working, 2 friction, three spellings), 'Solo'
    once, 'All good' 5 times all working (unanimous), 2 items naming none. Only code review
    is published under its name, for its week; Solo, the unanimous use case and the items
    naming none go up to no use case for the quarter together. The auditor finds no one."""
    say(db_url, "Code-Review", MONDAY, [WO, WO, FR])
    say(db_url, "code review", MONDAY + dt.timedelta(days=1), [WO, FR])
    say(db_url, "code_review", MONDAY + dt.timedelta(days=2), [WO])
    say(db_url, "Solo", MONDAY, [FR])
    say(db_url, "All good", MONDAY + dt.timedelta(days=3), [WO] * 5)
    say(db_url, None, MONDAY + dt.timedelta(days=4), [ID, CO])
    assert build(db_url, MONDAY + dt.timedelta(days=7)).startswith("Release 1: 14 items")
    found = findings(db_url)
    assert found.ok, found.describe()
    rows = class_rows(db_url)
    # no spelling was used by k items: the grouping key is shown, never one person's spelling
    assert ("code review", "code review", "week", 6, [4, 2, 0, 0, 0]) in rows
    assert (None, None, "quarter", 8, [5, 1, 1, 1, 0]) in rows and len(rows) == 2
    assert all(n >= K and max(counts) < n for *_, n, counts in rows)
    week_one = (MONDAY, MONDAY + dt.timedelta(days=6))
    assert use_cases(db_url, *week_one) == {"code review": (6, 4, 2, 0, 0, 0)}
    # the digest of the week counts only what is published for the week
    assert counts(view(db_url, *week_one)) == (6, 4, 2, 0, 0)


def test_a_spelling_is_shown_only_when_k_items_used_it(db_url: str):
    say(db_url, "Test generation", MONDAY, [WO, WO, WO, WO, ID])
    say(db_url, "TEST-GENERATION", MONDAY, [FR])
    build(db_url, MONDAY + dt.timedelta(days=7))
    assert [(u, label) for u, label, *_ in class_rows(db_url)] == [
        ("test generation", "Test generation")
    ]


def test_a_use_case_said_once_a_week_is_published_only_in_steps_of_k(db_url: str):
    """One item about 'Docs' a week (kinds varying), with a build every week for twenty
    weeks: the published figures for Docs never move by fewer than k items, no class of
    Docs is unanimous, and the auditor, given every release, finds no one."""
    rng = random.Random(3)
    seen = [0]
    for n in range(20):
        say(db_url, "Docs", MONDAY + dt.timedelta(days=7 * n + rng.randrange(7)), [KINDS[n % 3]])
        build(db_url, MONDAY + dt.timedelta(days=7 * n + 7))
        with session_scope(db_url) as session:
            release = latest_feedback_release(session)
            seen.append(0 if release is None else sum(c.n for c in release.classes))
    steps = [b - a for a, b in itertools.pairwise(seen) if b != a]
    assert steps and all(step >= K for step in steps), seen
    rows = class_rows(db_url)
    assert any(u == "docs" for u, *_ in rows), rows
    assert all(n >= K and max(counts) < n for *_, n, counts in rows)
    found = findings(db_url)
    assert found.ok, found.describe()


def test_an_item_logged_late_into_a_published_week_is_new(db_url: str):
    """Code review's week is published; one more item dated in it does not join its class
    (that would move the class by one): it waits for k new companions."""
    say(db_url, "Code review", MONDAY, [WO, WO, WO, FR, FR])
    build(db_url, MONDAY + dt.timedelta(days=7))
    say(db_url, "Code review", MONDAY + dt.timedelta(days=2), [WO])
    assert build(db_url, MONDAY + dt.timedelta(days=8)).startswith("Not released yet")
    say(db_url, "Code review", MONDAY + dt.timedelta(days=3), [FR, ID, WO, WO])
    assert build(db_url, MONDAY + dt.timedelta(days=8)).startswith("Release 2: 10 items")
    rows = class_rows(db_url)
    # one class of both parts: the first release's five and the five new ones
    assert [(level, n, counts) for _, _, level, n, counts in rows] == [
        ("week", 10, [6, 3, 1, 0, 0])
    ]
    found = findings(db_url)
    assert found.ok, found.describe()


def test_every_window_differs_per_use_case_by_whole_groups(db_url: str):
    """Twelve weeks of 0 to 9 items over three use cases and none, kinds at random, built
    every other week; every window of whole weeks against every window inside it: per use
    case the difference is nobody or at least k items, and the auditor finds no one."""
    rng = random.Random(19)
    for offset in range(12):
        for _ in range(rng.randrange(10)):
            day = MONDAY + dt.timedelta(days=7 * offset + rng.randrange(7))
            say(db_url, rng.choice(["Review", "Docs", "Tests", None]), day, [rng.choice(KINDS)])
        if offset % 2:
            build(db_url, MONDAY + dt.timedelta(days=7 * offset + 7))
    build(db_url, MONDAY + dt.timedelta(days=7 * 16))
    windows = {
        (a, b): use_cases(
            db_url, MONDAY + dt.timedelta(days=7 * a), MONDAY + dt.timedelta(days=7 * b - 1)
        )
        for a in range(12)
        for b in range(a + 1, 13)
    }
    assert any(windows.values())
    for (a, b), outer in windows.items():
        for (c, d), inner in windows.items():
            if a <= c and d <= b:
                for key in {*outer, *inner}:
                    left = [
                        x - y
                        for x, y in zip(
                            outer.get(key, (0,) * 6), inner.get(key, (0,) * 6), strict=True
                        )
                    ]
                    assert left[0] == 0 or left[0] >= K, ((a, b), (c, d), key)
                    assert min(left) >= 0
    found = findings(db_url)
    assert found.ok, found.describe()


def test_classes_published_before_use_cases_stay_whole(db_url: str):
    """A release built before classes had use cases (its class carries none, as migration
    0026 leaves it): its items start from no use case, so the class is never split along a
    use case, and the next release still builds."""
    say(db_url, "Review", MONDAY, [WO, WO, WO, FR, FR])
    say(db_url, None, MONDAY, [ID, CO])
    build(db_url, MONDAY + dt.timedelta(days=7))
    with session_scope(db_url) as session:
        for row in session.scalars(select(FeedbackReleaseClass)):
            row.use_case, row.label, row.level = None, None, "week"
            row.n, row.counts = 7, [3, 2, 1, 1, 0]
        session.execute(
            FeedbackReleaseMember.__table__.delete().where(FeedbackReleaseMember.release_id > 0)
        )
        first = session.scalars(select(FeedbackReleaseClass)).one()
        for item in session.scalars(select(FeedbackItem.id)):
            session.add(
                FeedbackReleaseMember(release_id=first.release_id, item_id=item, class_id=first.id)
            )
    say(db_url, "Review", MONDAY + dt.timedelta(days=7), [WO, FR, WO, ID, WO])
    assert build(db_url, MONDAY + dt.timedelta(days=14)).startswith("Release 2: 12 items")
    assert class_rows(db_url) == [
        (None, None, "week", 7, [3, 2, 1, 1, 0]),
        ("review", "Review", "week", 5, [3, 1, 1, 0, 0]),
    ]
    found = findings(db_url)
    assert found.ok, found.describe()


def forge(url: str, classes: list[tuple[str | None, list[int]]]) -> None:
    """One release per (use case, members' ids) for MONDAY's week, with true kind counts:
    what a per-request design would have published for each view."""
    with session_scope(url) as session:
        first = session.scalars(select(Release).where(Release.dataset == "feedback")).first()
        assert first is not None
        kinds = {
            item: kind for item, kind in session.execute(select(FeedbackItem.id, FeedbackItem.kind))
        }
        for use_case, members in classes:
            forged = Release(
                dataset="feedback",
                seq=1 + len(list(session.scalars(select(Release.id)))),
                built_at=first.built_at,
                cutoff=first.cutoff,
                answers_through=first.answers_through,
                min_group_size=K,
                included=len(members),
                withheld=0,
            )
            session.add(forged)
            session.flush()
            counts = [0] * len(FEEDBACK_KINDS)
            for item in members:
                counts[kind_index(kinds[item])] += 1
            group = FeedbackReleaseClass(
                release_id=forged.id,
                use_case=use_case,
                label=use_case,
                level="week",
                start=MONDAY,
                end=MONDAY + dt.timedelta(days=6),
                n=len(members),
                counts=counts,
            )
            session.add(group)
            session.flush()
            session.add_all(
                FeedbackReleaseMember(release_id=forged.id, item_id=item, class_id=group.id)
                for item in members
            )


def ids_of(url: str, use_case: str | None) -> list[int]:
    with session_scope(url) as session:
        found = select(FeedbackItem.id).order_by(FeedbackItem.id)
        column = FeedbackItem.use_case
        found = found.where(column.is_(None) if use_case is None else column == use_case)
        return list(session.scalars(found))


def test_a_naive_per_use_case_release_is_caught(db_url: str):
    """What a per-request scorecard would have published, handed to the auditor with the
    true release: (1) a use case's counts for two windows a day apart (six items, then the
    five of them before the last day), and (2) a week's count beside its use case's count
    (the week's seven items, six naming the use case). Each difference is one item; the
    auditor isolates it. The release itself is clean."""
    say(db_url, "Review", MONDAY, [WO, WO, FR, WO, FR])
    say(db_url, "Review", MONDAY + dt.timedelta(days=4), [WO])
    say(db_url, None, MONDAY + dt.timedelta(days=5), [ID])
    build(db_url, MONDAY + dt.timedelta(days=7))
    assert findings(db_url).ok
    review, lone = ids_of(db_url, "Review"), ids_of(db_url, None)
    forge(db_url, [("review", review), ("review", review[:-1])])
    caught = findings(db_url)
    assert not caught.ok and f"feedback:{review[-1]}" in caught.isolated
    with session_scope(db_url) as session:
        session.execute(Release.__table__.delete().where(Release.seq > 1))
    assert findings(db_url).ok
    forge(db_url, [(None, review + lone), ("review", review)])
    caught = findings(db_url)
    assert not caught.ok and f"feedback:{lone[0]}" in caught.isolated
