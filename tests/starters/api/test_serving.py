"""X-Forwarded-* headers are believed only from the proxies named in API_TRUSTED_PROXIES (uvicorn alone would
believe them from 127.0.0.1)."""

import httpx
import pytest
from fastapi import FastAPI, Request

from settings import Settings
from starters.api.serving import server_config
from tests.support import serving

FORWARDED = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}


def _probe() -> FastAPI:
    app = FastAPI()

    @app.get("/seen")
    async def seen(request: Request) -> dict[str, str]:
        return {"client": request.client.host if request.client else "", "scheme": request.url.scheme}

    return app


@pytest.mark.parametrize(
    ("trusted", "seen"),
    [
        ("", {"client": "127.0.0.1", "scheme": "http"}),
        ("10.0.0.0/8", {"client": "127.0.0.1", "scheme": "http"}),
        ("127.0.0.1", {"client": "203.0.113.9", "scheme": "https"}),
    ],
    ids=["none-configured", "another-proxy", "this-proxy"],
)
async def test_forwarded_headers_count_only_from_a_configured_proxy(
    trusted: str, seen: dict[str, str]
) -> None:
    app = _probe()
    config = server_config(app, Settings(api_trusted_proxies=trusted))
    async with serving(app, config) as url, httpx.AsyncClient() as http:
        answer = await http.get(f"{url}/seen", headers=FORWARDED)
    assert answer.json() == seen
