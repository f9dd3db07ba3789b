"""The AI-tool vocabulary every layer shares: which tools a seat is counted as, and the
"any app" of a tool that reports no apps. A leaf (no tables), so connectors, costs and
releases can name a tool without importing a table module."""

from __future__ import annotations

GITHUB_COPILOT = "github-copilot"
M365_COPILOT = "m365-copilot"
CURSOR = "cursor"
CLAUDE_CODE = "claude-code"
CODE_TOOLS = (GITHUB_COPILOT, CURSOR, CLAUDE_CODE)
"""Coding assistants whose usage rows carry suggestions, acceptances and lines: the funnel's
"output kept" reads them alike, so a team using several is one population."""
OTHER_TOOL = "other"
"""A licensed person no usage export shows holding either tool above."""
SEAT_TOOLS = (GITHUB_COPILOT, M365_COPILOT, OTHER_TOOL)
"""The tools a seat is counted as (a person may hold both exported ones)."""
ANY_APP = "any"
