"""The demo's reports: the organisation's, and one function's for one quarter, built through
the same service and options as `gaplens report --scope function:Support --period 2026-Q3`."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from gaplens.privacy import PrivacyPolicy
from gaplens.report.render import Format, write_report
from gaplens.report.schemas import ReportDocument
from gaplens.report.scope import ScopeRequest, parse_period
from gaplens.report.service import build_report

FUNCTION = "Support"
"""Support, because its frontline's planted change of mood makes its gap widen between the
two pulses: the function report shows the trend flagged and the rule-based step it triggers."""
PERIOD = "2026-Q3"
FUNCTION_FORMATS: tuple[Format, ...] = ("json", "html")
"""No PDF: WeasyPrint would add about a tenth to the demo's time; `gaplens report --scope
function:Support --period 2026-Q3 -f pdf` writes it from the demo's database."""


def function_report(session: Session, policy: PrivacyPolicy) -> ReportDocument:
    return build_report(
        session,
        None,
        policy,
        scope_request=ScopeRequest("function", FUNCTION),
        period_request=parse_period(PERIOD),
    )


def write_function_report(document: ReportDocument, out_dir: Path) -> dict[str, Path]:
    """reality-report-support-2026-q3.<fmt>, keyed '<Function> <fmt>' for the summary."""
    stem = f"reality-report-{FUNCTION.lower()}-{PERIOD.lower()}"
    return {
        f"{FUNCTION} {fmt}": write_report(document, fmt, out_dir / f"{stem}.{fmt}")
        for fmt in FUNCTION_FORMATS
    }
