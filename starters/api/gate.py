"""The request gate: no body is read before its sender is authenticated, nor past its route's limit.

FastAPI reads and parses a route's body before it runs the route's dependencies, so a check made only in a
dependency lets anyone make the API read and parse 25 MiB. The gate sits on `receive`: when the route first
asks for the body (routing has chosen the route by then, headers and path are known, no body byte has been
taken), it runs the same check the route's auth dependency runs (starters/api/auth.py,
starters/api/support_session.py) and refuses at once, 401/404, if it fails. Then the route's body limit
(starters/api/limits.py): a declared Content-Length above it is refused before reading, a streamed body as
soon as it passes the limit. Routes that read no body are left to their dependencies, which run before
anything else happens.
"""

from collections.abc import Callable, Iterator
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from settings import Settings
from starters.api.auth import (
    Caller,
    bearer_refusal,
    maventa_webhook,
    netvisor_caller,
    support_caller,
    webhook_refusal,
)
from starters.api.errors import ApiError, http_error
from starters.api.limits import DEFAULT_BODY_BYTES, MAX_BODY_BYTES_KEY
from starters.api.support_session import COOKIE, session_refusal, support_session

Check = Callable[[Settings, Scope, Headers], ApiError | None]


def _bearer(caller: Caller) -> Check:
    return lambda settings, _scope, headers: bearer_refusal(settings, caller, headers.get("authorization"))


def _webhook(settings: Settings, scope: Scope, _headers: Headers) -> ApiError | None:
    return webhook_refusal(settings, str(scope.get("path_params", {}).get("secret", "")))


def _session(settings: Settings, _scope: Scope, headers: Headers) -> ApiError | None:
    return session_refusal(settings, cookie_parser(headers.get("cookie", "")).get(COOKIE))


CHECKS: dict[Callable[..., Any], Check] = {
    netvisor_caller: _bearer(Caller.NETVISOR),
    support_caller: _bearer(Caller.SUPPORT),
    maventa_webhook: _webhook,
    support_session: _session,
}
"""Each auth dependency and the check the gate runs for it before the body."""


def _dependency_calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from _dependency_calls(dependency)


def route_checks(route: APIRoute) -> list[Check]:
    """The gate's checks of a route, from its (router's) auth dependencies; none for a public route."""
    return [CHECKS[call] for call in _dependency_calls(route.dependant) if call in CHECKS]


def route_body_limit(route: APIRoute, cap: int) -> int:
    declared = (route.openapi_extra or {}).get(MAX_BODY_BYTES_KEY, DEFAULT_BODY_BYTES)
    return min(int(declared), cap)


def _declared_length(headers: Headers) -> int | None:
    value = headers.get("content-length", "")
    return int(value) if value.isascii() and value.isdigit() else None


class RequestGate:
    """ASGI middleware between the CORS layer and the router (starters/api/app.py)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit: int | None = None
        received = 0

        async def gated_receive() -> Message:
            nonlocal limit, received
            if limit is None:
                limit = self._admit(scope)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise http_error(413)
            return message

        await self.app(scope, gated_receive, send)

    def _admit(self, scope: Scope) -> int:
        """Raise the refusal of an unauthenticated or oversized request; else the body limit to count to."""
        route = scope.get("route")
        if not isinstance(route, APIRoute):
            return DEFAULT_BODY_BYTES
        headers = Headers(scope=scope)
        for check in route_checks(route):
            refusal = check(self.settings, scope, headers)
            if refusal is not None:
                raise refusal
        limit = route_body_limit(route, self.settings.api_max_body_bytes)
        declared = _declared_length(headers)
        if declared is not None and declared > limit:
            raise http_error(413)
        return limit
