"""Perception calibrated on a world from the demo's generator, through the real imports and
release builds (issue 15, item 7).

The generator plants how much faster people say AI makes them (`perceived_speedup`, from
their answer to the impact question and their role) and, separately, what AI does to each
person's cycle time (growing over the first three months after adoption). The report's
gap per AI-tenure band must cover the planted one: the planted perceived figure is the
band's median answer in a large draw from the same generator, the planted measured one
the staggered estimator applied to the planted effect itself (as tests/test_end_to_end.py
does for the overall effect) over the release's own people and published cells, as a
share of the adopters' level without AI there. A second pulse in the same organisation
whose answers are drawn around the planted measured figure of each band (perception equal
to the truth) must give gap intervals containing zero.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from gaplens.db.engine import session_scope
from gaplens.demo.exports import planted_cycle_time_effects, write_exports
from gaplens.demo.generator import ORGANISATION_NAME, generate_organisation, write_demo_files
from gaplens.directory.models import Organisation, Person
from gaplens.directory.service import import_people, import_teams
from gaplens.metrics.schemas import MetricScope
from gaplens.privacy import PrivacyPolicy
from gaplens.realities.calibration import calibration
from gaplens.realities.schemas import Calibration
from gaplens.releases.measured.queries import measured_release, released_staggered
from gaplens.releases.measured.service import build_measured_release, dataset_of
from gaplens.releases.measured.staggered import (
    TENURE_WINDOWS,
    load_panel,
    month_label,
    month_number,
    panel_inputs,
)
from gaplens.releases.service import build_survey_release
from gaplens.stats.staggered import staggered_did
from gaplens.surveys.service import get_or_create_survey, import_responses
from gaplens.telemetry.service import import_copilot_usage
from gaplens.work.service import import_jira

PEOPLE = 900
SEED = 11
AFTER_THE_PULSE = dt.date(2026, 10, 15)


def _planted_perceived() -> dict[str, float]:
    """Each band's median answer over a large draw of the same generator: the figure the
    survey's median estimates."""
    answers: dict[str, list[float]] = defaultdict(list)
    for row in generate_organisation(people=20_000, seed=SEED + 1).responses:
        if row["perceived_speedup"]:
            answers[row["ai_tenure"]].append(float(row["perceived_speedup"]))
    return {band: float(np.median(answers[band])) for band in TENURE_WINDOWS}


def _planted_measured(session, org: int, emails: dict[str, str], k: int) -> dict[str, float]:
    """Each band's planted speed-up (%, positive = faster) over the release's people, months
    and published cells: the planted effect's window average over the adopters' level
    without AI (their observed level minus that effect)."""
    release = measured_release(session, org)
    assert release is not None
    figures = released_staggered(session, release, "cycle_time", MetricScope(organisation_id=org))
    assert figures is not None
    published = {(c.cohort, c.month) for c in figures.cells}
    panel = load_panel(session, dataset_of(org))
    inputs = panel_inputs(panel, "cycle_time", None, month_number(release.answers_through), k)
    planted = planted_cycle_time_effects(generate_organisation(people=PEOPLE, seed=SEED), SEED)
    effect = np.full(inputs.values.shape, np.nan)
    for r, seq in enumerate(inputs.seqs.tolist()):
        email = emails[panel.ids[seq]]
        for c, month in enumerate(inputs.months):
            if np.isfinite(inputs.values[r, c]):
                effect[r, c] = planted[(email, month)]

    def windows(values: np.ndarray):
        person, period = np.nonzero(np.isfinite(values))
        return staggered_did(
            person,
            np.array(inputs.months)[period],
            values[person, period],
            inputs.cohort[person],
            np.random.default_rng(0),
            control_group="not_yet_treated",
            resamples=2,
            keep_late_cohorts=True,
            cell_rule=lambda g, t, _a, _b: (month_label(g), month_label(t)) in published,
            windows=tuple(TENURE_WINDOWS.values()),
        ).by_window

    truth = windows(effect)
    observed = windows(inputs.values)
    out = {}
    for band, true, seen in zip(TENURE_WINDOWS, truth, observed, strict=True):
        level = seen.effect.estimate + seen.counterfactual.estimate  # adopters' observed level
        out[band] = -100.0 * true.effect.estimate / (level - true.effect.estimate)
    return out


def _by_band(found: Calibration) -> dict[str, object]:
    return {b.band: b for b in found.bands}


def test_the_calibration_gap_covers_what_the_generator_planted(db_url: str, tmp_path: Path) -> None:
    if "postgresql" in db_url:
        pytest.skip(
            "a statistical property on one world: the reads and the release builds run on both "
            "backends in tests/web/test_calibration.py and tests/releases"
        )
    organisation = generate_organisation(people=PEOPLE, seed=SEED)
    files = write_demo_files(organisation, tmp_path)
    exports = write_exports(organisation, tmp_path, SEED)
    assert exports.copilot_usage is not None and exports.jira_json is not None
    policy = PrivacyPolicy()
    with session_scope(db_url) as session:
        import_teams(session, files.teams, ORGANISATION_NAME)
        import_people(session, files.people)
        import_copilot_usage(session, exports.copilot_usage)
        import_jira(session, exports.jira_json)
        if exports.jira is not None:
            import_jira(session, exports.jira)
        org = session.scalars(select(Organisation.id)).one()
        outcome = build_measured_release(
            session, org, policy, today=AFTER_THE_PULSE, staggered_resamples=299
        )
        assert outcome.release is not None, outcome.message
        emails = dict(session.execute(select(Person.id, Person.email)).all())
        measured_truth = _planted_measured(session, org, emails, policy.min_group_size)

    # A second pulse of the same people whose answers are drawn around the measured truth.
    rng = np.random.default_rng(5)
    calibrated = tuple(
        {**row, "perceived_speedup": f"{measured_truth[row['ai_tenure']] + rng.normal(0, 8):.0f}"}
        if row["ai_tenure"] in measured_truth and row["perceived_speedup"]
        else row
        for row in organisation.responses
    )
    equal = write_demo_files(
        dataclasses.replace(organisation, responses=calibrated, earlier_responses=()),
        tmp_path / "equal",
    )
    scope = [("Whole organisation", MetricScope(organisation_id=org))]
    with session_scope(db_url) as session:
        found = {}
        for name, path in (("as planted", files.responses), ("equal", equal.responses)):
            import_responses(session, path, name)
            survey, _ = get_or_create_survey(session, name)
            built = build_survey_release(session, survey, policy, today=AFTER_THE_PULSE)
            assert built.release is not None, built
            (found[name],) = calibration(session, survey, None, scope)

    perceived_truth = _planted_perceived()
    planted = _by_band(found["as planted"])
    assert found["as planted"].measure == "cycle time (issues)"
    for band in TENURE_WINDOWS:
        row = planted[band]
        assert row.perceived and row.measured and row.gap, row.sentence
        truth = perceived_truth[band] - measured_truth[band]
        assert row.perceived.low <= perceived_truth[band] <= row.perceived.high, row
        assert row.measured.low <= measured_truth[band] <= row.measured.high, (
            row,
            measured_truth[band],
        )
        assert row.gap.low <= truth <= row.gap.high, (row, truth)
        assert row.sentence.startswith("People using AI for " + row.label + " feel ")
    # The planted effect grows over the first three months: so does the measured speed-up.
    assert measured_truth["<1"] < measured_truth["6+"]

    for band, row in _by_band(found["equal"]).items():
        assert row.gap is not None, row.sentence
        assert row.gap.low <= 0 <= row.gap.high, (band, row)
        assert "could be zero" in row.sentence
