"""The last line of defence against a secret in a log line: known secret values and credential shapes masked.

The code never logs secrets on purpose (SPEC §10); this catches the accident, e.g. an exception whose text
carries an Authorization header or a form with `client_secret=...`.
"""

import re
from collections.abc import Iterable
from typing import Any

from pydantic import SecretStr

from settings import Settings

MASK = "***"
SHORTEST_MASKED_SECRET = 6
"""Shorter configured values are not looked for: masking every `abc` would garble ordinary text."""

_CREDENTIAL_SHAPES = (
    re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(
        r"(?i)\b(authorization|client_secret|vendor_api_key|user_api_key|api[_-]?key|secret|password|token)"
        r"(\"?'?\s*[:=]\s*\"?'?)(?!\*\*\*|Bearer\b|Basic\b)[^\s\"'&,;}]+"
    ),
)


def setting_secrets(settings: Settings) -> list[str]:
    """Every secret value the process was configured with (tokens, API keys, MAC keys, the secrets key)."""
    values = (getattr(settings, name) for name in type(settings).model_fields)
    return [value.get_secret_value() for value in values if isinstance(value, SecretStr)]


class Redactor:
    """Masks the given secret values and anything shaped like a credential in strings, lists and dicts."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets = sorted(
            {secret for secret in secrets if len(secret) >= SHORTEST_MASKED_SECRET}, key=len, reverse=True
        )

    def text(self, value: str) -> str:
        for secret in self._secrets:
            value = value.replace(secret, MASK)
        value = _CREDENTIAL_SHAPES[0].sub(lambda match: f"{match.group(1)} {MASK}", value)
        return _CREDENTIAL_SHAPES[1].sub(lambda match: f"{match.group(1)}{match.group(2)}{MASK}", value)

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {key: self.value(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.value(item) for item in value]
        return value
