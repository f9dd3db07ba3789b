"""A synthetic feedback corpus with four planted topics, paraphrased and noisy.

Texts of one topic share vocabulary only the way real paraphrases do (clauses and
fillers vary), and any text may carry topic-neutral chatter, HTML or stray unicode.
"""

from __future__ import annotations

import random

# Each text is one opening clause and one or two follow-ups drawn independently from
# its topic's pools, so paraphrases mix freely and no sub-cluster is planted by accident.
TOPICS: dict[str, tuple[list[str], list[str]]] = {
    "code_review": (
        [
            "Code review takes {forever} now.",
            "Reviewing {gen} pull requests is {slow}.",
            "Our PRs wait {days} for a review.",
            "The code review queue is {slow}.",
            "I spend {hours} reviewing {gen} code.",
            "Pull request reviews drag on for {days}.",
        ],
        [
            "The diffs are {huge}.",
            "Reviewers spend {hours} on every pull request.",
            "Nobody wants to review {huge} changes.",
            "Senior engineers check {gen} code line by line.",
            "Reviews are the bottleneck for merging.",
            "The review comments pile up for {days}.",
        ],
    ),
    "meeting_summaries": (
        [
            "The meeting summaries save me {time} every week.",
            "Automatic meeting notes are {good}.",
            "I love the summaries after meetings.",
            "Meeting recaps with action items are {good}.",
            "Getting a summary of every meeting is {good}.",
            "Nobody takes minutes in meetings any more.",
        ],
        [
            "I catch up on meetings I missed in {short}.",
            "The notes save {time} for real work.",
            "Action items from the meeting are listed automatically.",
            "I read the summary in {short} instead of rewatching the call.",
            "It frees up {time} every week.",
            "Meeting minutes used to take me {time}.",
        ],
    ),
    "customer_email": (
        [
            "The drafted customer emails had {errors}.",
            "Email drafts to customers contain {errors}.",
            "Customer replies written by the assistant quote {errors}.",
            "Drafting customer emails is {bad}.",
            "Support email drafts mention {errors}.",
            "Every customer email draft needs checking.",
        ],
        [
            "I had to rewrite the email before sending.",
            "A customer complained about {errors} in our reply.",
            "I fix every customer reply by hand.",
            "Clients noticed {errors} in the emails.",
            "I had to apologise to a customer for the email.",
            "The drafts put {errors} in front of customers.",
        ],
    ),
    "job_security": (
        [
            "I am worried my job will be {replaced}.",
            "Nobody tells us whether our roles will be {replaced}.",
            "Everyone on the team fears layoffs.",
            "Job security is the real worry.",
            "I am scared my position will be {replaced}.",
            "People worry about losing their jobs.",
        ],
        [
            "Management says nothing about which roles will be {replaced}.",
            "We might lose our jobs in {when}.",
            "People are anxious about job security.",
            "Nobody explains the plan for our jobs.",
            "Leadership will not say if roles get {replaced} in {when}.",
            "I fear my job will not exist in {when}.",
        ],
    ),
}

FILLERS: dict[str, list[str]] = {
    "forever": ["forever", "ages", "much longer", "twice as long"],
    "gen": ["AI-generated", "generated", "assistant-written", "Copilot"],
    "huge": ["huge", "enormous", "massive", "far too large"],
    "slow": ["slow", "painfully slow", "much slower", "a bottleneck"],
    "hours": ["hours", "whole afternoons", "two hours", "most of the day"],
    "days": ["days", "a week", "three days", "several days"],
    "time": ["an hour", "a lot of time", "hours", "about thirty minutes", "so much time"],
    "short": ["five minutes", "two minutes", "no time", "a few minutes"],
    "good": ["great", "really helpful", "excellent", "genuinely useful"],
    "errors": [
        "wrong prices",
        "wrong order numbers",
        "incorrect refund amounts",
        "made-up policy details",
        "the wrong customer name",
    ],
    "bad": ["frustrating", "a mess", "risky", "embarrassing"],
    "replaced": ["replaced", "automated away", "cut", "made redundant"],
    "when": ["a year", "the next reorg", "two years", "the near future"],
}

CHATTER = [
    "Honestly,",
    "Not sure this matters but",
    "Thanks for asking.",
    "FWIW:",
    "Just my two cents.",
    "Overall okay otherwise.",
    "<p>",
    "&nbsp;",
    "\u200b",
    "\u2014",
    "🙂",
]

NOISE = ["n/a", "no comment", "nothing to add", "-", "   ", "", "ok", "?", "<br/>", "none"]


def build_corpus(
    per_topic: int | dict[str, int] = 75, noise: int = 10, seed: int = 7
) -> tuple[list[str], list[str]]:
    """Return texts and, per text, its planted topic ("" for noise), shuffled together."""
    counts = per_topic if isinstance(per_topic, dict) else dict.fromkeys(TOPICS, per_topic)
    rng = random.Random(seed)
    rows: list[tuple[str, str]] = []
    for topic, count in counts.items():
        openers, follow_ups = TOPICS[topic]
        for _ in range(count):
            clauses = [rng.choice(openers), *rng.sample(follow_ups, rng.choice((1, 1, 2)))]
            text = " ".join(clauses).format(**{k: rng.choice(v) for k, v in FILLERS.items()})
            if rng.random() < 0.3:
                text = f"{rng.choice(CHATTER)} {text}"
            if rng.random() < 0.3:
                text = f"{text} {rng.choice(CHATTER)}"
            if rng.random() < 0.1:
                text = text.upper() if rng.random() < 0.5 else text.lower()
            rows.append((text, topic))
    rows.extend((rng.choice(NOISE), "") for _ in range(noise))
    rng.shuffle(rows)
    return [t for t, _ in rows], [label for _, label in rows]
