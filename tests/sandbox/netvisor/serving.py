"""The Netvisor sandbox on a random loopback port, for its own tests and the client's contract tests."""

import asyncio
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr

from sandbox.netvisor import NetvisorSandboxConfig

PARTNER_ID = "test-partner"
PARTNER_KEY = "partner-secret-key-0001"
# A customer id with non-ASCII text, as real ones have (research/netvisor-api.md §2.1).
CUSTOMER_ID = "Integraatiokäyttäjä"
CUSTOMER_KEY = "customer-secret-key-ä-0002"
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2)


def sandbox_config(database_url: str = "sqlite://") -> NetvisorSandboxConfig:
    return NetvisorSandboxConfig(
        database_url=database_url,
        partner_id=PARTNER_ID,
        partner_key=SecretStr(PARTNER_KEY),
        customer_id=CUSTOMER_ID,
        customer_key=SecretStr(CUSTOMER_KEY),
    )


def business_id(rng: random.Random | None = None) -> str:
    """A fresh Y-tunnus with a valid check digit, so every test acts for its own organisation."""
    rng = rng or random.Random()
    while True:
        body = f"{rng.randrange(1_000_000, 9_999_999):07d}"
        remainder = sum(int(digit) * weight for digit, weight in zip(body, _WEIGHTS, strict=True)) % 11
        if remainder != 1:
            return f"{body}-{0 if remainder == 0 else 11 - remainder}"


@asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[str]:
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
