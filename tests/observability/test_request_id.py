"""Every line logged while the API handles a request carries its request id, the access line included."""

import io
import json
import logging

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from starters.api.access_log import AccessLogMiddleware
from workers.logs import json_log_handler


async def _handler(request: Request) -> PlainTextResponse:
    logging.getLogger("starters.api.test").warning("handling the request")
    return PlainTextResponse("ok")


async def test_lines_inside_a_request_carry_its_request_id() -> None:
    app = AccessLogMiddleware(Starlette(routes=[Route("/v1/thing", _handler)]))
    stream = io.StringIO()
    handler = json_log_handler(stream)
    access = logging.getLogger("starters.api.access")
    own = logging.getLogger("starters.api.test")
    for logger in (access, own):
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as http:
            answer = await http.get("/v1/thing", headers={"X-Request-ID": "req-123"})
        outside = logging.getLogger("starters.api.test")
        outside.warning("after the request")
    finally:
        for logger in (access, own):
            logger.removeHandler(handler)
    lines = {line["message"]: line for line in map(json.loads, stream.getvalue().splitlines())}
    assert answer.headers["x-request-id"] == "req-123"
    assert lines["handling the request"]["request_id"] == "req-123"
    assert lines["request"]["request_id"] == "req-123"
    assert "request_id" not in lines["after the request"]
