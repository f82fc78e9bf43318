"""Credential-shaped text is masked in a log line while ordinary words that look alike stay readable."""

import pytest
from pydantic import SecretStr

from observability.redaction import Redactor, setting_secrets
from security.keys import new_key
from settings import Settings


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("Authorization: Bearer abcdefgh12345", "Authorization: Bearer ***"),
        ("form client_secret=s3cr3t-value&scope=eui", "form client_secret=***&scope=eui"),
        ('{"vendor_api_key": "k-123456"}', '{"vendor_api_key": "***"}'),
        ("the configured key configured-key-123 leaked", "the configured key *** leaked"),
        ("basic information about a bearer token", "basic information about a bearer token"),
    ],
)
def test_credentials_are_masked(text: str, masked: str) -> None:
    assert Redactor(["configured-key-123", "abc"]).text(text) == masked


def test_nested_extras_are_masked() -> None:
    extra = {"request": {"headers": ["Authorization: Bearer abcdefgh12345"]}}
    assert Redactor().value(extra) == {"request": {"headers": ["Authorization: Bearer ***"]}}


def test_each_key_of_a_rotated_secrets_key_is_masked_on_its_own() -> None:
    current, older = new_key(), new_key()
    settings = Settings(secrets_key=SecretStr(f"{current}, {older}"))
    redactor = Redactor(setting_secrets(settings))
    assert redactor.text(f"kept {older} for old payloads") == "kept *** for old payloads"
    assert redactor.text(f"current={current};") == "current=***;"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("partner key x7Q rejected", "partner key *** rejected"),
        ("MAC key 'x7Q'", "MAC key '***'"),
        ("x7Q", "***"),
        ("x7Qz and ax7Q stay", "x7Qz and ax7Q stay"),
    ],
)
def test_a_short_secret_is_masked_where_it_stands_alone(text: str, masked: str) -> None:
    settings = Settings(netvisor_partner_key=SecretStr("x7Q"))
    assert Redactor(setting_secrets(settings)).text(text) == masked
