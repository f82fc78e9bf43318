"""The API process's one set of store sessions, opened on first use and shared through app.state, and the
answer every route gives while the store cannot be reached: 503 with what to do, never a 500.
"""

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, OperationalError

from settings import Settings
from starters.api.errors import error_response
from store.database import Sessions

log = logging.getLogger(__name__)

STORE_UNAVAILABLE = (OperationalError, InterfaceError)
"""The driver could not reach the database or lost it mid-request (a refused or cut connection, SQLite's lock
held past its busy timeout): nothing about the request itself."""

STORE_UNAVAILABLE_MESSAGE = (
    "The service cannot reach its database right now; send the same request again shortly "
    "(a repeated request with the same key is answered once)."
)


def store_sessions(request: Request) -> Sessions:
    sessions: Sessions | None = getattr(request.app.state, "sessions", None)
    if sessions is None:
        settings: Settings = request.app.state.settings
        sessions = request.app.state.sessions = Sessions.for_url(settings.store_url)
    return sessions


async def _store_unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.warning(
        "store unavailable",
        extra={"request_id": getattr(request.state, "request_id", ""), "error_type": type(exc).__name__},
    )
    return error_response(503, "store_unavailable", STORE_UNAVAILABLE_MESSAGE, {"Retry-After": "5"})


def answer_store_unavailable(app: FastAPI) -> None:
    for error in STORE_UNAVAILABLE:
        app.add_exception_handler(error, _store_unavailable)
