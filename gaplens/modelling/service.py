"""Leadership modelling services: publish and edit posts, read them, mark them useful, export
them, and the report section. Services take the caller's session and never commit.

Authors are leaders and admins (analysts read only). Readers are anyone, anonymously: a
"useful" mark is keyed by a random token the reader's browser holds, stored only as an HMAC
under a random key of the post, so the table never holds the token, an address, or anything
that links one browser's marks on two posts.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import json
import math
import secrets
from collections.abc import Iterable, Mapping, Sequence

from pydantic import ValidationError
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from gaplens.accounts.models import StaffRole, StaffUser
from gaplens.accounts.service import account_with_role
from gaplens.directory.service import check_function, scope_function
from gaplens.errors import InputError, InputProblem
from gaplens.metrics.schemas import MetricScope
from gaplens.modelling.models import LeaderPost, LeaderPostMark
from gaplens.modelling.schemas import (
    MOST_USEFUL_SHOWN,
    Author,
    Marked,
    ModellingSection,
    PostIn,
    PostOut,
    PostPage,
    UsefulPost,
)
from gaplens.privacy import PrivacyPolicy
from gaplens.sections import SectionContext, section

AUTHOR_ROLES = (StaffRole.LEADER, StaffRole.ADMIN)
PER_PAGE = 20
READER_TOKEN_BYTES = 32
EXPORT_COLUMNS = (
    "id",
    "title",
    "author",
    "role",
    "function",
    "tool",
    "task",
    "what_worked",
    "admits_failure",
    "what_went_wrong",
    "published_on",
    "edited_on",
    "useful",
)
ROLE_LABELS = {StaffRole.LEADER: "Leader", StaffRole.ADMIN: "Admin", StaffRole.ANALYST: "Analyst"}


class PostNotFound(LookupError):  # noqa: N818 - a state, answered with 404
    def __init__(self, post_id: int) -> None:
        super().__init__(f"there is no post {post_id}")


class NotAuthor(PermissionError):  # noqa: N818 - a state, answered with 403
    """Only a post's author may edit it: the post is signed with their name."""

    def __init__(self) -> None:
        super().__init__("only the author of a post can edit it")


# --- writing ----------------------------------------------------------------------------


def validate_post(data: Mapping[str, object]) -> PostIn:
    """Pydantic validation and the failure rule, each problem named by its field."""
    try:
        post = PostIn.model_validate(data)
    except ValidationError as error:
        raise InputError(
            [
                InputProblem(e["msg"], column=".".join(str(p) for p in e["loc"]) or None)
                for e in error.errors()
            ]
        ) from None
    check_failure_stated(post)
    return post


def check_failure_stated(post: PostIn) -> None:
    """A post says what the AI got wrong, or says explicitly that nothing did; not both."""
    if post.what_went_wrong is None and not post.nothing_went_wrong:
        raise InputError.single(
            "say what the AI got wrong, or tick 'nothing went wrong this time'",
            column="what_went_wrong",
        )
    if post.what_went_wrong is not None and post.nothing_went_wrong:
        raise InputError.single(
            "you described what went wrong and also ticked 'nothing went wrong this time': "
            "keep one of the two",
            column="nothing_went_wrong",
        )


def author_account(session: Session, user_id: int) -> StaffUser:
    """An active leader or admin: the only accounts that publish posts."""
    return account_with_role(session, user_id, AUTHOR_ROLES, "publish posts")


def publish_post(
    session: Session, author_id: int, post: PostIn, today: dt.date | None = None
) -> LeaderPost:
    """Publish at once, signed by the author; visible to everyone from now on."""
    check_failure_stated(post)
    author_account(session, author_id)
    check_function(session, post.function)
    row = LeaderPost(
        author_id=author_id,
        title=post.title,
        task=post.task,
        tool=post.tool,
        what_worked=post.what_worked,
        admits_failure=post.what_went_wrong is not None,
        what_went_wrong=post.what_went_wrong,
        function=post.function,
        published_on=today or dt.date.today(),
        edited_on=None,
        mark_key=secrets.token_hex(32),
    )
    session.add(row)
    session.flush()
    return row


def edit_post(
    session: Session, post_id: int, editor_id: int, post: PostIn, today: dt.date | None = None
) -> LeaderPost:
    """Change a published post: only its author may, and the post then shows the edit day."""
    check_failure_stated(post)
    row = session.get(LeaderPost, post_id)
    if row is None:
        raise PostNotFound(post_id)
    if row.author_id != editor_id:
        raise NotAuthor
    author_account(session, editor_id)
    check_function(session, post.function)
    values = {
        "title": post.title,
        "task": post.task,
        "tool": post.tool,
        "what_worked": post.what_worked,
        "admits_failure": post.what_went_wrong is not None,
        "what_went_wrong": post.what_went_wrong,
        "function": post.function,
    }
    if all(getattr(row, name) == value for name, value in values.items()):
        raise InputError.single("nothing changed: the post is as it was", column="title")
    for name, value in values.items():
        setattr(row, name, value)
    row.edited_on = today or dt.date.today()
    session.flush()
    return row


# --- reading ----------------------------------------------------------------------------


def _useful_counts(
    session: Session, post_ids: Sequence[int], until: dt.date | None = None
) -> dict[int, int]:
    """Marks per post (made on or before `until`, when given)."""
    if not post_ids:
        return {}
    where: list[ColumnElement[bool]] = [LeaderPostMark.post_id.in_(post_ids)]
    if until is not None:
        where.append(LeaderPostMark.marked_on <= until)
    rows = session.execute(
        select(LeaderPostMark.post_id, func.count()).where(*where).group_by(LeaderPostMark.post_id)
    )
    return {post_id: count for post_id, count in rows}


def _out(row: LeaderPost, author: StaffUser, useful: int) -> PostOut:
    return PostOut(
        id=row.id,
        title=row.title,
        task=row.task,
        tool=row.tool,
        what_worked=row.what_worked,
        admits_failure=row.admits_failure,
        what_went_wrong=row.what_went_wrong,
        function=row.function,
        author=Author(name=author.display_name, role=ROLE_LABELS[author.role]),
        published_on=row.published_on,
        edited_on=row.edited_on,
        useful=useful,
    )


def _posts(
    session: Session,
    where: Iterable[ColumnElement[bool]] = (),
    limit: int | None = None,
    offset: int = 0,
) -> list[tuple[LeaderPost, StaffUser]]:
    query = (
        select(LeaderPost, StaffUser)
        .join(StaffUser, StaffUser.id == LeaderPost.author_id)
        .where(*where)
        .order_by(LeaderPost.published_on.desc(), LeaderPost.id.desc())
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    return [(post, user) for post, user in session.execute(query)]


def list_posts(session: Session, page: int = 1, per_page: int = PER_PAGE) -> PostPage:
    """Newest first, a page at a time; a page past the end is empty, not an error."""
    if page < 1:
        raise InputError.single("pages start at 1", column="page")
    total = session.scalar(select(func.count()).select_from(LeaderPost)) or 0
    rows = _posts(session, limit=per_page, offset=(page - 1) * per_page)
    counts = _useful_counts(session, [post.id for post, _ in rows])
    return PostPage(
        posts=[_out(post, user, counts.get(post.id, 0)) for post, user in rows],
        total=total,
        page=page,
        pages=max(1, math.ceil(total / per_page)),
    )


def all_posts(session: Session) -> list[PostOut]:
    rows = _posts(session)
    counts = _useful_counts(session, [post.id for post, _ in rows])
    return [_out(post, user, counts.get(post.id, 0)) for post, user in rows]


def get_post(session: Session, post_id: int) -> PostOut:
    rows = _posts(session, [LeaderPost.id == post_id])
    if not rows:
        raise PostNotFound(post_id)
    post, user = rows[0]
    return _out(post, user, _useful_counts(session, [post.id]).get(post.id, 0))


def post_author_id(session: Session, post_id: int) -> int:
    author = session.scalar(select(LeaderPost.author_id).where(LeaderPost.id == post_id))
    if author is None:
        raise PostNotFound(post_id)
    return author


def authored_by(session: Session, user_id: int, post_ids: Sequence[int]) -> set[int]:
    if not post_ids:
        return set()
    return set(
        session.scalars(
            select(LeaderPost.id).where(
                LeaderPost.id.in_(post_ids), LeaderPost.author_id == user_id
            )
        )
    )


# --- useful marks -----------------------------------------------------------------------


def new_reader_token() -> str:
    """The random token a reader's browser keeps (in a cookie) to mark each post only once."""
    return secrets.token_urlsafe(READER_TOKEN_BYTES)


def reader_hash(mark_key: str, token: str) -> str:
    """HMAC-SHA256 under the post's own key: the same browser hashes differently per post."""
    return hmac.new(bytes.fromhex(mark_key), token.encode(), hashlib.sha256).hexdigest()


def valid_reader_token(token: str | None) -> bool:
    return token is not None and 20 <= len(token) <= 100 and token.isascii()


def marked_by(session: Session, token: str | None, post_ids: Sequence[int]) -> set[int]:
    """Which of these posts the browser holding `token` has marked (for the pages' buttons)."""
    if not post_ids or not valid_reader_token(token):
        return set()
    assert token is not None
    keys = {
        post_id: key
        for post_id, key in session.execute(
            select(LeaderPost.id, LeaderPost.mark_key).where(LeaderPost.id.in_(post_ids))
        )
    }
    hashes = {reader_hash(key, token): post_id for post_id, key in keys.items()}
    found = session.execute(
        select(LeaderPostMark.post_id, LeaderPostMark.reader_hash).where(
            LeaderPostMark.post_id.in_(post_ids), LeaderPostMark.reader_hash.in_(list(hashes))
        )
    )
    return {post_id for post_id, hashed in found if hashes.get(hashed) == post_id}


def mark_useful(session: Session, post_id: int, token: str, today: dt.date | None = None) -> Marked:
    """One mark per browser and post; marking again changes nothing (and says so).

    The insert ignores a conflicting row in the database itself, so two concurrent clicks
    from one browser still leave one mark.
    """
    if not valid_reader_token(token):
        raise InputError.single("this browser's reader token is not valid", column="token")
    key = session.scalar(select(LeaderPost.mark_key).where(LeaderPost.id == post_id))
    if key is None:
        raise PostNotFound(post_id)
    values = {
        "post_id": post_id,
        "reader_hash": reader_hash(key, token),
        "marked_on": today or dt.date.today(),
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(LeaderPostMark).values(values).on_conflict_do_nothing()
    # RETURNING says whether a row went in; rowcount is not reliable across drivers here.
    new = session.execute(statement.returning(LeaderPostMark.post_id)).first() is not None
    useful = _useful_counts(session, [post_id]).get(post_id, 0)
    return Marked(post=post_id, useful=useful, new=new)


# --- export -----------------------------------------------------------------------------


def export_rows(posts: Sequence[PostOut]) -> list[dict[str, object]]:
    return [
        {
            "id": p.id,
            "title": p.title,
            "author": p.author.name,
            "role": p.author.role,
            "function": p.function or "",
            "tool": p.tool,
            "task": p.task,
            "what_worked": p.what_worked,
            "admits_failure": p.admits_failure,
            "what_went_wrong": p.what_went_wrong or "",
            "published_on": p.published_on.isoformat(),
            "edited_on": p.edited_on.isoformat() if p.edited_on else "",
            "useful": p.useful,
        }
        for p in posts
    ]


def spreadsheet_safe(value: object) -> str:
    """A cell a spreadsheet will not run as a formula (OWASP CSV injection)."""
    text = "yes" if value is True else "no" if value is False else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export_posts(posts: Sequence[PostOut], fmt: str) -> str:
    """Every post as CSV (one row each, formula-safe) or JSON (the API's PostOut list)."""
    if fmt == "json":
        return json.dumps([p.model_dump(mode="json") for p in posts], indent=2) + "\n"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(EXPORT_COLUMNS)
        for row in export_rows(posts):
            writer.writerow([spreadsheet_safe(row[c]) for c in EXPORT_COLUMNS])
        return buffer.getvalue()
    raise InputError.single(f"unknown format '{fmt}' (csv or json)", column="format")


# --- the report section -----------------------------------------------------------------


def _in_scope(function: str | None) -> list[ColumnElement[bool]]:
    """Posts about the scope's function, and posts about the whole organisation."""
    if function is None:
        return []
    return [or_(LeaderPost.function.is_(None), LeaderPost.function == function)]


@section("modelling", title="Leadership modelling", order=60)
def report_section(
    session: Session,
    scope: MetricScope,
    start: dt.date,
    end: dt.date,
    policy: PrivacyPolicy,
    context: SectionContext | None = None,
) -> ModellingSection | None:
    """Posts in [start, end], how many admit a failure, the leaders who posted (a count), the
    useful marks of the period and the most useful posts; None if no post exists in scope.

    `policy` is part of the report contract; there is nothing to hide here: posts are
    signed and marks carry no reader attributes, so no respondent group is released.
    """
    del context  # needs nothing the report has read
    del policy
    if start > end:
        raise InputError.single("the period starts after it ends", column="period_from")
    where = _in_scope(scope_function(session, scope.function, scope.team_id))
    all_time = (
        session.scalar(
            select(func.count())
            .select_from(LeaderPost)
            .where(*where, LeaderPost.published_on <= end)
        )
        or 0
    )
    if all_time == 0:
        return None
    period = [*where, LeaderPost.published_on >= start, LeaderPost.published_on <= end]
    rows = _posts(session, period)
    counts = _useful_counts(session, [post.id for post, _ in rows], until=end)
    marks = (
        session.scalar(
            select(func.count())
            .select_from(LeaderPostMark)
            .join(LeaderPost, LeaderPost.id == LeaderPostMark.post_id)
            .where(*where, LeaderPostMark.marked_on >= start, LeaderPostMark.marked_on <= end)
        )
        or 0
    )
    posts = len(rows)
    failing = sum(post.admits_failure for post, _ in rows)
    ranked = sorted(
        (r for r in rows if counts.get(r[0].id, 0) > 0),
        key=lambda r: (-counts[r[0].id], -r[0].published_on.toordinal(), -r[0].id),
    )
    leaders = len({post.author_id for post, _ in rows})
    return ModellingSection(
        period_from=start,
        period_to=end,
        posts=posts,
        admitting_failure=failing,
        failure_share=failing / posts if posts else None,
        leaders_posting=leaders,
        useful_marks=marks,
        most_useful=[
            UsefulPost(
                title=post.title,
                author=user.display_name,
                role=ROLE_LABELS[user.role],
                useful=counts[post.id],
                admits_failure=post.admits_failure,
                published_on=post.published_on,
            )
            for post, user in ranked[:MOST_USEFUL_SHOWN]
        ],
        posts_all_time=all_time,
        summary=summary_sentence(posts, failing, leaders, marks),
    )


def summary_sentence(posts: int, failing: int, leaders: int, marks: int) -> str:
    """The section's lead sentence, in words a reader can check against the counts."""
    if posts == 0:
        return "No leader published a post about their own AI work in this period."
    post_word = "post" if posts == 1 else "posts"
    leader_word = "leader" if leaders == 1 else "leaders"
    mark_word = "mark" if marks == 1 else "marks"
    return (
        f"{leaders} {leader_word} published {posts} {post_word} about their own AI work; "
        f"{failing} of them ({round(100 * failing / posts)}%) say what the AI got wrong. "
        f"Readers left {marks} useful {mark_word}."
    )
