"""Rendering the report document: JSON round trip, self-contained HTML, PDF pages, Chromium."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from gaplens.report.render import render_html, render_json, render_pdf, write_report
from gaplens.report.schemas import ReportDocument
from tests.report.sample_document import (
    MALICIOUS_IMG,
    MALICIOUS_SCRIPT,
    sample_document,
    sparse_document,
)

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
EXTERNAL = re.compile(
    r"""(?:src|href)\s*=\s*["']?\s*(?:https?:|//)|url\(\s*["']?\s*(?:https?:|//)""", re.I
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def html_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_report(sample_document(), "html", tmp_path_factory.mktemp("html") / "report.html")


def test_json_round_trips_through_the_contract():
    document = sample_document()
    assert ReportDocument.model_validate_json(render_json(document)) == document


def test_html_is_self_contained_and_shows_words_for_hidden_figures():
    html = render_html(sparse_document())
    assert not EXTERNAL.search(html), EXTERNAL.search(html)
    assert "<svg" in html
    assert "Not enough responses" in html
    assert "<script>alert(1)</script>" not in html


def test_html_escapes_comments_and_carries_its_data():
    html = render_html(sample_document())
    assert MALICIOUS_SCRIPT not in html and MALICIOUS_IMG not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    data = re.search(
        r'<script type="application/json" id="gaplens-report-data">(.*?)</script>', html, re.S
    )
    assert data is not None
    assert ReportDocument.model_validate_json(data.group(1)) == sample_document()


def test_pdf_renders_pages(tmp_path: Path):
    pdf = render_pdf(sample_document())
    assert pdf.startswith(b"%PDF")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(path), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert 2 <= len(pages) <= 30
    assert all(page.stat().st_size > 2000 for page in pages)  # not blank


@pytest.mark.browser
def test_report_in_chromium_is_offline_inert_and_visible(html_file: Path):
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    dialogs: list[str] = []
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})

            def block(route) -> None:  # type: ignore[no-untyped-def]
                if not route.request.url.startswith("file://"):
                    requests.append(route.request.url)
                    route.abort()
                else:
                    route.continue_()

            page.route("**/*", block)
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.on(
                "console",
                lambda message: errors.append(message.text) if message.type == "error" else None,
            )
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(html_file.as_uri())
            charts = page.locator("svg")
            assert charts.count() >= 3
            box = charts.first.bounding_box()
            assert box is not None and box["width"] > 100 and box["height"] > 50
            assert page.get_by_text("Not enough responses").count() >= 1
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
            page.set_viewport_size({"width": 390, "height": 844})
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390 + 1, "the report fits a phone without sideways scrolling"
            page.screenshot(path=str(ARTIFACTS / "report-phone.png"))
        finally:
            browser.close()
    assert requests == []
    assert dialogs == []
    assert errors == []
