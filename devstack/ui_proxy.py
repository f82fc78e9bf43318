"""The Temporal UI and the API's browser codec endpoint on one origin, so the UI decodes right after sign-in.

The dev server's UI calls its codec endpoint with `fetch` and sends cookies only to its own origin unless
"Include cross-origin credentials" is switched on in each browser by hand (`temporal server start-dev` has no
flag for it; docs/support.md). So under `make run` this proxy listens on TEMPORAL_UI_PORT: `/codec/ui/...`
goes to the API, everything else to the dev server's UI on a private port, and the dev server is told that
its codec endpoint is `/codec/ui` on this same origin. The support session cookie (Path=/codec/ui, set by the
API on the same host) then reaches the codec endpoint by itself; a browser without it sees payloads encoded.

`python -m devstack.ui_proxy <ui server port>`; the other addresses come from the settings.
"""

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from settings import Settings, get_settings

CODEC_PREFIX = "/codec/ui"
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
    }
)
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def ui_server_url(settings: Settings, ui_server_port: int) -> str:
    return f"http://{settings.bind_host}:{ui_server_port}"


def api_url(settings: Settings) -> str:
    return f"http://{settings.bind_host}:{settings.api_port}"


def upstream_for(path: str, ui_server: str, api: str) -> str:
    """The API for the codec endpoint and its sign-in page, the dev server's UI for everything else."""
    if path == CODEC_PREFIX or path.startswith(CODEC_PREFIX + "/"):
        return api
    return ui_server


def create_app(ui_server: str, api: str) -> Starlette:
    http = httpx.AsyncClient(timeout=httpx.Timeout(60.0, connect=5.0), follow_redirects=False)

    async def forward(request: Request) -> Response:
        target = upstream_for(request.url.path, ui_server, api)
        url = httpx.URL(target + request.url.path, query=request.url.query.encode())
        sent = [(k, v) for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP]
        upstream = http.build_request(request.method, url, headers=sent, content=await request.body())
        try:
            answer = await http.send(upstream, stream=True)
        except httpx.HTTPError as error:
            return PlainTextResponse(f"{target} did not answer: {type(error).__name__}", status_code=502)
        received = [(k, v) for k, v in answer.headers.multi_items() if k.lower() not in HOP_BY_HOP]
        return _streamed(answer, received)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await http.aclose()

    return Starlette(routes=[Route("/{path:path}", forward, methods=METHODS)], lifespan=lifespan)


async def _body(answer: httpx.Response) -> AsyncIterator[bytes]:
    async for chunk in answer.aiter_raw():
        yield chunk


def _streamed(answer: httpx.Response, headers: list[tuple[str, str]]) -> StreamingResponse:
    """The upstream answer as it came: status, headers (cookies and encodings included) and raw bytes."""
    response = StreamingResponse(
        _body(answer), status_code=answer.status_code, background=BackgroundTask(answer.aclose)
    )
    response.raw_headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]
    return response


def main() -> None:
    settings = get_settings()
    ui_server_port = int(sys.argv[1])
    app = create_app(ui_server_url(settings, ui_server_port), api_url(settings))
    uvicorn.run(app, host=settings.bind_host, port=settings.temporal_ui_port, log_level="warning")


if __name__ == "__main__":
    main()
