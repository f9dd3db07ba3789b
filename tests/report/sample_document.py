"""Hand-built ReportDocuments for the report tests.

Counts are realistic and internally consistent (role levels add up to everyone); intervals
are computed here with the methods the product uses (Wilson, Newcombe hybrid score,
log-method risk ratio), so the rendered numbers look like the real thing.

Statuses covered: shown; not_enough_responses (executives on the Copilot items, comments in
`sparse_document`); suppressed (managers there, by complementary suppression);
not_estimable (the 'worse' risk ratio: no executive chose it).
"""

from __future__ import annotations

import datetime as dt
import math

from gaplens.report.schemas import (
    BenchmarkOut,
    CommentsOut,
    Comparison,
    FigureStatus,
    GroupFigures,
    Headline,
    Interval,
    NumberSummary,
    PrivacyInfo,
    QuestionFigures,
    ReportDocument,
    Share,
    SurveyInfo,
)

Z = 1.959963984540054
GROUPS = ["executive", "manager", "individual_contributor", "everyone"]
AGREE5 = ["strongly disagree", "disagree", "neutral", "agree", "strongly agree"]
GARTNER = "Gartner 2025 AI in the Enterprise survey"
MICROSOFT = "Microsoft Copilot Dashboard sentiment survey (same items)"
BRIEF = "Published employee survey figure (source and year not yet confirmed)"

MALICIOUS_SCRIPT = "<script>alert(1)</script>"
MALICIOUS_IMG = "<img src=x onerror=alert(1)>"

SHOWN = FigureStatus.SHOWN
NOT_ENOUGH = FigureStatus.NOT_ENOUGH_RESPONSES
SUPPRESSED = FigureStatus.SUPPRESSED
NOT_ESTIMABLE = FigureStatus.NOT_ESTIMABLE


def wilson(count: int, n: int) -> tuple[float, float]:
    p = count / n
    denom = 1 + Z * Z / n
    centre = (p + Z * Z / (2 * n)) / denom
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def share(count: int, n: int) -> Share:
    low, high = wilson(count, n)
    return Share(count=count, share=count / n, low=low, high=high)


def risk_ratio(x1: int, n1: int, x2: int, n2: int) -> Interval:
    rr = (x1 / n1) / (x2 / n2)
    se = math.sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2)
    return Interval(estimate=rr, low=rr * math.exp(-Z * se), high=rr * math.exp(Z * se))


def newcombe_pp(x1: int, n1: int, x2: int, n2: int) -> Interval:
    """Difference of proportions in percentage points, Newcombe's hybrid score interval."""
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson(x1, n1)
    l2, u2 = wilson(x2, n2)
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return Interval(estimate=100 * d, low=100 * low, high=100 * high)


def choice_group(counts: dict[str, int], favourable: tuple[str, ...] = ()) -> GroupFigures:
    n = sum(counts.values())
    return GroupFigures(
        status=SHOWN,
        n=n,
        shares={option: share(c, n) for option, c in counts.items()},
        favourable=share(sum(counts[o] for o in favourable), n) if favourable else None,
    )


def agree_group(counts: list[int]) -> GroupFigures:
    """counts in AGREE5 order; favourable = agree + strongly agree; score 0-100."""
    n = sum(counts)
    scores = [0.0, 25.0, 50.0, 75.0, 100.0]
    mean = sum(s * c for s, c in zip(scores, counts, strict=True)) / n
    var = sum(c * (s - mean) ** 2 for s, c in zip(scores, counts, strict=True)) / (n - 1)
    half = Z * math.sqrt(var / n)
    return GroupFigures(
        status=SHOWN,
        n=n,
        shares={o: share(c, n) for o, c in zip(AGREE5, counts, strict=True)},
        favourable=share(counts[3] + counts[4], n),
        score=Interval(estimate=mean, low=max(0.0, mean - half), high=min(100.0, mean + half)),
    )


def hidden_group(status: FigureStatus) -> GroupFigures:
    return GroupFigures(status=status)


# --- productivity_impact: the Gartner comparison -------------------------------------------

IMPACT_OPTIONS = ["high gains", "some gains", "no difference", "worse"]
IMPACT_COUNTS = {
    "executive": {"high gains": 10, "some gains": 6, "no difference": 2, "worse": 0},
    "manager": {"high gains": 12, "some gains": 17, "no difference": 10, "worse": 2},
    "individual_contributor": {
        "high gains": 23,
        "some gains": 58,
        "no difference": 69,
        "worse": 17,
    },
}
IMPACT_COUNTS["everyone"] = {
    o: sum(IMPACT_COUNTS[g][o] for g in GROUPS[:3]) for o in IMPACT_OPTIONS
}
N = {g: sum(c.values()) for g, c in IMPACT_COUNTS.items()}


def _ex(option: str) -> int:
    return IMPACT_COUNTS["executive"][option]


def _ic(option: str) -> int:
    return IMPACT_COUNTS["individual_contributor"][option]


def productivity_impact() -> QuestionFigures:
    gartner_text = (
        "Executives are 4x more likely than individual contributors to report high gains; "
        "individual contributors are 5x more likely to say no difference"
    )
    ne, ni = N["executive"], N["individual_contributor"]
    return QuestionFigures(
        key="productivity_impact",
        text="How much has AI changed your productivity?",
        scale="choice",
        audience="everyone",
        options=IMPACT_OPTIONS,
        groups={g: choice_group(IMPACT_COUNTS[g], ("high gains", "some gains")) for g in GROUPS},
        benchmark=BenchmarkOut(text=gartner_text, source=GARTNER),
        risk_ratios={
            "high_gains_executive_vs_ic": Comparison(
                label="Executives vs individual contributors: high gains",
                status=SHOWN,
                kind="risk_ratio",
                numerator_group="executive",
                denominator_group="individual_contributor",
                option="high gains",
                value=risk_ratio(_ex("high gains"), ne, _ic("high gains"), ni),
                benchmark=BenchmarkOut(
                    text="Executives are 4x more likely to report high gains",
                    source=GARTNER,
                    value=4.0,
                ),
            ),
            "no_difference_ic_vs_executive": Comparison(
                label="Individual contributors vs executives: no difference",
                status=SHOWN,
                kind="risk_ratio",
                numerator_group="individual_contributor",
                denominator_group="executive",
                option="no difference",
                value=risk_ratio(_ic("no difference"), ni, _ex("no difference"), ne),
                benchmark=BenchmarkOut(
                    text="Individual contributors are 5x more likely to say no difference",
                    source=GARTNER,
                    value=5.0,
                ),
            ),
            "worse_ic_vs_executive": Comparison(
                label="Individual contributors vs executives: worse",
                status=NOT_ESTIMABLE,
                kind="risk_ratio",
                numerator_group="individual_contributor",
                denominator_group="executive",
                option="worse",
                reason="No executive answered 'worse', so the ratio is undefined.",
            ),
        },
        gaps_pp={
            "high_gains_executive_minus_ic": Comparison(
                label="Executives minus individual contributors: high gains",
                status=SHOWN,
                kind="difference_pp",
                numerator_group="executive",
                denominator_group="individual_contributor",
                option="high gains",
                value=newcombe_pp(_ex("high gains"), ne, _ic("high gains"), ni),
            ),
            "no_difference_ic_minus_executive": Comparison(
                label="Individual contributors minus executives: no difference",
                status=SHOWN,
                kind="difference_pp",
                numerator_group="individual_contributor",
                denominator_group="executive",
                option="no difference",
                value=newcombe_pp(_ic("no difference"), ni, _ex("no difference"), ne),
            ),
            "any_gains_executive_minus_ic": impact_gap().model_copy(update={"benchmark": None}),
        },
    )


def impact_gap() -> Comparison:
    any_gain_ex = _ex("high gains") + _ex("some gains")
    any_gain_ic = _ic("high gains") + _ic("some gains")
    return Comparison(
        label="Executive vs frontline view of AI's impact",
        status=SHOWN,
        kind="difference_pp",
        numerator_group="executive",
        denominator_group="individual_contributor",
        option="high gains or some gains",
        value=newcombe_pp(any_gain_ex, N["executive"], any_gain_ic, N["individual_contributor"]),
        benchmark=BenchmarkOut(
            text="A 38-point gap between executive and frontline views of AI's impact",
            source="Goldman Sachs",
            value=38.0,
        ),
    )


# --- the other questions --------------------------------------------------------------------


def job_security_clarity() -> QuestionFigures:
    counts = {
        "executive": {"yes": 13, "no": 2, "unsure": 3},
        "manager": {"yes": 15, "no": 9, "unsure": 17},
        "individual_contributor": {"yes": 31, "no": 52, "unsure": 84},
    }
    counts["everyone"] = {o: sum(counts[g][o] for g in GROUPS[:3]) for o in ("yes", "no", "unsure")}
    return QuestionFigures(
        key="job_security_clarity",
        text="Do you know whether AI will change or replace your job?",
        scale="choice",
        audience="everyone",
        options=["yes", "no", "unsure"],
        groups={g: choice_group(counts[g], ("yes",)) for g in GROUPS},
        benchmark=BenchmarkOut(
            text="78% of employees do not know whether AI will change or replace their job",
            source=BRIEF,
            value=0.78,
            population="employees",
            options=["no", "unsure"],
        ),
    )


def decision_involvement() -> QuestionFigures:
    return QuestionFigures(
        key="decision_involvement",
        text="I feel involved in decisions about how AI is deployed in my work.",
        scale="agree5",
        audience="everyone",
        options=AGREE5,
        groups={
            "executive": agree_group([0, 1, 3, 8, 6]),
            "manager": agree_group([4, 9, 11, 13, 4]),
            "individual_contributor": agree_group([38, 54, 41, 27, 7]),
            "everyone": agree_group([42, 64, 55, 48, 17]),
        },
        benchmark=BenchmarkOut(
            text="12% of employees feel involved in decisions about AI deployment",
            source=BRIEF,
            value=0.12,
            population="employees",
            options=["agree", "strongly agree"],
        ),
    )


def peers_effective_use() -> QuestionFigures:
    """Asked of leaders only: no individual-contributor group."""
    return QuestionFigures(
        key="peers_effective_use",
        text="Employees are effectively using the AI tools they have been given.",
        scale="agree5",
        audience="leaders",
        options=AGREE5,
        groups={
            "executive": agree_group([0, 2, 4, 9, 3]),
            "manager": agree_group([3, 12, 13, 11, 2]),
            "individual_contributor": GroupFigures(
                status=NOT_ENOUGH, reason="Asked of executives and managers only"
            ),
            "everyone": agree_group([3, 14, 17, 20, 5]),
        },
        benchmark=BenchmarkOut(
            text="14% of leaders believe employees are using their AI tools effectively",
            source="Published leadership survey figure (source and year not yet confirmed)",
            value=0.14,
            population="leaders",
            options=["agree", "strongly agree"],
        ),
    )


def workload_change() -> QuestionFigures:
    counts = {
        "executive": {"added": 3, "no change": 5, "reduced": 10},
        "manager": {"added": 14, "no change": 13, "reduced": 14},
        "individual_contributor": {"added": 71, "no change": 60, "reduced": 36},
    }
    opts = ("added", "no change", "reduced")
    counts["everyone"] = {o: sum(counts[g][o] for g in GROUPS[:3]) for o in opts}
    return QuestionFigures(
        key="workload_change",
        text="Has AI added to or reduced your workload?",
        scale="choice",
        audience="everyone",
        options=list(opts),
        groups={g: choice_group(counts[g], ("reduced",)) for g in GROUPS},
        benchmark=BenchmarkOut(
            text="96% of C-suite leaders expect AI to raise productivity; 77% of employees say "
            "it has added to their workload",
            source="Upwork Research Institute 2024",
            value=0.77,
            population="employees",
            options=["added"],
        ),
    )


def shadow_tools() -> QuestionFigures:
    """Multiple choice: shares do not add up to 100%; no favourable answer."""
    opts = [
        "sanctioned tools",
        "personal chat assistant",
        "personal coding assistant",
        "other unsanctioned tool",
    ]
    ns = {"executive": 18, "manager": 41, "individual_contributor": 167, "everyone": 226}
    counts = {
        "executive": [17, 6, 1, 2],
        "manager": [36, 15, 6, 5],
        "individual_contributor": [121, 74, 39, 22],
    }
    counts["everyone"] = [sum(counts[g][i] for g in GROUPS[:3]) for i in range(4)]
    groups = {
        g: GroupFigures(
            status=SHOWN,
            n=ns[g],
            shares={o: share(c, ns[g]) for o, c in zip(opts, counts[g], strict=True)},
        )
        for g in GROUPS
    }
    return QuestionFigures(
        key="shadow_tools",
        text="Which AI tools do you use for work? (choose all that apply)",
        scale="multi",
        audience="everyone",
        options=opts,
        groups=groups,
        benchmark=BenchmarkOut(
            text="Most AI use at work includes tools the organisation did not provide",
            source="Microsoft and LinkedIn 2024 Work Trend Index",
        ),
    )


def perceived_time_saved() -> QuestionFigures:
    def number(n: int, med: float, low: float, high: float, mean: float) -> GroupFigures:
        return GroupFigures(
            status=SHOWN,
            n=n,
            number=NumberSummary(median=Interval(estimate=med, low=low, high=high), mean=mean),
        )

    return QuestionFigures(
        key="perceived_time_saved",
        text="About how many hours per week does AI save you (negative if it costs you time)?",
        scale="number",
        audience="everyone",
        options=[],
        unit="hours/week",
        groups={
            "executive": number(18, 4.0, 2.5, 6.0, 4.6),
            "manager": number(41, 2.5, 1.5, 3.0, 2.8),
            "individual_contributor": number(167, 1.0, 0.5, 1.5, 0.7),
            "everyone": number(226, 1.5, 1.0, 2.0, 1.4),
        },
        benchmark=BenchmarkOut(
            text="Experienced developers expected to be faster and felt faster with AI, "
            "but were measured slower",
            source="METR 2025 randomised trial of experienced open-source developers",
        ),
    )


def perceived_speedup() -> QuestionFigures:
    """Executives too few here (fewer answered the optional item); managers suppressed."""

    def number(n: int, med: float, low: float, high: float, mean: float) -> GroupFigures:
        return GroupFigures(
            status=SHOWN,
            n=n,
            number=NumberSummary(median=Interval(estimate=med, low=low, high=high), mean=mean),
        )

    return QuestionFigures(
        key="perceived_speedup",
        text="By what percentage has AI made you faster (negative if slower)?",
        scale="number",
        audience="everyone",
        options=[],
        unit="%",
        groups={
            "executive": hidden_group(NOT_ENOUGH),
            "manager": hidden_group(SUPPRESSED),
            "individual_contributor": number(96, 10.0, 5.0, 15.0, 12.4),
            "everyone": number(131, 15.0, 10.0, 20.0, 16.1),
        },
        benchmark=BenchmarkOut(
            text="Developers believed AI made them 20% faster; measured, they were 19% slower",
            source="METR 2025 randomised trial of experienced open-source developers",
            value=20.0,
        ),
    )


def copilot_item(key: str, text: str, ic: list[int], everyone: list[int]) -> QuestionFigures:
    """Asked of AI users only: executives too few (not enough), managers suppressed."""
    return QuestionFigures(
        key=key,
        text=text,
        scale="agree5",
        audience="everyone",
        options=AGREE5,
        groups={
            "executive": hidden_group(NOT_ENOUGH),
            "manager": hidden_group(SUPPRESSED),
            "individual_contributor": agree_group(ic),
            "everyone": agree_group(everyone),
        },
        benchmark=BenchmarkOut(text="Same item as Microsoft's sentiment survey", source=MICROSOFT),
    )


COMMENT_TEXTS = [
    "The assistant is great for drafting, but I spend a lot of time checking its numbers.",
    "We were given licences but no time to learn how to use them properly.",
    MALICIOUS_SCRIPT,
    "Code review takes longer now because suggestions look right but are subtly wrong.",
    "Summaries of long ticket threads save me real time every day.",
    MALICIOUS_IMG + " please fix the export",
    "I'd like a say in which parts of my job this is meant to take over.",
    "Nobody has told us what success looks like for this rollout.",
    "Meeting notes are the one thing that works reliably.",
    "I use my own chat assistant because the approved one can't see our documents.",
    "Support macros written with AI need two rounds of edits before they go out.",
    "Honestly it's helped with the boring parts & freed time for customers.",
]


def comments() -> CommentsOut:
    months = ["2026-03", "2026-02", "2026-03"]
    return CommentsOut(
        status=SHOWN,
        n=len(COMMENT_TEXTS),
        comments=[
            {"text": t, "month": months[i % len(months)]} for i, t in enumerate(COMMENT_TEXTS)
        ],
    )


PRIVACY = PrivacyInfo(
    min_group_size=5,
    min_comment_group_size=10,
    rules=[
        "A number is shown only for a group of at least 5 respondents.",
        "Free-text comments are shown only when at least 10 people in the group answered.",
        "For every group shown, the rest of its parent group also has at least 5 people; "
        "if hidden groups add up to fewer than 5, the next-smallest group is hidden too.",
        "Comments are shuffled and dated by month only.",
        "No one, including leaders and administrators, can see an individual response.",
    ],
)

METHOD_NOTES = [
    "Shares use Wilson 95% confidence intervals.",
    "Percentage-point gaps use Newcombe's hybrid score interval; risk ratios use the "
    "log-method interval.",
    "Medians use bootstrap 95% intervals (2,000 resamples).",
    "Agree/disagree items are scored 0, 25, 50, 75, 100 as in Microsoft's Copilot Dashboard, "
    "so the scores compare with its results.",
    "Role level is self-reported by respondents.",
]


def sample_document() -> ReportDocument:
    """A full report: most figures shown, some hidden for each reason."""
    perception = {
        q.key: q
        for q in (
            productivity_impact(),
            job_security_clarity(),
            decision_involvement(),
            peers_effective_use(),
            workload_change(),
            shadow_tools(),
            perceived_time_saved(),
            perceived_speedup(),
            copilot_item(
                "copilot_quality",
                "Using AI improves the quality of my work.",
                [9, 21, 33, 24, 9],
                [10, 23, 39, 45, 14],
            ),
            copilot_item(
                "copilot_speed",
                "Using AI helps me complete tasks faster.",
                [5, 14, 24, 41, 12],
                [6, 15, 27, 58, 25],
            ),
        )
    }
    rr = productivity_impact().risk_ratios["high_gains_executive_vs_ic"].value
    gap = impact_gap().value
    assert rr is not None and gap is not None
    from gaplens.report.next_steps import next_steps

    from . import sections_sample as sections

    doc = ReportDocument(
        title="AI reality report",
        organisation="Northwind Logistics",
        generated_on=dt.date(2026, 4, 2),
        survey=SurveyInfo(
            name="AI pulse, March 2026",
            bank_version=1,
            responses=N["everyone"],
            answers_through=dt.date(2026, 3, 15),
        ),
        privacy=PRIVACY,
        group_order=GROUPS,
        headline=Headline(
            statements=[
                f"Executives are {rr.estimate:.1f}\u00d7 as likely as individual contributors "
                "to report high gains from AI, close to the 4\u00d7 Gartner found across "
                "enterprises.",
                f"The share reporting any gain is {gap.estimate:.0f} points higher among "
                "executives than among individual contributors.",
                "Most individual contributors do not know whether AI will change their job, "
                "and few feel involved in deciding how it is used.",
            ],
            exec_ic_impact_gap=impact_gap(),
        ),
        perception=perception,
        comments=comments(),
        method_notes=METHOD_NOTES,
        scope=sections.scope(),
        period=sections.period(),
        gap_trend=sections.gap_trend(),
        adoption=sections.adoption(),
        use_cases=sections.use_cases(),
        cost=sections.cost(),
    )
    return doc.model_copy(update={"next_steps": next_steps(doc)})


def sparse_document() -> ReportDocument:
    """A small first pulse: executives too few everywhere, comments below their threshold."""
    impact = productivity_impact()
    groups = dict(impact.groups)
    groups["executive"] = hidden_group(NOT_ENOUGH)
    groups["manager"] = hidden_group(SUPPRESSED)
    not_enough = {
        key: c.model_copy(update={"status": NOT_ENOUGH, "value": None})
        for key, c in impact.risk_ratios.items()
    }
    gaps = {
        key: c.model_copy(update={"status": NOT_ENOUGH, "value": None})
        for key, c in impact.gaps_pp.items()
    }
    impact = impact.model_copy(
        update={"groups": groups, "risk_ratios": not_enough, "gaps_pp": gaps}
    )
    from gaplens.report.next_steps import next_steps
    from gaplens.report.schemas import AdoptionSection, GapTrend, TrendPulse

    from . import sections_sample as sections

    doc = sample_document()
    trend = GapTrend(
        series=None,
        question="Share of leaders reporting gains minus the share of individual contributors",
        points=[
            TrendPulse(
                survey="AI pulse, first",
                answers_through=None,
                in_period=True,
                status="not_enough_responses",
            )
        ],
        direction="not enough data",
        method="Gap with a Newcombe interval.",
    )
    adoption = AdoptionSection(
        as_of=dt.date(2026, 3, 31),
        status=NOT_ENOUGH,
        headline="Fewer than 5 licensed people in this scope: the funnel is not shown.",
    )
    sparse = doc.model_copy(
        update={
            "title": "AI reality report (first pulse)",
            "survey": doc.survey.model_copy(update={"answers_through": None}),
            "headline": Headline(
                statements=["Too few executives answered to compare role levels yet."],
                exec_ic_impact_gap=impact_gap().model_copy(
                    update={"status": NOT_ENOUGH, "value": None}
                ),
            ),
            "perception": {"productivity_impact": impact},
            "comments": CommentsOut(status=NOT_ENOUGH),
            "measured": None,
            "gap_trend": trend,
            "adoption": adoption,
            "use_cases": None,
            "cost": sections.hidden_cost(),
        }
    )
    return sparse.model_copy(update={"next_steps": next_steps(sparse)})
