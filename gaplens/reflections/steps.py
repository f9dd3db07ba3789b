"""The three reflection steps, their prompts and the ready-to-send email text for each.

Reflecting right after, a day later and a week later is spaced retrieval: the forgetting
figures the report shows beside participation (about half gone within a day, nine tenths
within a week without reflection) are why the second and third prompts exist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from gaplens.i18n import DEFAULT_LANGUAGE, N_, date_words, translate

TRAINING = "training"
FIRST_USE = "first_use"
TRIGGERS: Final = (TRAINING, FIRST_USE)


@dataclass(frozen=True)
class Step:
    key: str
    offset_days: int
    label: str
    """For staff views: when the step is due, relative to the trigger."""
    lead: str
    """The first line of the answer page, for the person reflecting."""
    subject: str


STEPS: Final = (
    Step(
        "now",
        0,
        "Right after",
        N_("While it is fresh: two questions, two minutes."),
        N_("Two minutes: what did you just learn about AI?"),
    ),
    Step(
        "day1",
        1,
        "One day later",
        N_("A day on: what has stayed with you?"),
        N_("One day on: what stayed with you?"),
    ),
    Step(
        "week1",
        7,
        "One week later",
        N_("A week on: what has it changed in your work?"),
        N_("One week on: what has changed in your work?"),
    ),
)
STEP_KEYS: Final = tuple(step.key for step in STEPS)
BY_KEY: Final = {step.key: step for step in STEPS}
LAST_STEP: Final = STEPS[-1].key

LINK_VALID_DAYS: Final = 14
"""A link works until this many days after its step is due, then says it has expired."""

PROMPT_LEARNED: Final = N_("What did I learn?")
PROMPT_MEANS: Final = N_("What does it mean for my work?")
PROMPT_CONFIDENCE: Final = N_("How confident do I feel using it? (1 = not at all, 5 = very)")

TRIGGER_PHRASES: Final = {
    TRAINING: N_("after your AI training"),
    FIRST_USE: N_("after you started using an AI tool"),
}


def step(key: str) -> Step:
    return BY_KEY[key]


def expires_on(due_on: dt.date) -> dt.date:
    return due_on + dt.timedelta(days=LINK_VALID_DAYS)


GREETING: Final = N_("Hi %(name)s,")
NAMELESS: Final = N_("Hello,")
"""The greeting when the directory has no name."""
OCCASION: Final = N_("A short reflection %(occasion)s:")
ANONYMOUS: Final = N_(
    "It is anonymous: we record only that this link was used, never what you wrote, and "
    "what you write is shown to no one on its own (only as themes across at least ten "
    "reflections). The link works once, until %(day)s."
)


def email_subject(step_key: str, language: str = DEFAULT_LANGUAGE) -> str:
    return translate(language, step(step_key).subject)


def email_body(
    name: str,
    trigger: str,
    step_key: str,
    url: str,
    due_on: dt.date,
    language: str = DEFAULT_LANGUAGE,
) -> str:
    """A short message a mail tool can send as is, in `language`; it says what is and is not
    recorded."""

    def t(message: str, **values: object) -> str:
        return translate(language, message, **values)

    current = step(step_key)
    greeting = t(GREETING, name=name.split()[0]) if name.strip() else t(NAMELESS)
    last_day = expires_on(due_on)
    day = f"{last_day:%d %B %Y}" if language == DEFAULT_LANGUAGE else date_words(last_day, language)
    return (
        f"{greeting}\n\n"
        f"{t(current.lead)} {t(OCCASION, occasion=t(TRIGGER_PHRASES[trigger]))}\n"
        f"- {t(PROMPT_LEARNED)}\n- {t(PROMPT_MEANS)}\n\n"
        f"{url}\n\n"
        f"{t(ANONYMOUS, day=day)}"
    )
