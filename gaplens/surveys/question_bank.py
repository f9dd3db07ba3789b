"""The built-in question bank, versioned as data.

Each question keeps its published reference figure and the source of that figure, because a
report shows an organisation's own number beside the public benchmark it can be compared to.
A new version of the bank is a new list under a new version number; old surveys keep theirs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from gaplens.i18n import N_


class Scale(StrEnum):
    CHOICE = "choice"
    MULTI = "multi"
    AGREE5 = "agree5"
    NUMBER = "number"
    TEXT = "text"


class Audience(StrEnum):
    EVERYONE = "everyone"
    LEADERS = "leaders"


AGREE5_OPTIONS = (
    N_("strongly disagree"),
    N_("disagree"),
    N_("neutral"),
    N_("agree"),
    N_("strongly agree"),
)
AGREE5_SCORES = (0.0, 25.0, 50.0, 75.0, 100.0)
"""Microsoft's Copilot Dashboard scoring, so sentiment items compare with its results."""


@dataclass(frozen=True)
class Benchmark:
    """A published figure and where it comes from; `value` is a share (0-1) or a number."""

    text: str
    source: str
    value: float | None = None
    population: str | None = None
    options: tuple[str, ...] = ()
    """Which answers the share counts (e.g. 'no' and 'unsure' for 'do not know')."""


@dataclass(frozen=True)
class BankEntry:
    key: str
    text: str
    scale: Scale
    options: tuple[str, ...] = ()
    audience: Audience = Audience.EVERYONE
    benchmark: Benchmark | None = None
    unit: str | None = None
    bounds: tuple[float, float] | None = None
    positive_options: tuple[str, ...] = field(default=())
    """Answers that count as a favourable view, for headline shares."""
    texts: tuple[tuple[str, str], ...] = ()
    """A custom question's own wording per language, as (language, text); bank questions
    are translated through the gettext catalogues instead (gaplens/locale)."""

    def text_in(self, language: str) -> str:
        """The wording for a page in `language`: the custom question's text in that language
        if an admin gave one, else the default text (which the page then looks up in the
        catalogue, so bank questions come out translated)."""
        return dict(self.texts).get(language) or self.text


def _sentiment_item(key: str, text: str) -> BankEntry:
    """One of Microsoft's four Copilot sentiment statements, worded as Microsoft words them."""
    return BankEntry(
        key=key,
        text=text,
        scale=Scale.AGREE5,
        options=AGREE5_OPTIONS,
        positive_options=("agree", "strongly agree"),
        benchmark=Benchmark(
            text="Same item as Microsoft's sentiment survey",
            source="Microsoft Copilot Dashboard sentiment survey (same items)",
        ),
    )


GARTNER_2025 = "Gartner 2025 AI in the Enterprise survey"

HELD_BACK: dict[str, str] = {
    "job_security_clarity": "78% of employees do not know whether AI will change or replace "
    "their job",
    "decision_involvement": "12% of employees feel involved in decisions about AI deployment",
    "peers_effective_use": "14% of leaders believe employees are using their AI tools effectively",
    "exec_ic_impact_gap": "A 38-point gap between executive and frontline views of AI's impact "
    "(attributed to Goldman Sachs)",
}
"""Figures the product brief lists beside these questions (and the derived executive-frontline
gap) whose source and year could not be confirmed: no report, page or next step shows them as
published benchmarks until a source is found (then they move back into the question's
`benchmark`, or `DERIVED_BENCHMARKS`, with that source and year)."""
METR_2025 = "METR 2025 randomised trial of experienced open-source developers"

BANK_V1: tuple[BankEntry, ...] = (
    BankEntry(
        key="productivity_impact",
        text=N_("How much has AI changed your productivity?"),
        scale=Scale.CHOICE,
        options=(N_("high gains"), N_("some gains"), N_("no difference"), N_("worse")),
        positive_options=("high gains", "some gains"),
        benchmark=Benchmark(
            text=(
                "Executives are 4x more likely than individual contributors to report high "
                "gains; individual contributors are 5x more likely to say no difference"
            ),
            source=GARTNER_2025,
        ),
    ),
    BankEntry(
        key="job_security_clarity",
        text=N_("Do you know whether AI will change or replace your job?"),
        scale=Scale.CHOICE,
        options=(N_("yes"), N_("no"), N_("unsure")),
        positive_options=("yes",),
    ),
    BankEntry(
        key="decision_involvement",
        text=N_("I feel involved in decisions about how AI is deployed in my work."),
        scale=Scale.AGREE5,
        options=AGREE5_OPTIONS,
        positive_options=("agree", "strongly agree"),
    ),
    BankEntry(
        key="peers_effective_use",
        text=N_("Employees are effectively using the AI tools they have been given."),
        scale=Scale.AGREE5,
        options=AGREE5_OPTIONS,
        audience=Audience.LEADERS,
        positive_options=("agree", "strongly agree"),
    ),
    BankEntry(
        key="uses_ai_any",
        text=N_("Do you use AI at work?"),
        scale=Scale.CHOICE,
        options=(N_("yes"), N_("no")),
        positive_options=("yes",),
        benchmark=Benchmark(
            text="75% of knowledge workers use AI at work, often with unsanctioned tools",
            source="Microsoft and LinkedIn 2024 Work Trend Index",
            value=0.75,
            population="knowledge workers",
            options=("yes",),
        ),
    ),
    BankEntry(
        key="shadow_tools",
        text=N_("Which AI tools do you use for work? (choose all that apply)"),
        scale=Scale.MULTI,
        options=(
            N_("sanctioned tools"),
            N_("personal chat assistant"),
            N_("personal coding assistant"),
            N_("other unsanctioned tool"),
        ),
        benchmark=Benchmark(
            text="Most AI use at work includes tools the organisation did not provide",
            source="Microsoft and LinkedIn 2024 Work Trend Index",
        ),
    ),
    BankEntry(
        key="ai_tenure",
        text=N_("How long have you used AI tools regularly?"),
        scale=Scale.CHOICE,
        options=("none", "<1", "1-6", "6+"),
        benchmark=Benchmark(
            text=(
                "People who had used Claude for 6+ months had a task success rate about 10% "
                "higher than newer users"
            ),
            source="Anthropic Economic Index report 'Learning curves', March 2026",
        ),
    ),
    BankEntry(
        key="perceived_time_saved",
        text=N_("About how many hours per week does AI save you (negative if it costs you time)?"),
        scale=Scale.NUMBER,
        unit=N_("hours/week"),
        bounds=(-40.0, 40.0),
        benchmark=Benchmark(
            text=(
                "Experienced developers expected to be faster and felt faster with AI, "
                "but were measured slower"
            ),
            source=METR_2025,
        ),
    ),
    BankEntry(
        key="perceived_speedup",
        text=N_("By what percentage has AI made you faster (negative if slower)?"),
        scale=Scale.NUMBER,
        unit="%",
        bounds=(-100.0, 500.0),
        benchmark=Benchmark(
            text="Developers believed AI made them 20% faster; measured, they were 19% slower",
            source=METR_2025,
            value=20.0,
        ),
    ),
    BankEntry(
        key="workload_change",
        text=N_("Has AI added to or reduced your workload?"),
        scale=Scale.CHOICE,
        options=(N_("added"), N_("no change"), N_("reduced")),
        positive_options=("reduced",),
        benchmark=Benchmark(
            text="96% of C-suite leaders expect AI to raise productivity; 77% of employees "
            "say it has added to their workload",
            source="Upwork Research Institute 2024",
            value=0.77,
            population="employees",
            options=("added",),
        ),
    ),
    _sentiment_item("copilot_quality", N_("Using AI improves the quality of my work.")),
    _sentiment_item(
        "copilot_effort",
        N_("Using AI means I spend less mental effort on mundane or repetitive tasks."),
    ),
    _sentiment_item("copilot_speed", N_("Using AI helps me complete tasks faster.")),
    _sentiment_item("copilot_productivity", N_("Using AI makes me more productive.")),
    BankEntry(
        key="comment",
        text=N_("Anything else you want to say about AI in your work?"),
        scale=Scale.TEXT,
    ),
)

SHADOW_USE = BankEntry(
    key="shadow_use",
    text=N_(
        "If you use AI tools the organisation did not provide: for what? (choose all that apply)"
    ),
    scale=Scale.MULTI,
    options=(
        N_("drafting and editing text"),
        N_("writing or reviewing code"),
        N_("research and search"),
        N_("data analysis"),
        N_("meeting notes and summaries"),
        N_("something else"),
    ),
)
SHADOW_REASON = BankEntry(
    key="shadow_reason",
    text=N_("Why those tools rather than the ones provided? (choose all that apply)"),
    scale=Scale.MULTI,
    options=(
        N_("the provided tool is worse at this"),
        N_("no provided tool does this"),
        N_("the provided tool is slow or hard to reach"),
        N_("I am not sure what is allowed"),
        N_("I have no access to a provided tool"),
    ),
)


def _with_shadow_follow_ups(base: tuple[BankEntry, ...]) -> tuple[BankEntry, ...]:
    """v2 = v1 plus the two shadow-AI follow-ups, asked right after the tools question."""
    position = [item.key for item in base].index("shadow_tools") + 1
    return (*base[:position], SHADOW_USE, SHADOW_REASON, *base[position:])


BANK_V2 = _with_shadow_follow_ups(BANK_V1)
"""Version 2 (capability 8): what unsanctioned tools are used for, and why, which shows where
the provided tools fail people. Surveys created on v1 keep v1."""

DERIVED_BENCHMARKS: dict[str, Benchmark] = {
    "measurable_return": Benchmark(
        text="95% of enterprise generative-AI pilots show no measurable P&L return",
        source="MIT NANDA 2025, The GenAI Divide",
        value=0.95,
    ),
    "training_retention": Benchmark(
        text="Without reflection about 50% is forgotten within a day and 90% within a week",
        source="Popular summaries of Ebbinghaus's forgetting curve (1885)",
    ),
}

BANKS: dict[int, tuple[BankEntry, ...]] = {1: BANK_V1, 2: BANK_V2}
CURRENT_BANK_VERSION = 2

ATTRIBUTE_QUESTIONS = frozenset({"ai_tenure"})
"""Bank questions whose answer is a respondent band stored on the response, not an answer row."""


def bank(version: int = CURRENT_BANK_VERSION) -> tuple[BankEntry, ...]:
    try:
        return BANKS[version]
    except KeyError:
        raise ValueError(f"no question bank version {version}") from None


def entry(key: str, version: int = CURRENT_BANK_VERSION) -> BankEntry:
    for item in bank(version):
        if item.key == key:
            return item
    raise KeyError(key)
