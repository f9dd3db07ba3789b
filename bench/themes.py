"""Benchmark: theme extraction on 10,000 synthetic feedback comments (goal: under 30 s).

python bench/themes.py [--comments 10000] [--seed 0]

Comments come from eight topics of unequal size, each written from clauses with random
fillers; some carry topic-neutral chatter or HTML, one in five a second topic, and one in
twenty is empty or a throwaway answer. So the run does the work a real feedback export
would: cleaning, TF-IDF, choosing k, NMF and sentiment.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import time
from collections import Counter

from gaplens.themes import extract_themes

# Per topic: opening clauses and follow-ups, combined at random so paraphrases mix.
TOPICS: dict[str, tuple[list[str], list[str]]] = {
    "code review": (
        [
            "Code review takes {long} now.",
            "Reviewing {gen} pull requests is {slow}.",
            "Our PRs sit in the review queue for {days}.",
            "I spend {hours} reviewing {gen} code.",
        ],
        [
            "The diffs are {big}.",
            "Reviewers spend {hours} on each pull request.",
            "Nobody wants to review {big} changes.",
            "Reviews are the bottleneck for merging.",
        ],
    ),
    "meeting notes": (
        [
            "The meeting summaries save me {saved} every week.",
            "Automatic meeting notes are {praise}.",
            "Meeting recaps with action items are {praise}.",
            "Nobody takes minutes in meetings any more.",
        ],
        [
            "I catch up on meetings I missed in {short}.",
            "The notes save {saved} for real work.",
            "Action items are listed after every call.",
            "I read the recap in {short} instead of rewatching.",
        ],
    ),
    "customer email": (
        [
            "Drafted customer emails contain {errors}.",
            "The email drafts for customers include {errors}.",
            "Customer email drafts are {annoyed}.",
            "Every customer reply draft needs checking.",
        ],
        [
            "I had to rewrite the email before sending.",
            "A client complained about {errors} in our reply.",
            "I fix every customer reply by hand.",
            "Customers noticed {errors} in the emails.",
        ],
    ),
    "job security": (
        [
            "I am worried my job will be {replaced}.",
            "Nobody says whether our roles will be {replaced}.",
            "Job security is the real worry.",
            "Everyone is anxious about losing their jobs.",
        ],
        [
            "People fear layoffs in {when}.",
            "Management is silent on which roles get {replaced}.",
            "Nobody explains the plan for our jobs.",
            "I fear my job will not exist in {when}.",
        ],
    ),
    "training": (
        [
            "We got no training on the assistant.",
            "The training sessions were {praise}.",
            "Please give us proper training for our team.",
            "The onboarding course on prompting was {praise}.",
        ],
        [
            "I learned prompting from {source}.",
            "The workshop on writing prompts helped a lot.",
            "We need examples and training for real tasks.",
            "The course was too short to learn prompting properly.",
        ],
    ),
    "data privacy": (
        [
            "I am not sure what customer data we may paste into the chatbot.",
            "The data policy for prompts is {vague}.",
            "Worried about privacy when personal data ends up in prompts.",
            "Is it allowed to upload confidential documents?",
        ],
        [
            "Legal says confidential data cannot go into prompts.",
            "The privacy guidance is {vague}.",
            "Nobody knows which data is allowed.",
            "The rules on personal data are {vague}.",
        ],
    ),
    "test generation": (
        [
            "Generated unit tests are {praise}.",
            "Writing unit tests is much faster now.",
            "The assistant writes test cases and mocks in {short}.",
            "Unit test generation saves {saved} per feature.",
        ],
        [
            "Test coverage went up {pct}.",
            "The tests cover edge cases I missed.",
            "Our coverage improved on legacy modules.",
            "Mocks and fixtures come for free.",
        ],
    ),
    "licence cost": (
        [
            "Licences cost {money} per seat.",
            "We pay {money} a month for licences.",
            "Seat licences are expensive at {money} each.",
            "Finance asks why we pay {money} per licence.",
        ],
        [
            "Half the seats are unused.",
            "Many licences were never activated.",
            "Usage dashboards show low activity per seat.",
            "Adoption is low for the licence cost.",
        ],
    ),
}

FILLERS: dict[str, list[str]] = {
    "long": ["forever", "ages", "twice as long", "much longer"],
    "gen": ["AI-generated", "generated", "Copilot", "assistant-written"],
    "big": ["huge", "enormous", "massive", "far too large"],
    "slow": ["slow", "painfully slow", "a bottleneck", "much slower"],
    "hours": ["hours", "whole afternoons", "two hours", "most of the day"],
    "days": ["days", "a week", "three days", "several days"],
    "saved": ["an hour", "a lot of time", "hours", "thirty minutes", "so much time"],
    "short": ["five minutes", "two minutes", "no time", "a few minutes"],
    "praise": ["great", "really helpful", "excellent", "genuinely useful"],
    "errors": ["wrong prices", "wrong order numbers", "incorrect refunds", "made-up policies"],
    "annoyed": ["frustrating", "a mess", "risky", "embarrassing"],
    "replaced": ["replaced", "automated away", "cut", "made redundant"],
    "when": ["a year", "the next reorg", "two years", "the near future"],
    "source": ["YouTube", "colleagues", "blog posts", "trial and error"],
    "vague": ["vague", "unclear", "confusing", "contradictory"],
    "pct": ["20%", "a lot", "noticeably", "from 60 to 80 percent"],
    "money": ["$30", "$39", "forty dollars", "a lot"],
}

CHATTER = ["Honestly,", "Thanks for asking.", "FWIW:", "Just my two cents.", "<p>", "&amp;", "🙂"]
NOISE = ["n/a", "no comment", "", "   ", "-", "ok", "nothing to add", "<br>"]


def comment(rng: random.Random, topic: str) -> str:
    """One comment on topic: an opening clause and one or two follow-ups."""
    openers, follow_ups = TOPICS[topic]
    clauses = [rng.choice(openers), *rng.sample(follow_ups, rng.choice((1, 1, 2)))]
    return " ".join(clauses).format(**{k: rng.choice(v) for k, v in FILLERS.items()})


def generate(n: int, seed: int) -> tuple[list[str], list[str]]:
    """n comments and their planted topic ("" for throwaway answers)."""
    rng = random.Random(seed)
    names = list(TOPICS)
    weights = [rng.uniform(0.5, 1.5) for _ in names]
    texts, truth = [], []
    for _ in range(n):
        if rng.random() < 0.05:
            texts.append(rng.choice(NOISE))
            truth.append("")
            continue
        topic = rng.choices(names, weights)[0]
        text = comment(rng, topic)
        if rng.random() < 0.3:
            text = f"{rng.choice(CHATTER)} {text}"
        if rng.random() < 0.2:
            text = f"{text} {comment(rng, rng.choice(names))}"
        texts.append(text)
        truth.append(topic)
    return texts, truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    texts, truth = generate(args.comments, args.seed)
    print(
        f"machine: {platform.platform()}, {platform.machine()}, {os.cpu_count()} CPUs, "
        f"CPython {platform.python_version()}"
    )
    started = time.perf_counter()
    themes = extract_themes(texts, seed=args.seed)
    elapsed = time.perf_counter() - started
    print(
        f"extract_themes on {len(texts):,} comments: {elapsed:.1f} s (goal: under 30 s), "
        f"{len(themes)} themes, {sum(t.size for t in themes):,} texts assigned"
    )
    print(f"{'label':<40} {'size':>6} {'sentiment':>9}  {'':<8}  planted topic (share)")
    for theme in themes:
        planted = Counter(truth[i] for i in theme.members).most_common(1)[0]
        print(
            f"{theme.label:<40} {theme.size:>6} {theme.sentiment:>+9.2f}  "
            f"{theme.sentiment_label:<8}  {planted[0] or '(noise)'} ({planted[1] / theme.size:.0%})"
        )


if __name__ == "__main__":
    main()
