"""The friction view on a real database: exact figures and trend, read from the release.

The old per-request tests (complementary suppression, refused overlapping views, notes
needing ten) encoded the per-viewer gate; the view now reads released classes only, so
they are replaced by exact figures through a release here and by the auditor's attacks in
tests/releases/test_friction_release.py.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import inspect, select
from statsmodels.stats.proportion import proportion_confint

from gaplens.db.engine import get_engine, session_scope
from gaplens.errors import InputError
from gaplens.friction.models import FrictionEntry
from gaplens.friction.schemas import FrictionSummary
from gaplens.friction.service import (
    complete_months,
    log_entry,
    released_months,
    use_case_friction,
    validate_entry,
)
from gaplens.privacy import PrivacyPolicy
from gaplens.releases.friction.service import build_friction_release
from tests.friction.conftest import FEB, JAN, load_teams, plant, plant_standard

TODAY = dt.date(2026, 4, 15)


def summary(url: str, scope: str | None = None, months: int = 3) -> FrictionSummary:
    with session_scope(url) as session:
        return use_case_friction(session, scope, months, TODAY)


def test_log_entry_stores_what_the_form_says_and_nothing_else(db_url: str, tmp_path: Path):
    load_teams(db_url, tmp_path)
    today = dt.date(2026, 3, 5)
    entry = validate_entry(
        {
            "use_case": "  Code   review ",
            "tool": "Copilot",
            "minutes_correcting": "12",
            "severity": "high",
            "outcome": "fixed",
            "team": "support",
            "note": "",
        }
    )
    with session_scope(db_url) as session:
        log_entry(session, entry, source="web", today=today)
    with session_scope(db_url) as session:
        [row] = session.scalars(select(FrictionEntry)).all()
        assert (row.use_case, row.minutes_correcting, row.minutes_saved, row.note) == (
            "Code review",
            12,
            None,
            None,
        )
        assert (row.logged_on, row.source, row.import_run_id) == (today, "web", None)
    columns = {c["name"] for c in inspect(get_engine(db_url)).get_columns("friction_entry")}
    assert columns == {
        "id", "logged_on", "use_case", "tool", "minutes_correcting", "minutes_saved",
        "severity", "outcome", "team_id", "note", "source", "import_run_id",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"minutes_correcting": "-1"}, "minutes_correcting"),
        ({"minutes_correcting": "2000"}, "minutes_correcting"),
        ({"minutes_saved": "ten"}, "minutes_saved"),
        ({"severity": "awful"}, "severity"),
        ({"outcome": "kept-ish"}, "outcome"),
        ({"use_case": " "}, "use_case"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_entries_name_the_field(data: dict[str, str], field: str):
    base = {"use_case": "x y", "tool": "t", "minutes_correcting": "1", "severity": "low"}
    with pytest.raises(InputError) as caught:
        validate_entry({**base, "outcome": "kept", **data})
    assert field in {p.column for p in caught.value.problems}


def test_unknown_team_and_odd_days_are_refused(db_url: str, tmp_path: Path):
    load_teams(db_url, tmp_path)
    base = {"use_case": "x y", "tool": "t", "minutes_correcting": 1, "severity": "low"}
    today = dt.date(2026, 3, 5)
    for extra, column in [
        ({"team": "nope"}, "team"),
        ({"day": "2026-03-06"}, "day"),
        ({"day": "2026-01-01"}, "day"),
    ]:
        entry = validate_entry({**base, "outcome": "kept", **extra})
        with pytest.raises(InputError) as caught, session_scope(db_url) as session:
            log_entry(session, entry, today=today)
        assert caught.value.problems[0].column == column


def build(url: str, today: dt.date = TODAY) -> str:
    with session_scope(url) as session:
        return build_friction_release(session, PrivacyPolicy(), today=today).message


def test_figures_per_use_case_exact(db_url: str, tmp_path: Path):
    """The standard entries through a release (it used to be computed per request): Code
    review's January week (10, Payments) and its February Support week (5) are published
    alone; the five February Payments fixes are all alike, so they climb to the quarter
    with Meeting notes (9 kept, all alike), Tiny and Odd one as 19 'other' outputs."""
    load_teams(db_url, tmp_path)
    plant_standard(db_url)
    assert build(db_url).startswith("Release 1: 34 entries")
    result = summary(db_url)
    assert (result.total, result.other_use_cases, result.release) == (34, 19, 1)
    assert (result.period_from, result.period_to) == (dt.date(2025, 12, 29), dt.date(2026, 3, 29))
    [review] = result.use_cases
    assert (review.key, review.label, review.n, review.corrected) == (
        "code review",
        "code-review",  # the January class's most used spelling (8 of its 10)
        15,
        6,
    )
    low, high = proportion_confint(6, 15, alpha=0.05, method="wilson")
    assert review.correction_rate.value == pytest.approx(6 / 15)
    assert (review.correction_rate.low, review.correction_rate.high) == (
        pytest.approx(low),
        pytest.approx(high),
    )
    # minutes lost in both classes; the Support week's saved figures are all 0 (discarded
    # or not given), so its sum is not published and the saved sum runs over 10 outputs
    assert (review.minutes.lost, review.minutes.lost_n) == (2 * 10 + 4 * 30, 15)
    assert (review.minutes.saved_self_reported, review.minutes.saved_n) == (2 * 30 + 8 * 15, 10)
    assert review.minutes.net_n == 10
    assert review.minutes.net_per_output == pytest.approx((180 - 20) / 10)
    assert any("same figure" in note for note in review.notes)
    # January 2/10 corrected, February 4/5: beyond the Newcombe interval
    assert [(p.month, p.n) for p in review.trend] == [("2026-01", 10), ("2026-02", 5)]
    assert review.trend[1].flag == "rising" and review.trend_flag == "rising"
    assert [(t.team, t.n) for t in review.teams] == [("Payments", 10), ("Support", 5)]


def test_a_steady_trend_is_not_flagged(db_url: str, tmp_path: Path):
    with session_scope(db_url) as session:
        plant(session, "Docs", JAN, 3, correcting=4, outcome="fixed")
        plant(session, "Docs", JAN, 7)
        plant(session, "Docs", FEB, 5, correcting=4, outcome="fixed")
        plant(session, "Docs", FEB, 5)
    build(db_url)
    [docs] = summary(db_url).use_cases
    assert docs.trend[1].change is not None and docs.trend[1].flag is None
    assert docs.trend_flag is None


def test_nothing_before_a_release_and_the_same_for_every_caller(db_url: str, tmp_path: Path):
    load_teams(db_url, tmp_path)
    plant_standard(db_url)
    empty = summary(db_url)
    assert empty.total == 0 and empty.release is None and "Nothing published" in empty.notes[0]
    build(db_url)
    assert summary(db_url).model_dump() == summary(db_url).model_dump()


def test_scope_is_a_team_and_its_subteams(db_url: str, tmp_path: Path):
    load_teams(db_url, tmp_path)
    plant_standard(db_url)
    build(db_url)
    support = summary(db_url, "support")
    assert support.scope == "support" and support.total == 5
    assert [(u.label, u.n) for u in support.use_cases] == [("Code review", 5)]
    eng = summary(db_url, "eng")  # Payments sits below Engineering; its Feb fixes did not
    assert eng.total == 10  # stay with the team (all alike), so they are not counted here
    assert any("parent team" in note for note in eng.notes)
    with pytest.raises(InputError):
        summary(db_url, "no-such-team")


def test_months_snap_to_published_months():
    # today Wed 15 Apr 2026: April is not over; March is the ISO weeks 2 Mar..29 Mar
    assert released_months(dt.date(2026, 4, 15), 1) == (dt.date(2026, 3, 2), dt.date(2026, 3, 29))
    # on Mon 30 Mar, March's last week (23..29) is over
    assert released_months(dt.date(2026, 3, 30), 1) == (dt.date(2026, 3, 2), dt.date(2026, 3, 29))
    assert released_months(dt.date(2026, 3, 29), 2) == (dt.date(2025, 12, 29), dt.date(2026, 3, 1))


def test_complete_months():
    assert complete_months(dt.date(2026, 3, 15), 1) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert complete_months(dt.date(2026, 1, 1), 3) == (dt.date(2025, 10, 1), dt.date(2025, 12, 31))
