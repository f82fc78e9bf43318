"""One error shape for every 4xx and 5xx: `{"error": {"code": "...", "message": "..."}}`.

The message says what to do next; it never repeats what the caller sent (it might be a secret).
"""

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)

_HTTP_ERRORS: Mapping[int, tuple[str, str]] = {
    404: ("not_found", "No such resource: check the path against /openapi.json."),
    405: ("method_not_allowed", "This path does not accept that method: see /openapi.json."),
    413: ("payload_too_large", "The request body is too large; send smaller documents or fewer attachments."),
}


class ApiError(Exception):
    """Raise from a route to answer with the error format, e.g. `ApiError(409, "wrong_state", "...")`."""

    def __init__(
        self, status: int, code: str, message: str, *, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def http_error_response(status: int) -> JSONResponse:
    """The error format for a plain HTTP status, with the standard code and advice."""
    code, message = _HTTP_ERRORS.get(status, (f"http_{status}", HTTPStatus(status).phrase + "."))
    return error_response(status, code, message)


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


def _field_problem(error: Mapping[str, Any]) -> str:
    if error.get("type") == "json_invalid":
        return "body: not valid JSON"
    location = [str(part) for part in error.get("loc", ())]
    where = ".".join(location[1:]) or "request"
    source = location[0] if location else "request"
    return f"{where} ({source}): {error.get('msg', 'invalid')}"


async def _api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, exc.headers)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = "; ".join(_field_problem(error) for error in exc.errors())
    return error_response(422, "invalid_request", f"Fix these fields and send again: {problems}.")


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    response = http_error_response(exc.status_code)
    response.headers.update(exc.headers or {})
    return response


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    request_id = getattr(request.state, "request_id", "")
    log.error("unhandled error", extra={"request_id": request_id, "error_type": type(exc).__name__})
    return error_response(
        500,
        "internal_error",
        f"Something failed on our side; try again, and contact Netvisor customer service with request id "
        f"{request_id} if it keeps failing.",
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
