"""Success criteria and wins for the demo, created through the services a leader's form uses.

Each criterion is defined a few days before its phase starts (the services are given that
day as "now", so the baseline is what the data said then), and its status is whatever the
imported data says: nothing here sets a status. What the planted effects
(gaplens/demo/exports.py) imply for each:

- Engineering cycle time, -10% vs non-users (difference in differences) for the fourth licence
  wave: *met*. Adopters' cycle time falls 0-35% by usage intensity, and DiD removes the 4%
  tooling upgrade everyone got in January.
- Support time to resolution, -10% within person for the Zendesk AI summaries phase: *met*
  (planted: -20% after adoption). Its review date was moved after the start, with a reason:
  a visible revision.
- Support reopen rate back to 8% for AI-drafted replies in every queue: *at risk* (planted:
  reopens rise from 7% to 13% after adoption, so it moves the wrong way), provisional because
  the review date lies after the end of the exports.
- Product reopen rate, -20%: *not enough data*. Product's issues come from a Jira CSV, which
  has no status history, so no reopen count is known.

Wins: Support's faster resolution after ticket summaries (within person), Engineering's cycle
time against non-users (DiD), and a self-reported one for meeting notes (the friction log's
working use case has no workflow metric).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from gaplens.criteria.measure import first_organisation, functions
from gaplens.criteria.models import SuccessCriterion
from gaplens.criteria.schemas import CriterionEdit, CriterionIn
from gaplens.criteria.service import create_criterion, edit_criterion
from gaplens.demo.exports import DATA_END
from gaplens.privacy import PrivacyPolicy
from gaplens.wins.schemas import WinIn
from gaplens.wins.service import create_win

WAVE_4 = dt.date(2026, 2, 2)
SUMMARIES = dt.date(2026, 5, 4)
REPLIES = dt.date(2026, 8, 3)
QUARTER = (dt.date(2026, 7, 2), DATA_END)
"""The last 91 days of the exports: the period of the demo's wins."""


@dataclass(frozen=True)
class DemoGoals:
    criteria: dict[str, int]
    """Name -> criterion id, for the tests and the demo summary."""
    wins: dict[str, int]


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def _criteria() -> list[tuple[str, CriterionIn, dt.date]]:
    """(name, definition, the day it was defined), a few days before each phase starts."""
    days = dt.timedelta
    return [
        (
            "engineering_cycle_time",
            CriterionIn(
                phase_name="Copilot licence wave 4",
                phase_start=WAVE_4,
                metric="cycle_time",
                function="Engineering",
                target_kind="relative",
                target=-10,
                method="difference_in_differences",
                description="Compared with engineers without Copilot, so January's CI upgrade "
                "(which sped everyone up) does not count as an AI effect.",
            ),
            WAVE_4 - days(6),
        ),
        (
            "support_time_to_resolution",
            CriterionIn(
                phase_name="Zendesk AI ticket summaries",
                phase_start=SUMMARIES,
                metric="time_to_resolution",
                function="Support",
                target_kind="relative",
                target=-10,
                method="within_person",
                review_date=SUMMARIES + days(90),
            ),
            SUMMARIES - days(4),
        ),
        (
            "support_reopen_rate",
            CriterionIn(
                phase_name="AI-drafted replies in every queue",
                phase_start=REPLIES,
                metric="reopen_rate",
                function="Support",
                target_kind="value",
                target=0.08,
                method="within_person",
                review_date=dt.date(2026, 11, 1),
                description="Back to 8% of tickets reopened: replies must get policy details "
                "right.",
            ),
            REPLIES - days(5),
        ),
        (
            "product_reopen_rate",
            CriterionIn(
                phase_name="Product discovery assistant",
                phase_start=REPLIES,
                metric="reopen_rate",
                function="Product",
                target_kind="relative",
                target=-20,
                method="current_vs_baseline",
            ),
            REPLIES - days(5),
        ),
    ]


def _wins() -> list[tuple[str, WinIn]]:
    period = {"after_start": QUARTER[0], "after_end": QUARTER[1]}
    return [
        (
            "ticket_summaries",
            WinIn(
                title="Ticket summaries: Support resolves tickets faster",
                description="Agents using the Zendesk AI summaries close tickets sooner than "
                "they did before they adopted them.",
                source="Zendesk ticket export; friction log (ticket summaries: few corrections)",
                metric="time_to_resolution",
                method="within_person",
                function="Support",
                **period,
            ),
        ),
        (
            "copilot_cycle_time",
            WinIn(
                title="Copilot users' cycle time fell more than everyone else's",
                description="Test generation is the use case engineers credit; compared with "
                "non-users over the same weeks.",
                source="Jira REST export with changelog; GitHub Copilot usage metrics",
                metric="cycle_time",
                method="difference_in_differences",
                function="Engineering",
                **period,
            ),
        ),
        (
            "meeting_notes",
            WinIn(
                title="Meeting notes: managers say summaries save about 20 minutes a meeting",
                source="Friction log (meeting notes) and pulse comments",
                **period,
            ),
        ),
    ]


REVISION = CriterionEdit(
    review_date=SUMMARIES + dt.timedelta(days=118),
    reason="The APAC queue got ticket summaries four weeks late (vendor licence delay); the "
    "review moves by the same four weeks so every queue has a full quarter.",
)
REVISED_ON = dt.date(2026, 6, 15)


def add_goals(session: Session, actor: str, policy: PrivacyPolicy) -> DemoGoals:
    """Four criteria (one revised after its start) and three wins, deterministic. A function
    a small demo organisation does not have is skipped, as a user could not choose it."""
    organisation = first_organisation(session)
    present = set(functions(session, organisation)) if organisation is not None else set()
    criteria: dict[str, int] = {}
    for name, body, defined_on in _criteria():
        if body.function in present:
            criteria[name] = create_criterion(session, body, actor, _at(defined_on), policy).id
    if "support_time_to_resolution" in criteria:
        revised = session.get(SuccessCriterion, criteria["support_time_to_resolution"])
        assert revised is not None
        edit_criterion(session, revised, REVISION, actor, _at(REVISED_ON, 14), policy)
    wins: dict[str, int] = {}
    for name, win in _wins():
        if win.function is None or win.function in present:
            wins[name] = create_win(session, win, actor, _at(DATA_END + dt.timedelta(days=2))).id
    return DemoGoals(criteria=criteria, wins=wins)
