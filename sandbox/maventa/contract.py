"""Maventa's OpenAPI enforced on every API request (contracts/maventa/), before any route sees it.

In the order a real API gateway answers: a path or method the OpenAPI does not have is 404 / 405; an
operation that needs a token gets 401 without a valid one and 403 when the token lacks a scope the operation
lists (a company's token on a partner path); then parameters and body must match the operation's schemas,
else 422 naming each problem. The statuses are the OpenAPI's generic errors; 403 for a missing scope and 422
for a schema violation are [A] (docs/maventa-sandbox.md).
"""

import functools
from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from sqlmodel import Session

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


async def enforce(
    context: SandboxContext, request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    path = request.url.path
    if path.startswith(CONTROL_PREFIX) or path in _own_pages(request) or not context.config.contract_checks:
        return await call_next(request)
    contract = maventa_contract()
    operation = contract.find(request.method, path)
    if operation is None:
        known = contract.path_exists(path)
        return error_response(
            405 if known else 404,
            NOT_FOUND,
            f"{request.method} {path} is not an operation of Maventa's API",
        )
    try:
        if operation.needs_token:
            _check_token(context, request, request.method, path)
    except MaventaApiError as refused:
        return error_response(refused.status, refused.code, refused.message, refused.details)
    call = Call(
        method=request.method,
        url=str(request.url),
        request_headers=dict(request.headers),
        request_body=await request.body(),
    )
    problems = _request_check().problems(operation, call)
    if problems:
        return error_response(422, INVALID_PARAMETERS, "The request does not match the API", problems)
    return await call_next(request)
