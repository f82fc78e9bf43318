"""Helpers every test area shares: serving an ASGI app on a real socket, and fresh business ids."""

import asyncio
import random
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from starlette.applications import Starlette

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2)


@asynccontextmanager
async def serving(app: Starlette, config: uvicorn.Config | None = None) -> AsyncIterator[str]:
    """Serve app (by `config` if given) on 127.0.0.1 and a free port; yields its base URL, then stops."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = config or uvicorn.Config(app, log_config=None, access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[listener]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        listener.close()


def new_business_id(rng: random.Random | None = None) -> str:
    """A fresh Y-tunnus with a valid check digit, above the sandbox partner's: a company of its own."""
    rng = rng or random.Random()
    while True:
        body = f"{rng.randrange(3_400_000, 9_999_999):07d}"
        remainder = sum(int(digit) * weight for digit, weight in zip(body, _WEIGHTS, strict=True)) % 11
        if remainder != 1:
            return f"{body}-{0 if remainder == 0 else 11 - remainder}"
