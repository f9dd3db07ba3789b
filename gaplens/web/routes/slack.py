"""POST /integrations/slack/command: signed, replay-checked, anonymous on arrival."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from gaplens.feedback.schemas import FeedbackIn, FeedbackKind
from gaplens.feedback.service import DatabaseReplayStore, submit_feedback
from gaplens.integrations.slack import (
    SlackNotConfigured,
    SlackRequestRejected,
    authenticate_request,
    is_reflection_text,
    is_ssl_check,
    parse_feedback_text,
    parse_reflection_text,
    parse_slash_command,
    reflection_reply,
    reply_for,
)
from gaplens.reflections.schemas import ReflectionIn
from gaplens.reflections.service import submit_anonymous_reflection
from gaplens.web.deps import DbSession, settings

router = APIRouter(tags=["integrations"])


@router.post(
    "/integrations/slack/command",
    responses={401: {"description": "bad or stale signature"}, 409: {"description": "replay"}},
)
async def slack_command(request: Request, session: DbSession) -> Response:
    """Slack's slash command: feedback, or `reflect` for a reflection. Only the command and
    its text are kept; who sent it, from which workspace and channel, is dropped before
    anything is stored or logged. Reflections count in themes, never in participation. The
    reply is in the organisation's language (the command carries none)."""
    body = await request.body()
    try:
        authenticate_request(
            settings(request).slack_signing_secret or "",
            dict(request.headers),
            body,
            time.time(),
            DatabaseReplayStore(session),
        )
        if is_ssl_check(body):
            return Response(status_code=200)
        command = parse_slash_command(body)
    except SlackNotConfigured:
        return JSONResponse({"error": "Slack is not configured on this server"}, status_code=503)
    except SlackRequestRejected as rejected:
        return JSONResponse({"error": rejected.reason}, status_code=rejected.status)
    language = settings(request).default_language
    if is_reflection_text(command.text):
        reflection = parse_reflection_text(command.text, command=command.command, language=language)
        if reflection.is_reflection:
            answer = ReflectionIn(
                learned=reflection.learned,
                means=reflection.means,
                confidence=reflection.confidence,
            )
            submit_anonymous_reflection(session, answer, source="slack")
        return JSONResponse(reflection_reply(reflection, language))
    intent = parse_feedback_text(command.text, command=command.command, language=language)
    if intent.is_feedback:
        item = FeedbackIn(
            kind=FeedbackKind(intent.kind),
            text=intent.text,
            tool=intent.tool,
            use_case=intent.use_case,
        )
        submit_feedback(session, item, channel="slack")
    return JSONResponse(reply_for(intent, language))
