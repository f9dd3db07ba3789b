"""The friction view on a real database: exact figures, trend, and every privacy rule."""

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
    use_case_friction,
    validate_entry,
)
from gaplens.privacy import PrivacyGate, QueryRefused
from tests.friction.conftest import END, FEB, JAN, START, load_teams, plant, plant_standard


def summary(url: str, scope: str | None = None, **kwargs: object) -> FrictionSummary:
    with session_scope(url) as session:
        return use_case_friction(session, scope, START, END, **kwargs)  # type: ignore[arg-type]


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


def test_figures_per_use_case_exact(db_url: str, tmp_path: Path):
    load_teams(db_url, tmp_path)
    plant_standard(db_url)
    result = summary(db_url)
    assert result.total == 34
    assert [u.label for u in result.use_cases] == ["Code review", "Meeting notes"]
    assert result.hidden_use_cases == 2  # Tiny (3) and Odd one (2): 5 together, so no more
    review = result.use_cases[0]
    assert (review.key, review.n, review.corrected) == ("code review", 20, 11)
    low, high = proportion_confint(11, 20, alpha=0.05, method="wilson")
    assert review.correction_rate.value == pytest.approx(0.55)
    assert (review.correction_rate.low, review.correction_rate.high) == (
        pytest.approx(low),
        pytest.approx(high),
    )
    assert review.minutes.lost == 2 * 10 + 5 * 20 + 4 * 30
    assert review.minutes.saved_self_reported == 2 * 30 + 8 * 15 + 5 * 10
    assert review.minutes.saved_claims_forfeited == 4 * 20
    assert review.minutes.net_n == 19  # the kept entry without minutes saved is left out
    net = review.minutes.net_per_output
    assert net is not None and net.value == pytest.approx(
        (2 * 20 + 8 * 15 + 5 * -10 + 4 * -30) / 19
    )
    assert net.low < net.value < net.high
    # January 2/10 corrected, February 9/10: beyond the Newcombe interval
    assert [(p.month, p.n) for p in review.trend] == [("2026-01", 10), ("2026-02", 10)]
    assert review.trend[1].flag == "rising" and review.trend_flag == "rising"
    assert [(t.team, t.n) for t in review.teams] == [("Payments", 15), ("Support", 5)]


def test_a_steady_trend_is_not_flagged(db_url: str, tmp_path: Path):
    with session_scope(db_url) as session:
        plant(session, "Docs", JAN, 3, correcting=4, outcome="fixed")
        plant(session, "Docs", JAN, 7)
        plant(session, "Docs", FEB, 5, correcting=4, outcome="fixed")
        plant(session, "Docs", FEB, 5)
    [docs] = summary(db_url).use_cases
    assert docs.trend[1].change is not None and docs.trend[1].flag is None
    assert docs.trend_flag is None


def test_notes_need_ten_and_are_released_shuffled_by_month(db_url: str, tmp_path: Path):
    load_teams(db_url, tmp_path)
    plant_standard(db_url)
    review, notes = summary(db_url).use_cases
    assert notes.n == 9 and notes.comments == []  # 9 notes: below the comment threshold
    assert len(review.comments) == 5
    assert {c["month"] for c in review.comments} <= {"2026-01"}
    assert all(set(c) == {"text", "month"} for c in review.comments)


def test_small_use_cases_and_complementary_suppression(db_url: str, tmp_path: Path):
    load_teams(db_url, tmp_path)
    with session_scope(db_url) as session:
        plant(session, "Big", JAN, 10)
        plant(session, "Medium", JAN, 6)
        plant(session, "Tiny", JAN, 3)  # hidden; alone it could be derived ...
        # ... so the smallest shown use case (Medium) is hidden too
        plant(session, "Teams", FEB, 6, team="eng-payments")
        plant(session, "Teams", FEB, 5, team="support")
        plant(session, "Teams", FEB, 2)
    result = summary(db_url)
    assert [u.label for u in result.use_cases] == ["Teams", "Big"]
    assert result.hidden_use_cases == 2
    [teams] = [u for u in result.use_cases if u.label == "Teams"]
    # 13 entries: Payments 6 and Support 5 shown would leave 2 derivable, so Support hides
    assert [t.team for t in teams.teams] == ["Payments"] and teams.hidden_teams == 1
    shown = sum(u.n for u in result.use_cases)
    assert result.total is not None and result.total - shown >= 5


def test_small_months_are_withheld_and_cannot_be_subtracted(db_url: str):
    with session_scope(db_url) as session:
        plant(session, "Review", JAN, 8)
        plant(session, "Review", FEB, 9)
        plant(session, "Review", dt.date(2026, 3, 2), 2, outcome="fixed")
    [review] = summary(db_url).use_cases
    # March (2) is hidden, and so is January (smallest shown) so March cannot be derived
    assert [p.month for p in review.trend] == ["2026-02"] and review.hidden_months == 2


def test_scope_is_a_team_and_its_subteams(db_url: str, tmp_path: Path):
    load_teams(db_url, tmp_path)
    plant_standard(db_url)
    support = summary(db_url, "support")
    assert support.scope == "support" and support.total == 5
    assert [(u.label, u.n) for u in support.use_cases] == [("Code review", 5)]
    eng = summary(db_url, "eng")  # Payments sits below Engineering
    assert eng.total == 15
    with pytest.raises(InputError):
        summary(db_url, "no-such-team")


def test_views_differing_by_a_few_entries_are_refused(db_url: str):
    with session_scope(db_url) as session:
        plant(session, "Review", JAN, 10)
        plant(session, "Review", dt.date(2026, 1, 31), 2)
    gate = PrivacyGate()
    with session_scope(db_url) as session:
        use_case_friction(session, None, START, END, gate=gate, viewer="v")
        with pytest.raises(QueryRefused):
            use_case_friction(session, None, START, dt.date(2026, 1, 30), gate=gate, viewer="v")


def test_complete_months():
    assert complete_months(dt.date(2026, 3, 15), 1) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert complete_months(dt.date(2026, 1, 1), 3) == (dt.date(2025, 10, 1), dt.date(2025, 12, 31))
