"""axe-core in the real browser: every page a test opens can be checked for accessibility.

axe.min.js is, in this order: `GAPLENS_AXE_JS=/path/to/axe.min.js`; axe-core 4.14.1 from the
npm registry, which `make test` fetches once into .cache/axe-core/ (scripts/axe-core.sh);
else the build bundled in the pinned `axe-playwright-python` wheel (4.12.1), so the check
still runs offline. Only the script is used: the helper injects it and calls `axe.run`
itself, so the rules, the failure message and the version check are ours.

    from tests.web.axe import assert_no_violations
    assert_no_violations(page, "survey, phone")
"""

from __future__ import annotations

import importlib.resources
import os
from functools import cache
from pathlib import Path
from typing import Any

AXE_VERSION = "4.14.1"
"""The axe-core scripts/axe-core.sh fetches (the version accessibility reviews use)."""
TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice")
"""Every WCAG 2.0-2.2 A and AA rule and axe's best practices: any impact fails."""


@cache
def axe_script() -> str:
    override = os.environ.get("GAPLENS_AXE_JS")
    if override:
        return Path(override).read_text(encoding="utf-8")
    fetched = Path(__file__).resolve().parents[2] / ".cache" / "axe-core" / AXE_VERSION
    if (fetched / "axe.min.js").is_file():
        return (fetched / "axe.min.js").read_text(encoding="utf-8")
    source = importlib.resources.files("axe_playwright_python") / "axe.min.js"
    return source.read_text(encoding="utf-8")


def run_axe(page: Any, include: str | None = None) -> dict[str, Any]:
    """axe's results for the page as it is now (or for the part `include` selects)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe_script())
    version = page.evaluate("() => window.axe.version")
    assert str(version).startswith("4."), f"axe-core {version}: the helper expects 4.x"
    results: dict[str, Any] = page.evaluate(
        """([include, tags]) => window.axe.run(include ? {include: [include]} : document, {
            runOnly: {type: 'tag', values: tags},
            resultTypes: ['violations'],
        })""",
        [include, list(TAGS)],
    )
    return results


def describe(violations: list[dict[str, Any]]) -> str:
    """One line per offending element: rule id, impact, selector, what to fix."""
    lines = []
    for violation in violations:
        for node in violation["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            lines.append(
                f"  {violation['id']} ({violation['impact']}) at {target}: {violation['help']}"
                f" [{node.get('failureSummary', '').splitlines()[-1].strip()}]"
            )
    return "\n".join(lines)


def assert_no_violations(page: Any, context: str, include: str | None = None) -> None:
    """Fail listing every axe violation, of any impact, on the page (`context` names the
    page and state in the message, e.g. "survey, phone, after a missing answer")."""
    results = run_axe(page, include)
    violations = results["violations"]
    version = page.evaluate("() => window.axe.version")
    assert not violations, (
        f"axe-core {version} found {sum(len(v['nodes']) for v in violations)} problem(s) on "
        f"{context} ({page.url}):\n{describe(violations)}"
    )
