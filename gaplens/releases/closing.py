"""Closing a survey publishes its last answers: close and release in one transaction."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from gaplens.privacy.policy import PrivacyPolicy
from gaplens.releases.noisy import build_noisy_rollup
from gaplens.releases.service import BuildOutcome, build_survey_release
from gaplens.surveys.collection import close_survey
from gaplens.surveys.models import Survey


def close_and_release(
    session: Session, survey: Survey, policy: PrivacyPolicy, *, today: dt.date | None = None
) -> BuildOutcome:
    """Close `survey` (its links stop accepting answers) and build its release at close,
    including the close day (`build_survey_release`): the same rules as any release, so
    answers that cannot be added in a group of at least k stay unpublished. The noisy
    roll-ups (rule 7) are drawn now, once."""
    close_survey(session, survey, today)
    built = build_survey_release(session, survey, policy, today=today)
    build_noisy_rollup(session, survey, policy)
    return built
