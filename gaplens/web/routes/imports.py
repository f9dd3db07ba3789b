"""Tool-export uploads for admins: the same importers as `gaplens import KIND`, over HTTP.

The body is the file itself (`curl --data-binary @export.csv`), streamed to a temporary file
under a size limit once the admin's session has been checked, then imported in one
transaction: all or nothing, with the same located errors (422) as the CLI's exit status 2.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel
from sqlalchemy.orm import Session

from gaplens.audit.service import record
from gaplens.db.engine import session_scope
from gaplens.imports.service import ConnectorSummary
from gaplens.web.deps import Admin, settings

router = APIRouter(prefix="/api/v1/admin/imports", tags=["admin"])
Kind = Literal[
    "copilot-usage",
    "m365-copilot",
    "cursor-usage",
    "claude-code-usage",
    "jira",
    "tickets",
    "friction",
]
SAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]+")


class ImportOut(BaseModel):
    kind: str
    source: str
    rows_read: int
    rows_written: int
    rows_unresolved: int
    summary: str
    warnings: list[str] = []
    """What the file lacks that some figure needs (also in `summary`)."""


def _importer(kind: str, system: str | None) -> Callable[[Session, Path], ConnectorSummary]:
    if kind in ("copilot-usage", "m365-copilot"):
        from gaplens.telemetry import service as telemetry

        if kind == "copilot-usage":
            return telemetry.import_copilot_usage
        return telemetry.import_m365_copilot
    if kind in ("cursor-usage", "claude-code-usage"):
        from gaplens.telemetry import assistants

        if kind == "cursor-usage":
            return assistants.import_cursor_usage
        return assistants.import_claude_code_usage
    if kind in ("jira", "tickets"):
        from gaplens.work import service as work

        if kind == "jira":
            return work.import_jira
        return lambda session, path: work.import_tickets(session, path, system=system)
    from gaplens.friction.service import import_friction

    return import_friction


@asynccontextmanager
async def received_file(request: Request, filename: str) -> AsyncIterator[Path]:
    """The request body streamed to a temporary file under the upload limit (413 beyond it),
    named after `filename` for errors and history; the file is gone after the block."""
    limit = settings(request).max_import_bytes
    name = SAFE_NAME.sub("_", Path(filename).name).strip(" .") or "upload"
    with tempfile.TemporaryDirectory(prefix="gaplens-upload-") as folder:
        path = Path(folder) / name
        size = 0
        with path.open("wb") as handle:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise HTTPException(413, f"file larger than the upload limit ({limit} bytes)")
                handle.write(chunk)
        yield path


def _run(url: str, kind: str, path: Path, system: str | None, actor: str) -> ConnectorSummary:
    with session_scope(url) as session:
        summary = _importer(kind, system)(session, path)
        record(session, actor, f"import_{kind}", path.name, {"rows": summary.rows_written})
    return summary


@router.post(
    "/{kind}",
    status_code=201,
    responses={
        413: {"description": "file larger than the upload limit"},
        422: {"description": "the file has problems (file, row and column named)"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
async def upload(
    kind: Kind,
    request: Request,
    viewer: Admin,
    filename: Annotated[
        str, Query(min_length=1, max_length=200, description="Name shown in errors and history")
    ] = "upload",
    system: Annotated[
        Literal["zendesk", "servicenow"] | None, Query(description="tickets only")
    ] = None,
) -> ImportOut:
    """Import one tool export (the request body is the file, any content type)."""
    async with received_file(request, filename) as path:
        summary = await run_in_threadpool(
            _run, settings(request).database_url, kind, path, system, viewer.audit_key
        )
    return ImportOut(
        kind=summary.kind,
        source=summary.source,
        rows_read=summary.rows_read,
        rows_written=summary.rows_written,
        rows_unresolved=summary.rows_unresolved,
        summary=summary.describe(),
        warnings=list(summary.warnings),
    )
