"""One running service for the whole package: every test acts for companies of its own."""

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from tests.reliability.stack import Service, running_service


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def service(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Service]:
    async with running_service(tmp_path_factory.mktemp("reliability")) as running:
        yield running
