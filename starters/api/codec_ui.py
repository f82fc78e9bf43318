"""The codec endpoint for the Temporal UI in a browser (SPEC §10): `/codec/ui/decode` and `/encode`, behind a
support session cookie instead of the bearer token.

The UI cannot send our support token: it only sends an access token of its own login (over https) or the
browser's cookies for the endpoint ("Include cross-origin credentials" in its codec settings). So an agent
signs in once at `/codec/ui/login` with the support token; the API sets an HttpOnly, SameSite=Strict cookie
limited to `/codec/ui`, signed with the support token and valid for a working day. Without it the UI shows
payloads encrypted, as everybody else sees them.
"""

import hashlib
import hmac
import html
import time
from typing import Annotated, Any

from fastapi import APIRouter, Body, Cookie, Form, Request
from fastapi.responses import HTMLResponse, Response

from security.codec import EncryptionCodec, PayloadDecryptionError
from security.codec_server import CodecRequestError, decode_payloads, encode_payloads
from settings import Settings
from starters.api.errors import ApiError

router = APIRouter(prefix="/codec/ui", tags=["codec"])

COOKIE = "codec_ui_session"
SESSION_SECONDS = 8 * 3600
_PURPOSE = "maventa-connection/codec-ui-session/v1"

PayloadsBody = Annotated[dict[str, Any], Body()]
SessionCookie = Annotated[str | None, Cookie(alias=COOKIE, include_in_schema=False)]

_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Temporal UI decoding</title>
<style>body{{font-family:sans-serif;max-width:40em;margin:3em auto}}input{{width:100%;padding:.4em}}</style>
</head><body><h1>Decode payloads in the Temporal UI</h1>{message}
<form method="post" action="/codec/ui/login"><p><label>Support token<br>
<input type="password" name="token" autocomplete="current-password" required></label></p>
<p><button type="submit">Sign in for {hours} hours</button></p></form></body></html>"""


def _signature(settings: Settings, expires: int) -> str:
    key = settings.api_support_token.get_secret_value().encode()
    return hmac.new(key, f"{_PURPOSE}:{expires}".encode(), hashlib.sha256).hexdigest()


def session_value(settings: Settings, now: float | None = None) -> str:
    expires = int((now if now is not None else time.time()) + SESSION_SECONDS)
    return f"{expires}.{_signature(settings, expires)}"


def _valid(settings: Settings, value: str | None) -> bool:
    """Signed with the current support token (changing the token ends every session) and not expired."""
    expires_text, _, signature = (value or "").partition(".")
    if not expires_text.isdigit() or int(expires_text) < time.time():
        return False
    return hmac.compare_digest(signature, _signature(settings, int(expires_text)))


def _require_session(request: Request, value: str | None) -> EncryptionCodec:
    settings: Settings = request.app.state.settings
    if not _valid(settings, value):
        raise ApiError(
            401,
            "unauthorized",
            "No support session for the Temporal UI: sign in at /codec/ui/login with the support token.",
        )
    codec: EncryptionCodec = request.app.state.codec
    return codec


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
async def login_page() -> HTMLResponse:
    return HTMLResponse(_PAGE.format(message="", hours=SESSION_SECONDS // 3600))


@router.post("/login", response_class=HTMLResponse, include_in_schema=False)
async def login(request: Request, token: Annotated[str, Form(max_length=500)]) -> Response:
    """Check the support token and set the session cookie the UI's codec calls then carry."""
    settings: Settings = request.app.state.settings
    expected = settings.api_support_token.get_secret_value().encode()
    if not hmac.compare_digest(token.encode(), expected):
        message = "<p><strong>That is not the support token.</strong></p>"
        return HTMLResponse(_PAGE.format(message=message, hours=SESSION_SECONDS // 3600), status_code=401)
    ui = html.escape(f"http://{settings.bind_host}:{settings.temporal_ui_port}")
    page = HTMLResponse(
        f"<!doctype html><p>Signed in for {SESSION_SECONDS // 3600} hours. Open the Temporal UI at "
        f'<a href="{ui}">{ui}</a>; in its codec server settings keep this endpoint and tick '
        "<em>Include cross-origin credentials</em>. Payloads then show decoded in this browser only.</p>"
    )
    page.set_cookie(
        COOKIE,
        session_value(settings),
        max_age=SESSION_SECONDS,
        path="/codec/ui",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return page


@router.post("/decode")
async def decode(request: Request, body: PayloadsBody, session: SessionCookie = None) -> dict[str, Any]:
    codec = _require_session(request, session)
    try:
        return await decode_payloads(body, codec=codec)
    except (CodecRequestError, PayloadDecryptionError) as error:
        raise ApiError(422, "invalid_payloads", f"Fix the body: {error}.") from None


@router.post("/encode")
async def encode(request: Request, body: PayloadsBody, session: SessionCookie = None) -> dict[str, Any]:
    codec = _require_session(request, session)
    try:
        return await encode_payloads(body, codec=codec)
    except CodecRequestError as error:
        raise ApiError(422, "invalid_payloads", f"Fix the body: {error}.") from None
