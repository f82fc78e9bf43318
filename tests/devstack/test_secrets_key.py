"""`make run` without SECRETS_KEY: one key generated into the data folder, kept across restarts, given to
every child; a data folder from before keeps its old data readable."""

import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from devstack.environment import child_environment
from devstack.secrets_key import key_file
from security.keys import fernet_keys
from settings import Settings

BUILT_IN = Settings.model_fields["secrets_key"].default.get_secret_value()


def test_a_key_is_generated_once_and_survives_restarts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SECRETS_KEY", raising=False)
    first = child_environment(Settings(), tmp_path / "data")["SECRETS_KEY"]
    again = child_environment(Settings(), tmp_path / "data")["SECRETS_KEY"]
    elsewhere = child_environment(Settings(), tmp_path / "other")["SECRETS_KEY"]

    assert first == again, "the same key after a restart"
    assert first != elsewhere and BUILT_IN not in first, "not a constant of the repository"
    assert len(fernet_keys(SecretStr(first))) == 1
    assert stat.S_IMODE(key_file(tmp_path / "data").stat().st_mode) == 0o600


def test_data_written_with_the_built_in_key_stays_readable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SECRETS_KEY", raising=False)
    (tmp_path / "service.db").write_bytes(b"")
    keys = child_environment(Settings(), tmp_path)["SECRETS_KEY"].split(",")
    assert len(keys) == 2 and keys[1] == BUILT_IN and keys[0] != BUILT_IN


def test_a_key_given_in_the_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRETS_KEY", "given")
    assert child_environment(Settings(), tmp_path)["SECRETS_KEY"] == "given"
    assert not key_file(tmp_path).exists()
