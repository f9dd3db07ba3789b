"""A synthetic organisation: a directory and one anonymous AI survey, written as import files.

The answers are planted from the published figures in the question bank (Gartner's
executive/IC split, the 78% who do not know about their job, the 12% who feel involved, ...),
so a report on the demo shows the gaps the product exists to reveal, and a test can check that
the analysis recovers them. Every draw comes from one seeded numpy Generator, consumed in a
fixed order, so one seed always gives byte-identical files.
"""

from __future__ import annotations

import csv
import datetime as dt
import string
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from gaplens.surveys.question_bank import (
    AGREE5_OPTIONS,
    ATTRIBUTE_QUESTIONS,
    SHADOW_REASON,
    SHADOW_USE,
    bank,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

EXECUTIVE = "executive"
MANAGER = "manager"
INDIVIDUAL_CONTRIBUTOR = "individual_contributor"
ROLE_LEVELS = (EXECUTIVE, MANAGER, INDIVIDUAL_CONTRIBUTOR)
_IC = ROLE_LEVELS.index(INDIVIDUAL_CONTRIBUTOR)
"""Roles are carried as indexes into ROLE_LEVELS inside the generator."""

ORGANISATION_NAME = "Northwind Logistics"
EMAIL_DOMAIN = "northwind.example"
ROOT_KEY = "northwind"
ROOT_FUNCTION = "Leadership"
SURVEY_START = dt.date(2026, 9, 7)
SURVEY_DAYS = 14
SERIES = "AI pulse"
EARLIER_SURVEY_NAME = "AI pulse 2026-Q2"
EARLIER_SURVEY_START = dt.date(2026, 6, 8)
WIDENING_FUNCTION = "Support"
"""Planted for the gap trend: in the earlier pulse Support's individual contributors were
far more positive (80% reporting gains against 50% now), so Support's gap widens beyond
noise while every other function's gap holds still."""
EARLIER_IC_IMPACT = (0.30, 0.50, 0.15, 0.05)
EARLIER_IC_JOB_SECURITY = (0.12, 0.40, 0.48)
"""Planted for "what stays the same": before leaders said what AI will not change (July and
August, gaplens/demo/modelling.py), 12% of individual contributors knew where they stood,
against 22% in the current pulse, so the report's clarity trend rises beyond noise."""

TEAM_COLUMNS = ("key", "name", "parent", "function")
PEOPLE_COLUMNS = (
    "email",
    "name",
    "role_level",
    "function",
    "team",
    "github_login",
    "jira_account_id",
    "ai_licence_date",
    "ai_adoption_date",
)
QUESTION_COLUMNS = tuple(q.key for q in bank() if q.key not in ATTRIBUTE_QUESTIONS)
RESPONSE_COLUMNS = (
    "response_id",
    "answered_on",
    "role_level",
    "team",
    "function",
    "ai_tenure",
    *QUESTION_COLUMNS,
)


# --- plain data ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoTeam:
    """One row of teams.csv."""

    key: str
    name: str
    parent: str | None
    function: str


@dataclass(frozen=True)
class DemoPerson:
    """One row of people.csv; None where a directory export would leave the cell empty."""

    email: str
    name: str
    role_level: str
    function: str
    team: str
    github_login: str | None
    jira_account_id: str | None
    ai_licence_date: dt.date | None
    ai_adoption_date: dt.date | None
    """What the directory file says: None for some engineers who do use AI (their date is
    derived from telemetry on import, issue 15)."""
    adopted: dt.date | None = None
    """When they really started using AI: what the exports plant effects from."""


@dataclass(frozen=True)
class SyntheticOrganisation:
    """The whole demo in memory; `responses` rows are keyed by RESPONSE_COLUMNS, '' = blank."""

    name: str
    email_domain: str
    survey_name: str
    survey_start: dt.date
    survey_end: dt.date
    teams: tuple[DemoTeam, ...]
    people: tuple[DemoPerson, ...]
    responses: tuple[dict[str, str], ...]
    earlier_responses: tuple[dict[str, str], ...] = ()
    """The previous pulse of the same series, for the gap trend."""
    earlier_survey_name: str = EARLIER_SURVEY_NAME
    series: str = SERIES


@dataclass(frozen=True)
class DemoFiles:
    """Where the import files went, and the survey name to import the responses under."""

    teams: Path
    people: Path
    responses: Path
    survey_name: str
    earlier_responses: Path | None = None
    earlier_survey_name: str = EARLIER_SURVEY_NAME
    series: str = SERIES


# --- the organisation's shape -------------------------------------------------------------


@dataclass(frozen=True)
class _Function:
    name: str
    prefix: str
    weight: float
    leaves: tuple[str, ...]
    tasks: tuple[str, ...]
    """Work this function would mention in a comment."""


# Ordered by headcount, so a tiny organisation keeps the biggest functions.
FUNCTIONS: tuple[_Function, ...] = (
    _Function(
        "Engineering",
        "eng",
        0.30,
        (
            "Payments", "Routing", "Tracking", "Platform", "Mobile", "Data Platform",
            "Identity", "Infrastructure", "Fleet Telematics", "Warehouse Systems",
            "Customer Portal", "Pricing", "Integrations", "Search", "Reliability", "Security",
            "Billing", "Notifications", "Machine Learning", "Developer Tools",
        ),
        ("unit tests", "code reviews", "migration scripts", "incident write-ups"),
    ),
    _Function(
        "Operations",
        "ops",
        0.23,
        (
            "Warehouse North", "Warehouse South", "Fleet", "Dispatch", "Procurement",
            "Customs", "Last Mile", "Network Planning", "Facilities", "Health and Safety",
            "Cross-Dock", "Returns Processing",
        ),
        ("shipment exception reports", "route plans", "shift schedules", "customs forms"),
    ),
    _Function(
        "Support",
        "support",
        0.18,
        (
            "Frontline EMEA", "Frontline Americas", "Frontline APAC", "Escalations",
            "Enterprise Support", "Knowledge Base", "Onboarding", "Quality Assurance",
            "Claims", "Returns",
        ),
        ("customer replies", "ticket summaries", "knowledge base articles", "claim notes"),
    ),
    _Function(
        "Sales",
        "sales",
        0.13,
        (
            "Enterprise", "Mid-Market", "Small Business", "Partnerships", "Sales Operations",
            "Solutions", "Renewals", "Inside Sales",
        ),
        ("proposals", "account research", "follow-up emails", "tender responses"),
    ),
    _Function(
        "Product",
        "product",
        0.08,
        (
            "Design", "User Research", "Product Analytics", "Growth", "Shipper Experience",
            "Carrier Experience", "Product Operations", "Content Design",
        ),
        ("research summaries", "specs", "release notes", "roadmap updates"),
    ),
    _Function(
        "Finance & People",
        "corp",
        0.08,
        (
            "Finance", "Accounting", "Payroll", "Talent Acquisition", "People Operations",
            "Legal", "IT Service Desk", "Learning",
        ),
        ("invoice reconciliation", "policy questions", "job descriptions", "month-end reports"),
    ),
)  # fmt: skip
LEADERSHIP_TASKS = ("board updates", "planning documents", "strategy memos")
ENGINEERING = "Engineering"
JIRA_FUNCTIONS = frozenset({"Engineering", "Product"})

TEAMS_PER_PERSON = 1 / 50
EXECUTIVE_SHARE = 0.025
MANAGER_SHARE = 0.12
ROOT_EXECUTIVE_SHARE = 0.2
SMALL_TEAM_SIZES = (6, 12)
LARGE_TEAM_MINIMUM = 13

FIRST_NAMES = (
    "Aisha", "Alejandro", "Amara", "Ana", "Anders", "Arjun", "Beatriz", "Bilal", "Camille",
    "Chen", "Chloé", "Daniel", "Dmitri", "Elena", "Emeka", "Emma", "Fatima", "Felix",
    "Freya", "Gabriel", "Hana", "Hiroshi", "Ingrid", "Isabel", "Jamal", "Jonas", "José",
    "Julia", "Kenji", "Laila", "Leon", "Lucía", "Maya", "Mateo", "Mei", "Mohammed", "Nadia",
    "Niamh", "Nikolai", "Noah", "Olu", "Omar", "Priya", "Rafael", "Rania", "Rohan", "Sara",
    "Sebastian", "Siobhán", "Sofia", "Tariq", "Thomas", "Tomás", "Valentina", "Wei",
    "Yara", "Yusuf", "Zainab", "Zoë", "Ravi",
)  # fmt: skip
LAST_NAMES = (
    "Adeyemi", "Andersson", "Bakker", "Banerjee", "Brennan", "Castillo", "Chowdhury", "Costa",
    "Dubois", "Eriksen", "Fernández", "Fischer", "Gallagher", "García", "Haddad", "Hansen",
    "Hernández", "Ibrahim", "Ito", "Jansen", "Kaur", "Khan", "Kim", "Kowalski", "Lambert",
    "Larsen", "Lefebvre", "Lindqvist", "Lopez", "Mahlangu", "Martin", "Mendes", "Moreau",
    "Müller", "Nakamura", "Nguyen", "Novak", "O'Brien", "Okafor", "Olsen", "Patel", "Petrov",
    "Quinn", "Rahman", "Rossi", "Santos", "Schmidt", "Sharma", "Silva", "Singh", "Sørensen",
    "Tanaka", "Torres", "Van Dijk", "Wagner", "Walsh", "Wang", "Yilmaz", "Zhang", "Zhou",
)  # fmt: skip

# --- survey calibration: the published figures, planted ----------------------------------

IMPACT_OPTIONS = ("high gains", "some gains", "no difference", "worse")
NO_DIFFERENCE = IMPACT_OPTIONS.index("no difference")
# Gartner 2025: executives 4x as likely to report high gains (.44 / .11), ICs 5x as likely
# to say no difference (.40 / .08); positive shares .88 vs .50 give the brief's 38-point gap.
IMPACT_PROBS: Mapping[str, tuple[float, ...]] = {
    EXECUTIVE: (0.44, 0.44, 0.08, 0.04),
    MANAGER: (0.24, 0.45, 0.23, 0.08),
    INDIVIDUAL_CONTRIBUTOR: (0.11, 0.39, 0.40, 0.10),
}
JOB_SECURITY_OPTIONS = ("yes", "no", "unsure")
JOB_SECURITY_PROBS: Mapping[str, tuple[float, ...]] = {
    EXECUTIVE: (0.80, 0.05, 0.15),
    MANAGER: (0.55, 0.15, 0.30),
    INDIVIDUAL_CONTRIBUTOR: (0.22, 0.36, 0.42),  # 78% no/unsure
}
DECISION_INVOLVEMENT_PROBS: Mapping[str, tuple[float, ...]] = {
    EXECUTIVE: (0.02, 0.05, 0.13, 0.40, 0.40),
    MANAGER: (0.06, 0.16, 0.30, 0.35, 0.13),
    INDIVIDUAL_CONTRIBUTOR: (0.22, 0.36, 0.30, 0.09, 0.03),  # 12% agree
}
PEERS_EFFECTIVE_USE_PROBS = (0.14, 0.38, 0.34, 0.11, 0.03)  # 14% of leaders agree
WORKLOAD_OPTIONS = ("added", "no change", "reduced")
WORKLOAD_PROBS: Mapping[str, tuple[float, ...]] = {
    EXECUTIVE: (0.10, 0.20, 0.70),
    MANAGER: (0.40, 0.25, 0.35),
    INDIVIDUAL_CONTRIBUTOR: (0.77, 0.13, 0.10),  # Upwork: 77% say AI added work
}
# Who uses AI at all (Work Trend Index: 75%), holds a licence, answers the survey.
USES_AI: Mapping[str, float] = {EXECUTIVE: 0.92, MANAGER: 0.82, INDIVIDUAL_CONTRIBUTOR: 0.73}
LICENSED: Mapping[str, float] = {EXECUTIVE: 0.98, MANAGER: 0.90, INDIVIDUAL_CONTRIBUTOR: 0.78}
ADOPTED_GIVEN_LICENSED_USER = 0.85
UNRECORDED_ADOPTION_SHARE = 0.2
"""Engineers who use AI but whose adoption date the directory does not carry (they started
before anyone tracked it): their date comes from Copilot telemetry (first sustained use)."""
RESPONDS: Mapping[str, float] = {EXECUTIVE: 0.80, MANAGER: 0.76, INDIVIDUAL_CONTRIBUTOR: 0.69}
SELF_REPORTED_TENURE = (("<1", 0.25), ("1-6", 0.40), ("6+", 0.35))
"""Tenure bands of people who use AI without a recorded adoption date (often shadow tools)."""

# Perceptions by productivity_impact level (high, some, no difference, worse) plus a role
# offset: leaders are optimistic (~+5 h/week, ~+45%), ICs ~+1 h/week and METR's +20%.
TIME_SAVED_MEAN = (5.5, 2.5, 0.0, -3.0)
TIME_SAVED_SD = (3.0, 2.0, 1.0, 2.0)
TIME_SAVED_ROLE: Mapping[str, float] = {
    EXECUTIVE: 2.0,
    MANAGER: 1.0,
    INDIVIDUAL_CONTRIBUTOR: 0.0,
}
SPEEDUP_MEAN = (55.0, 25.0, 3.0, -20.0)
SPEEDUP_SD = (25.0, 12.0, 6.0, 12.0)
SPEEDUP_ROLE: Mapping[str, float] = {EXECUTIVE: 10.0, MANAGER: 7.0, INDIVIDUAL_CONTRIBUTOR: 5.0}
COPILOT_LATENT = (1.6, 0.8, -0.1, -1.0)
"""Mean sentiment by impact level, so the four Copilot items agree with productivity_impact."""
COPILOT_THRESHOLDS = (-1.5, -0.5, 0.5, 1.5)
COPILOT_ITEMS = ("copilot_quality", "copilot_effort", "copilot_speed", "copilot_productivity")

ITEM_NON_RESPONSE = 0.03
TEAM_SKIPPED = 0.03
COMMENT_RATE = 0.20
# Survey traffic: the invitation on Monday, a reminder the next Monday, a last call on Friday.
DAY_WEIGHTS = (20, 12, 8, 6, 5, 1, 1, 12, 7, 5, 4, 6, 1, 1)
LICENCE_WAVES = (
    dt.date(2025, 2, 3),
    dt.date(2025, 6, 2),
    dt.date(2025, 10, 6),
    dt.date(2026, 2, 2),
    dt.date(2026, 5, 4),
)
WAVE_PROBS: Mapping[str, tuple[float, ...]] = {
    EXECUTIVE: (0.60, 0.20, 0.10, 0.05, 0.05),
    MANAGER: (0.25, 0.30, 0.20, 0.15, 0.10),
    INDIVIDUAL_CONTRIBUTOR: (0.05, 0.25, 0.30, 0.22, 0.18),
}

COMMENTS_WINS = (
    "The meeting summaries save me real time every week.",
    "Drafting first versions of {task} is much faster now.",
    "Great for boilerplate; I use it every day and would hate to lose it.",
    "I get through {task} in about half the time it used to take.",
    "Good for getting unstuck, but I still check everything it writes.",
    "Searching old tickets with the assistant has been a genuine win for us.",
    "It helps most with {task}; elsewhere I barely notice it.",
    "Asking questions about long contracts in plain language is a big help.",
    "Shift handover notes are clearer since we started drafting them with AI.",
    "Translating customer emails is quick and mostly accurate now.",
)
COMMENTS_FRICTION = (
    "I spend as long checking the output as I would have spent doing the work.",
    "The tool doesn't know our systems, so its answers about {task} are often wrong.",
    "Half the time it saves goes into fixing confident mistakes.",
    "We were told to use it but nobody explained which tasks it is approved for.",
    "The approved tool can't see the data I need, so people use their own accounts.",
    "Review queues got longer: more gets written, the same people check it.",
    "Access took six weeks to arrive and then the licence lapsed during my leave.",
    "It is one more tab to keep open. My workload went up, not down.",
    "Fine for emails, useless for {task}.",
    "Targets went up on the assumption that AI makes us faster. It doesn't for my work.",
    "It struggles with our depot codes and abbreviations.",
    "Only some of us have licences, so half the team works one way and half another.",
)
COMMENTS_WORRIES = (
    "Nobody has told us what happens to our roles if this works.",
    "It feels like we are training our own replacements.",
    "I would like a straight answer about which jobs change and when.",
    "People around me are anxious and the silence from the top doesn't help.",
    "I am not against AI, I just want to know whether my job still exists next year.",
    "The rumours about automating {task} are worse than any announcement would be.",
)
COMMENTS_TRAINING = (
    "A short session on good prompts for {task} would help more than another memo.",
    "Please show us examples from our own work, not generic demos.",
    "I'd like time set aside to learn this properly instead of squeezing it in.",
    "Office hours with someone who knows the tools would be great.",
    "Clear guidance on what data we may paste in would make me use it more.",
    "The training video was an hour long and I had forgotten most of it a week later.",
)
COMMENTS_LEADERS = (
    "Adoption is uneven across teams and we need to understand why.",
    "We expected faster cycle times and I am not seeing it in the numbers yet.",
    "My people use it a lot, but I can't tell whether the results are better.",
    "We need better measurement before we expand the licences.",
    "I'd like to hear directly from the teams where it isn't working.",
    "Managers need guidance on setting expectations now that AI is in the picture.",
)
COMMENT_POOLS = (COMMENTS_WINS, COMMENTS_FRICTION, COMMENTS_WORRIES, COMMENTS_TRAINING)
COMMENT_POOL_PROBS_BY_IMPACT = (
    (0.55, 0.20, 0.05, 0.20),
    (0.40, 0.30, 0.10, 0.20),
    (0.05, 0.45, 0.30, 0.20),
    (0.05, 0.50, 0.25, 0.20),
)
LEADER_COMMENT_SHARE = 0.4


# --- small helpers ------------------------------------------------------------------------


def _apportion(total: int, weights: Sequence[float], minimum: int = 0) -> list[int]:
    """Split `total` by weight with largest remainders, so the parts add up exactly."""
    n = len(weights)
    if n == 0:
        return []
    minimum = min(minimum, total // n)
    rest = total - minimum * n
    w = np.asarray(weights, dtype=np.float64)
    w = w / w.sum() if w.sum() > 0 else np.full(n, 1.0 / n)
    raw = w * rest
    parts = np.floor(raw).astype(np.int64)
    short = rest - int(parts.sum())
    order = np.argsort(-(raw - parts), kind="stable")
    parts[order[:short]] += 1
    return [int(p) + minimum for p in parts]


def _categorical(rng: np.random.Generator, probs: FloatArray) -> IntArray:
    """One draw per row of `probs` (rows are probability vectors)."""
    cumulative = np.cumsum(probs, axis=1)
    cumulative /= cumulative[:, -1:]
    u = rng.random(len(probs))
    drawn: IntArray = (u[:, None] >= cumulative[:, :-1]).sum(axis=1).astype(np.int64)
    return drawn


def _by_role(roles: IntArray, table: Mapping[str, Sequence[float]]) -> FloatArray:
    """Per-row probability vectors looked up from a role-keyed table."""
    return np.asarray([table[r] for r in ROLE_LEVELS], dtype=np.float64)[roles]


def _rate_by_role(roles: IntArray, table: Mapping[str, float]) -> FloatArray:
    """Per-row rates (or offsets) looked up from a role-keyed table."""
    return np.asarray([table[r] for r in ROLE_LEVELS], dtype=np.float64)[roles]


_UNDECOMPOSABLE = str.maketrans({"ø": "o", "Ø": "O", "ß": "ss", "æ": "ae", "ł": "l"})
"""Letters that NFKD does not split into an ASCII base letter plus an accent."""


def _ascii_slug(text: str) -> str:
    """Lower-case letters and digits only, for emails and logins ('Sørensen' -> 'sorensen')."""
    text = text.translate(_UNDECOMPOSABLE)
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "".join(c for c in folded.lower() if c.isalnum())


def _key_slug(text: str) -> str:
    return "-".join(
        _ascii_slug(word) for word in text.replace("&", "and").replace("-", " ").split()
    )


def _number(value: float) -> str:
    """'3', '-2.5': no trailing '.0' and never '-0'."""
    value = float(value) + 0.0
    return str(int(value)) if value == int(value) else f"{value:.1f}"


def _impact_mixtures(p: Sequence[float], non_user_share: float) -> tuple[FloatArray, FloatArray]:
    """Impact probabilities for users and non-users of one role.

    Non-users lean towards "no difference"; users get the complement, so the role's overall
    distribution stays exactly at the planted figures whatever the share of non-users.
    """
    base = np.asarray(p, dtype=np.float64)
    u = non_user_share
    if u <= 0.0 or u >= 1.0:
        return base, base
    p_nd = float(base[NO_DIFFERENCE])
    pull = min(0.6, p_nd * (1 - u) / (u * (1 - p_nd)))
    target = np.zeros_like(base)
    target[NO_DIFFERENCE] = 1.0
    non_user = base + pull * (target - base)
    user = np.clip((base - u * non_user) / (1 - u), 0.0, None)
    return user / user.sum(), non_user


# --- the directory ------------------------------------------------------------------------


@dataclass(frozen=True)
class _TeamPlan:
    team: DemoTeam
    executives: int
    others: int


def _plan_teams(people: int, executives: int, rng: np.random.Generator) -> list[_TeamPlan]:
    """Root, functions and leaf teams with headcounts: about one team per 50 people, a
    quarter of the leaves deliberately small so privacy suppression shows in reports."""
    n_teams = max(4, round(people * TEAMS_PER_PERSON))
    functions = FUNCTIONS[: min(len(FUNCTIONS), n_teams - 1)]
    weights = [f.weight for f in functions]
    leaves_per_function = _apportion(n_teams - 1 - len(functions), weights)
    root_execs = max(1, round(executives * ROOT_EXECUTIVE_SHARE)) if executives else 0
    execs_per_function = _apportion(executives - root_execs, weights)
    others_per_function = _apportion(people - executives, weights)

    plans = [_TeamPlan(DemoTeam(ROOT_KEY, ORGANISATION_NAME, None, ROOT_FUNCTION), root_execs, 0)]
    for function, n_leaves, n_execs, n_others in zip(
        functions, leaves_per_function, execs_per_function, others_per_function, strict=True
    ):
        head = DemoTeam(function.prefix, function.name, ROOT_KEY, function.name)
        if n_leaves == 0:
            plans.append(_TeamPlan(head, n_execs, n_others))
            continue
        plans.append(_TeamPlan(head, n_execs, 0))
        n_small = n_leaves // 4
        small = rng.integers(SMALL_TEAM_SIZES[0], SMALL_TEAM_SIZES[1] + 1, size=n_small)
        if n_others - int(small.sum()) < LARGE_TEAM_MINIMUM * (n_leaves - n_small):
            small = small[:0]
        n_large = n_leaves - len(small)
        large = _apportion(
            n_others - int(small.sum()),
            rng.lognormal(0.0, 0.55, size=n_large).tolist(),
            minimum=LARGE_TEAM_MINIMUM,
        )
        sizes = [*(int(s) for s in small), *large]
        order = rng.permutation(len(sizes))
        names = function.leaves
        for i, slot in enumerate(order):
            cycle, base = divmod(i, len(names))
            name = names[base] if cycle == 0 else f"{names[base]} {cycle + 1}"
            key = f"{function.prefix}-{_key_slug(name)}"
            plans.append(_TeamPlan(DemoTeam(key, name, head.key, function.name), 0, sizes[slot]))
    return plans


def _unique(candidate: str, taken: set[str]) -> str:
    """`candidate`, or `candidate` + 2, 3, ... if it is already taken."""
    result, count = candidate, 1
    while result in taken:
        count += 1
        result = f"{candidate}{count}"
    taken.add(result)
    return result


def _github_login(first: str, last: str, pattern: int, digits: int) -> str:
    f, la = _ascii_slug(first), _ascii_slug(last)
    options = (f"{f}{la}", f"{f[0]}{la}", f"{f}-{la}", f"{f}{la[0]}{digits:02d}", f"{la}-{f[0]}")
    return options[pattern]


def _licence_dates(rng: np.random.Generator, roles: IntArray) -> list[dt.date]:
    """Licences arrive in rollout waves (leaders first) with a few weeks of jitter."""
    waves = _categorical(rng, _by_role(roles, WAVE_PROBS))
    jitter = rng.integers(0, 35, size=len(roles))
    return [
        LICENCE_WAVES[w] + dt.timedelta(days=int(j)) for w, j in zip(waves, jitter, strict=True)
    ]


# --- the organisation ---------------------------------------------------------------------


def generate_organisation(
    people: int = 2000, seed: int = 7, survey_name: str = "AI pulse 2026-Q3"
) -> SyntheticOrganisation:
    """Build the directory and survey responses for `people` staff, deterministically."""
    if people < 1:
        raise ValueError("an organisation needs at least one person")
    rng = np.random.Generator(np.random.PCG64(seed))
    # A separate stream for the bank-v2 shadow follow-ups, so adding them left every other
    # answer (and the calibration of the published figures) exactly as it was.
    follow_up = np.random.Generator(np.random.PCG64([seed, 2]))
    n_execs = max(1, round(people * EXECUTIVE_SHARE))
    plans = _plan_teams(people, n_execs, rng)

    # Roles per team: executives at root/function teams, managers spread over the rest.
    staffed = [i for i, plan in enumerate(plans) if plan.others > 0]
    n_managers = min(round(people * MANAGER_SHARE), people - n_execs)
    managers = dict(
        zip(staffed, _apportion(n_managers, [plans[i].others for i in staffed], 1), strict=True)
    )
    team_of: list[int] = []
    role_of: list[int] = []
    for i, plan in enumerate(plans):
        m = min(managers.get(i, 0), plan.others)
        team_of += [i] * (plan.executives + plan.others)
        role_of += [0] * plan.executives + [1] * m + [_IC] * (plan.others - m)
    roles = np.asarray(role_of, dtype=np.int64)
    n = len(roles)
    functions = [plans[t].team.function for t in team_of]

    # Names, emails and tool identities.
    firsts = rng.integers(0, len(FIRST_NAMES), size=n)
    lasts = rng.integers(0, len(LAST_NAMES), size=n)
    patterns = rng.integers(0, 5, size=n)
    digits = rng.integers(0, 100, size=n)
    jira_hex = rng.bytes(12 * n).hex()
    licensed = rng.random(n) < _rate_by_role(roles, LICENSED)
    licence_dates = _licence_dates(rng, roles)
    uses_ai = rng.random(n) < _rate_by_role(roles, USES_AI)
    adopts = uses_ai & licensed & (rng.random(n) < ADOPTED_GIVEN_LICENSED_USER)
    adoption_lag = 1 + np.floor(rng.exponential(40.0, size=n)).astype(np.int64)

    # Its own stream, so every other draw (and the calibrated survey) is unchanged.
    unrecorded = np.random.Generator(np.random.PCG64([seed, 5])).random(n) < (
        UNRECORDED_ADOPTION_SHARE
    )
    emails: set[str] = set()
    logins: set[str] = set()
    jira_ids: set[str] = set()
    directory: list[DemoPerson] = []
    adoption: list[dt.date | None] = []
    for i in range(n):
        first, last = FIRST_NAMES[firsts[i]], LAST_NAMES[lasts[i]]
        local = _unique(f"{_ascii_slug(first)}.{_ascii_slug(last)}", emails)
        login = None
        if functions[i] == ENGINEERING:
            login = _unique(_github_login(first, last, int(patterns[i]), int(digits[i])), logins)
        jira = None
        if functions[i] in JIRA_FUNCTIONS:
            jira = jira_hex[24 * i : 24 * i + 24]
            while jira in jira_ids:  # 96 random bits: never in practice, but ids must be unique
                jira = rng.bytes(12).hex()
            jira_ids.add(jira)
        licence = licence_dates[i] if licensed[i] else None
        adopted = None
        if licence is not None and adopts[i]:
            adopted = licence + dt.timedelta(days=int(adoption_lag[i]))
            if adopted >= SURVEY_START:
                adopted = None
        adoption.append(adopted)
        directory.append(
            DemoPerson(
                email=f"{local}@{EMAIL_DOMAIN}",
                name=f"{first} {last}",
                role_level=ROLE_LEVELS[roles[i]],
                function=functions[i],
                team=plans[team_of[i]].team.key,
                github_login=login,
                jira_account_id=jira,
                ai_licence_date=licence,
                ai_adoption_date=None if login is not None and unrecorded[i] else adopted,
                adopted=adopted,
            )
        )

    responses = _survey(rng, follow_up, directory, roles, uses_ai, adoption)
    # Own streams, so the current pulse (calibrated to the published figures) is unchanged.
    earlier = _survey(
        np.random.Generator(np.random.PCG64([seed, 3])),
        np.random.Generator(np.random.PCG64([seed, 4])),
        directory,
        roles,
        uses_ai,
        adoption,
        start=EARLIER_SURVEY_START,
        ic_impact={WIDENING_FUNCTION: EARLIER_IC_IMPACT},
        ic_job_security=EARLIER_IC_JOB_SECURITY,
    )
    return SyntheticOrganisation(
        name=ORGANISATION_NAME,
        email_domain=EMAIL_DOMAIN,
        survey_name=survey_name,
        survey_start=SURVEY_START,
        survey_end=SURVEY_START + dt.timedelta(days=SURVEY_DAYS - 1),
        teams=tuple(plan.team for plan in plans),
        people=tuple(directory),
        responses=responses,
        earlier_responses=earlier,
    )


# --- the survey ---------------------------------------------------------------------------


def _tenure_band(adopted: dt.date, answered: dt.date) -> str:
    months = (answered - adopted).days / 30.44
    return "<1" if months < 1 else "1-6" if months < 6 else "6+"


def _survey(
    rng: np.random.Generator,
    follow_up: np.random.Generator,
    directory: Sequence[DemoPerson],
    roles: IntArray,
    uses_ai: BoolArray,
    adoption: Sequence[dt.date | None],
    start: dt.date = SURVEY_START,
    ic_impact: Mapping[str, Sequence[float]] | None = None,
    ic_job_security: Sequence[float] | None = None,
) -> tuple[dict[str, str], ...]:
    """Anonymous responses from about 70% of staff, answers drawn from the planted figures.

    `ic_impact` replaces the productivity-impact split of individual contributors in the
    named functions, and `ic_job_security` their job-security split everywhere (an earlier
    pulse with a different mood); either draws the same random numbers, so nothing else
    about the pulse changes."""
    responds = rng.random(len(roles)) < _rate_by_role(roles, RESPONDS)
    who = [int(i) for i in np.flatnonzero(responds)]
    k = len(who)
    role = roles[who]
    users = uses_ai[who]

    days = rng.choice(SURVEY_DAYS, size=k, p=np.asarray(DAY_WEIGHTS) / sum(DAY_WEIGHTS))
    tie_break = rng.permutation(k)
    id_chars = rng.integers(0, 62, size=(k, 15))
    team_skipped = rng.random(k) < TEAM_SKIPPED
    self_tenure = _categorical(
        rng, np.tile([p for _, p in SELF_REPORTED_TENURE], (k, 1)).astype(np.float64)
    )

    # productivity_impact: the Gartner split per role, exact whatever the share of non-users.
    impact_probs = np.empty((k, len(IMPACT_OPTIONS)))
    for r, name in enumerate(ROLE_LEVELS):
        in_role = role == r
        share = float(1 - users[in_role].mean()) if in_role.any() else 0.0
        user_p, non_user_p = _impact_mixtures(IMPACT_PROBS[name], share)
        impact_probs[in_role & users] = user_p
        impact_probs[in_role & ~users] = non_user_p
    for function, probs in (ic_impact or {}).items():
        group = (role == _IC) & np.asarray([directory[i].function == function for i in who])
        if group.any():
            user_p, non_user_p = _impact_mixtures(probs, float(1 - users[group].mean()))
            impact_probs[group & users] = user_p
            impact_probs[group & ~users] = non_user_p
    impact = _categorical(rng, impact_probs)

    job_probs = _by_role(role, JOB_SECURITY_PROBS)
    if ic_job_security is not None:
        job_probs[role == _IC] = ic_job_security
    job = _categorical(rng, job_probs)
    involvement = _categorical(rng, _by_role(role, DECISION_INVOLVEMENT_PROBS))
    peers = _categorical(rng, np.tile(PEERS_EFFECTIVE_USE_PROBS, (k, 1)))
    workload = _categorical(rng, _by_role(role, WORKLOAD_PROBS))

    in_engineering = np.asarray([directory[i].function == ENGINEERING for i in who])
    licensed = np.asarray([directory[i].ai_licence_date is not None for i in who])
    tool_probs = np.column_stack(
        [
            np.where(licensed, 0.85, 0.15),
            np.full(k, 0.50),
            np.where(in_engineering, 0.55, 0.08),
            np.full(k, 0.15),
        ]
    )
    tools = rng.random((k, 4)) < tool_probs

    impact_means = np.asarray(TIME_SAVED_MEAN)[impact]
    role_offsets = _rate_by_role(role, TIME_SAVED_ROLE)
    saved = impact_means + role_offsets + rng.normal(size=k) * np.asarray(TIME_SAVED_SD)[impact]
    saved = np.clip(np.round(saved * 2) / 2, -40.0, 40.0)
    speedup = (
        np.asarray(SPEEDUP_MEAN)[impact]
        + _rate_by_role(role, SPEEDUP_ROLE)
        + rng.normal(size=k) * np.asarray(SPEEDUP_SD)[impact]
    )
    round_to_five = rng.random(k) < 0.7
    speedup = np.where(round_to_five, np.round(speedup / 5) * 5, np.round(speedup))
    speedup = np.clip(speedup, -100.0, 500.0)

    latent = np.asarray(COPILOT_LATENT)[impact] + 0.6 * rng.normal(size=k)
    copilot = np.digitize(
        latent[:, None] + 0.6 * rng.normal(size=(k, len(COPILOT_ITEMS))), COPILOT_THRESHOLDS
    )

    comments = rng.random(k) < COMMENT_RATE
    leader_pool = (role != _IC) & (rng.random(k) < LEADER_COMMENT_SHARE)
    pool = _categorical(rng, np.asarray(COMMENT_POOL_PROBS_BY_IMPACT)[impact])
    template_pick = rng.random(k)
    task_pick = rng.random(k)
    blank = rng.random((k, len(QUESTION_COLUMNS))) < ITEM_NON_RESPONSE
    blank[:, QUESTION_COLUMNS.index("comment")] = False

    rows: list[tuple[int, int, dict[str, str]]] = []
    ids: set[str] = set()
    alphabet = string.ascii_letters + string.digits
    answered_dates = [start + dt.timedelta(days=d) for d in range(SURVEY_DAYS)]
    for j, i in enumerate(who):
        person = directory[i]
        answered = answered_dates[days[j]]
        response_id = "R_" + "".join(alphabet[c] for c in id_chars[j])
        while response_id in ids:  # 89 random bits: never in practice, but ids must be unique
            response_id = "R_" + "".join(alphabet[c] for c in rng.integers(0, 62, size=15))
        ids.add(response_id)
        adopted = adoption[i]
        if adopted is not None:
            tenure = _tenure_band(adopted, answered)
        elif users[j]:
            tenure = SELF_REPORTED_TENURE[self_tenure[j]][0]
        else:
            tenure = "none"
        answers: dict[str, str] = {
            "productivity_impact": IMPACT_OPTIONS[impact[j]],
            "job_security_clarity": JOB_SECURITY_OPTIONS[job[j]],
            "decision_involvement": AGREE5_OPTIONS[involvement[j]],
            "peers_effective_use": AGREE5_OPTIONS[peers[j]] if role[j] != _IC else "",
            "uses_ai_any": "yes" if users[j] else "no",
            "shadow_tools": _tools(tools[j], bool(licensed[j])) if users[j] else "",
            "perceived_time_saved": _number(saved[j]),
            "perceived_speedup": _number(speedup[j]),
            "workload_change": WORKLOAD_OPTIONS[workload[j]],
            **{item: AGREE5_OPTIONS[copilot[j, c]] for c, item in enumerate(COPILOT_ITEMS)},
            "comment": "",
        }
        answers.update(_shadow_follow_ups(answers["shadow_tools"], person.function, follow_up))
        if comments[j]:
            answers["comment"] = _comment(
                person.function,
                COMMENTS_LEADERS if leader_pool[j] else COMMENT_POOLS[pool[j]],
                float(template_pick[j]),
                float(task_pick[j]),
            )
        for c, column in enumerate(QUESTION_COLUMNS):
            if blank[j, c]:
                answers[column] = ""
        row = {
            "response_id": response_id,
            "answered_on": answered.isoformat(),
            "role_level": person.role_level,
            "team": "" if team_skipped[j] else person.team,
            "function": person.function,
            "ai_tenure": tenure,
            **answers,
        }
        rows.append((int(days[j]), int(tie_break[j]), row))
    # Export order: by day, shuffled within a day, so row order says nothing about who.
    rows.sort(key=lambda item: (item[0], item[1]))
    return tuple(row for _, _, row in rows)


SHADOW_TOOL_OPTIONS = (
    "sanctioned tools",
    "personal chat assistant",
    "personal coding assistant",
    "other unsanctioned tool",
)


def _tools(picked: BoolArray, licensed: bool) -> str:
    """A user names at least one tool: the sanctioned one if licensed, else a personal chat."""
    chosen = [option for option, on in zip(SHADOW_TOOL_OPTIONS, picked, strict=True) if on]
    if not chosen:
        chosen = [SHADOW_TOOL_OPTIONS[0] if licensed else SHADOW_TOOL_OPTIONS[1]]
    return ";".join(chosen)


SHADOW_USE_BY_FUNCTION = {
    "Engineering": 1,
    "Product": 0,
    "Support": 0,
    "Sales": 0,
    "Operations": 3,
}
"""The use most people in a function turn to personal tools for (index into SHADOW_USE)."""


def _shadow_follow_ups(tools: str, function: str, rng: np.random.Generator) -> dict[str, str]:
    """Uses and reasons, only from people who named a tool the organisation did not provide.

    Planted: the typical use follows the function; people with a licence mostly say the
    provided tool is worse or slow, people without one that they have no access.
    """
    unsanctioned = [t for t in tools.split(";") if t and t != SHADOW_TOOL_OPTIONS[0]]
    if not unsanctioned:
        return {"shadow_use": "", "shadow_reason": ""}
    main = SHADOW_USE_BY_FUNCTION.get(function, 2)
    uses = {main}
    if rng.random() < 0.45:
        uses.add(int(rng.integers(0, len(SHADOW_USE.options))))
    licensed = SHADOW_TOOL_OPTIONS[0] in tools
    weights = [0.45, 0.15, 0.25, 0.15, 0.0] if licensed else [0.05, 0.15, 0.05, 0.15, 0.6]
    reason = int(rng.choice(len(SHADOW_REASON.options), p=weights))
    return {
        "shadow_use": ";".join(SHADOW_USE.options[u] for u in sorted(uses)),
        "shadow_reason": SHADOW_REASON.options[reason],
    }


def _comment(function: str, pool: Sequence[str], template_pick: float, task_pick: float) -> str:
    tasks = next((f.tasks for f in FUNCTIONS if f.name == function), LEADERSHIP_TASKS)
    template = pool[int(template_pick * len(pool))]
    return template.format(task=tasks[int(task_pick * len(tasks))])


# --- files --------------------------------------------------------------------------------


def _write_csv(path: Path, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows(rows)


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value is not None else ""


def write_demo_files(org: SyntheticOrganisation, out_dir: Path) -> DemoFiles:
    """Write teams.csv, people.csv and responses.csv in the formats the importers read."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = DemoFiles(
        teams=out_dir / "teams.csv",
        people=out_dir / "people.csv",
        responses=out_dir / "responses.csv",
        survey_name=org.survey_name,
        earlier_responses=out_dir / "responses-earlier-pulse.csv"
        if org.earlier_responses
        else None,
        earlier_survey_name=org.earlier_survey_name,
        series=org.series,
    )
    _write_csv(
        files.teams,
        TEAM_COLUMNS,
        [(t.key, t.name, t.parent or "", t.function) for t in org.teams],
    )
    _write_csv(
        files.people,
        PEOPLE_COLUMNS,
        [
            (
                p.email,
                p.name,
                p.role_level,
                p.function,
                p.team,
                p.github_login or "",
                p.jira_account_id or "",
                _date(p.ai_licence_date),
                _date(p.ai_adoption_date),
            )
            for p in org.people
        ],
    )
    _write_csv(
        files.responses,
        RESPONSE_COLUMNS,
        [[row[column] for column in RESPONSE_COLUMNS] for row in org.responses],
    )
    if files.earlier_responses is not None:
        _write_csv(
            files.earlier_responses,
            RESPONSE_COLUMNS,
            [[row[column] for column in RESPONSE_COLUMNS] for row in org.earlier_responses],
        )
    return files
