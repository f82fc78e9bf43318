"""The API served by uvicorn on a random loopback port, as a real client sees it."""

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import pytest
import uvicorn
from fastapi import FastAPI

Serve = Callable[[FastAPI], AbstractAsyncContextManager[str]]


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[str]:
    """Serve app on 127.0.0.1 and a free port; yields its base URL and stops it afterwards."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False, lifespan="on"))
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


@pytest.fixture
def serve() -> Serve:
    return serving
