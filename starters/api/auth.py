"""Bearer tokens for the two roles (SPEC §7): a missing or wrong token gets 401 before anything happens."""

import hmac
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import SecretStr

from settings import Settings
from starters.api.errors import ApiError


class Caller(StrEnum):
    NETVISOR = "netvisor"
    SUPPORT = "support"


def _token_check(
    caller: Caller, expected_token: Callable[[Settings], SecretStr], who: str
) -> Callable[..., Awaitable[Caller]]:
    scheme = HTTPBearer(auto_error=False, scheme_name=f"{caller.value}Token", description=f"{who} token")

    async def check(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(scheme)]
    ) -> Caller:
        if credentials is None:
            raise ApiError(
                401,
                "unauthorized",
                f"Send the {who} token as 'Authorization: Bearer <token>'.",
                headers={"WWW-Authenticate": "Bearer"},
            )
        settings: Settings = request.app.state.settings
        expected = expected_token(settings).get_secret_value().encode()
        if not hmac.compare_digest(credentials.credentials.encode(), expected):
            raise ApiError(
                401,
                "unauthorized",
                f"The bearer token is not the {who} token; check the token you were given.",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return caller

    return check


netvisor_caller = _token_check(Caller.NETVISOR, lambda s: s.api_netvisor_token, "Netvisor API")
support_caller = _token_check(Caller.SUPPORT, lambda s: s.api_support_token, "customer-service (support)")
