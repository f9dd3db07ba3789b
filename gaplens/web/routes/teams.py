"""POST /integrations/teams/message: HMAC-signed, replay-checked, anonymous on arrival."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from gaplens.feedback.schemas import FeedbackIn, FeedbackKind
from gaplens.feedback.service import DatabaseReplayStore, submit_feedback
from gaplens.integrations.slack import ReflectionIntent
from gaplens.integrations.teams import (
    TeamsNotConfigured,
    TeamsRequestRejected,
    authenticate_activity,
    interpret,
    reply_for,
)
from gaplens.reflections.schemas import ReflectionIn
from gaplens.reflections.service import submit_anonymous_reflection
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
    """A Teams outgoing webhook: feedback, or `reflect` for a reflection. Only the typed text
    is kept; who sent it, from which tenant, team and channel, is dropped before anything is
    stored or logged. Reflections count in themes, never in participation."""
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
    intent = interpret(message)
    if isinstance(intent, ReflectionIntent):
        if intent.is_reflection:
            answer = ReflectionIn(
                learned=intent.learned, means=intent.means, confidence=intent.confidence
            )
            submit_anonymous_reflection(session, answer, source="teams")
    elif intent.is_feedback:
        item = FeedbackIn(
            kind=FeedbackKind(intent.kind),
            text=intent.text,
            tool=intent.tool,
            use_case=intent.use_case,
        )
        submit_feedback(session, item, channel="teams")
    return JSONResponse(reply_for(intent, message.command))
