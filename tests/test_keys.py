"""The server key: the environment wins; otherwise a 0600 key file, made once and reused."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from gaplens import keys


@pytest.fixture
def clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.delenv(keys.SECRET_KEY_ENV, raising=False)
    monkeypatch.delenv(keys.SECRET_KEY_FILE_ENV, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path


def test_without_configuration_a_0600_key_file_is_made_once(clean: Path):
    first = keys.secret_key()
    file = clean / "config" / "gaplens" / "secret.key"
    assert keys.key_file_path() == file
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert len(bytes.fromhex(file.read_text().strip())) == 32
    assert len(first) == 32 and keys.secret_key() == first
    keys._from_file.cache_clear()  # a new process reads the same file: the same key
    assert keys.secret_key() == first
    assert list(file.parent.iterdir()) == [file], "no temporary file is left behind"


def test_the_key_file_path_can_be_set(clean: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(keys.SECRET_KEY_FILE_ENV, str(clean / "elsewhere" / "k"))
    key = keys.secret_key()
    assert (clean / "elsewhere" / "k").exists()
    assert not (clean / "config").exists()
    assert keys.secret_key() == key


def test_the_environment_wins_and_any_long_string_works(
    clean: Path, monkeypatch: pytest.MonkeyPatch
):
    from_file = keys.secret_key()
    monkeypatch.setenv(keys.SECRET_KEY_ENV, "correct horse battery staple, and then some")
    from_env = keys.secret_key()
    assert len(from_env) == 32 and from_env != from_file
    assert keys.secret_key() == from_env
    monkeypatch.setenv(keys.SECRET_KEY_ENV, "ab" * 32)  # hex works too, as a string
    assert keys.secret_key() not in (from_env, from_file)


def test_a_short_key_is_refused(clean: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(keys.SECRET_KEY_ENV, "short")
    with pytest.raises(keys.SecretKeyError, match="at least 32"):
        keys.secret_key()


def test_tags_are_keyed_and_separated_by_kind():
    key_a, key_b = b"a" * 32, b"b" * 32
    assert keys.keyed_tag("survey", "x", key_a) != keys.keyed_tag("survey", "x", key_b)
    assert keys.keyed_tag("survey", "x", key_a) != keys.keyed_tag("task", "x", key_a)
    assert keys.keyed_tag("survey", "x", key_a) == keys.keyed_tag("survey", "x", key_a)
    assert len(keys.keyed_tag("survey", "x", key_a)) == 64


def test_hkdf_matches_rfc_5869_structure():
    """Extract then expand (one block suffices for 32 bytes), checked against hmac directly."""
    import hashlib
    import hmac

    prk = hmac.new(keys.HKDF_SALT, b"material", hashlib.sha256).digest()
    expected = hmac.new(prk, keys.HKDF_INFO + b"\x01", hashlib.sha256).digest()
    assert keys.hkdf_sha256(b"material") == expected
