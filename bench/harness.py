"""The whole service as `make run` starts it (devstack), every part its own process, on free loopback ports in
a throw-away folder: one start-up for the bench (bench/stack.py) and the reliability tests
(tests/reliability/stack.py), which differ only in settings, in the Maventa sandbox and in the sweep's start.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
from temporalio.client import Client

from devstack.ports import free_port, free_port_block
from devstack.stack import DevStack
from settings import Settings
from starters.webhook_subscription import ensure_webhook_subscription
from workers.client import connect_temporal
from workers.dependencies import open_dependencies

__all__ = ["PORT_SETTINGS", "Stack", "free_port", "loopback_environment", "started"]

PORT_SETTINGS = (
    "API_PORT",
    "TEMPORAL_UI_PORT",
    "MAVENTA_SANDBOX_PORT",
    "NETVISOR_SANDBOX_PORT",
)
# The most worker processes a bench or test stack starts; each serves `/metrics` on the port after the last.
MOST_WORKERS = 4


def loopback_environment(folder: Path) -> dict[str, str]:
    """Every listener on a free loopback port and every client pointed at it, so that a stack runs beside
    `make run` and beside another stack."""
    values = {name: str(free_port()) for name in PORT_SETTINGS}
    return values | {
        "METRICS_PORT": str(free_port_block(MOST_WORKERS)),
        "DATA_DIR": str(folder),
        "BIND_HOST": "127.0.0.1",
        "TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
        "MAVENTA_BASE_URL": f"http://127.0.0.1:{values['MAVENTA_SANDBOX_PORT']}",
        "NETVISOR_BASE_URL": f"http://127.0.0.1:{values['NETVISOR_SANDBOX_PORT']}",
    }


@dataclass
class Stack:
    """The running processes and the clients that reach them as Netvisor, support and the sandboxes' users."""

    settings: Settings
    devstack: DevStack
    client: Client
    api: httpx.AsyncClient
    support: httpx.AsyncClient
    maventa_http: httpx.AsyncClient
    netvisor_http: httpx.AsyncClient

    async def maventa_faults(self, **faults: Any) -> None:
        if faults:
            response = await self.maventa_http.put("/_sandbox/faults", json=faults)
        else:
            response = await self.maventa_http.delete("/_sandbox/faults")
        response.raise_for_status()


S = TypeVar("S", bound=Stack)


@asynccontextmanager
async def started(
    settings: Settings,
    devstack: DevStack,
    start_sweep: Callable[[Client, Settings], Awaitable[None]],
    stack: Callable[
        [
            Settings,
            DevStack,
            Client,
            httpx.AsyncClient,
            httpx.AsyncClient,
            httpx.AsyncClient,
            httpx.AsyncClient,
        ],
        S,
    ],
) -> AsyncIterator[S]:
    """Dev server, both sandboxes, worker and API; Maventa's webhook subscribed and the sweep started. The
    devstack stops on the way out, also when its start fails half-way."""
    try:
        await devstack.start()
        client = await connect_temporal(settings)
        async with open_dependencies(settings) as dependencies:
            await ensure_webhook_subscription(dependencies, settings)
        await start_sweep(client, settings)
        token = settings.api_netvisor_token.get_secret_value()
        support_token = settings.api_support_token.get_secret_value()
        api_url = f"http://127.0.0.1:{settings.api_port}"
        async with (
            httpx.AsyncClient(
                base_url=api_url, headers={"Authorization": f"Bearer {token}"}, timeout=60
            ) as api,
            httpx.AsyncClient(
                base_url=api_url,
                headers={"Authorization": f"Bearer {support_token}", "X-Support-User": "bench"},
                timeout=60,
            ) as support,
            httpx.AsyncClient(base_url=settings.maventa_base_url, timeout=60) as maventa_http,
            httpx.AsyncClient(base_url=settings.netvisor_base_url, timeout=60) as netvisor_http,
        ):
            yield stack(settings, devstack, client, api, support, maventa_http, netvisor_http)
    finally:
        await devstack.stop()
