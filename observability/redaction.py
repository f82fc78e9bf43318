"""The last line of defence against a secret in a log line: known secret values and credential shapes masked.

The code never logs secrets on purpose (§10); this catches the accident, e.g. an exception whose text
carries an Authorization header or a form with `client_secret=...`.
"""

import re
from collections.abc import Iterable
from typing import Any

from pydantic import SecretStr

from settings import Settings

MASK = "***"
SHORTEST_MASKED_ANYWHERE = 6
"""Shorter configured values are masked where they stand as a word of their own, not inside other words:
masking every `abc` would garble ordinary text (production refuses short API tokens anyway)."""
_WORD_EDGE = r"A-Za-z0-9_\-+/="

_CREDENTIAL_SHAPES = (
    re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(
        r"(?i)\b(authorization|client_secret|vendor_api_key|user_api_key|api[_-]?key|secret|password|token)"
        r"(\"?'?\s*[:=]\s*\"?'?)(?!\*\*\*|Bearer\b|Basic\b)[^\s\"'&,;}]+"
    ),
)


def setting_secrets(settings: Settings) -> list[str]:
    """Every secret value the process was configured with (tokens, API keys, MAC keys), and each key of the
    comma-separated SECRETS_KEY on its own, as a log line would show one."""
    secrets = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            secrets.append(value.get_secret_value())
    secrets += [part.strip() for part in settings.secrets_key.get_secret_value().split(",")]
    return [secret for secret in secrets if secret]


class Redactor:
    """Masks the given secret values and anything shaped like a credential in strings, lists and dicts."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        unique = {secret for secret in secrets if secret}
        self._secrets = sorted(
            (s for s in unique if len(s) >= SHORTEST_MASKED_ANYWHERE), key=len, reverse=True
        )
        short = sorted((s for s in unique if len(s) < SHORTEST_MASKED_ANYWHERE), key=len, reverse=True)
        self._short = (
            re.compile(f"(?<![{_WORD_EDGE}])(?:{'|'.join(map(re.escape, short))})(?![{_WORD_EDGE}])")
            if short
            else None
        )

    def text(self, value: str) -> str:
        for secret in self._secrets:
            value = value.replace(secret, MASK)
        if self._short is not None:
            value = self._short.sub(MASK, value)
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
