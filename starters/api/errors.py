"""One error shape for every 4xx and 5xx: `{"error": {"code": "...", "message": "...", "details": [...]}}`.

The message says what to do next; `details` lists the individual problems (one per field for a validation
error) and is empty otherwise. Neither ever repeats what the caller sent (it might be a secret, or 100 kB).
"""

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)

_HTTP_ERRORS: Mapping[int, tuple[str, str]] = {
    400: ("bad_request", "The request could not be read: send a JSON body that matches /openapi.json."),
    404: ("not_found", "No such resource: check the path against /openapi.json."),
    405: ("method_not_allowed", "This path does not accept that method: see /openapi.json."),
    413: ("payload_too_large", "The request body is too large; send smaller documents or fewer attachments."),
    415: ("unsupported_media_type", "Send the body as application/json (see /openapi.json)."),
}


MOST_IN_MESSAGE = 5
MOST_DETAILS = 50
"""A body with a thousand bad fields gets an answer of bounded size."""


class ErrorBody(BaseModel):
    code: str = Field(description="What went wrong, for programs: e.g. unauthorized, invalid_request")
    message: str = Field(description="What went wrong and what to do next, for people")
    details: list[str] = Field(description="The individual problems, e.g. one per invalid field")


class ErrorResponse(BaseModel):
    """The body of every 4xx and 5xx answer."""

    error: ErrorBody


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {"model": ErrorResponse, "description": "Refused; the message says what to do"},
    "5XX": {"model": ErrorResponse, "description": "Not available right now; try again"},
}
"""Declared on every router, so /openapi.json shows the error shape (and not FastAPI's own 422)."""


class ApiError(StarletteHTTPException):
    """Raise from a route to answer with the error format, e.g. `ApiError(409, "wrong_state", "...")`.

    An HTTPException, so it also passes through FastAPI's body reading when the request gate raises it
    from `receive` (starters/api/gate.py).
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
        details: list[str] | None = None,
    ) -> None:
        super().__init__(status, message, dict(headers or {}))
        self.status = status
        self.code = code
        self.message = message
        self.details = details or []

    def response(self) -> JSONResponse:
        return error_response(self.status, self.code, self.message, self.headers, self.details)


def http_error(status: int, headers: Mapping[str, str] | None = None) -> ApiError:
    """The error for a plain HTTP status, with the standard code and advice."""
    code, message = _HTTP_ERRORS.get(status, (f"http_{status}", HTTPStatus(status).phrase + "."))
    return ApiError(status, code, message, headers=headers)


def http_error_response(status: int) -> JSONResponse:
    return http_error(status).response()


def error_response(
    status: int,
    code: str,
    message: str,
    headers: Mapping[str, str] | None = None,
    details: list[str] | None = None,
) -> JSONResponse:
    body = ErrorResponse(error=ErrorBody(code=code, message=message, details=details or []))
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def _field_problem(error: Mapping[str, Any]) -> str:
    if error.get("type") == "json_invalid":
        return "body: not valid JSON"
    location = [str(part) for part in error.get("loc", ())]
    where = ".".join(location[1:]) or "request"
    source = location[0] if location else "request"
    return f"{where} ({source}): {error.get('msg', 'invalid')}"


async def _api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return exc.response()


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    problems = [_field_problem(error) for error in errors[:MOST_DETAILS]]
    shown = "; ".join(problems[:MOST_IN_MESSAGE])
    more = f" (and {len(errors) - MOST_IN_MESSAGE} more in details)" if len(errors) > MOST_IN_MESSAGE else ""
    return error_response(
        422, "invalid_request", f"Fix these fields and send again: {shown}{more}.", details=problems
    )


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return http_error(exc.status_code, exc.headers).response()


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
