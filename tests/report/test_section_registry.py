"""Report sections come from one list (gaplens/sections.py): every section a capability owns
is registered there, is a field of the report document, and has its partial; the report
builds, lists and renders them from that list, and builds only its own sections by hand."""

from __future__ import annotations

from pathlib import Path

from gaplens.report.schemas import ReportDocument
from gaplens.sections import registered_sections

TEMPLATES = Path(__file__).resolve().parents[2] / "gaplens" / "report" / "templates"
REPORTS_OWN = frozenset(
    {
        "schema_version",
        "title",
        "organisation",
        "generated_on",
        "survey",
        "privacy",
        "group_order",
        "headline",
        "perception",
        "comments",
        "method_notes",
        "measured",
        "scope",
        "period",
        "gap_trend",
        "next_steps",
        "heatmap",
        "brief",
    }
)
"""What the report reads itself: its metadata, the perception figures, the three realities,
the gap trend (it needs the report's pulses), and what is drawn from the other sections."""


def test_every_capability_section_is_registered_once_in_order() -> None:
    entries = registered_sections()
    fields = [e.field for e in entries]
    assert fields == [
        "adoption",
        "use_cases",
        "cost",
        "tasks",
        "commitments",
        "drivers",
        "reflections",
        "modelling",
        "criteria",
        "wins",
        "actions",
    ]
    assert set(ReportDocument.model_fields) - REPORTS_OWN == set(fields)
    orders = [e.order for e in entries]
    assert orders == sorted(orders) and len(set(orders)) == len(orders)


def test_every_registered_section_has_its_partial_and_no_builder_in_the_report() -> None:
    for entry in registered_sections():
        partial = TEMPLATES / "sections" / f"{entry.field}.html.j2"
        assert partial.is_file(), entry.field
        assert f'id="{entry.field}"' in partial.read_text(), entry.field
        module = entry.build.__module__
        assert module.startswith("gaplens.") and not module.startswith("gaplens.report"), module
