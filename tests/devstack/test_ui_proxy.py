"""The Temporal UI's proxy (devstack/ui_proxy.py): the codec endpoint on the UI's own origin, everything else
to the dev server's UI, each answer passed on as it came."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request, Response

from devstack.ui_proxy import create_app, upstream_for
from tests.support import serving


def test_only_the_codec_endpoint_goes_to_the_api() -> None:
    assert upstream_for("/codec/ui/decode", "ui", "api") == "api"
    assert upstream_for("/codec/ui/login", "ui", "api") == "api"
    assert upstream_for("/codec/ui", "ui", "api") == "api"
    assert upstream_for("/codec/uix", "ui", "api") == "ui"
    assert upstream_for("/codec/decode", "ui", "api") == "ui", "the bearer-token endpoint is not the UI's"
    assert upstream_for("/namespaces/default/workflows", "ui", "api") == "ui"


def upstream(name: str) -> FastAPI:
    """Echoes what it was sent, as the dev server's UI or the API would see it."""
    app = FastAPI()

    @app.api_route("/{path:path}", methods=["GET", "POST"])
    async def echo(path: str, request: Request) -> Response:
        body = await request.body()
        answer = Response(
            f"{name} {request.method} /{path}?{request.url.query} cookie={request.headers.get('cookie')} "
            f"body={body.decode()}",
            status_code=201 if request.method == "POST" else 200,
            media_type="text/plain; charset=utf-8",
        )
        answer.set_cookie("_csrf", "from-" + name)
        return answer

    return app


@asynccontextmanager
async def proxied() -> AsyncIterator[str]:
    async with (
        serving(upstream("ui")) as ui,
        serving(upstream("api")) as api,
        serving(create_app(ui, api)) as proxy,
    ):
        yield proxy


async def test_requests_and_answers_pass_through_whole() -> None:
    async with proxied() as proxy, httpx.AsyncClient(base_url=proxy) as browser:
        page = await browser.get("/namespaces/default/workflows?query=MaventaState%3D%22CONNECTED%22")
        decode = await browser.post(
            "/codec/ui/decode", content=b'{"payloads":[]}', headers={"cookie": "codec_ui_session=s"}
        )

    assert page.status_code == 200
    assert page.text.startswith("ui GET /namespaces/default/workflows?query=MaventaState%3D%22CONNECTED%22")
    assert page.headers["set-cookie"].startswith("_csrf=from-ui")
    assert decode.status_code == 201
    assert decode.text == 'api POST /codec/ui/decode? cookie=codec_ui_session=s body={"payloads":[]}'


async def test_an_upstream_that_is_down_is_a_502_naming_it() -> None:
    async with (
        serving(create_app("http://127.0.0.1:9", "http://127.0.0.1:9")) as proxy,
        httpx.AsyncClient(base_url=proxy) as browser,
    ):
        answer = await browser.get("/")
    assert answer.status_code == 502 and "did not answer" in answer.text
