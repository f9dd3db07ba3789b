"""Reads delivery reports (RFC 3464 DSNs) that arrive later in the sender's mailbox: a relay
that accepted a message and could not deliver it sends one back. Input is a mailbox export,
`.mbox` (many messages) or `.eml` (one), parsed with the standard library; only recipients
whose `Action` is `failed` are bounces (`delayed`, `delivered`, `relayed` are not)."""

from __future__ import annotations

import email
import email.policy
import mailbox
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

from gaplens.errors import InputError

MAX_BYTES = 200 * 1024 * 1024
"""A mailbox export bigger than this is refused rather than read into memory."""


@dataclass(frozen=True)
class Bounce:
    """One recipient a delivery report says could not be reached."""

    address: str
    status: str
    """The RFC 3463 status code (`5.1.1`)."""
    diagnostic: str | None
    """The remote server's words (`550 5.1.1 User unknown`), when the report carries them."""


def _messages(path: Path) -> Iterator[Message]:
    if path.suffix.lower() == ".eml":
        yield email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        return
    box = mailbox.mbox(path, factory=None, create=False)
    try:
        for key in box.iterkeys():
            yield email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
    finally:
        box.close()


def _address(field: str) -> str:
    """`rfc822; ann@example.org` (RFC 3464 §2.3.2) -> `ann@example.org`."""
    kind, _, value = field.partition(";")
    address = (value if value else kind).strip().strip("<>").strip()
    return address.lower()


def bounces_in(message: Message) -> list[Bounce]:
    """The failed recipients of every delivery-status part of `message`."""
    found: list[Bounce] = []
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        blocks = part.get_payload()
        if not isinstance(blocks, list):
            continue
        for block in blocks[1:]:  # the first block is about the message, the rest per recipient
            if not isinstance(block, Message):
                continue
            if str(block.get("Action", "")).strip().lower() != "failed":
                continue
            recipient = block.get("Final-Recipient") or block.get("Original-Recipient")
            if not recipient or "@" not in str(recipient):
                continue
            diagnostic = block.get("Diagnostic-Code")
            found.append(
                Bounce(
                    address=_address(str(recipient)),
                    status=str(block.get("Status", "")).strip(),
                    diagnostic=str(diagnostic).partition(";")[2].strip() or None
                    if diagnostic
                    else None,
                )
            )
    return found


def read_bounces(path: Path) -> list[Bounce]:
    """Every bounce in the file; an error naming the file if it cannot be read or holds no
    delivery report at all (most likely the wrong file)."""
    if path.suffix.lower() not in (".mbox", ".eml"):
        raise InputError.single("must be a .mbox or .eml file", path.name)
    if not path.is_file():
        raise InputError.single("file not found", path.name)
    if path.stat().st_size > MAX_BYTES:
        raise InputError.single(f"larger than {MAX_BYTES // (1024 * 1024)} MiB", path.name)
    reports = 0
    found: list[Bounce] = []
    try:
        for message in _messages(path):
            if message.get_content_type() == "multipart/report":
                reports += 1
            found.extend(bounces_in(message))
    except (OSError, mailbox.Error, UnicodeError) as error:
        raise InputError.single(f"cannot be read as mail: {error}", path.name) from None
    if not reports:
        raise InputError.single(
            "holds no delivery report (multipart/report, RFC 3464): export the bounce "
            "messages from the sending mailbox",
            path.name,
        )
    return found
