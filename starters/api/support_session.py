"""The support session of the browser pages (the Temporal UI's codec calls today, the support console next):
a cookie an agent gets by signing in with the support token, instead of sending the token on every request.

The cookie holds an expiry and an HMAC of it keyed by the support token (changing the token ends every
session), nothing else. It is HttpOnly and SameSite=Strict, limited to its path, and `Secure` as configured
(API_SESSION_COOKIE_SECURE; on by default in production), never from the request's scheme, which is `http`
behind a TLS proxy. Anything that is not exactly a cookie this API made is no session: never an error.
"""

import hashlib
import hmac
import re
import time
from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.security import APIKeyCookie

from settings import Settings
from starters.api.errors import ApiError

COOKIE = "codec_ui_session"
COOKIE_PATH = "/codec/ui"
SESSION_SECONDS = 8 * 3600
_PURPOSE = "maventa-connection/codec-ui-session/v1"
_VALUE = re.compile(r"^([0-9]{1,12})\.([0-9a-f]{64})$")

_SCHEME = APIKeyCookie(
    name=COOKIE, auto_error=False, scheme_name="supportSession", description="Sign in at /codec/ui/login"
)
SessionCookie = Annotated[str | None, Depends(_SCHEME)]


def _signature(settings: Settings, expires: int) -> str:
    key = settings.api_support_token.get_secret_value().encode()
    return hmac.new(key, f"{_PURPOSE}:{expires}".encode(), hashlib.sha256).hexdigest()


def session_value(settings: Settings, now: float | None = None) -> str:
    """A new session's cookie value, valid for SESSION_SECONDS from now."""
    expires = int((now if now is not None else time.time()) + SESSION_SECONDS)
    return f"{expires}.{_signature(settings, expires)}"


def valid_session(settings: Settings, value: str | None, now: float | None = None) -> bool:
    """Signed with the current support token and not expired; any other text is simply not a session."""
    match = _VALUE.match(value or "")
    if match is None:
        return False
    expires = int(match[1])
    if expires < (now if now is not None else time.time()):
        return False
    return hmac.compare_digest(match[2], _signature(settings, expires))


def session_refusal(settings: Settings, value: str | None) -> ApiError | None:
    if valid_session(settings, value):
        return None
    return ApiError(
        401,
        "unauthorized",
        "No support session for the Temporal UI: sign in at /codec/ui/login with the support token.",
    )


def start_session(response: Response, settings: Settings, paths: tuple[str, ...] = (COOKIE_PATH,)) -> str:
    """Set the session cookie on the answer to a successful sign-in, for each path that reads it (the support
    console signs in for itself and for the Temporal UI at once); returns the session's value."""
    value = session_value(settings)
    for path in paths:
        response.set_cookie(
            COOKIE,
            value,
            max_age=SESSION_SECONDS,
            path=path,
            httponly=True,
            samesite="strict",
            secure=settings.session_cookie_secure,
        )
    return value


def end_session(response: Response, paths: tuple[str, ...] = (COOKIE_PATH,)) -> None:
    """Sign out: the browser forgets the session cookie on each path."""
    for path in paths:
        response.delete_cookie(COOKIE, path=path, httponly=True, samesite="strict")


async def support_session(request: Request, session: SessionCookie = None) -> None:
    """Route dependency of the pages behind the session; the request gate runs the same check first."""
    refusal = session_refusal(request.app.state.settings, session)
    if refusal is not None:
        raise refusal
