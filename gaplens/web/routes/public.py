"""Pages anyone may open: the front door says plainly what gaplens stores."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from gaplens.web.assets import STATIC_DIR
from gaplens.web.pages import render

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    return render(request, "home.html.j2", title="gaplens")


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    """Browsers ask for /favicon.ico on pages that name no icon (a report opened from the
    reports page is a standalone document); the app's own icon answers, not a 404."""
    return FileResponse(STATIC_DIR / "favicon.svg", media_type="image/svg+xml")
