"""Connection credentials encrypted at rest with Fernet, under keys from the environment.

The key is `GAPLENS_SECRET_KEY` (the server key, `gaplens/keys.py`), required here: unlike
spent-link tags, a credential encrypted under a key file that a later process cannot find
would be lost, so without the variable nothing is stored and nothing is decrypted. The Fernet
key is HKDF-SHA256 of it (its own salt and info, so it is not the key the tags use).

Rotation: put the old value in `GAPLENS_PREVIOUS_SECRET_KEYS` (comma separated) and the new one
in `GAPLENS_SECRET_KEY`. A MultiFernet decrypts under any of them and encrypts under the new
one; every sync re-encrypts its connection, and `gaplens connections --rotate` does all now.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from gaplens.errors import InputError
from gaplens.keys import MIN_SECRET_CHARS, SECRET_KEY_ENV

PREVIOUS_KEYS_ENV = "GAPLENS_PREVIOUS_SECRET_KEYS"
_SALT = b"gaplens connection credentials v1"


class CredentialKeyError(InputError):
    """No usable key, or a credential no configured key can open."""


def _fernet(material: str) -> Fernet:
    prk = hmac.new(_SALT, material.strip().encode(), hashlib.sha256).digest()
    okm = hmac.new(prk, b"fernet\x01", hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(okm))


def credential_box() -> MultiFernet:
    """The keys in use: the current one first (it encrypts), then previous ones."""
    current = os.environ.get(SECRET_KEY_ENV, "").strip()
    if not current:
        raise CredentialKeyError.single(
            f"{SECRET_KEY_ENV} is not set: connection credentials are encrypted with it, so "
            "set it (at least 32 characters, e.g. `python -c 'import secrets; "
            "print(secrets.token_hex(32))'`) in the environment of every gaplens process"
        )
    if len(current) < MIN_SECRET_CHARS:
        raise CredentialKeyError.single(
            f"{SECRET_KEY_ENV} must be at least {MIN_SECRET_CHARS} characters"
        )
    previous = [
        key.strip() for key in os.environ.get(PREVIOUS_KEYS_ENV, "").split(",") if key.strip()
    ]
    return MultiFernet([_fernet(current), *(_fernet(key) for key in previous)])


def encrypt(secret: str) -> bytes:
    return credential_box().encrypt(secret.encode())


def decrypt(token: bytes) -> str:
    try:
        return credential_box().decrypt(token).decode()
    except InvalidToken:
        raise CredentialKeyError.single(
            f"the stored credentials cannot be decrypted with {SECRET_KEY_ENV} (or "
            f"{PREVIOUS_KEYS_ENV}): was the key changed without keeping the old one? "
            "Connect again with a fresh token"
        ) from None


def reencrypt(token: bytes) -> bytes:
    """The same secret under the current key (unchanged if it already is)."""
    try:
        return credential_box().rotate(token)
    except InvalidToken:
        decrypt(token)  # raises the worded error
        raise
