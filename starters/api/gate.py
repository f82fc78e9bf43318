"""The request gate: no body is read before its sender is authenticated, nor past its route's limit.

FastAPI reads and parses a route's body before it runs the route's dependencies, so a check made only in a
dependency lets anyone make the API read and parse 25 MiB. The gate sits on `receive`: when the route first
asks for the body (routing has chosen the route by then, headers and path are known, no body byte has been
taken), it runs the same check the route's auth dependency runs (starters/api/auth.py,
starters/api/support_session.py) and refuses at once, 401/404, if it fails. Then the route's body limit
(starters/api/limits.py): a declared Content-Length above it is refused before reading; otherwise the gate
takes the body itself, counting the bytes as they arrive whatever Content-Length said (or without one,
chunked), and refuses with 413 as soon as they pass the limit. What it took waits in a spool that moves to a
temporary file past SPOOL_IN_MEMORY_BYTES, so a body refused at its limit never filled the process's memory;
only a body within its limit is handed to the route. After a refusal the rest of the body is read only to be
dropped, and only if it ends within DROP_AT_MOST_BYTES (a client that writes its whole body before reading
still gets its answer); a longer one is answered with `Connection: close`, so the server reads none of it.
Routes that read no body are left to their dependencies, which run before anything else happens.
"""

from collections.abc import Callable, Iterator
from tempfile import SpooledTemporaryFile
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

SPOOL_IN_MEMORY_BYTES = 1024 * 1024
"""A body larger than this waits on disk until it is complete and within its limit."""
HANDED_ON_BYTES = 64 * 1024
"""The size of the pieces the route receives the spooled body in."""
DROP_AT_MOST_BYTES = 1024 * 1024
"""How much of a refused body's rest is read (and dropped) to keep the connection; past it, it is closed."""


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


def _closing(refusal: ApiError) -> ApiError:
    """The refusal with `Connection: close`: uvicorn would otherwise read (and drop) the rest of the body."""
    headers = {**(refusal.headers or {}), "Connection": "close"}
    return ApiError(refusal.status, refusal.code, refusal.message, headers=headers, details=refusal.details)


class TooLarge(Exception):
    """The body passed its limit while it was being taken."""


class SpooledBody:
    """A body taken whole within its limit, handed to the route in pieces; then the client's own messages."""

    def __init__(self, receive: Receive, spool: SpooledTemporaryFile[bytes]) -> None:
        self.receive = receive
        self.spool = spool
        self.size = 0
        self.ended = False
        self.handed_on = False
        self.disconnect: Message | None = None

    async def take(self, limit: int) -> None:
        """Receive the whole body; TooLarge as soon as more than `limit` bytes have arrived."""
        while not self.ended:
            message = await self.receive()
            if message["type"] != "http.request":
                self.disconnect = message
                return
            chunk = message.get("body", b"")
            self.size += len(chunk)
            self.ended = not message.get("more_body", False)
            if self.size > limit:
                raise TooLarge
            self.spool.write(chunk)
        self.spool.seek(0)

    async def drop_rest(self, declared: int | None) -> bool:
        """Read and drop the rest of a refused body if it ends within DROP_AT_MOST_BYTES; whether it did."""
        if declared is not None and declared - self.size > DROP_AT_MOST_BYTES:
            return False
        dropped = 0
        while not self.ended and dropped <= DROP_AT_MOST_BYTES:
            message = await self.receive()
            if message["type"] != "http.request":
                return False
            dropped += len(message.get("body", b""))
            self.ended = not message.get("more_body", False)
        return self.ended and dropped <= DROP_AT_MOST_BYTES

    async def next_message(self) -> Message:
        if self.disconnect is not None:
            return self.disconnect
        if self.handed_on:
            return await self.receive()
        piece = self.spool.read(HANDED_ON_BYTES)
        self.handed_on = self.spool.tell() >= self.size
        return {"type": "http.request", "body": piece, "more_body": not self.handed_on}


class RequestGate:
    """ASGI middleware between the CORS layer and the router (starters/api/app.py)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES) as spool:
            body = SpooledBody(receive, spool)
            admitted = False

            async def gated_receive() -> Message:
                nonlocal admitted
                if not admitted:
                    try:
                        await body.take(self._admit(scope))
                    except (ApiError, TooLarge) as refused:
                        refusal = refused if isinstance(refused, ApiError) else http_error(413)
                        kept = await body.drop_rest(_declared_length(Headers(scope=scope)))
                        raise (refusal if kept else _closing(refusal)) from None
                    admitted = True
                return await body.next_message()

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
