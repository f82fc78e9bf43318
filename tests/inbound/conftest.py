"""The inbound stack for every test here: sandboxes, store and the dev server's client."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from temporalio.client import Client

from tests.inbound.harness import Inbound, inbound_stack


@pytest_asyncio.fixture(loop_scope="session")
async def stack(temporal_client: Client, task_queue: str, tmp_path: Path) -> AsyncIterator[Inbound]:
    async with inbound_stack(temporal_client, task_queue, tmp_path) as running:
        yield running
