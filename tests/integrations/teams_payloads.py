"""Activities shaped as Teams posts them to an outgoing webhook, and Teams's signing by hand.

The signing is written from Microsoft's description ("Create an Outgoing Webhook": HMAC-SHA256
keyed with the base64-decoded security token, over the body's bytes, sent base64 after
``HMAC ``) independently of the code under test.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from typing import Any

# A security token as Teams shows it: 32 random bytes, base64.
TOKEN = base64.b64encode(bytes(range(7, 39))).decode()
OTHER_TOKEN = base64.b64encode(bytes(range(100, 132))).decode()
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"

# Everything in an activity that points at a person, their tenant, team or channel.
IDENTIFYING = {
    "from.id": "29:1XJKJMvc5GBtc2JwZq0oj8tHZmzrQgFmB39ATiQWA85gQtHieVkKilBZ9XHoq9j7Zaqt7CZ",
    "from.name": "Megan Bowen",
    "from.aadObjectId": "d0b7d0a6-3cc5-4b3b-9ba0-7f9e14d2c4a1",
    "conversation.id": "19:253b1f341670408fb6fcb1a0a4e3ba3e@thread.tacv2;messageid=1481567603816",
    "conversation.name": "AI pilot",
    "channelData.teamsChannelId": "19:253b1f341670408fb6fcb1a0a4e3ba3e@thread.tacv2",
    "channelData.teamsTeamId": "19:712c61d0ef384e5fa681ba90ca943398@thread.tacv2",
    "channelData.channel.name": "Engineering – Payments",
    "serviceUrl": "https://smba.trafficmanager.net/emea-client-ss.msg/",
    "localTimezone": "Europe/Berlin",
}


def timestamp(at: float) -> str:
    """Teams's format: UTC with seven fractional digits and a Z."""
    moment = dt.datetime.fromtimestamp(at, dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0Z"


def activity(
    text: str,
    at: float,
    *,
    activity_id: str = "1481567603816",
    tenant: str = TENANT,
    webhook: str = "gaplens",
) -> dict[str, Any]:
    """A channel message @mentioning the webhook, with every field Teams sends."""
    local = dt.datetime.fromtimestamp(at, dt.timezone(dt.timedelta(hours=1)))
    return {
        "type": "message",
        "id": activity_id,
        "timestamp": timestamp(at),
        "localTimestamp": local.isoformat(),
        "serviceUrl": IDENTIFYING["serviceUrl"],
        "channelId": "msteams",
        "from": {
            "id": IDENTIFYING["from.id"],
            "name": IDENTIFYING["from.name"],
            "aadObjectId": IDENTIFYING["from.aadObjectId"],
        },
        "conversation": {
            "isGroup": True,
            "id": IDENTIFYING["conversation.id"],
            "name": IDENTIFYING["conversation.name"],
            "conversationType": "channel",
            "tenantId": tenant,
        },
        "recipient": None,
        "textFormat": "plain",
        "attachmentLayout": None,
        "membersAdded": [],
        "membersRemoved": [],
        "topicName": None,
        "historyDisclosed": None,
        "locale": "en-US",
        "text": f"<at>{webhook}</at> {text}",
        "speak": None,
        "inputHint": None,
        "summary": None,
        "suggestedActions": None,
        "attachments": [
            {
                "contentType": "text/html",
                "content": f'<div><div><span itemscope="" itemtype="http://schema.skype.com/'
                f'Mention" itemid="0">{webhook}</span> {text}</div></div>',
            }
        ],
        "entities": [
            {"type": "clientInfo", "locale": "en-US", "country": "DE", "platform": "Windows"},
            {
                "type": "mention",
                "mentioned": {"id": "28:c9e8c047-2a74-40a2-b28a-b162d5f5327c", "name": webhook},
                "text": f"<at>{webhook}</at>",
            },
        ],
        "channelData": {
            "teamsChannelId": IDENTIFYING["channelData.teamsChannelId"],
            "teamsTeamId": IDENTIFYING["channelData.teamsTeamId"],
            "channel": {
                "id": IDENTIFYING["channelData.teamsChannelId"],
                "name": IDENTIFYING["channelData.channel.name"],
            },
            "team": {"id": IDENTIFYING["channelData.teamsTeamId"]},
            "tenant": {"id": tenant},
        },
        "action": None,
        "replyToId": None,
        "value": None,
        "name": None,
        "relatesTo": None,
        "code": None,
        "localTimezone": IDENTIFYING["localTimezone"],
    }


def body_of(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def signature(body: bytes, token: str = TOKEN) -> str:
    digest = hmac.new(base64.b64decode(token), body, hashlib.sha256).digest()
    return "HMAC " + base64.b64encode(digest).decode("ascii")


def signed(body: bytes, token: str = TOKEN) -> dict[str, str]:
    return {"authorization": signature(body, token), "content-type": "application/json"}
