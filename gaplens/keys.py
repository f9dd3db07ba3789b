"""The server's secret key: never stored in the database, so a copy of the database alone
cannot recompute anything keyed with it.

Read from `GAPLENS_SECRET_KEY` (any string of 32 or more characters: hex, base64 or a
passphrase); when that is not set (development, the demo, tests), from a key file outside
the database: `GAPLENS_SECRET_KEY_FILE`, or `$XDG_CONFIG_HOME/gaplens/secret.key` (default
`~/.config/gaplens/secret.key`), created with mode 0600 and 32 random bytes on first use.
Whatever the source, the key used is HKDF-SHA256 of it, so any string works.

Losing or changing the key makes every spent invitation usable again (see
gaplens/spent and docs/privacy.md): keep it with the database's backups, apart from them.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import os
import secrets
from pathlib import Path

SECRET_KEY_ENV = "GAPLENS_SECRET_KEY"
SECRET_KEY_FILE_ENV = "GAPLENS_SECRET_KEY_FILE"
MIN_SECRET_CHARS = 32
KEY_BYTES = 32
HKDF_SALT = b"gaplens secret key v1"
HKDF_INFO = b"gaplens spent-link tags"


class SecretKeyError(RuntimeError):
    """The configured key is unusable (too short, or its file unreadable)."""


def key_file_path() -> Path:
    """`GAPLENS_SECRET_KEY_FILE`, else `$XDG_CONFIG_HOME/gaplens/secret.key`."""
    explicit = os.environ.get(SECRET_KEY_FILE_ENV)
    if explicit:
        return Path(explicit).expanduser()
    config_home = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config_home) / "gaplens" / "secret.key"


def secret_key() -> bytes:
    """The 32-byte key: from the environment if set, else from (or into) the key file."""
    configured = os.environ.get(SECRET_KEY_ENV)
    if configured:
        return _from_environment(configured)
    return _from_file(str(key_file_path()))


@functools.lru_cache(maxsize=8)
def _from_environment(value: str) -> bytes:
    if len(value.strip()) < MIN_SECRET_CHARS:
        raise SecretKeyError(
            f"{SECRET_KEY_ENV} must be at least {MIN_SECRET_CHARS} characters "
            "(e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`)"
        )
    return hkdf_sha256(value.strip().encode())


@functools.lru_cache(maxsize=8)
def _from_file(path: str) -> bytes:
    file = Path(path)
    if not file.exists():
        _create_key_file(file)
    try:
        material = file.read_bytes().strip()
    except OSError as error:
        raise SecretKeyError(f"cannot read the secret key file {file}: {error}") from None
    if len(material) < MIN_SECRET_CHARS:
        raise SecretKeyError(
            f"the secret key file {file} holds fewer than {MIN_SECRET_CHARS} bytes"
        )
    return hkdf_sha256(material)


def _create_key_file(file: Path) -> None:
    """Write 32 random bytes (as hex) with mode 0600; two processes starting at once agree,
    because the file appears whole (a hard link of a finished temporary file) or not at all."""
    file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = file.with_name(f".{file.name}.{secrets.token_hex(8)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as out:
            out.write(secrets.token_bytes(KEY_BYTES).hex() + "\n")
        with contextlib.suppress(FileExistsError):  # another process won: its key is the key
            os.link(temporary, file)
    finally:
        temporary.unlink(missing_ok=True)


def hkdf_sha256(material: bytes, length: int = KEY_BYTES) -> bytes:
    """HKDF (RFC 5869) with SHA-256, fixed salt and info."""
    prk = hmac.new(HKDF_SALT, material, hashlib.sha256).digest()
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + HKDF_INFO + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def keyed_tag(domain: str, value: str, key: bytes | None = None) -> str:
    """HMAC-SHA256 of `domain:value` under the secret key, as 64 hex digits."""
    message = f"{domain}:{value}".encode()
    return hmac.new(key or secret_key(), message, hashlib.sha256).hexdigest()
