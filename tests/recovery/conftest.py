"""One service for the package's fault tests: each test acts for companies of its own (founded together)."""

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from tests.recovery.stack import Recovering, recovering_service
from tests.reliability.stack import Company


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def service(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Recovering]:
    async with recovering_service(tmp_path_factory.mktemp("recovery")) as running:
        yield running


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def companies(service: Recovering) -> list[Company]:
    """Every test's companies, founded at once before any fault: two for a lost worker, one for Netvisor's
    partial faults, one for the API's restart, two for Temporal's, one for the store's outage."""
    return await service.found(7)
