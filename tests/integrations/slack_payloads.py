"""Slash-command bodies shaped exactly as Slack sends them, and Slack's signing, done by hand.

The signing here is written from Slack's documentation independently of the code under
test, so a shared misunderstanding would have to be made twice.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlencode

SECRET = "e3b0c44298fc1c149afbf4c8996fb924"

# Slack's own worked example ("Verifying requests from Slack").
SLACK_DOC_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SLACK_DOC_TIMESTAMP = "1531420618"
SLACK_DOC_BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow"
    b"&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner"
    b"&command=%2Fwebhook-collect&text="
    b"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
SLACK_DOC_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"

# Every field Slack sends with a slash command, with values that identify someone.
IDENTIFYING = {
    "token": "gIkuvaNzQIHg97ATvDxqgjtO",
    "team_id": "T0001",
    "team_domain": "example",
    "enterprise_id": "E0001",
    "enterprise_name": "Globular Construct Inc",
    "channel_id": "C2147483705",
    "channel_name": "test",
    "user_id": "U2147483697",
    "user_name": "Steve",
    "api_app_id": "A123456",
    "is_enterprise_install": "false",
    "response_url": "https://hooks.slack.com/commands/1234/5678",
    "trigger_id": "13345224609.738474920.8088930838d88f008e0",
}

# One body written out literally, byte for byte as Slack posts it.
LITERAL_BODY = (
    b"token=gIkuvaNzQIHg97ATvDxqgjtO&team_id=T0001&team_domain=example"
    b"&enterprise_id=E0001&enterprise_name=Globular%20Construct%20Inc"
    b"&channel_id=C2147483705&channel_name=test&user_id=U2147483697&user_name=Steve"
    b"&command=%2Fgaplens"
    b"&text=friction+copilot+code-review%3A+it+invents+APIs+and+I+spend+20+minutes+fixing"
    b"&api_app_id=A123456&is_enterprise_install=false"
    b"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2F1234%2F5678"
    b"&trigger_id=13345224609.738474920.8088930838d88f008e0"
)


def slash_body(text: str, command: str = "/gaplens") -> bytes:
    """A form body in Slack's field order and encoding (spaces as '+', '/' and ':' escaped)."""
    fields = dict(IDENTIFYING)
    ordered = [
        *[(k, fields[k]) for k in ("token", "team_id", "team_domain", "enterprise_id")],
        *[(k, fields[k]) for k in ("enterprise_name", "channel_id", "channel_name")],
        ("user_id", fields["user_id"]),
        ("user_name", fields["user_name"]),
        ("command", command),
        ("text", text),
        ("api_app_id", fields["api_app_id"]),
        ("is_enterprise_install", fields["is_enterprise_install"]),
        ("response_url", fields["response_url"]),
        ("trigger_id", fields["trigger_id"]),
    ]
    return urlencode(ordered).encode("ascii")


def slack_signature(secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode("ascii") + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(body: bytes, timestamp: int, secret: str = SECRET) -> dict[str, str]:
    """Headers as an ASGI server hands them over (lower-case names)."""
    return {
        "content-type": "application/x-www-form-urlencoded",
        "user-agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        "x-slack-request-timestamp": str(timestamp),
        "x-slack-signature": slack_signature(secret, str(timestamp), body),
    }
