"""The codec endpoint for the Temporal UI in a browser (§10): `/codec/ui/decode` and `/encode`, behind a
support session cookie instead of the bearer token.

The UI cannot send our support token: it only sends an access token of its own login (over https) or the
browser's cookies for the endpoint ("Include cross-origin credentials" in its codec settings). So an agent
signs in once at `/codec/ui/login` with the support token and gets the support session cookie
(starters/api/support_session.py). Without it the UI shows payloads encrypted, as everybody else sees them.
"""

import html
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from settings import Settings
from starters.api.auth import same_secret
from starters.api.codec import ANSWER, CodecDep, PayloadsBody, decoded, encoded
from starters.api.errors import ERROR_RESPONSES
from starters.api.limits import CODEC_BODY_BYTES, body_limit
from starters.api.support_session import SESSION_SECONDS, start_session, support_session

router = APIRouter(prefix="/codec/ui", tags=["codec"], responses=ERROR_RESPONSES)
signed_in = APIRouter(
    prefix="/codec/ui", tags=["codec"], dependencies=[Depends(support_session)], responses=ERROR_RESPONSES
)

_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Temporal UI decoding</title>
<style>body{{font-family:sans-serif;max-width:40em;margin:3em auto}}input{{width:100%;padding:.4em}}</style>
</head><body><h1>Decode payloads in the Temporal UI</h1>{message}
<form method="post" action="/codec/ui/login"><p><label>Support token<br>
<input type="password" name="token" autocomplete="current-password" required></label></p>
<p><button type="submit">Sign in for {hours} hours</button></p></form></body></html>"""


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
async def login_page() -> HTMLResponse:
    return HTMLResponse(_PAGE.format(message="", hours=SESSION_SECONDS // 3600))


@router.post("/login", response_class=HTMLResponse, include_in_schema=False)
async def login(request: Request, token: Annotated[str, Form(max_length=500)]) -> Response:
    """Check the support token and set the session cookie the UI's codec calls then carry."""
    settings: Settings = request.app.state.settings
    if not same_secret(token, settings.api_support_token):
        message = "<p><strong>That is not the support token.</strong></p>"
        return HTMLResponse(_PAGE.format(message=message, hours=SESSION_SECONDS // 3600), status_code=401)
    ui = html.escape(settings.temporal_ui_origins[0])
    page = HTMLResponse(
        f"<!doctype html><p>Signed in for {SESSION_SECONDS // 3600} hours. Open the Temporal UI at "
        f'<a href="{ui}">{ui}</a> in this browser, on the same host name: payloads show decoded here only. '
        "(A Temporal UI on an origin of its own needs <em>Include cross-origin credentials</em> in its "
        "codec settings; under make run the UI serves this endpoint on its own origin.)</p>"
    )
    start_session(page, settings)
    return page


@signed_in.post("/decode", response_model=None, responses=ANSWER, openapi_extra=body_limit(CODEC_BODY_BYTES))
async def decode(body: PayloadsBody, with_codec: CodecDep) -> dict[str, Any]:
    return await decoded(body, with_codec)


@signed_in.post("/encode", response_model=None, responses=ANSWER, openapi_extra=body_limit(CODEC_BODY_BYTES))
async def encode(body: PayloadsBody, with_codec: CodecDep) -> dict[str, Any]:
    return await encoded(body, with_codec)
