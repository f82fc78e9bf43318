"""Two worker processes' Netvisor clients take turns at one organisation (Netvisor refuses overlapping
messages, docs/facts/netvisor.md §1), on either store; without the turns the sandbox refuses one (so the test
can fail).

Each client has turns of its own (its own lock file descriptor, its own database connection), exactly as two
processes would; the Netvisor sandbox answers an overlapping message with TECHNICAL_ERROR.
"""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from clients.netvisor import NetvisorClient, NetvisorUnavailable
from sandbox.netvisor import NetvisorSandboxConfig
from sandbox.netvisor import create_app as netvisor_app
from settings import Settings
from tests.store.conftest import POSTGRES_URL
from tests.support import new_business_id, serving
from workers.netvisor_turns import NetvisorTurns

MESSAGES_EACH = 3


@pytest_asyncio.fixture(loop_scope="session")
async def netvisor_url(tmp_path: Path) -> AsyncIterator[str]:
    config = NetvisorSandboxConfig(database_url=f"sqlite:///{tmp_path / 'netvisor.db'}")
    async with serving(netvisor_app(config)) as url, httpx.AsyncClient(base_url=url) as http:
        (await http.put("/_sandbox/faults", json={"latency_ms": 100})).raise_for_status()
        yield url


async def _both_at_once(netvisor_url: str, turns: list[NetvisorTurns | None]) -> list[BaseException | None]:
    clients = [NetvisorClient.from_settings(Settings(netvisor_base_url=netvisor_url), turns=t) for t in turns]
    organisation = new_business_id()
    try:
        return await asyncio.gather(
            *(
                client.update_invoicing_addresses(organisation, "003712345678", "003721291126")
                for _ in range(MESSAGES_EACH)
                for client in clients
            ),
            return_exceptions=True,
        )
    finally:
        for client in clients:
            await client.aclose()


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
async def test_two_processes_take_turns_at_one_organisation(
    netvisor_url: str, tmp_path: Path, store: str
) -> None:
    url = f"sqlite:///{tmp_path / 'service.db'}" if store == "sqlite" else POSTGRES_URL
    turns = [NetvisorTurns(url), NetvisorTurns(url)]
    try:
        answers = await _both_at_once(netvisor_url, list(turns))
    finally:
        for each in turns:
            each.dispose()
    assert answers == [None] * 2 * MESSAGES_EACH


async def test_without_turns_netvisor_refuses_an_overlap(netvisor_url: str) -> None:
    answers = await _both_at_once(netvisor_url, [None, None])
    assert any(isinstance(answer, NetvisorUnavailable) for answer in answers), answers
