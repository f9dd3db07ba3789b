"""The task map section of the reality report: built from the service, rendered in HTML and
PDF, absent when there is no round; the JSON round-trips."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

from gaplens.db.engine import session_scope
from gaplens.metrics.schemas import MetricScope
from gaplens.privacy import PrivacyPolicy
from gaplens.report.render import render_html, render_json, render_pdf
from gaplens.report.schemas import ReportDocument
from gaplens.tasks.views import report_section
from tests.report.sample_document import sample_document
from tests.tasks.builders import standard


def test_the_section_renders_in_html_and_pdf(db_url: str, tmp_path: Path):
    standard(db_url, tmp_path)
    with session_scope(db_url) as session:
        section = report_section(
            session,
            MetricScope(organisation_id=1),
            dt.date(2026, 1, 1),
            dt.date(2026, 12, 31),
            PrivacyPolicy(),
        )
    assert section is not None
    doc = sample_document().model_copy(update={"tasks": section})
    assert ReportDocument.model_validate_json(render_json(doc)) == doc
    page = render_html(doc)
    assert 'id="tasks"' in page and "Task preference map" in page
    assert "Boilerplate code" in page and "Flaky CI reruns" in page
    assert "Expense" not in page.split('id="gaplens-report-data"')[0]
    assert "Expense" not in render_json(doc)
    without = render_html(sample_document())
    assert 'id="tasks"' not in without
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(render_pdf(doc))
    assert shutil.which("pdftotext"), "poppler-utils is required"
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "What people want AI to take on" in text and "Ticket triage" in text
