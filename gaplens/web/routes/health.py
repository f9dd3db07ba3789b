"""Liveness and readiness for load balancers and `make demo`."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text

from gaplens import __version__
from gaplens.web.deps import DbSession

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    version: str
    database: str


@router.get("/healthz")
def healthz(session: DbSession) -> Health:
    session.execute(text("SELECT 1"))
    return Health(status="ok", version=__version__, database="ok")
