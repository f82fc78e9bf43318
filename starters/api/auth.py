"""Who may call (§7, docs/security.md): the bearer tokens of the two roles and the webhook's secret.

Each check is a route dependency (so /openapi.json shows it) and a plain function the request gate
(starters/api/gate.py) runs before the body is read; a missing or wrong credential gets its refusal before
anything happens. The support session cookie of the browser pages is in starters/api/support_session.py.
"""

import hmac
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param
from pydantic import SecretStr

from settings import Settings
from starters.api.errors import ApiError

WEBHOOK_SECRET_MAX_LENGTH = 200


class Caller(StrEnum):
    NETVISOR = "netvisor"
    SUPPORT = "support"


_WHO = {Caller.NETVISOR: "Netvisor API", Caller.SUPPORT: "customer-service (support)"}


def _expected_token(settings: Settings, caller: Caller) -> SecretStr:
    return settings.api_netvisor_token if caller is Caller.NETVISOR else settings.api_support_token


def same_secret(given: str, expected: SecretStr) -> bool:
    """Constant-time comparison of what the caller sent with a configured secret (any text, any length)."""
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.get_secret_value().encode())


def bearer_refusal(settings: Settings, caller: Caller, authorization: str | None) -> ApiError | None:
    """Why an `Authorization` header value does not carry the caller's token, or None when it does."""
    scheme, token = get_authorization_scheme_param(authorization)
    who = _WHO[caller]
    if scheme.lower() != "bearer" or not token:
        return ApiError(
            401,
            "unauthorized",
            f"Send the {who} token as 'Authorization: Bearer <token>'.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not same_secret(token, _expected_token(settings, caller)):
        return ApiError(
            401,
            "unauthorized",
            f"The bearer token is not the {who} token; check the token you were given.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return None


def _token_check(caller: Caller) -> Callable[..., Awaitable[Caller]]:
    # The scheme only declares the token in /openapi.json; the header is read and judged by bearer_refusal.
    scheme = HTTPBearer(
        auto_error=False, scheme_name=f"{caller.value}Token", description=f"{_WHO[caller]} token"
    )

    async def check(
        request: Request, _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(scheme)]
    ) -> Caller:
        refusal = bearer_refusal(request.app.state.settings, caller, request.headers.get("authorization"))
        if refusal is not None:
            raise refusal
        return caller

    return check


netvisor_caller = _token_check(Caller.NETVISOR)
support_caller = _token_check(Caller.SUPPORT)


def webhook_refusal(settings: Settings, secret: str) -> ApiError | None:
    """A wrong webhook secret, of any length, is answered exactly like a path that does not exist."""
    if len(secret) <= WEBHOOK_SECRET_MAX_LENGTH and same_secret(secret, settings.api_webhook_secret):
        return None
    return ApiError(404, "not_found", "No such resource: check the path against /openapi.json.")


async def maventa_webhook(
    request: Request,
    secret: Annotated[
        str,
        # Not validated as a parameter: a secret too long is wrong like any other, 404 (webhook_refusal).
        Path(
            description="The secret of the webhook URL",
            json_schema_extra={"maxLength": WEBHOOK_SECRET_MAX_LENGTH},
        ),
    ],
) -> None:
    """The webhook's only credential is the secret in its path (Maventa sends no other)."""
    refusal = webhook_refusal(request.app.state.settings, secret)
    if refusal is not None:
        raise refusal
