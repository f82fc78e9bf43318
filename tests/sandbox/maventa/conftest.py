from collections.abc import AsyncIterator

import pytest_asyncio

from tests.sandbox.maventa.serving import MaventaSandbox, running_sandbox


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def maventa() -> AsyncIterator[MaventaSandbox]:
    async with running_sandbox() as sandbox:
        yield sandbox
