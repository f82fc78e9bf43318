"""Maventa's OpenAPI enforced on every API request (contracts/maventa/), before any route sees it.

In the order a real API gateway answers: a path or method the OpenAPI does not have is 404 / 405; an
operation that needs a token gets 401 without a valid one and 403 when the token lacks a scope the operation
lists (a company's token on a partner path); then parameters and body must match the operation's schemas,
else 422 naming each problem. The statuses are the OpenAPI's generic errors; 403 for a missing scope and 422
for a schema violation are [A] (docs/maventa-sandbox.md).
"""

import functools

from fastapi import Request, Response
from sqlmodel import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contracts.maventa_openapi import Call, maventa_contract
from contracts.maventa_request_check import RequestCheck
from sandbox.maventa.context import SandboxContext
from sandbox.maventa.errors import (
    INSUFFICIENT_SCOPE,
    INVALID_PARAMETERS,
    NOT_FOUND,
    MaventaApiError,
    error_response,
)
from sandbox.maventa.tokens import bearer_token, remember_checked

CONTROL_PREFIX = "/_sandbox"


@functools.cache
def _request_check() -> RequestCheck:
    return RequestCheck(maventa_contract())


def _own_pages(request: Request) -> set[str]:
    """The sandbox's own description pages (FastAPI's /openapi.json, /docs, /redoc), not Maventa's API."""
    app = request.app
    pages = {app.openapi_url, app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url}
    return {page for page in pages if page}


def _check_token(context: SandboxContext, request: Request, method: str, path: str) -> None:
    contract = maventa_contract()
    operation = contract.find(method, path)
    assert operation is not None
    with Session(context.engine) as session:
        token = bearer_token(request, session)
    remember_checked(request, token)
    missing = contract.missing_scopes(operation, token.scope)
    if missing:
        raise MaventaApiError(
            403,
            INSUFFICIENT_SCOPE,
            f"The token's scopes do not allow {operation.name}",
            [f"missing scope: {scope}" for scope in sorted(missing)],
        )


async def _refusal(context: SandboxContext, request: Request) -> tuple[Response | None, bytes | None]:
    """The answer that refuses the request before any route sees it (None when it may go on), and the body
    if the check read it."""
    path = request.url.path
    if path.startswith(CONTROL_PREFIX) or path in _own_pages(request) or not context.config.contract_checks:
        return None, None
    contract = maventa_contract()
    operation = contract.find(request.method, path)
    if operation is None:
        known = contract.path_exists(path)
        return error_response(
            405 if known else 404,
            NOT_FOUND,
            f"{request.method} {path} is not an operation of Maventa's API",
        ), None
    try:
        if operation.needs_token:
            _check_token(context, request, request.method, path)
    except MaventaApiError as refused:
        return error_response(refused.status, refused.code, refused.message, refused.details), None
    body = await request.body()
    call = Call(
        method=request.method, url=str(request.url), request_headers=dict(request.headers), request_body=body
    )
    problems = _request_check().problems(operation, call)
    if problems:
        return error_response(422, INVALID_PARAMETERS, "The request does not match the API", problems), body
    return None, body


class ContractCheck:
    """The check as plain ASGI middleware: Starlette's `BaseHTTPMiddleware` runs each request's route in a
    task of its own with streams between them, about a tenth of the Maventa sandbox's py-spy samples in the
    import bench with three such layers (this, the fault injector and the bench's counter; bench/README.md),
    all on the one event loop that answers every request. A body the check has read goes to the route as
    it came."""

    def __init__(self, app: ASGIApp, context: SandboxContext) -> None:
        self._app = app
        self._context = context

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        refusal, body = await _refusal(self._context, Request(scope, receive))
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self._app(scope, receive if body is None else _replaying(body, receive), send)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """`receive` with the body already read given first, whole."""
    given = False

    async def replay() -> Message:
        nonlocal given
        if given:
            return await receive()
        given = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
