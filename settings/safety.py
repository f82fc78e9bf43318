"""What production refuses: the dev stack's defaults and guessable tokens (docs/security.md).

Every default in settings/__init__.py runs the embedded stack; a process started with ENVIRONMENT=production
(the container image's default) stops before it serves anything if one of them is still in place, and names
each setting to fix. In `dev` nothing is refused, so `make run` and the tests work without configuration.
"""

import re
from typing import Literal

from pydantic import SecretStr

from settings import Settings

SHORTEST_TOKEN = 32
"""Characters of an API token or the webhook secret: 32 random url-safe characters are 190 bits."""

Role = Literal["api", "worker"]
USED_BY: dict[Role, frozenset[str]] = {
    "api": frozenset(
        {"api_netvisor_token", "api_support_token", "api_webhook_secret", "secrets_key"}
        | {"maventa_base_url", "maventa_vendor_api_key"}
    ),
    "worker": frozenset(
        {"api_webhook_secret", "secrets_key", "maventa_base_url", "maventa_vendor_api_key"}
        | {
            "maventa_partner_user_api_key",
            "netvisor_base_url",
            "netvisor_partner_key",
            "netvisor_customer_key",
        }
    ),
}
"""The settings with a dev default that each process uses: only those need setting for it (docker-compose.yml
gives the worker no API tokens, the API no Netvisor keys)."""
TOKENS = ("api_netvisor_token", "api_support_token", "api_webhook_secret")
SANDBOX_URLS = ("maventa_base_url", "netvisor_base_url")
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?$")
NEW_TOKEN_HINT = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"


class UnsafeSettings(ValueError):
    """The configuration must not be served; the message names every setting to fix, never a value."""


def _env(name: str) -> str:
    return name.upper()


def _dev_defaults(settings: Settings, used: frozenset[str]) -> list[str]:
    problems = []
    for name, field in type(settings).model_fields.items():
        if name not in used:
            continue
        value = getattr(settings, name)
        if not isinstance(field.default, SecretStr) or not isinstance(value, SecretStr):
            continue
        if value.get_secret_value() != field.default.get_secret_value():
            continue
        if name == "secrets_key":
            problems.append(
                "SECRETS_KEY is not set (the dev key is in use): generate one with "
                "`python -m security new-key` and keep it with the data"
            )
        else:
            problems.append(f"{_env(name)} is the dev default: set the real value")
    for name in used.intersection(SANDBOX_URLS):
        if getattr(settings, name) == type(settings).model_fields[name].default:
            problems.append(f"{_env(name)} points at the local sandbox: set the real service's URL")
    return problems


def _weak_tokens(settings: Settings, used: frozenset[str]) -> list[str]:
    problems = []
    tokens = [name for name in TOKENS if name in used]
    for name in tokens:
        length = len(getattr(settings, name).get_secret_value())
        if length < SHORTEST_TOKEN:
            problems.append(
                f"{_env(name)} has {length} characters: use at least {SHORTEST_TOKEN} random ones "
                f"(`{NEW_TOKEN_HINT}`)"
            )
    values = [getattr(settings, name).get_secret_value() for name in tokens]
    if len(set(values)) < len(values):
        problems.append("API_NETVISOR_TOKEN, API_SUPPORT_TOKEN and API_WEBHOOK_SECRET must all differ")
    return problems


def origin_problems(settings: Settings) -> list[str]:
    """In any environment: CORS with credentials must name exact origins, never `*` or a pattern."""
    return [
        f"TEMPORAL_UI_ORIGIN has {origin!r}: give exact origins like https://temporal.example.com, "
        "comma-separated"
        for origin in settings.temporal_ui_origins
        if not _ORIGIN.match(origin)
    ]


def unsafe_settings(settings: Settings, role: Role) -> list[str]:
    """Every reason for this process not to serve with these settings; empty when they are safe."""
    problems = origin_problems(settings) if role == "api" else []
    if settings.is_production:
        used = USED_BY[role]
        problems += _dev_defaults(settings, used) + _weak_tokens(settings, used)
        if role == "api" and not settings.session_cookie_secure:
            problems.append(
                "API_SESSION_COOKIE_SECURE is false: production serves the support session over https only"
            )
    return problems


def refuse_unsafe(settings: Settings, role: Role) -> None:
    """Raise UnsafeSettings naming every problem; called before the API or a worker serves anything."""
    problems = unsafe_settings(settings, role)
    if problems:
        raise UnsafeSettings(
            f"refusing to start with ENVIRONMENT={settings.environment}: " + "; ".join(problems) + "."
        )
