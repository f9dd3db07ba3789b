"""A world from the demo's generator with its planted instability (AI users' issues reopened
4 points more often after adoption, ramping like the speed effect), through the real import
paths and the measured release build: the released reopen-rate effect must cover it, and
the speed figure's verdict must say so.

The planted truth is the staggered estimator applied to the planted change itself
(`planted_reopen_effects`: each engineer's monthly mean rise in the chance of a reopen) over
exactly the release's people, months, cohorts and published cells, as the end-to-end test
does for cycle time: what the released figure estimates, with the noise of who happened to
reopen absent by construction.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from gaplens.db.engine import session_scope
from gaplens.demo.exports import planted_reopen_effects, write_exports
from gaplens.demo.generator import ORGANISATION_NAME, generate_organisation, write_demo_files
from gaplens.directory.models import Organisation, Person
from gaplens.directory.service import import_people, import_teams
from gaplens.metrics.schemas import MetricScope
from gaplens.metrics.stability import with_stability
from gaplens.privacy import PrivacyPolicy
from gaplens.releases.measured.queries import (
    measured_release,
    released_overviews,
    released_staggered,
)
from gaplens.releases.measured.service import build_measured_release, dataset_of
from gaplens.releases.measured.staggered import (
    load_panel,
    month_label,
    month_number,
    panel_inputs,
)
from gaplens.stats.staggered import staggered_did
from gaplens.telemetry.service import import_copilot_usage
from gaplens.work.service import import_jira

PEOPLE = 900
SEED = 11
FUNCTION = "Engineering"


def test_the_released_reopen_effect_covers_the_planted_instability(
    db_url: str, tmp_path: Path
) -> None:
    if "postgresql" in db_url:
        pytest.skip(
            "a statistical property of the estimator on one world: the import paths and the "
            "measured release build run on both backends in tests/releases"
        )
    organisation = generate_organisation(people=PEOPLE, seed=SEED)
    files = write_demo_files(organisation, tmp_path)
    exports = write_exports(organisation, tmp_path, SEED)
    assert exports.copilot_usage is not None and exports.jira_json is not None
    k = PrivacyPolicy().min_group_size
    with session_scope(db_url) as session:
        import_teams(session, files.teams, ORGANISATION_NAME)
        import_people(session, files.people)
        import_copilot_usage(session, exports.copilot_usage)
        import_jira(session, exports.jira_json)
        org = session.scalars(select(Organisation.id)).one()
        outcome = build_measured_release(
            session, org, PrivacyPolicy(), today=dt.date(2026, 10, 15), staggered_resamples=199
        )
        assert outcome.release is not None, outcome.message
        release = measured_release(session, org)
        assert release is not None
        scope = MetricScope(organisation_id=org, function=FUNCTION)
        figures = released_staggered(session, release, "reopen_rate", scope)
        overviews = with_stability(
            [
                o.model_copy(
                    update={"staggered": released_staggered(session, release, o.metric.key, scope)}
                )
                for o in released_overviews(session, release, scope)
            ]
        )
        panel = load_panel(session, dataset_of(org))
        emails = dict(session.execute(select(Person.id, Person.email)).all())
        inputs = panel_inputs(
            panel, "reopen_rate", FUNCTION, month_number(release.answers_through), k
        )
    assert figures is not None and figures.overall is not None, figures
    planted = planted_reopen_effects(organisation, SEED)
    effect = np.full(inputs.values.shape, np.nan)
    for r, seq in enumerate(inputs.seqs.tolist()):
        for c, month in enumerate(inputs.months):
            if np.isfinite(inputs.values[r, c]):
                effect[r, c] = planted[(emails[panel.ids[seq]], month)]
    published = {(c.cohort, c.month) for c in figures.cells}
    assert all(c.n_treated >= k and c.n_control >= k for c in figures.cells)
    person, period = np.nonzero(np.isfinite(effect))
    truth = staggered_did(
        person,
        np.array(inputs.months)[period],
        effect[person, period],
        inputs.cohort[person],
        np.random.default_rng(0),
        control_group="not_yet_treated",
        resamples=2,
        keep_late_cohorts=True,
        cell_rule=lambda g, t, _a, _b: (month_label(g), month_label(t)) in published,
    ).simple.estimate
    overall = figures.overall
    assert 0.02 < truth <= 0.04, "a clear planted rise, at most the full 4 points"
    assert overall.low <= truth <= overall.high, (overall, truth)
    assert overall.low > 0, "the planted rise is detected, not only covered"
    # The speed figure beside it says so, from the same release and estimator.
    cycle = next(o for o in overviews if o.metric.key == "cycle_time")
    assert cycle.stability is not None and cycle.stability.method == "staggered"
    reopen = next(c for c in cycle.stability.counters if c.key == "reopen_rate")
    assert (reopen.estimate, reopen.low, reopen.high) == (
        overall.estimate,
        overall.low,
        overall.high,
    )
    assert reopen.direction == "worse"
    assert cycle.stability.verdict.startswith("Faster, but more work was reopened")
