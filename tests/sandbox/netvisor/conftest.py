from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from sandbox.netvisor import create_app
from tests.sandbox.netvisor.serving import business_id, sandbox_config, serve


@pytest_asyncio.fixture(loop_scope="session")
async def sandbox_url() -> AsyncIterator[str]:
    async with serve(create_app(sandbox_config())) as url:
        yield url


@pytest_asyncio.fixture(loop_scope="session")
async def http(sandbox_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sandbox_url, timeout=10) as client:
        yield client


@pytest.fixture
def organisation() -> str:
    return business_id()


@pytest.fixture
def other_organisation() -> str:
    return business_id()
