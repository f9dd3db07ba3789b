"""Reflection loops in the demo, through the services a deployment uses.

From the imported training completions and first AI uses, reflections are scheduled
(`schedule`), their links issued day by day as they fall due (`issue_links`), and some are
answered through the links (`submit_reflection`) or the Slack command's service
(`submit_anonymous_reflection`). What is planted, and what the report must recover:

- **Participation decays by step**: about 55% of links are used right after, 35% a day
  later, 25% a week later.
- **A later-usage uplift that is selection**: the more days someone uses AI tools over the
  year, the likelier they are to reflect (log-odds +0.6 per standard deviation of their
  usage rank; the intercept per step keeps the planted participation). Nothing about
  reflecting changes anyone's usage, yet participants use AI on about one more day in the
  four weeks after their +1-week step than non-participants. The four weeks before the
  trigger show almost no gap (most triggers are first uses or trainings right after the
  licence, with little usage before), which is exactly why the report calls the
  comparison observational rather than an effect.
- **Themes**: what people write comes from five themes (examples beat instructions, check
  the output, summaries save routine time, tests faster but reviewed, what changes in my
  role), weighted by function.
- **Confidence** (1-5) is a little higher at later steps.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from scipy import stats
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gaplens.demo.exports import DATA_END, DATA_START
from gaplens.directory.models import Person
from gaplens.reflections.models import ReflectionInvitation
from gaplens.reflections.schemas import ReflectionIn
from gaplens.reflections.service import (
    issue_links,
    schedule,
    submit_anonymous_reflection,
    submit_reflection,
)
from gaplens.reflections.steps import STEP_KEYS
from gaplens.telemetry.models import AiUsageDay

BASE_URL = "https://gaplens.northwind.example"
PARTICIPATION = {"now": 0.55, "day1": 0.35, "week1": 0.25}
SELECTION = 0.6
"""Log-odds of reflecting per standard deviation of a person's usage rank."""
CONFIDENCE = {"now": 3.1, "day1": 3.3, "week1": 3.6}
ANSWER_LAG_DAYS = (0, 0, 0, 0, 1, 1, 2, 3)
SLACK_REFLECTIONS = 24
LAST_DUE = DATA_END + dt.timedelta(days=7)

THEMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "examples": (
        (
            "Giving the assistant an example of the output I want works better than long "
            "instructions",
            "One good example in the prompt beats a paragraph of instructions",
            "Pasting an example answer into the prompt gets me the right format first time",
            "The assistant copies the structure of an example really well",
        ),
        (
            "I will keep a file of example prompts for the reports I write every week",
            "I can save example prompts for my recurring documents",
            "I should share my example prompts with the team",
        ),
    ),
    "checking": (
        (
            "It states wrong facts confidently, so every answer needs checking against the source",
            "The assistant invents references and numbers when it does not know",
            "Answers sound right even when they are wrong; checking the source is essential",
            "It made up a policy detail that looked completely plausible",
        ),
        (
            "I will check every figure against the source system before I send anything",
            "I need to verify facts before anything goes to a customer or a manager",
            "Checking the output is part of the job now, not optional",
        ),
    ),
    "summaries": (
        (
            "Summaries of long ticket threads and meetings save me time on the routine part",
            "Meeting summaries are good enough to send with small edits",
            "Summarising a long email thread takes seconds instead of ten minutes",
            "The thread summaries get me up to speed on escalations quickly",
        ),
        (
            "I can spend the time saved on summaries talking to customers",
            "Less time writing up meetings, more time on the actual decisions",
            "I will use summaries for handovers between shifts",
        ),
    ),
    "tests": (
        (
            "Writing unit tests with Copilot is much faster for the boring edge cases",
            "Copilot suggests test cases I had not thought of",
            "Test scaffolding is where the assistant saves me the most time",
            "Generated tests need review but the edge cases are a good start",
        ),
        (
            "I still review every generated test before it goes into review",
            "More tests in less time, but I own what gets merged",
            "I will start new features by asking for the test cases first",
        ),
    ),
    "role": (
        (
            "It handles the first draft, the judgement about what matters is still mine",
            "The drafting part of my job is changing faster than I expected",
            "The tool is good at the routine parts and weak where experience matters",
            "My knowledge of our customers is what makes the draft usable",
        ),
        (
            "I want to be involved in deciding which of my tasks it takes over",
            "I worry about which parts of my role will change and want clarity",
            "My experience matters more for checking drafts, not less",
        ),
    ),
}
THEME_WEIGHTS: dict[str, dict[str, float]] = {
    "Engineering": {"tests": 0.4, "examples": 0.2, "checking": 0.2, "role": 0.1, "summaries": 0.1},
    "Support": {"summaries": 0.4, "checking": 0.3, "role": 0.15, "examples": 0.15},
}
DEFAULT_WEIGHTS = {"examples": 0.3, "summaries": 0.25, "checking": 0.2, "role": 0.25}


@dataclass
class DemoReflections:
    series: int
    links: Counter[str] = field(default_factory=Counter)
    answered: Counter[str] = field(default_factory=Counter)
    slack: int = 0

    def describe(self) -> str:
        steps = ", ".join(
            f"{key} {self.answered[key]}/{self.links[key]}" for key in STEP_KEYS if self.links[key]
        )
        return (
            f"{self.series} reflection series; reflections per links sent: {steps}; "
            f"{self.slack} via Slack"
        )


def _usage_rank_z(session: Session) -> dict[str, float]:
    """Each invited person's usage (active days over the year) as a normal score of its rank
    among the invited."""
    people = list(
        session.scalars(select(ReflectionInvitation.person_id).distinct().order_by("person_id"))
    )
    active = dict(
        session.execute(
            select(AiUsageDay.person_id, func.count(func.distinct(AiUsageDay.day))).group_by(
                AiUsageDay.person_id
            )
        ).all()
    )
    counts = np.asarray([active.get(p, 0) for p in people], dtype=np.float64)
    if counts.size == 0:
        return {}
    ranks = stats.rankdata(counts)  # ties share a rank, so non-users are all alike
    z = stats.norm.ppf((ranks - 0.5) / counts.size)
    return dict(zip(people, z.tolist(), strict=True))


def _intercepts(z: dict[str, float]) -> dict[str, float]:
    """Per step, the log-odds offset at which the mean chance of reflecting over the invited
    is the planted participation (bisection: the mean is increasing in the offset)."""
    values = np.asarray(list(z.values()) or [0.0])
    offsets = {}
    for key, target in PARTICIPATION.items():
        low, high = -10.0, 10.0
        for _ in range(60):
            middle = (low + high) / 2
            mean = float(np.mean(1 / (1 + np.exp(-(middle + SELECTION * values)))))
            low, high = (middle, high) if mean < target else (low, middle)
        offsets[key] = (low + high) / 2
    return offsets


def _answer(rng: np.random.Generator, function: str, step_key: str) -> ReflectionIn:
    weights = THEME_WEIGHTS.get(function, DEFAULT_WEIGHTS)
    names = sorted(weights)
    theme = names[int(rng.choice(len(names), p=[weights[n] for n in names]))]
    learned_options, means_options = THEMES[theme]
    learned = learned_options[int(rng.integers(len(learned_options)))]
    means = means_options[int(rng.integers(len(means_options)))]
    shape = rng.random()
    if shape < 0.1:
        learned = ""
    elif shape < 0.2:
        means = ""
    confidence = None
    if rng.random() < 0.8:
        confidence = int(np.clip(round(rng.normal(CONFIDENCE[step_key], 0.9)), 1, 5))
    return ReflectionIn(learned=learned, means=means, confidence=confidence)


def simulate_reflections(session: Session, seed: int) -> DemoReflections:
    """Schedule from the imported data, issue links as they fall due, answer some."""
    summary = schedule(session, DATA_START, today=DATA_END)
    result = DemoReflections(series=summary.series_created)
    rng = np.random.Generator(np.random.PCG64([seed, 18]))
    z = _usage_rank_z(session)
    offsets = _intercepts(z)
    people = {
        email: (pid, function)
        for pid, email, function in session.execute(
            select(Person.id, Person.email, Person.function)
        )
    }
    day = DATA_START
    while day <= LAST_DUE:
        for link in issue_links(session, day, BASE_URL, today=day):
            result.links[link.step] += 1
            person_id, function = people[link.email]
            log_odds = offsets[link.step] + SELECTION * z.get(person_id, 0.0)
            if rng.random() >= 1 / (1 + np.exp(-log_odds)):
                continue
            answered_on = link.due_on + dt.timedelta(days=int(rng.choice(ANSWER_LAG_DAYS)))
            token = link.url.rsplit("/", 1)[1]
            submit_reflection(session, token, _answer(rng, function, link.step), answered_on)
            result.answered[link.step] += 1
        day += dt.timedelta(days=1)
    span = (DATA_END - DATA_START).days
    for _ in range(SLACK_REFLECTIONS):
        written = DATA_START + dt.timedelta(days=int(rng.integers(span)))
        answer = _answer(rng, "", STEP_KEYS[int(rng.integers(len(STEP_KEYS)))])
        submit_anonymous_reflection(session, answer, "slack", written)
        result.slack += 1
    return result
