"""The scorecard's rules, as pure functions over evidence (see docs/scorecard.md).

Each source gives a *lean* (working, friction, or neither) only from an interval, never a
bare point, and only with at least k observations. The class follows from the leans:
calling a workflow "working" needs two independent sources to agree, because that is the
claim leadership already wants to hear; one clear friction signal is enough to flag one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from gaplens.stats.intervals import Estimate, cluster_mean, wilson_interval

CORRECTION_FRICTION = 0.5
"""Friction when even the interval's lower bound says most outputs needed correcting."""
FEEDBACK_SPLIT = 0.5
"""Feedback leans one way when the working share's interval lies wholly on one side of 50%."""
ACCEPTANCE_WORKING = 0.30
ACCEPTANCE_FRICTION = 0.20
"""Telemetry acceptance-rate bands. Pooled events from few people are not independent, so no
interval is claimed: the rate is only a lean, and it can never decide a class by itself."""


class Lean(StrEnum):
    WORKING = "working"
    FRICTION = "friction"
    NEUTRAL = "neutral"


class Status(StrEnum):
    WORKING = "working"
    FRICTION = "friction"
    UNKNOWN = "unknown"


class Source(StrEnum):
    FRICTION_LOG = "friction_log"
    FEEDBACK = "feedback"
    TELEMETRY = "telemetry"


@dataclass(frozen=True)
class Evidence:
    """One measure from one source. `estimate` is None when n is below the threshold."""

    source: Source
    measure: str
    n: int
    estimate: Estimate | None
    lean: Lean
    text: str

    @property
    def sufficient(self) -> bool:
        return self.estimate is not None


def correction_evidence(corrected: int, n: int, k: int) -> Evidence:
    if n < k:
        return _too_few(Source.FRICTION_LOG, "correction_rate", n, k, "logged outputs")
    rate = wilson_interval(corrected, n)
    lean = Lean.FRICTION if rate.low > CORRECTION_FRICTION else Lean.NEUTRAL
    text = (
        f"{rate.value:.0%} of {n} logged outputs needed correction "
        f"(95% CI {rate.low:.0%}–{rate.high:.0%})"
    )
    return Evidence(Source.FRICTION_LOG, "correction_rate", n, rate, lean, text)


def net_minutes_evidence(
    net: Estimate | None, net_n: int, k: int, *, groups: int | None = None
) -> Evidence:
    if net is None or net_n < k:
        return _too_few(Source.FRICTION_LOG, "net_minutes", net_n, k, "outputs with minutes saved")
    lean = Lean.WORKING if net.low > 0 else Lean.FRICTION if net.high < 0 else Lean.NEUTRAL
    over = f", n={net_n}" if groups is None else f", {net_n} outputs in {groups} groups"
    text = (
        f"net {net.value:+.1f} minutes per output, saved (self-reported) minus correcting "
        f"(95% CI {net.low:+.1f} to {net.high:+.1f}{over})"
    )
    return Evidence(Source.FRICTION_LOG, "net_minutes", net_n, net, lean, text)


def net_minutes_of_groups(groups: Sequence[tuple[int, int]]) -> Evidence:
    """Net minutes per output from published groups: (sum of saved minus correcting, outputs)
    per group, the only form the friction release publishes minutes in.

    The interval is `cluster_mean`'s: each group one cluster, so it needs two groups or
    more; entries within a group are never seen one by one."""
    n = sum(size for _, size in groups)
    estimate = cluster_mean([(float(net), size) for net, size in groups])
    if estimate is None:
        what = "no published group" if not groups else "one published group"
        text = f"net minutes per output: {what} with minutes, so no interval"
        return Evidence(Source.FRICTION_LOG, "net_minutes", n, None, Lean.NEUTRAL, text)
    return net_minutes_evidence(estimate, n, 1, groups=len(groups))


def feedback_evidence(working: int, friction: int, k: int) -> Evidence:
    n = working + friction
    if n < k:
        return _too_few(Source.FEEDBACK, "working_share", n, k, "working/friction feedback items")
    share = wilson_interval(working, n)
    lean = (
        Lean.WORKING
        if share.low > FEEDBACK_SPLIT
        else Lean.FRICTION
        if share.high < FEEDBACK_SPLIT
        else Lean.NEUTRAL
    )
    text = (
        f"{working} of {n} feedback items say it works ({share.value:.0%}, "
        f"95% CI {share.low:.0%}–{share.high:.0%})"
    )
    return Evidence(Source.FEEDBACK, "working_share", n, share, lean, text)


def telemetry_evidence(
    feature: str, acceptances: int, generations: int, users: int, k: int
) -> Evidence:
    measure = f"acceptance_rate:{feature}"
    if users < k or generations <= 0:
        return _too_few(Source.TELEMETRY, measure, users, k, "Copilot users")
    rate = min(1.0, acceptances / generations)
    lean = (
        Lean.WORKING
        if rate >= ACCEPTANCE_WORKING
        else Lean.FRICTION
        if rate < ACCEPTANCE_FRICTION
        else Lean.NEUTRAL
    )
    text = f"Copilot {feature}: {rate:.0%} of suggestions accepted ({users} users)"
    return Evidence(Source.TELEMETRY, measure, users, Estimate(rate, rate, rate), lean, text)


def _too_few(source: Source, measure: str, n: int, k: int, what: str) -> Evidence:
    return Evidence(source, measure, n, None, Lean.NEUTRAL, f"fewer than {k} {what}")


@dataclass(frozen=True)
class Classification:
    status: Status
    reason: str


def classify(evidence: Sequence[Evidence]) -> Classification:
    """The class of one use case from all its evidence. Rules, in order:

    1. no measure has at least k observations: unknown, too little data;
    2. some measure leans working and another friction: unknown, the evidence disagrees;
    3. the friction log or feedback leans friction: friction;
    4. the friction log's net minutes lean working and feedback leans working: working;
    5. otherwise: unknown (no interval clear of its threshold, or one source alone).
    """
    sufficient = [e for e in evidence if e.sufficient]
    if not sufficient:
        return Classification(Status.UNKNOWN, "too little data")
    working = [e for e in sufficient if e.lean is Lean.WORKING]
    friction = [e for e in sufficient if e.lean is Lean.FRICTION]
    if working and friction:
        return Classification(
            Status.UNKNOWN,
            f"the evidence disagrees: {_leans(working, 'working')}, {_leans(friction, 'friction')}",
        )
    if any(e.source is not Source.TELEMETRY for e in friction):
        return Classification(Status.FRICTION, _leans(friction, "friction"))
    net_working = any(e.measure == "net_minutes" for e in working)
    feedback_working = any(e.source is Source.FEEDBACK for e in working)
    if net_working and feedback_working:
        return Classification(Status.WORKING, _leans(working, "working"))
    if working or friction:
        return Classification(
            Status.UNKNOWN,
            f"only {_leans(working or friction, 'one way')}; "
            "net minutes and feedback must agree before a use case counts as working",
        )
    return Classification(Status.UNKNOWN, "no clear signal: every interval spans its threshold")


MEASURE_NAMES = {
    (Source.FRICTION_LOG, "correction_rate"): "the friction log's correction rate",
    (Source.FRICTION_LOG, "net_minutes"): "the friction log's net minutes",
    (Source.FEEDBACK, "working_share"): "feedback",
}


def _measure_name(e: Evidence) -> str:
    """Words for the report's readers; the JSON evidence keeps `source` and `measure`."""
    known = MEASURE_NAMES.get((e.source, e.measure))
    if known is not None:
        return known
    if e.source is Source.TELEMETRY and e.measure.startswith("acceptance_rate:"):
        return f"Copilot's acceptance rate for {e.measure.partition(':')[2]}"
    return f"{e.source.value.replace('_', ' ')} {e.measure.replace('_', ' ')}"


def _leans(evidence: Sequence[Evidence], way: str) -> str:
    """'feedback and the friction log's net minutes lean working' (sorted: a stable reason)."""
    names = sorted({_measure_name(e) for e in evidence})
    if len(names) == 1:
        return f"{names[0]} leans {way}"
    return ", ".join(names[:-1]) + " and " + names[-1] + f" lean {way}"
