"""Leadership modelling services on both databases: the failure field, authorship, marks
that cannot be linked, the report counts and exports."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from gaplens.accounts.models import StaffRole
from gaplens.accounts.service import create_user
from gaplens.db.engine import session_scope
from gaplens.directory.service import import_teams
from gaplens.errors import InputError
from gaplens.metrics.schemas import MetricScope
from gaplens.modelling.models import LeaderPost, LeaderPostMark
from gaplens.modelling.schemas import PostIn
from gaplens.modelling.service import (
    NotAuthor,
    PostNotFound,
    edit_post,
    export_posts,
    get_post,
    list_posts,
    mark_useful,
    marked_by,
    publish_post,
    report_section,
    validate_post,
)
from gaplens.privacy import PrivacyPolicy
from tests.files import TEAMS, write_csv

PASSWORD = "correct horse battery staple"
TOKEN_A = "a" * 43
TOKEN_B = "b" * 43
GOOD = {
    "title": "Copilot invented an API",
    "task": "The migration script for shipment events",
    "tool": "GitHub Copilot",
    "what_worked": "The boilerplate, in minutes.",
    "what_went_wrong": "It called bulk_upsert(), which does not exist.",
}


def post(**changes: object) -> PostIn:
    return validate_post({**GOOD, **changes})


@pytest.fixture
def org(db_url: str, tmp_path: Path) -> dict[str, int]:
    """Teams (so functions exist) and one account per role, plus a second leader."""
    with session_scope(db_url) as session:
        import_teams(session, write_csv(tmp_path / "teams.csv", TEAMS), "Acme")
        ids = {
            name: create_user(session, f"{name}@acme.example", name.title(), role, PASSWORD).id
            for name, role in (
                ("leader", StaffRole.LEADER),
                ("other", StaffRole.LEADER),
                ("admin", StaffRole.ADMIN),
                ("analyst", StaffRole.ANALYST),
            )
        }
    return ids


def count(db_url: str, table: type) -> int:
    with session_scope(db_url) as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"what_went_wrong": None}, "what_went_wrong"),  # neither said nor denied
        ({"what_went_wrong": "   "}, "what_went_wrong"),  # blank is not an answer
        ({"nothing_went_wrong": True}, "nothing_went_wrong"),  # both
        ({"title": "x"}, "title"),
        ({"title": "t" * 121}, "title"),
        ({"what_worked": "w" * 2001}, "what_worked"),
        ({"tool": ""}, "tool"),
        ({"email": "me@acme.example"}, "email"),  # nothing else is accepted
    ],
)
def test_bad_posts_name_the_field(changes: dict[str, object], field: str):
    with pytest.raises(InputError) as raised:
        validate_post({**GOOD, **changes})
    assert field in {p.column for p in raised.value.problems}


def test_the_failure_is_a_field_of_its_own(db_url: str, org: dict[str, int]):
    with session_scope(db_url) as session:
        failed = publish_post(session, org["leader"], post())
        fine = publish_post(
            session,
            org["admin"],
            post(what_went_wrong=None, nothing_went_wrong=True, title="No surprises"),
        )
        assert (failed.admits_failure, fine.admits_failure) == (True, False)
        assert fine.what_went_wrong is None
        # "wrong" in the text does not make a failure: only the field does
        worded = publish_post(
            session,
            org["leader"],
            post(
                what_went_wrong=None,
                nothing_went_wrong=True,
                what_worked="Nothing was wrong, it got everything right",
            ),
        )
        assert worded.admits_failure is False


def test_the_database_refuses_a_failure_without_words_on_both_backends(
    db_url: str, org: dict[str, int]
):
    row = {
        "author_id": org["leader"],
        "title": "t",
        "task": "t",
        "tool": "t",
        "what_worked": "w",
        "published_on": dt.date(2026, 7, 1),
        "mark_key": "00" * 32,
    }
    for bad in ({"admits_failure": True, "what_went_wrong": None},
                {"admits_failure": False, "what_went_wrong": "it broke"}):  # fmt: skip
        with pytest.raises(IntegrityError), session_scope(db_url) as session:
            session.execute(insert(LeaderPost).values({**row, **bad}))
    assert count(db_url, LeaderPost) == 0


@pytest.mark.parametrize("who", ["analyst", "nobody"])
def test_only_leaders_and_admins_publish(db_url: str, org: dict[str, int], who: str):
    author = org.get(who, 9999)
    with pytest.raises(InputError) as raised, session_scope(db_url) as session:
        publish_post(session, author, post())
    assert raised.value.problems[0].column == "account"
    assert count(db_url, LeaderPost) == 0


def test_unknown_function_is_refused_and_nothing_written(db_url: str, org: dict[str, int]):
    with pytest.raises(InputError) as raised, session_scope(db_url) as session:
        publish_post(session, org["leader"], post(function="Astrology"))
    problem = raised.value.problems[0]
    assert problem.column == "function" and "Engineering" in problem.message
    assert count(db_url, LeaderPost) == 0


def test_editing_is_for_the_author_and_leaves_a_dated_mark(db_url: str, org: dict[str, int]):
    with session_scope(db_url) as session:
        post_id = publish_post(session, org["leader"], post(), today=dt.date(2026, 7, 1)).id
    with pytest.raises(NotAuthor), session_scope(db_url) as session:
        edit_post(session, post_id, org["other"], post(title="Someone else's words"))
    with pytest.raises(InputError, match="nothing changed"), session_scope(db_url) as session:
        edit_post(session, post_id, org["leader"], post())
    with pytest.raises(PostNotFound), session_scope(db_url) as session:
        edit_post(session, 999, org["leader"], post())
    with session_scope(db_url) as session:
        assert get_post(session, post_id).edited_on is None
        edit_post(
            session,
            post_id,
            org["leader"],
            post(what_went_wrong=None, nothing_went_wrong=True),
            today=dt.date(2026, 7, 3),
        )
    with session_scope(db_url) as session:
        shown = get_post(session, post_id)
    assert shown.published_on == dt.date(2026, 7, 1)
    assert shown.edited_on == dt.date(2026, 7, 3)
    assert shown.admits_failure is False and shown.what_went_wrong is None
    assert (shown.author.name, shown.author.role) == ("Leader", "Leader")


def test_one_mark_per_browser_stored_as_a_per_post_keyed_hash(db_url: str, org: dict[str, int]):
    with session_scope(db_url) as session:
        first = publish_post(session, org["leader"], post()).id
        second = publish_post(session, org["leader"], post(title="Another one")).id
    with session_scope(db_url) as session:
        assert mark_useful(session, first, TOKEN_A).model_dump() == {
            "post": first,
            "useful": 1,
            "new": True,
        }
        again = mark_useful(session, first, TOKEN_A)
        assert (again.useful, again.new) == (1, False)
        assert mark_useful(session, first, TOKEN_B).useful == 2
        mark_useful(session, second, TOKEN_A)
    with session_scope(db_url) as session:
        marks = list(session.execute(select(LeaderPostMark.post_id, LeaderPostMark.reader_hash)))
        keys = dict(session.execute(select(LeaderPost.id, LeaderPost.mark_key)).all())
        assert marked_by(session, TOKEN_A, [first, second]) == {first, second}
        assert marked_by(session, TOKEN_B, [first, second]) == {first}
        assert marked_by(session, None, [first]) == set()
    hashes = {(p, h) for p, h in marks}
    assert len(hashes) == 3
    assert all(TOKEN_A not in h and TOKEN_B not in h for _, h in hashes)
    expected = hmac.new(bytes.fromhex(keys[first]), TOKEN_A.encode(), hashlib.sha256).hexdigest()
    assert (first, expected) in hashes
    # the same browser hashes differently on two posts: its marks cannot be linked
    a_hashes = {h for p, h in hashes if p == first} & {h for p, h in hashes if p == second}
    assert a_hashes == set()
    with pytest.raises(InputError), session_scope(db_url) as session:
        mark_useful(session, first, "short")
    with pytest.raises(PostNotFound), session_scope(db_url) as session:
        mark_useful(session, 999, TOKEN_A)


def test_posts_are_listed_newest_first_a_page_at_a_time(db_url: str, org: dict[str, int]):
    with session_scope(db_url) as session:
        for n in range(23):
            publish_post(session, org["leader"], post(title=f"Post {n:02d}"),
                         today=dt.date(2026, 1, 1) + dt.timedelta(days=n))  # fmt: skip
    with session_scope(db_url) as session:
        one, two, three = (list_posts(session, page) for page in (1, 2, 3))
        with pytest.raises(InputError):
            list_posts(session, 0)
    assert (one.total, one.pages, len(one.posts), len(two.posts), three.posts) == (23, 2, 20, 3, [])
    assert one.posts[0].title == "Post 22" and two.posts[-1].title == "Post 00"


def test_report_section_counts_the_period_and_the_scope(db_url: str, org: dict[str, int]):
    start, end = dt.date(2026, 7, 1), dt.date(2026, 9, 30)
    with session_scope(db_url) as session:
        scope = MetricScope(organisation_id=1)
        assert report_section(session, scope, start, end, PrivacyPolicy()) is None

        def publish(author: str, day: dt.date, **changes: object) -> int:
            return publish_post(session, org[author], post(**changes), today=day).id

        before = publish("leader", dt.date(2026, 6, 30), title="Too early")
        a = publish("leader", dt.date(2026, 7, 1), title="Engineering one", function="Engineering")
        b = publish("other", dt.date(2026, 8, 1), title="Support one", function="Support",
                    what_went_wrong=None, nothing_went_wrong=True)  # fmt: skip
        c = publish("admin", dt.date(2026, 9, 30), title="Everyone's one")
        d = publish("leader", dt.date(2026, 9, 1), title="Unread one")
        after = publish("other", dt.date(2026, 10, 1), title="Too late")
        marks = {before: 9, a: 3, b: 5, c: 1, d: 0, after: 7}
        for post_id, n in marks.items():
            for i in range(n):
                mark_useful(session, post_id, f"reader-token-for-post-{post_id}-{i:04d}",
                            today=dt.date(2026, 10, 2) if post_id == after else end)  # fmt: skip
        mark_useful(session, a, "reader-token-late-mark-00000", today=dt.date(2026, 10, 5))

        whole = report_section(session, scope, start, end, PrivacyPolicy())
        engineering = report_section(
            session, MetricScope(organisation_id=1, function="Engineering"), start, end,
            PrivacyPolicy(),
        )  # fmt: skip
    assert whole is not None and engineering is not None
    assert (whole.posts, whole.admitting_failure, whole.leaders_posting) == (4, 3, 3)
    assert whole.failure_share == pytest.approx(0.75)
    assert whole.useful_marks == 9 + 3 + 5 + 1  # marked in the period (the 'before' post too)
    assert [p.title for p in whole.most_useful] == ["Support one", "Engineering one",
                                                    "Everyone's one"]  # fmt: skip
    assert [p.useful for p in whole.most_useful] == [5, 3, 1]  # marks up to the period's end
    assert whole.posts_all_time == 5
    assert whole.summary.startswith("3 leaders published 4 posts")
    assert "3 of them (75%)" in whole.summary
    # Engineering's report: its own posts and those for everyone, not Support's
    assert (engineering.posts, engineering.admitting_failure) == (3, 3)
    assert "Support one" not in [p.title for p in engineering.most_useful]


def test_exports_are_complete_and_spreadsheet_safe(db_url: str, org: dict[str, int]):
    with session_scope(db_url) as session:
        publish_post(
            session, org["leader"], post(title='=HYPERLINK("http://x")', function="Support")
        )
        posts = list_posts(session).posts
    rows = list(csv.DictReader(io.StringIO(export_posts(posts, "csv"))))
    assert rows[0]["title"].startswith("'=") and rows[0]["admits_failure"] == "yes"
    assert rows[0]["author"] == "Leader" and rows[0]["function"] == "Support"
    assert "email" not in rows[0] and "leader@acme.example" not in export_posts(posts, "csv")
    [loaded] = json.loads(export_posts(posts, "json"))
    assert loaded["title"] == '=HYPERLINK("http://x")' and loaded["useful"] == 0
    with pytest.raises(InputError):
        export_posts(posts, "xml")
