"""One report per scope and period, built from a small organisation imported through the real
importers: survey bands narrow perception, the directory narrows measured figures and cost,
the gap trend follows the series, and small scopes say so instead of showing a number."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gaplens.costs.schemas import WEEKS_PER_MONTH, CostInputsIn
from gaplens.costs.service import set_inputs
from gaplens.db.engine import session_scope
from gaplens.directory.models import Person
from gaplens.directory.service import import_people, import_teams
from gaplens.friction.service import import_friction
from gaplens.privacy import PrivacyPolicy
from gaplens.releases.adoption.service import build_adoption_releases
from gaplens.releases.friction.service import build_friction_release
from gaplens.releases.service import build_all
from gaplens.report.render import render_html
from gaplens.report.schemas import FigureStatus, ReportDocument
from gaplens.report.scope import ScopeRequest, parse_period
from gaplens.report.service import build_report
from gaplens.surveys.models import SurveyResponse
from gaplens.surveys.service import import_responses
from gaplens.telemetry.schemas import GITHUB_COPILOT, M365_COPILOT
from gaplens.telemetry.service import import_m365_copilot
from tests.files import TEAMS, person, write_csv
from tests.releases.adoption_world import import_run, use
from tests.telemetry.payloads import m365_user, write_m365_csv

POLICY = PrivacyPolicy()
IMPACT = ["high gains", "some gains", "no difference", "worse"]


def answer(n: int, team: str, function: str, role: str, impact: str, day: str) -> dict[str, str]:
    hours = ("1", "2", "3", "6")[n % 4]  # across bins: numbers are published only as bins
    return {
        "response_id": f"r{n}",
        "answered_on": day,
        "role_level": role,
        "team": team,
        "function": function,
        "productivity_impact": impact,
        "perceived_time_saved": hours,
        "perceived_speedup": ("5", "15", "30", "60")[n % 4],
        "comment": f"comment number {n} about the rollout",
    }


def pulse(start: int, day: str, support_ic_gains: int) -> list[dict[str, str]]:
    """Support: 8 executives (7 report gains), 8 managers (5), 20 ICs (support_ic_gains);
    Engineering: 7 in Payments and 1 in Engineering itself, all ICs."""
    rows = []
    n = start
    for role, count, gains in (
        ("executive", 8, 7),
        ("manager", 8, 5),
        ("individual_contributor", 20, support_ic_gains),
    ):
        for i in range(count):
            impact = IMPACT[i % 2] if i < gains else IMPACT[2 + i % 2]
            rows.append(answer(n, "support", "Support", role, impact, day))
            n += 1
    for i in range(8):
        team = "eng-payments" if i < 7 else "eng"
        rows.append(answer(n, team, "Engineering", "individual_contributor", IMPACT[i % 4], day))
        n += 1
    return rows


def staff(n: int, team: str, licence: str) -> dict[str, str]:
    return {**person(n, team=team), "ai_licence_date": licence, "ai_adoption_date": ""}


@pytest.fixture
def org(db_url: str, tmp_path: Path) -> str:
    people = [staff(n, "support", "2026-07-01") for n in range(6)]
    people += [staff(n, "support", "2026-08-01") for n in range(6, 11)]  # in no export
    people += [staff(n, "eng-payments", "2026-07-01") for n in range(20, 23)]
    with session_scope(db_url) as session:
        import_teams(session, write_csv(tmp_path / "teams.csv", TEAMS), "Acme")
        import_people(session, write_csv(tmp_path / "people.csv", people))
        import_responses(
            session,
            write_csv(tmp_path / "june.csv", pulse(0, "2026-06-10", 16)),
            "June",
            series="S",
        )
        build_all(session, PrivacyPolicy())
        import_responses(
            session,
            write_csv(tmp_path / "sept.csv", pulse(100, "2026-09-14", 4)),
            "Sept",
            series="S",
        )
        build_all(session, PrivacyPolicy())
        users = [
            m365_user(
                f"person{n}@acme.example", "2026-09-30", "2026-09-29", {"teams": "2026-09-29"}
            )
            for n in range(6)
        ]
        import_m365_copilot(session, write_m365_csv(tmp_path / "m365.csv", users))
        # Usage at each month's end: persons 0-2 on Microsoft 365 Copilot from July, person 0
        # on GitHub Copilot too, persons 6-7 (licensed in August) on GitHub Copilot.
        ids = {email: pid for email, pid in session.execute(select(Person.email, Person.id))}
        run = import_run(session)
        for n, tool, months in (
            (0, M365_COPILOT, (7, 8, 9)),
            (1, M365_COPILOT, (7, 8, 9)),
            (2, M365_COPILOT, (7, 8, 9)),
            (0, GITHUB_COPILOT, (7,)),
            (6, GITHUB_COPILOT, (8, 9)),
            (7, GITHUB_COPILOT, (8, 9)),
        ):
            days = [dt.date(2026, month, 28) for month in months]
            use(session, run, ids[f"person{n}@acme.example"], days, tool=tool)
        build_adoption_releases(session, PrivacyPolicy(), today=dt.date(2026, 10, 1))
        friction = [
            {
                "date": f"2026-08-{1 + i:02d}",
                "use_case": "customer replies",
                "tool": "Microsoft 365 Copilot",
                "minutes_correcting": str(10 + i if i % 2 else 0),
                "minutes_saved": str(5 + i % 3),
                "severity": "medium",
                "outcome": "fixed" if i % 2 else "kept",
                "team": "support" if i < 8 else "eng",
            }
            for i in range(12)
        ]
        import_friction(session, write_csv(tmp_path / "friction.csv", friction))
        build_friction_release(session, PrivacyPolicy(), today=dt.date(2026, 10, 1))
    return db_url


def report(url: str, scope: ScopeRequest, period: str | None = "2026-Q3") -> ReportDocument:
    with session_scope(url) as session:
        return build_report(
            session,
            None,
            POLICY,
            dt.date(2026, 10, 1),
            scope_request=scope,
            period_request=parse_period(period),
        )


def test_a_function_report_reads_only_that_functions_responses(org: str) -> None:
    doc = report(org, ScopeRequest("function", "Support"))
    assert doc.scope is not None and (doc.scope.kind, doc.scope.name) == ("function", "Support")
    with session_scope(org) as session:
        in_support = session.scalar(
            select(func.count()).where(
                SurveyResponse.function == "Support",
                SurveyResponse.answered_on == dt.date(2026, 9, 14),
            )
        )
    impact = doc.perception["productivity_impact"]
    assert impact.groups["everyone"].n == in_support == 36
    assert impact.groups["executive"].n == 8 and impact.groups["individual_contributor"].n == 20
    assert doc.survey.name == "Sept" and doc.survey.responses == 36
    assert doc.period is not None and doc.period.label == "2026-Q3"
    assert [p.name for p in doc.period.pulses] == ["Sept"]
    assert doc.comments.status is FigureStatus.SHOWN and doc.comments.n == 36


def test_a_team_report_includes_the_teams_below_it(org: str) -> None:
    doc = report(org, ScopeRequest("team", "eng"))
    assert doc.scope is not None and doc.scope.includes == ["Payments"]
    # Payments' 7 are published; the one respondent in Engineering itself is in no group of
    # 5 yet, so Engineering's figures are Payments' and the difference isolates no one.
    assert doc.perception["productivity_impact"].groups["everyone"].n == 7


def test_a_scope_too_small_says_so(org: str) -> None:
    """7 Payments respondents: the whole is shown, no role level, no count below k."""
    doc = report(org, ScopeRequest("team", "eng-payments"))
    groups = doc.perception["productivity_impact"].groups
    assert groups["everyone"].n == 7
    assert all(groups[g].n is None for g in ("executive", "manager"))
    assert doc.comments.status is FigureStatus.NOT_ENOUGH_RESPONSES  # below 10
    assert doc.gap_trend is not None
    assert {p.status for p in doc.gap_trend.points} == {"not_enough_responses"}
    assert doc.gap_trend.direction == "not enough data"
    # 3 licensed people, none using AI: in no published class of the adoption release, so
    # neither the funnel nor the spend is shown, and the page says why.
    assert doc.adoption is not None and doc.adoption.status is FigureStatus.NOT_ENOUGH_RESPONSES
    assert doc.adoption.licensed is None and doc.adoption.stages == []
    assert doc.cost is not None and doc.cost.status is FigureStatus.NOT_ENOUGH_RESPONSES
    assert doc.cost.spend is None and doc.cost.licensed is None and doc.cost.seats == []
    assert doc.cost.reason is not None
    assert "July 2026, August 2026, September 2026" in doc.cost.reason
    html = render_html(doc)
    assert "Not shown for this scope" in html
    assert "counted only in a larger group" in html


def test_the_gap_trend_follows_the_series_for_the_scope(org: str) -> None:
    """Support's leaders: 12 of 16 report gains both times; its frontline 16 of 20, then 4."""
    doc = report(org, ScopeRequest("function", "Support"))
    trend = doc.gap_trend
    assert trend is not None and trend.series == "S"
    june, sept = trend.points
    assert (june.survey, june.in_period, sept.survey, sept.in_period) == (
        "June",
        False,
        "Sept",
        True,
    )
    assert june.gap_pp is not None and sept.gap_pp is not None
    assert june.gap_pp.estimate == pytest.approx(100 * (12 / 16 - 16 / 20))
    assert sept.gap_pp.estimate == pytest.approx(100 * (12 / 16 - 4 / 20))
    assert (sept.leaders_n, sept.frontline_n) == (16, 20)
    assert trend.change_pp is not None and trend.change_pp.low > 0
    assert trend.direction == "widening"
    assert any(s.rule == "gap-widening" for s in (doc.next_steps.steps if doc.next_steps else []))
    # Up to the end of 2026-Q2 the series has one pulse: no trend to call.
    q2 = report(org, ScopeRequest("function", "Support"), "2026-Q2")
    assert q2.gap_trend is not None and [p.survey for p in q2.gap_trend.points] == ["June"]
    assert q2.gap_trend.direction == "not enough data"


def test_cost_counts_seat_months_per_tool_and_labels_every_input(org: str) -> None:
    """Support, from the adoption release's month ends of 2026-Q3 (each one month of a
    seat). July: the six licensed on 1 July, persons 0-2 on Microsoft 365 Copilot, person 0
    on GitHub Copilot too, 3-5 on nothing. August: eleven, 6-7 on GitHub Copilot. September:
    Microsoft's usage report lists all six first ones. By hand, per tool and month:
    Microsoft 365 Copilot 3 + 3 + 6 = 12 seat-months, GitHub Copilot 1 + 3 + 3 = 7, other
    3 + 6 + 3 = 12; licensed 6 + 11 + 11 = 28."""
    with session_scope(org) as session:
        set_inputs(
            session,
            CostInputsIn(amounts={"seat_price.m365-copilot": 25.0}, note="contract"),
            dt.date(2026, 7, 1),
        )
    doc = report(org, ScopeRequest("function", "Support"))
    cost = doc.cost
    assert cost is not None and cost.status is FigureStatus.SHOWN and cost.reason is None
    assert cost.month_ends == [dt.date(2026, 7, 31), dt.date(2026, 8, 31), dt.date(2026, 9, 30)]
    assert cost.licensed == 11 and cost.seat_months == 28
    lines = {line.tools[0]: line for line in cost.seats}
    assert [
        (line.seats, line.seat_months, line.price_per_month, line.spend)
        for line in (lines["github-copilot"], lines["m365-copilot"], lines["other"])
    ] == [(3, 7, 19.0, 7 * 19.0), (6, 12, 25.0, 12 * 25.0), (3, 12, 20.0, 12 * 20.0)]
    spend = 7 * 19.0 + 12 * 25.0 + 12 * 20.0
    assert cost.spend == pytest.approx(spend)
    inputs = {i.key: i for i in cost.inputs}
    assert inputs["seat_price.m365-copilot"].is_default is False
    assert "set by an administrator on 2026-07-01" in inputs["seat_price.m365-copilot"].source
    assert inputs["hourly_cost"].is_default and inputs["hourly_cost"].basis.value == "assumption"
    per_month = spend / 28
    assert cost.spend_per_seat_month == pytest.approx(per_month)
    assert cost.break_even_hours_per_week == pytest.approx(per_month / (75 * WEEKS_PER_MONTH))
    time = {t.key: t for t in cost.time}
    survey = time["survey_hours_saved.everyone"]
    assert survey.basis.value == "self_reported" and survey.n == 36
    # 9 each of 1, 2, 3 and 6 hours: bins [1,2) 9, [2,5) 18, [5,10) 9; the grouped median
    # is 2 + (18 - 9) / 18 * 3 = 3.5 hours
    assert survey.value is not None and survey.value.estimate == pytest.approx(3.5)
    assert survey.money_per_person_month is not None
    assert survey.money_per_person_month.estimate == pytest.approx(3.5 * WEEKS_PER_MONTH * 75)
    # Friction entries tagged with Support's team only: 8 of the 12.
    correcting = time["friction_minutes_correcting"]
    # Support's published group: its six entries of the ISO week of 3 August (the two of
    # 1-2 August belong to July's last week, too few alone, so not shown for Support)
    assert correcting.basis.value == "measured" and correcting.n == 6
    assert correcting.total_hours == pytest.approx((13 + 15 + 17) / 60)
    saved = time["friction_minutes_saved"]
    assert saved.basis.value == "self_reported" and saved.total_hours == pytest.approx(36 / 60)
    assert "One published group: no interval." in saved.note


def test_the_organisation_report_still_reads_everyone(org: str) -> None:
    doc = report(org, ScopeRequest(), None)
    assert doc.scope is not None and doc.scope.kind == "organisation"
    # 36 in Support, 7 in Payments; the one respondent in Engineering itself is in no
    # published group of 5 yet (tests/releases).
    assert doc.perception["productivity_impact"].groups["everyone"].n == 43
    assert doc.period is not None and not doc.period.named
    assert doc.period.end == dt.date(2026, 9, 29)  # the usage export's last day
    # Payments' three licensed people use no AI: in no published class, so the
    # organisation's seats are Support's eleven (each month end's published classes).
    assert doc.cost is not None and doc.cost.licensed == 11
    assert doc.next_steps is not None and doc.next_steps.steps


def test_a_tracker_pair_of_reports_gives_nothing_to_subtract(org: str) -> None:
    """Engineering = Payments + one person: both reports publish the same 7 responses'
    figures, for every viewer, so the second report tells nothing about that person."""
    with session_scope(org) as session:
        payments = build_report(
            session, None, POLICY, scope_request=ScopeRequest("team", "eng-payments")
        )
        engineering = build_report(
            session, None, POLICY, scope_request=ScopeRequest("function", "Engineering")
        )
    assert engineering.perception == payments.perception
    assert engineering.perception["productivity_impact"].groups["everyone"].n == 7


@pytest.fixture
def rendering_on_sqlite(db_url: str) -> None:
    """Skips the PostgreSQL case before its organisation is loaded."""
    if "postgresql" in db_url:
        pytest.skip(
            "Chromium and the PDF render the report document, the same object on either "
            "backend: Support's function report is built and checked on both backends by "
            "test_a_function_report_reads_only_that_functions_responses, "
            "test_the_gap_trend_follows_the_series_for_the_scope and "
            "test_cost_counts_seat_months_per_tool_and_labels_every_input"
        )


@pytest.mark.browser
def test_a_function_report_in_chromium_and_as_pdf_pages(
    rendering_on_sqlite: None, org: str, tmp_path: Path
) -> None:
    """The Support report as a reader gets it: offline in Chromium (desktop and a 390 px
    phone, no request leaves the page, no console error) and as PDF pages that are not blank."""
    import shutil
    import subprocess

    from PIL import Image

    from gaplens.report.render import render_pdf

    from .browser_check import check_report

    doc = report(org, ScopeRequest("function", "Support"))
    found = check_report(render_html(doc), tmp_path, ["gap_trend", "cost"])
    assert found.outside == [] and found.errors == [] and found.dialogs == []
    assert found.phone_fits
    assert set(found.charts) == {"gap_trend", "cost"}
    assert {"gap_trend", "cost", "next_steps"} <= set(found.sections)
    pdf = tmp_path / "support.pdf"
    pdf.write_bytes(render_pdf(doc))
    assert shutil.which("pdftoppm"), "poppler-utils (pdftoppm) is required"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "30", str(pdf), str(tmp_path / "page")],
        check=True,
        capture_output=True,
        timeout=120,
    )
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 4
    for page in pages:
        with Image.open(page) as image:
            grey = image.convert("L")
            histogram = grey.histogram()
        marked = sum(histogram[:250]) / (grey.width * grey.height)
        assert marked > 0.01, page.name  # more on the page than its footer: not blank


def test_the_seats_are_the_same_whatever_was_asked_before(org: str) -> None:
    """The cost section reads the adoption release, never a history of what was asked: a
    report after every other scope's gives the same seats as one in a fresh session."""
    with session_scope(org) as session:
        for scope in (ScopeRequest(), ScopeRequest("team", "eng"), ScopeRequest("team", "support")):
            build_report(session, None, POLICY, scope_request=scope)
        seen = build_report(
            session, None, POLICY, scope_request=ScopeRequest("function", "Support")
        )
    with session_scope(org) as session:
        fresh = build_report(
            session, None, POLICY, scope_request=ScopeRequest("function", "Support")
        )
    assert seen.cost is not None and seen.cost.status is FigureStatus.SHOWN
    assert seen.cost == fresh.cost
