"""Render a ReportDocument as JSON, self-contained HTML, or PDF (WeasyPrint, from that HTML)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Literal, get_args

import jinja2
from markupsafe import Markup

from gaplens.report.effects import counter_effect
from gaplens.report.heatmap import HeatmapView
from gaplens.report.schemas import ReportDocument
from gaplens.report.view import build_view
from gaplens.wording import plain, signed

Format = Literal["html", "json", "pdf"]
FORMATS: tuple[str, ...] = get_args(Format)
DEFAULT_NAMES: dict[str, str] = {fmt: f"reality-report.{fmt}" for fmt in FORMATS}
TEMPLATE = "report.html.j2"
DATA_ELEMENT_ID = "gaplens-report-data"


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("gaplens.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
        keep_trailing_newline=True,
    )
    environment.filters["n2"] = two_decimals
    environment.filters["n0"] = whole_signed
    environment.filters["counter"] = counter_effect
    return environment


def whole_signed(value: float) -> str:
    """A signed whole number: "+14", "−14", "0" (never "-0")."""
    return signed(value, 0)


def two_decimals(value: float, sign: bool = False) -> str:
    """A figure to two decimals as a reader writes it: a real minus sign, never "-0.00"."""
    return signed(value, 2) if sign else plain(value, 2)


def render_heatmap(hm: HeatmapView, link: Callable[[str], str] | None) -> Markup:
    """The heatmap's table alone, for the staff dashboard (the same partial as the report's);
    `link` gives a team's report address."""
    template = _environment().get_template("heatmap_table.html.j2")
    return Markup(template.render(hm=hm, link=link, hm_caption_id="hm-caption"))


def render_json(doc: ReportDocument) -> str:
    """The document as indented JSON: the stable contract (ReportDocument.model_validate_json
    reads it back)."""
    return doc.model_dump_json(indent=2)


def script_safe_json(text: str) -> str:
    """JSON that can sit inside <script type="application/json"> and parse back unchanged.

    '<', '>' and '&' only occur inside JSON strings, where their \\u escapes mean the same
    characters; so no '</script>' or '<!--' can end or alter the element early.
    """
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def render_html(doc: ReportDocument) -> str:
    """One self-contained HTML page: inline CSS, charts as inline SVG, the document as JSON in
    <script type="application/json" id="gaplens-report-data">, no external resource.

    Templates see `v` (the formatted view) and `doc` (the document itself), so a section
    partial (templates/sections/<area>.html.j2) can render its own field of the document."""
    template = _environment().get_template(TEMPLATE)
    data_json = Markup(script_safe_json(render_json(doc)))
    return template.render(v=build_view(doc), doc=doc, data_json=data_json)


def render_pdf(doc: ReportDocument) -> bytes:
    """An A4 PDF of the same HTML, with page numbers in the footer. Fetches nothing."""
    import weasyprint  # imported here: slow to import, and only the PDF needs it

    no_fetching = weasyprint.URLFetcher(allowed_protocols=())
    html = weasyprint.HTML(
        string=render_html(doc), url_fetcher=no_fetching, media_type="print", base_url=None
    )
    pdf = html.write_pdf()
    if not isinstance(pdf, bytes):  # pragma: no cover - write_pdf() without target returns bytes
        raise TypeError("WeasyPrint returned no PDF bytes")
    return pdf


def render(doc: ReportDocument, fmt: Format) -> bytes:
    """The report in one format, as bytes (UTF-8 for the text formats)."""
    if fmt == "json":
        return render_json(doc).encode("utf-8")
    if fmt == "html":
        return render_html(doc).encode("utf-8")
    if fmt == "pdf":
        return render_pdf(doc)
    raise ValueError(f"unknown report format {fmt!r}; expected one of {', '.join(FORMATS)}")


def write_report(doc: ReportDocument, fmt: Format, out: Path) -> Path:
    """Write the report and return the file written.

    `out` is a file path, or an existing directory (the file is then named
    reality-report.<fmt>). Parent directories are created; the file is replaced atomically, so
    a reader never sees half a report.
    """
    data = render(doc, fmt)
    target = out / DEFAULT_NAMES[fmt] if out.is_dir() else out
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        tmp.chmod(0o644)
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target
