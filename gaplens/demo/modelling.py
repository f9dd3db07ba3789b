"""The demo's leaders: staff accounts for five executives of Northwind Logistics, their posts
about their own AI work (most of them say what the AI got wrong), readers' useful marks, and
five statements of what stays the same, all through the services the pages and CLI use.

Dated on purpose: the statements are made between the two pulses (July and August 2026),
where the generator plants a rise in job-security clarity (`EARLIER_IC_JOB_SECURITY`), and
all but one post fall before the current pulse ends, so the report's period holds them.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

from gaplens.accounts.models import StaffRole
from gaplens.accounts.service import create_user
from gaplens.commitments.schemas import Category, StatementIn
from gaplens.commitments.service import create_statement, revise_statement
from gaplens.demo.generator import DemoPerson, SyntheticOrganisation
from gaplens.modelling.schemas import PostIn
from gaplens.modelling.service import edit_post, mark_useful, publish_post


@dataclass(frozen=True)
class Leader:
    function: str
    title: str


LEADERS = (
    Leader("Leadership", "Chief Operating Officer"),
    Leader("Engineering", "VP Engineering"),
    Leader("Support", "VP Customer Support"),
    Leader("Operations", "VP Operations"),
    Leader("Product", "Head of Product"),
)


@dataclass(frozen=True)
class DemoPost:
    function: str
    """Whose executive writes it; also the post's scope, except Leadership (everyone)."""
    day: dt.date
    title: str
    task: str
    tool: str
    worked: str
    wrong: str | None
    useful: int
    """Readers who mark it useful, spread over the weeks after it is published."""


POSTS = (
    DemoPost(
        "Engineering",
        dt.date(2026, 7, 2),
        "Copilot invented an API in the migration script",
        "Writing the schema migration and backfill for the new shipment-events table",
        "GitHub Copilot",
        "It wrote the up and down migrations and the batched backfill loop in a few minutes, "
        "including the index I would have forgotten.",
        "It called a bulk_upsert() helper our database layer does not have. The script passed "
        "review and only failed in staging. I now run every AI-written migration against a "
        "copy of production data before anyone approves it.",
        34,
    ),
    DemoPost(
        "Support",
        dt.date(2026, 7, 15),
        "Drafting replies to the delayed-shipment backlog",
        "First drafts for 40 near-identical tickets after the Rotterdam depot closure",
        "Microsoft 365 Copilot",
        "The drafts were polite, specific to each order, and took me an afternoon instead of "
        "two days.",
        "Two drafts promised a full refund our policy does not allow. Every customer-facing "
        "draft is read by a person before it goes out, and that is how we caught it.",
        27,
    ),
    DemoPost(
        "Leadership",
        dt.date(2026, 7, 28),
        "Summarising the quarterly operations review",
        "Turning a 60-page operations review into a two-page brief for the board",
        "Microsoft 365 Copilot",
        "The structure was good and it pulled out the three risks I would have led with.",
        "It merged two regions' on-time figures into one number that looked far too good. I "
        "only caught it because I knew the regions. AI summaries of figures get checked "
        "against the source table now.",
        19,
    ),
    DemoPost(
        "Operations",
        dt.date(2026, 8, 12),
        "A first cut of the peak-season shift rota",
        "Shift rotas for Warehouse North for the six peak weeks",
        "Copilot in Excel",
        "It produced a rota that met the headcount per shift, and I spent my time on the "
        "swaps people had asked for instead of on the spreadsheet.",
        None,
        8,
    ),
    DemoPost(
        "Product",
        dt.date(2026, 8, 26),
        "Themes from 30 carrier interviews — and a quote nobody said",
        "Finding the themes in 30 interview transcripts with carriers",
        "Claude",
        "The first pass of themes matched what the research team found by hand, in an hour.",
        "It quoted a carrier saying something they never said: a plausible sentence stitched "
        "together from two interviews. I now ask for the transcript and line with every quote, "
        "and check them.",
        22,
    ),
    DemoPost(
        "Engineering",
        dt.date(2026, 9, 9),
        "Letting AI review a pull request before I do",
        "A first review pass on a 400-line change to the pricing service",
        "GitHub Copilot code review",
        "It flagged a missing null check and an unclear variable name; both were real.",
        None,
        6,
    ),
    DemoPost(
        "Support",
        dt.date(2026, 10, 7),
        "A knowledge-base article from a resolved escalation",
        "Writing up a tricky customs escalation as a knowledge-base article",
        "Microsoft 365 Copilot",
        "The article was clear and followed our template.",
        "It used last year's 14-day returns window. Anything with a policy number in it gets "
        "checked against the policy page.",
        4,
    ),
)
EDITED = (
    5,
    dt.date(2026, 9, 12),
    " Both were worth fixing; the design question it raised was not.",
)
"""Post 6 (by index) is edited three days later, so the demo shows the "edited" mark."""


@dataclass(frozen=True)
class DemoStatement:
    leader: int
    day: dt.date
    category: Category
    text: str
    function: str | None = None
    review_on: dt.date | None = None
    earlier_text: str | None = None
    """When set, the statement is first made with this wording and reworded later."""


STATEMENTS = (
    DemoStatement(
        0,
        dt.date(2026, 6, 29),
        Category.ROLE,
        "No role at Northwind will be cut because of AI in 2026 or 2027. Where AI takes over a "
        "task, the time goes back into the work people told us matters.",
        review_on=dt.date(2027, 6, 30),
        earlier_text="No role will be cut because of AI in 2026.",
    ),
    DemoStatement(
        1,
        dt.date(2026, 7, 6),
        Category.SKILL,
        "Code review stays a human responsibility: every change that ships has been read and "
        "approved by an engineer, whoever or whatever wrote it.",
        function="Engineering",
    ),
    DemoStatement(
        0,
        dt.date(2026, 7, 13),
        Category.KNOWLEDGE,
        "Knowing our customers, carriers and depots is what makes AI output usable. That "
        "knowledge becomes more valuable, and it is what we promote for.",
    ),
    DemoStatement(
        2,
        dt.date(2026, 7, 20),
        Category.ROLE,
        "A person stays on every customer escalation and every refund decision. AI drafts; "
        "agents decide.",
        function="Support",
        review_on=dt.date(2026, 12, 31),
    ),
    DemoStatement(
        0,
        dt.date(2026, 8, 17),
        Category.OTHER,
        "Nobody is measured on how much they use AI. We measure the work, not the tool.",
    ),
)
REWORDED_ON = dt.date(2026, 7, 20)


@dataclass(frozen=True)
class DemoLeaders:
    accounts: int
    posts: int
    marks: int
    statements: int

    def describe(self) -> str:
        return (
            f"{self.accounts} leaders: {self.posts} posts, {self.marks} useful marks, "
            f"{self.statements} statements of what stays the same"
        )


def _executives(org: SyntheticOrganisation) -> list[tuple[Leader, DemoPerson]]:
    """The first executive of each leader's function; a small demo may lack some."""
    found = []
    for leader in LEADERS:
        person = next(
            (
                p
                for p in org.people
                if p.role_level == "executive" and p.function == leader.function
            ),
            None,
        )
        if person is not None:
            found.append((leader, person))
    return found


def _token(rng: np.random.Generator) -> str:
    """A reader's browser token, drawn from the seed so the demo is repeatable."""
    return bytes(rng.integers(0, 256, size=32, dtype=np.uint8)).hex()


def _mark_days(rng: np.random.Generator, start: dt.date, n: int) -> Sequence[dt.date]:
    """Most readers find a post in its first two weeks."""
    offsets = np.minimum(rng.exponential(6.0, size=n).astype(int), 40)
    return [start + dt.timedelta(days=int(d)) for d in np.sort(offsets)]


def seed_leaders(session: Session, org: SyntheticOrganisation, seed: int) -> DemoLeaders:
    rng = np.random.Generator(np.random.PCG64([seed, 11]))
    leaders = _executives(org)
    accounts: dict[str, int] = {}
    titles: dict[str, str] = {}
    for leader, person in leaders:
        user = create_user(
            session, person.email, person.name, StaffRole.LEADER, secrets.token_urlsafe(18)
        )
        accounts[leader.function] = user.id
        titles[leader.function] = f"{person.name}, {leader.title}"
    posts = marks = 0
    for index, post in enumerate(POSTS):
        author = accounts.get(post.function)
        if author is None:
            continue
        spec = PostIn(
            title=post.title,
            task=post.task,
            tool=post.tool,
            what_worked=post.worked,
            what_went_wrong=post.wrong,
            nothing_went_wrong=post.wrong is None,
            function=None if post.function == "Leadership" else post.function,
        )
        row = publish_post(session, author, spec, today=post.day)
        posts += 1
        if index == EDITED[0]:
            edited = spec.model_copy(update={"what_worked": post.worked + EDITED[2]})
            edit_post(session, row.id, author, edited, today=EDITED[1])
        for day in _mark_days(rng, post.day, post.useful):
            mark_useful(session, row.id, _token(rng), today=day)
            marks += 1
    statements = 0
    for statement in STATEMENTS:
        function = LEADERS[statement.leader].function
        author = accounts.get(function)
        if author is None:
            continue
        statement_spec = StatementIn(
            category=statement.category,
            text=statement.text,
            stated_by=titles[function],
            function=statement.function,
            review_on=statement.review_on,
        )
        if statement.earlier_text is None:
            create_statement(session, author, statement_spec, today=statement.day)
        else:
            first = statement_spec.model_copy(update={"text": statement.earlier_text})
            made = create_statement(session, author, first, today=statement.day)
            revise_statement(session, made.id, author, statement_spec, today=REWORDED_ON)
        statements += 1
    return DemoLeaders(len(accounts), posts, marks, statements)
