"""The API's own Maventa calls keep to the same per-process pace as a worker's: a burst of lookups (the manual
transfer checks up to 1,000 ids) never takes Maventa over its limit; unpaced, its 429s are waited out."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from pydantic import SecretStr
from starlette.requests import Request

from clients.maventa import MaventaCredentials
from settings import Settings
from starters.api.app import create_app
from starters.api.maventa import close_maventa, fresh_maventa_client, maventa_client
from store.schema import migrate
from tests.clients.upstream_answers import maventa_4xx_answers
from tests.sandbox.maventa.serving import VENDOR_KEY, MaventaSandbox, running_sandbox

BURST = 12


@pytest_asyncio.fixture(loop_scope="session")
async def maventa() -> AsyncIterator[MaventaSandbox]:
    async with running_sandbox() as sandbox:
        yield sandbox


async def _burst(maventa: MaventaSandbox, tmp_path: Path, creds: MaventaCredentials, budget: float) -> float:
    """BURST lookups at once through the API's Maventa clients, every one answered; how many 429s Maventa gave
    on the way."""
    settings = Settings(
        data_dir=tmp_path,
        temporal_address="127.0.0.1:1",
        maventa_base_url=maventa.url,
        maventa_vendor_api_key=SecretStr(VENDOR_KEY),
        maventa_requests_per_second=budget,
    )
    migrate(settings.store_url)  # the budget's places are leased in the store (workers/maventa_budget.py)
    app = create_app(settings)
    request = Request({"type": "http", "app": app})
    clients = [maventa_client(request), fresh_maventa_client(request)]
    refused_before = maventa_4xx_answers()
    try:
        answers = await asyncio.gather(
            *(clients[i % 2].list_profiles(creds) for i in range(BURST)), return_exceptions=True
        )
    finally:
        await close_maventa(app)
    assert not [a for a in answers if isinstance(a, BaseException)], answers
    return maventa_4xx_answers() - refused_before


async def test_the_apis_maventa_calls_share_the_processs_pace(
    maventa: MaventaSandbox, tmp_path: Path
) -> None:
    _, creds = await maventa.account()
    await maventa.control("PUT", "/faults", json={"rate_limit_per_s": 10})
    try:
        assert await _burst(maventa, tmp_path, creds, budget=0.0) > 0, "unpaced, it hits the limit and waits"
        await asyncio.sleep(1.1)
        assert await _burst(maventa, tmp_path, creds, budget=8.0) == 0
    finally:
        await maventa.control("DELETE", "/faults")
