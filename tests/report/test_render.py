"""The reality report rendered as JSON, HTML, PDF, and in a real browser."""

from __future__ import annotations

import html as html_lib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from gaplens.report import charts
from gaplens.report.measures import MeasureKind, share_measure
from gaplens.report.render import (
    DATA_ELEMENT_ID,
    render_html,
    render_json,
    render_pdf,
    script_safe_json,
    write_report,
)
from gaplens.report.schemas import FigureStatus, ReportDocument
from gaplens.wording import percent_range, points_range, ratio, ratio_range, window
from tests.browser import CHROMIUM, CHROMIUM_ARGS

from .sample_document import (
    MALICIOUS_IMG,
    MALICIOUS_SCRIPT,
    sample_document,
    sparse_document,
)

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

EXTERNAL_REF = re.compile(
    r"""(?:\b(?:src|href|srcset|action|poster|data)\s*=\s*["']?\s*(?:https?:|//))"""
    r"""|(?:url\(\s*["']?\s*(?:https?:|//))"""
    r"""|(?:@import)""",
    re.IGNORECASE,
)


@pytest.fixture(scope="module")
def doc() -> ReportDocument:
    return sample_document()


@pytest.fixture(scope="module")
def sparse() -> ReportDocument:
    return sparse_document()


@pytest.fixture(scope="module")
def html(doc: ReportDocument) -> str:
    return render_html(doc)


@pytest.fixture(scope="module")
def sparse_html(sparse: ReportDocument) -> str:
    return render_html(sparse)


@pytest.fixture(scope="module")
def pdf(doc: ReportDocument) -> bytes:
    return render_pdf(doc)


def embedded_json(page: str) -> str:
    match = re.search(
        rf'<script type="application/json" id="{DATA_ELEMENT_ID}">(.*?)</script>', page, re.S
    )
    assert match, "the report data element is missing"
    return match.group(1)


def hidden_rows(page: str) -> list[str]:
    return re.findall(r'<tr class="[^"]*is-hidden[^"]*">.*?</tr>', page, re.S)


# --- JSON ------------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [sample_document, sparse_document])
def test_json_round_trips(make) -> None:
    doc = make()
    text = render_json(doc)
    assert ReportDocument.model_validate_json(text) == doc
    assert json.loads(text)["schema_version"] == doc.schema_version


# --- HTML ------------------------------------------------------------------------------------


@pytest.mark.parametrize("page_fixture", ["html", "sparse_html"])
def test_html_has_no_external_references(page_fixture: str, request) -> None:
    page = request.getfixturevalue(page_fixture)
    assert not EXTERNAL_REF.findall(page)
    assert "<link" not in page.lower()
    assert not re.search(r"<script[^>]*\bsrc\s*=", page, re.I)
    # Not even a namespace URI: inline SVG in HTML needs none.
    assert "http" not in page.lower()


def test_html_has_inline_charts(html: str, doc: ReportDocument) -> None:
    assert html.startswith("<!DOCTYPE html>")
    expected = charts.report_charts(doc)
    assert html.count("<svg") == len(expected) >= 8
    assert 'id="chart-productivity_impact"' in html
    assert 'id="chart-productivity_impact.comparisons"' in html
    # Every chart's element ids are unique on the page (clip paths would collide otherwise).
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))


def test_html_structure_and_figures(html: str, doc: ReportDocument) -> None:
    text = html_lib.unescape(re.sub(r"<[^>]+>", " ", html))
    text = re.sub(r"\s+", " ", text)
    assert doc.title in text and doc.organisation in text
    assert "Answers through 15 March 2026" in text
    assert "n = 226" in text
    assert "An implementation gap, with a path forward" in text
    for statement in doc.headline.statements:
        assert statement in text
    # Shares with Wilson intervals, risk ratios with benchmarks, gaps in points.
    assert "56% (34–75%)" in text
    assert "Executives are 4.0× as likely (2.3–7.1) as individual contributors" in text
    assert "Published: 4×, Gartner 2025 AI in the Enterprise survey" in text
    assert "Published: 5×, Gartner 2025 AI in the Enterprise survey" in text
    assert "42 points higher (+19 to +62) among executives" in text
    assert "40 points" in text and "Goldman Sachs" in text
    # Benchmarks sit beside the figures, with their sources.
    assert "Upwork Research Institute 2024" in text
    # Every other question has its own section.
    for key in doc.perception:
        if key != "productivity_impact":
            assert f'id="q-{key}"' in html
    assert "How to read this" in text and "Privacy" in text
    for rule in doc.privacy.rules:
        assert html_lib.escape(rule, quote=False) in html


def test_hidden_figures_are_words_not_numbers(html: str, sparse_html: str) -> None:
    for page in (html, sparse_html):
        assert "Not enough responses (fewer than 5)" in page
        assert "Hidden to protect a small group" in page
        rows = hidden_rows(page)
        assert rows
        for row in rows:
            words = re.sub(r"fewer than \d+", "", re.sub(r"<[^>]+>", " ", row))
            assert not re.search(r"\d", words), row
    assert "Not estimable (no one in a group chose this answer)" in html
    assert "Not enough responses (fewer than 10)" in sparse_html  # comments below threshold
    # A leaders-only question was not put to individual contributors: not "not enough".
    block = html.split('id="q-peers_effective_use"')[1].split("</article>")[0]
    assert "Not asked (executives and managers only)" in block
    assert "Not enough responses" not in block


def test_every_table_row_lines_up_with_its_header(html: str) -> None:
    tables = re.findall(r'<table class="figures">(.*?)</table>', html, re.S)
    assert len(tables) >= 10
    for table in tables:
        head, body = table.split("</thead>")
        headers = len(re.findall(r"<th\b", head))
        for row in re.findall(r"<tr\b.*?</tr>", body, re.S):
            cells = re.findall(r"<t[hd]\b([^>]*)>", row)
            span = sum(int(m.group(1)) for c in cells if (m := re.search(r'colspan="(\d+)"', c)))
            width = len(cells) + span - sum(1 for c in cells if "colspan" in c)
            assert width == headers, row


def test_sparse_report_has_no_comparisons_or_gap_number(sparse_html: str) -> None:
    body = sparse_html.split('<section id="method"')[0]  # the legend has example figures
    text = re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", body)))
    assert "as likely (" not in text
    assert "points higher" not in text
    assert "Answers not released yet" in text
    gap = re.search(r'<div class="gap-card">(.*?)</div>\s*</div>', sparse_html, re.S)
    assert gap and "Not enough responses" in gap.group(1)
    assert "points" not in re.sub(r"Published:.*", "", gap.group(1), flags=re.S)


def test_malicious_comments_are_escaped(html: str) -> None:
    assert MALICIOUS_SCRIPT not in html
    assert MALICIOUS_IMG not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert len(re.findall(r"<script\b", html, re.I)) == 1  # only the JSON data element
    assert not re.search(r"<img\b", html, re.I)
    markup = re.sub(r"&lt;.*?&gt;", "", html.replace(embedded_json(html), ""))
    assert not re.search(r"\son[a-z]+\s*=", markup, re.I)


def test_embedded_json_is_the_document(html: str, doc: ReportDocument) -> None:
    data = embedded_json(html)
    assert "</" not in data and "<" not in data
    assert ReportDocument.model_validate_json(data) == doc
    comments = [c["text"] for c in json.loads(data)["comments"]["comments"]]
    assert MALICIOUS_SCRIPT in comments


def test_script_safe_json_round_trips() -> None:
    value = {"a": "</script><!-- & \u2028 \\u003c >"}
    text = script_safe_json(json.dumps(value))
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == value


def test_html_is_deterministic(doc: ReportDocument, html: str) -> None:
    assert render_html(doc) == html


# --- charts ----------------------------------------------------------------------------------


def test_charts_plot_only_shown_figures(doc: ReportDocument, sparse: ReportDocument) -> None:
    impact = sparse.perception["productivity_impact"]
    spec = charts.productivity_impact_chart(impact, sparse.group_order)
    assert spec is not None
    groups = {row["group"] for row in spec["data"]["values"]}
    assert groups == {"individual_contributor", "everyone"}
    assert charts.comparisons_chart(impact) is None  # every comparison hidden

    full = charts.comparisons_chart(doc.perception["productivity_impact"])
    assert full is not None
    ratio_panel, gap_panel = full["vconcat"]
    assert len(ratio_panel["data"]["values"]) == 2  # the not-estimable ratio is left out
    assert [r["bench"] for r in ratio_panel["data"]["values"]] == [4.0, 5.0]
    assert ratio_panel["layer"][-1]["encoding"]["x"]["scale"]["type"] == "log"
    assert len(gap_panel["data"]["values"]) == 3

    speedup = charts.number_chart(doc.perception["perceived_speedup"], doc.group_order)
    assert speedup is not None
    assert {r["group"] for r in speedup["data"]["values"]} == {
        "individual_contributor",
        "everyone",
    }


def test_charts_are_plain_data_with_the_report_font(doc: ReportDocument) -> None:
    specs = charts.report_charts(doc)
    assert set(specs) >= {"productivity_impact", "productivity_impact.comparisons"}
    for spec in specs.values():
        assert json.loads(json.dumps(spec)) == spec
        assert spec["config"]["font"] == "DejaVu Sans"
        assert spec["$schema"].endswith(".json")


def test_share_chart_benchmark_matches_what_it_counts(doc: ReportDocument) -> None:
    version = doc.survey.bank_version
    involvement = share_measure(doc.perception["decision_involvement"], version)
    assert involvement and involvement.kind is MeasureKind.FAVOURABLE
    assert involvement.benchmark == 0.12
    knows = share_measure(doc.perception["job_security_clarity"], version)
    assert knows and knows.kind is MeasureKind.COMPLEMENT and knows.options == ("no", "unsure")
    workload = share_measure(doc.perception["workload_change"], version)
    assert workload and workload.kind is MeasureKind.OPTION and workload.options == ("added",)

    spec = charts.share_chart(doc.perception["job_security_clarity"], doc.group_order, version)
    assert spec is not None
    ic = next(r for r in spec["data"]["values"] if r["group"] == "individual_contributor")
    fav = doc.perception["job_security_clarity"].groups["individual_contributor"].favourable
    assert fav is not None
    assert ic["share"] == pytest.approx(1 - fav.share)
    assert ic["low"] == pytest.approx(1 - fav.high)
    rules = [layer for layer in spec["layer"] if "data" in layer]
    assert rules and rules[0]["data"]["values"][0]["bench"] == 0.78


def test_spec_to_svg_is_inline_ready(doc: ReportDocument) -> None:
    specs = charts.report_charts(doc)
    first = charts.spec_to_svg(specs["productivity_impact"])
    second = charts.spec_to_svg(specs["job_security_clarity"])
    assert first.startswith('<svg role="img" aria-label="')
    assert "xmlns" not in first and "<script" not in first
    assert 'font-family="DejaVu Sans"' in first
    ids_a = set(re.findall(r'\bid="([^"]+)"', first))
    ids_b = set(re.findall(r'\bid="([^"]+)"', second))
    assert ids_a and ids_b and not ids_a & ids_b
    for ref in re.findall(r"url\(#([^)]+)\)", first):
        assert ref in ids_a
    # One named image: no mark inside has a role without a name (Vega's default ARIA gave
    # every rule and point one, which axe-core reports and screen readers read as noise).
    assert not re.findall(r'<[^>]*role="graphics-symbol"(?![^>]*aria-label)[^>]*>', first)
    described = charts.spec_to_svg(specs["productivity_impact"], "impact-caption")
    assert described.startswith('<svg role="img" aria-label="')
    assert 'aria-describedby="impact-caption"' in described.split(">", 1)[0]


# --- PDF -------------------------------------------------------------------------------------


def test_pdf_renders_pages_with_numbers_and_the_report_font(pdf: bytes, tmp_path: Path) -> None:
    assert pdf.startswith(b"%PDF")
    source = tmp_path / "report.pdf"
    source.write_bytes(pdf)
    assert shutil.which("pdftoppm"), "poppler-utils (pdftoppm) is required"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", str(source), str(tmp_path / "page")],
        check=True,
        capture_output=True,
        timeout=60,
    )
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 1
    assert all(p.stat().st_size > 1000 for p in pages)
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-layout", str(source), "-"],
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout
        assert f"Page 1 of {len(pages)}" in text
        assert "Northwind Logistics" in text
    if shutil.which("pdffonts"):
        listing = subprocess.run(
            ["pdffonts", str(source)], check=True, capture_output=True, text=True, timeout=60
        ).stdout
        fonts = [line.split()[0] for line in listing.splitlines()[2:] if line.strip()]
        assert fonts and all("DejaVu" in f for f in fonts), fonts


# --- files -----------------------------------------------------------------------------------


def test_write_report_writes_each_format(doc: ReportDocument, tmp_path: Path) -> None:
    json_path = write_report(doc, "json", tmp_path / "out" / "report.json")
    assert json_path == tmp_path / "out" / "report.json"
    assert ReportDocument.model_validate_json(json_path.read_text("utf-8")) == doc
    html_path = write_report(doc, "html", tmp_path)
    assert html_path == tmp_path / "reality-report.html"
    assert "<svg" in html_path.read_text("utf-8")
    assert not [p for p in tmp_path.rglob(".*") if p.is_file()]  # no temporary files left
    with pytest.raises(ValueError, match="unknown report format"):
        write_report(doc, "docx", tmp_path)  # type: ignore[arg-type]


def test_formatting() -> None:
    assert percent_range(0.3149, 0.5832) == "31–58%"
    assert ratio(4.07) == "4.1×" and ratio(13.9) == "14×"
    assert ratio_range(0.99, 13.9) == "1.0–14"
    assert points_range(-4.2, 12.0) == "−4 to +12"
    import datetime as dt

    assert window(dt.date(2026, 3, 3), dt.date(2026, 3, 28)) == "3–28 March 2026"
    assert window(None, None) == "Dates not recorded"


def test_statuses_all_covered(doc: ReportDocument, sparse: ReportDocument) -> None:
    seen = set()
    for d in (doc, sparse):
        for q in d.perception.values():
            seen |= {g.status for g in q.groups.values()}
            seen |= {c.status for c in (*q.risk_ratios.values(), *q.gaps_pp.values())}
        seen.add(d.comments.status)
    assert seen == set(FigureStatus)


# --- a real browser --------------------------------------------------------------------------


@pytest.mark.browser
def test_report_in_chromium(html: str, tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    page_file = tmp_path / "report.html"
    page_file.write_text(html, encoding="utf-8")
    outside: list[str] = []
    dialogs: list[str] = []
    errors: list[str] = []

    def on_route(route) -> None:
        url = route.request.url
        if url.startswith("file://"):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    def on_request(request) -> None:
        if not request.url.startswith(("file://", "data:", "about:")):
            outside.append(request.url)

    def on_dialog(dialog) -> None:
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def on_console(message) -> None:
        if message.type == "error":
            errors.append(message.text)

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.route("**/*", on_route)
            page = context.new_page()
            page.on("request", on_request)
            page.on("dialog", on_dialog)
            page.on("console", on_console)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(page_file.as_uri(), wait_until="load")

            svgs = page.locator("figure.chart svg")
            assert svgs.count() >= 8
            for i in range(svgs.count()):
                svg = svgs.nth(i)
                assert svg.is_visible()
                box = svg.bounding_box()
                assert box is not None and box["width"] > 100 and box["height"] > 40, box
            # The malicious comment shows as text.
            assert page.get_by_text(MALICIOUS_SCRIPT).count() == 1
            data = page.evaluate(
                f"JSON.parse(document.getElementById('{DATA_ELEMENT_ID}').textContent)"
            )
            assert data["organisation"] == "Northwind Logistics"
            page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)

            phone = context.new_page()
            phone.on("dialog", on_dialog)
            phone.on("console", on_console)
            phone.set_viewport_size({"width": 390, "height": 844})
            phone.goto(page_file.as_uri(), wait_until="load")
            # No sideways scrolling of the page itself on a phone (wide tables and charts
            # scroll inside their own frames).
            assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            phone.screenshot(path=str(ARTIFACTS / "report-mobile.png"), full_page=True)
        finally:
            browser.close()
    assert outside == []
    assert dialogs == []
    assert errors == []


# --- the sections after perception -----------------------------------------------------------

SECTIONS = ["gap_trend", "adoption", "use_cases", "cost"]


def test_html_has_every_section_in_order_with_its_figures(html: str, doc: ReportDocument) -> None:
    text = re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", html)))
    order = [m.group(1) for m in re.finditer(r'<section id="([a-z_]+)"', html)]
    assert order == [
        "headline",
        "gap_trend",
        "perception",
        "questions",
        "adoption",
        "use_cases",
        "cost",
        "next_steps",
        "comments",
        "method",
    ]
    toc = re.findall(r'<nav class="toc".*?</nav>', html, re.S)[0]
    assert re.findall(r'href="#([a-z_]+)"', toc) == order
    assert "Function: Support" in text and "2026-Q1" in text
    assert "Widening beyond noise: +26 points since the previous pulse" in text
    assert "Dashboard says 75% adoption" in text and "integration is 30%" in text
    assert "customer replies" in text and "70% (56–82%)" in text
    assert "USD 21,600" in text  # 240 seats x 3 months x 30
    assert "6 minutes per person per week" in text  # 30 / (75 x 52/12) hours
    for label in ("Measured", "Self-reported", "Assumption"):
        assert f'">{label}</span>' in html
    assert doc.next_steps is not None
    for step in doc.next_steps.steps:
        assert html_lib.escape(step.title, quote=False) in html
    # The headline's path forward is the first four rule-based steps.
    path = re.search(r'<div class="path">(.*?)</div>', html, re.S)
    assert path is not None
    assert [html_lib.escape(s.title, quote=False) for s in doc.next_steps.steps[:4]] == [
        t.strip() for t in re.findall(r"<strong>(.*?)</strong>", path.group(1))
    ]


def test_withheld_rows_hold_words_not_numbers(html: str, sparse_html: str) -> None:
    for page in (html, sparse_html):
        rows = re.findall(r'<tr class="[^"]*is-withheld[^"]*">.*?</tr>', page, re.S)
        assert rows, "a withheld row is expected in each sample"
        for row in rows:
            cells = re.findall(r"<td\b.*?</td>", row, re.S)
            words = re.sub(
                r"fewer than \d+", "", " ".join(re.sub(r"<[^>]+>", " ", c) for c in cells)
            )
            assert not re.search(r"\d", words), row


def test_sparse_sections_say_why_there_is_no_number(sparse_html: str) -> None:
    text = re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", sparse_html)))
    assert "Not enough data for a trend yet" in text
    assert "Fewer than 5 licensed people in this scope: the funnel is not shown." in text
    cost = sparse_html.split('<section id="cost"')[1].split("</section>")[0]
    assert "USD" not in re.sub(r"<ul class=\"plain-list inputs\">.*?</ul>", "", cost, flags=re.S)
    assert 'id="use_cases"' not in sparse_html


def test_a_registered_section_joins_the_contents_in_its_order(doc: ReportDocument) -> None:
    """A capability registers its section (gaplens/sections.py) and it is listed in its
    order, before the next steps, without a line in the report; a field nobody registered
    has no partial to render, so it is not listed (no link to nothing)."""
    from pydantic import Field

    from gaplens.report.view import build_view
    from gaplens.sections import SECTIONS, SectionEntry

    class WithTaskMap(ReportDocument):
        task_map: dict[str, int] | None = Field(default=None, title="Task preference map")

    data = doc.model_dump()
    extended = WithTaskMap.model_validate({**data, "task_map": {"teams": 3}})
    unregistered = [e.anchor for e in build_view(extended).contents]
    assert "task_map" not in unregistered
    SECTIONS["task_map"] = SectionEntry("task_map", "Task preference map", 99, lambda *_: None)
    try:
        entries = [(e.anchor, e.title) for e in build_view(extended).contents]
        absent = [e.anchor for e in build_view(WithTaskMap.model_validate(data)).contents]
    finally:
        del SECTIONS["task_map"]
    assert entries.index(("task_map", "Task preference map")) == (
        entries.index(("next_steps", "Next steps")) - 1
    )
    assert entries.index(("adoption", "Performative vs real adoption")) < entries.index(
        ("cost", "Cost")
    )
    assert "task_map" not in absent


def test_section_charts_plot_only_shown_figures(
    doc: ReportDocument, sparse: ReportDocument
) -> None:
    specs = charts.section_charts(doc)
    assert set(specs) == set(SECTIONS)
    trend = specs["gap_trend"]["data"]["values"]
    assert [r["period"] for r in trend] == ["before", "in"]
    funnel = specs["adoption"]["data"]["values"]
    assert [r["group"] for r in funnel] == ["dashboard"] * 3 + ["real"] * 2
    cost = specs["cost"]["data"]["values"]
    assert [r["basis"] for r in cost] == ["assumption", "self_reported"]  # executives hidden
    assert charts.section_charts(sparse) == {}


def test_pdf_has_the_sections_as_text(pdf: bytes, tmp_path: Path) -> None:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) not installed")
    source = tmp_path / "report.pdf"
    source.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", str(source), "-"], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    text = re.sub(r"\s+", " ", text)
    for heading in (
        "Is the gap between leaders and the frontline closing?",
        "Available is not the same as integrated",
        "Where AI helps the work, and where it gets in the way",
        "What AI costs, beside the time it saves and takes",
        "A path forward, from the figures above",
    ):
        assert heading in text, heading
    assert "Find out what changed since the last pulse" in text
    assert "Rule: gap-widening" not in text  # rule ids stay in the JSON, not on paper


@pytest.mark.browser
def test_sections_in_chromium(html: str, tmp_path: Path) -> None:
    from .browser_check import check_report

    found = check_report(html, tmp_path, SECTIONS)
    assert found.outside == [] and found.errors == [] and found.dialogs == []
    assert found.phone_fits
    assert set(found.charts) == set(SECTIONS)
    for width, height in found.charts.values():
        assert width > 300 and height > 80
    assert found.sections[-2:] == ["comments", "method"] and "next_steps" in found.sections


def test_the_quoted_sample_skips_repeated_texts_and_says_so() -> None:
    from gaplens.report.schemas import CommentsOut
    from gaplens.report.view import COMMENTS_IN_REPORT, comments_view

    texts = [f"Comment number {i}" for i in range(30)]
    rows = [{"text": t, "month": "2026-03"} for t in texts]
    rows[1:1] = [{"text": texts[0], "month": "2026-02"}] * 3  # three people, the same words
    doc = sample_document()
    doc = doc.model_copy(update={"comments": CommentsOut(status="shown", n=33, comments=rows)})
    view = comments_view(doc)
    assert [i.text for i in view.items] == texts[:COMMENTS_IN_REPORT]
    assert view.items[0].month == "March 2026"  # the first of the repeated texts is quoted
    assert view.count == (
        "24 of 33 comments, picked at random; a text written word for word by several people "
        "is quoted once"
    )
    plain = doc.model_copy(
        update={"comments": CommentsOut(status="shown", n=3, comments=rows[4:7])}
    )
    assert comments_view(plain).count == "3 comments"


def test_a_spend_not_released_says_why_and_shows_no_total(doc: ReportDocument) -> None:
    """A tool's count withheld in a month: its line and the total say so in words, the
    released lines keep their figures."""
    assert doc.cost is not None
    m365 = doc.cost.seats[0].model_copy(update={"seats": None, "seat_months": None, "spend": None})
    reason = "Total spend not released: Microsoft 365 Copilot holders are not released."
    cost = doc.cost.model_copy(
        update={
            "seats": [m365],
            "spend": None,
            "spend_per_seat_month": None,
            "break_even_hours_per_week": None,
            "reason": reason,
        }
    )
    page = render_html(doc.model_copy(update={"cost": cost}))
    section = page.split('<section id="cost"')[1].split("</section>")[0]
    text = re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", section)))
    assert "Not released" in text and reason in text
    assert "720 seat-months over 3 month ends, January 2026 to March 2026." in text
    assert "per seat-month" not in text.split("Licences per tool")[0].split("AI spend")[1]
    assert "USD 21,600" not in text
