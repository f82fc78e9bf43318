"""Maventa's error body `{code, message, details}` (docs/facts/maventa.md §3) for every failure."""

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)

# Codes below marked [A] are the sandbox's assumptions: Maventa's real codes for these cases are not public.
TOKEN_EXPIRED = "token_expired"  # [A] expired bearer: asking for a new token helps
TOKEN_INVALID = "token_invalid"  # [A] missing or unknown bearer
INVALID_CLIENT = "invalid_client"  # [A] wrong client_id / client_secret / vendor_api_key at /oauth2/token
# [A] code; the message "Unauthorized" is Maventa's (docs/facts/maventa.md §2.4)
COMPANY_UNVERIFIED = "company_unverified"
FORBIDDEN = "forbidden"
INSUFFICIENT_SCOPE = "insufficient_scope"  # [A] a token without the operation's scopes (403)
INVALID_SCOPE = "invalid_scope"  # [A] OAuth2's code (RFC 6749 §5.2) for a scope that cannot be granted
NOT_FOUND = "not_found"
INVALID_PARAMETERS = "invalid_parameters"
# [A] code; the text "BID ALREADY TAKEN" is Maventa's (docs/facts/maventa.md §2.6)
BID_ALREADY_TAKEN = "bid_already_taken"
EMAIL_TAKEN = "email_taken"  # [A]
PROFILE_NAME_CONFLICT = "profile_name_conflict"
RECEIVING_NOT_ENABLED = "receiving_not_enabled"  # [A]
TOO_MANY_REQUESTS = "too_many_requests"  # [A] no rate limit is documented at all
INTERNAL_ERROR = "internal_error"  # [A]


class MaventaApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or []


def error_response(
    status: int,
    code: str,
    message: str,
    details: list[str] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = {"code": code, "message": message, "details": details or []}
    return JSONResponse(body, status_code=status, headers=headers)


def not_found(what: str) -> MaventaApiError:
    return MaventaApiError(404, NOT_FOUND, f"{what} not found")


def invalid(
    message: str, details: list[str] | None = None, code: str = INVALID_PARAMETERS
) -> MaventaApiError:
    return MaventaApiError(400, code, message, details)


def install_error_handlers(app: FastAPI) -> None:
    async def on_api_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, MaventaApiError)
        return error_response(exc.status, exc.code, exc.message, exc.details)

    async def on_validation(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        details = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        return error_response(422, INVALID_PARAMETERS, "Invalid parameters", details)

    async def on_http(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = NOT_FOUND if exc.status_code == 404 else INVALID_PARAMETERS
        return error_response(exc.status_code, code, str(exc.detail))

    async def on_unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("sandbox error", exc_info=exc)
        return error_response(500, INTERNAL_ERROR, "Internal server error")

    app.add_exception_handler(Exception, on_unexpected)
    app.add_exception_handler(MaventaApiError, on_api_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
