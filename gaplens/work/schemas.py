"""The work vocabulary every layer shares: item kinds and status categories. A leaf (no
tables), so connectors can map a tracker's statuses without importing a table module."""

from __future__ import annotations

ISSUE = "issue"
TICKET = "ticket"
TODO = "todo"
IN_PROGRESS = "in_progress"
DONE = "done"
