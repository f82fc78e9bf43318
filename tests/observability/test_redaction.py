"""Credential-shaped text is masked in a log line while ordinary words that look alike stay readable."""

import pytest

from observability.redaction import Redactor


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
