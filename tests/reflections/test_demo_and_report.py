"""The demo's reflection loops through the real import paths and services, and the report
section they produce: the planted participation and the direction of the uplift come back."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest

from gaplens.db.engine import session_scope
from gaplens.demo.exports import write_exports
from gaplens.demo.generator import generate_organisation, write_demo_files
from gaplens.demo.pipeline import import_exports
from gaplens.demo.reflections import PARTICIPATION, simulate_reflections
from gaplens.directory.service import import_people, import_teams
from gaplens.privacy import PrivacyPolicy
from gaplens.releases.service import build_all
from gaplens.report.render import render_html, render_pdf
from gaplens.report.schemas import ReportDocument
from gaplens.report.service import build_report
from gaplens.surveys.service import import_responses

TODAY = dt.date(2026, 12, 1)


def load_demo(url: str, out: Path, people: int, exports: bool = True) -> str:
    organisation = generate_organisation(people=people, seed=5)
    files = write_demo_files(organisation, out)
    with session_scope(url) as session:
        import_teams(session, files.teams, "Northwind Logistics")
        import_people(session, files.people)
        import_responses(session, files.responses, files.survey_name)
        build_all(session, PrivacyPolicy())
        if exports:
            import_exports(session, write_exports(organisation, out, 5))
    return files.survey_name


@pytest.fixture
def demo(db_url: str, tmp_path: Path) -> tuple[str, str]:
    if "postgresql" in db_url:
        pytest.skip(
            "a statistical property of the demo's simulation on one world: storing reflections "
            "runs on both backends in tests/reflections/test_answer_and_privacy.py and "
            "tests/web/test_reflections.py, the release build in "
            "tests/releases/test_reflection_release.py, the report's section in "
            "tests/web/test_report_sections_privacy.py"
        )
    survey = load_demo(db_url, tmp_path, people=700)
    with session_scope(db_url) as session:
        simulated = simulate_reflections(session, seed=5)
        build_all(session, PrivacyPolicy(), today=TODAY)
    assert simulated.series > 300 and simulated.slack == 24
    return db_url, survey


def test_the_demo_recovers_participation_and_the_uplift_direction(
    demo: tuple[str, str], tmp_path: Path
):
    url, survey = demo
    with session_scope(url) as session:
        document = build_report(session, survey, PrivacyPolicy(), today=TODAY)
    section = document.reflections
    assert section is not None
    rates = {s.step: s.rate for s in section.steps}
    for step, planted in PARTICIPATION.items():
        rate = rates[step]
        assert rate is not None, step
        assert abs(rate.estimate - planted) < 0.07, (step, rate.estimate)
    assert rates["now"].estimate > rates["day1"].estimate > rates["week1"].estimate  # type: ignore[union-attr]
    usage = section.later_usage
    assert usage.status == "shown" and usage.difference is not None
    assert usage.difference.estimate > 0, "participants use AI on more days afterwards"
    assert usage.participants and usage.participants >= 5 and usage.non_participants
    assert "Observational" in usage.caveat
    assert section.themes.status == "shown" and len(section.themes.themes) >= 3
    confidence = {c.step: c.mean for c in section.confidence}
    assert confidence["now"] is not None and confidence["week1"] is not None
    assert confidence["week1"].estimate > confidence["now"].estimate
    assert "90%" in section.reference.text

    again = ReportDocument.model_validate_json(document.model_dump_json())
    assert again.reflections == section
    html = render_html(document)
    assert 'id="reflections"' in html and "Reflection loops" in html
    assert "Observational" in html and "Without reflection about 50%" in html
    if url.startswith("sqlite") and shutil.which("pdftotext"):  # the rendering is the same
        pdf = tmp_path / "report.pdf"
        pdf.write_bytes(render_pdf(document))
        words = subprocess.run(
            ["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True
        ).stdout
        assert "Do people stop to take in what they learn?" in words
        assert "Non-participants" in words


def test_a_report_without_reflections_has_no_section(db_url: str, tmp_path: Path):
    survey = load_demo(db_url, tmp_path, people=300, exports=False)
    with session_scope(db_url) as session:
        document = build_report(session, survey, PrivacyPolicy(), today=TODAY)
    assert document.reflections is None
    assert 'id="reflections"' not in render_html(document)
