"""The API served by uvicorn on a random loopback port, as a real client sees it."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import pytest
from fastapi import FastAPI

from tests.support import serving

Serve = Callable[[FastAPI], AbstractAsyncContextManager[str]]


@pytest.fixture
def serve() -> Serve:
    return serving
