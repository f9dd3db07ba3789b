"""POST /integrations/teams/message: HMAC-signed, replay-checked; stores no words."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from gaplens.feedback.service import DatabaseReplayStore
from gaplens.integrations.teams import (
    TeamsNotConfigured,
    TeamsRequestRejected,
    authenticate_activity,
    interpret,
    reply_for,
)
from gaplens.web.deps import DbSession, settings

router = APIRouter(tags=["integrations"])


@router.post(
    "/integrations/teams/message",
    responses={
        401: {"description": "bad signature or stale activity"},
        403: {"description": "tenant not allowed"},
        409: {"description": "replay"},
    },
)
async def teams_message(request: Request, session: DbSession) -> Response:
    """A Teams outgoing webhook. The channel shows who wrote the message, so nothing of it is
    stored: the reply, in the sender's Teams language, points to the private feedback form
    (prefilled with the kind, tool and use case named) or to the private way to reflect."""
    body = await request.body()
    config = settings(request)
    try:
        message = authenticate_activity(
            config.teams_security_tokens,
            dict(request.headers),
            body,
            time.time(),
            DatabaseReplayStore(session),
            config.teams_tenant_ids,
        )
    except TeamsNotConfigured:
        return JSONResponse({"error": "Teams is not configured on this server"}, status_code=503)
    except TeamsRequestRejected as rejected:
        return JSONResponse({"error": rejected.reason}, status_code=rejected.status)
    base_url = config.base_url or str(request.base_url)
    return JSONResponse(reply_for(interpret(message), message, base_url))
