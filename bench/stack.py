"""The whole service as `make run` starts it (devstack), on free ports in a throw-away folder, for one bench.

Every part is its own process, as in production: the worker and the dev server can be measured apart from the
bench's own load loop, and the raw baseline's HTTP clients do not share a process with the worker. The only
change is the Maventa sandbox, which counts the requests it answers (bench/maventa_counted.py).
"""

import os
import random
import socket
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr
from temporalio.client import Client

from activities.inbound_subscription import ensure_webhook_subscription
from devstack.children import ChildProcess
from devstack.stack import DevStack
from settings import Settings
from starters.inbound import start_inbox
from workers.client import connect_temporal
from workers.dependencies import open_dependencies

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2)
PORT_SETTINGS = (
    "API_PORT",
    "TEMPORAL_UI_PORT",
    "MAVENTA_SANDBOX_PORT",
    "NETVISOR_SANDBOX_PORT",
    "METRICS_PORT",
)


def new_business_id() -> str:
    """A fresh Y-tunnus with a valid check digit."""
    while True:
        body = f"{random.randrange(1_000_000, 9_999_999):07d}"
        remainder = sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11
        if remainder != 1:
            return f"{body}-{0 if remainder == 0 else 11 - remainder}"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """Resident memory of a process in MB: now (VmRSS) or its peak so far (VmHWM), from /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise ValueError(f"no {field} for pid {pid}")


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """The children read their settings from the environment; the bench's own process restores it after."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@dataclass
class Running:
    settings: Settings
    devstack: DevStack
    client: Client
    api: httpx.AsyncClient
    support: httpx.AsyncClient
    maventa_http: httpx.AsyncClient
    netvisor_http: httpx.AsyncClient

    @property
    def worker_pid(self) -> int:
        return self.devstack.worker.pid

    @property
    def temporal_pid(self) -> int:
        return self.devstack.temporal.pid

    async def restart_worker(self, **environment: str) -> None:
        """A new worker process with these settings changed (the old one stops gracefully first)."""
        await self.devstack.worker.stop()
        env = {**self.devstack.worker.env, **environment}
        self.devstack.worker = ChildProcess("worker", [sys.executable, "-m", "workers"], env, 15.0)
        await self.devstack.worker.start()

    async def maventa_requests(self) -> dict[str, Any]:
        response = await self.maventa_http.get("/_bench/requests")
        response.raise_for_status()
        return dict(response.json())

    async def maventa_faults(self, **faults: Any) -> None:
        if faults:
            response = await self.maventa_http.put("/_sandbox/faults", json=faults)
        else:
            response = await self.maventa_http.delete("/_sandbox/faults")
        response.raise_for_status()


@asynccontextmanager
async def running_stack(**environment: str) -> AsyncIterator[Running]:
    """Dev server, both sandboxes, worker and API, with Maventa's webhook subscribed and the sweep started."""
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        values = {name: str(_free_port()) for name in PORT_SETTINGS}
        values |= {
            "DATA_DIR": folder,
            "BIND_HOST": "127.0.0.1",
            "TEMPORAL_ADDRESS": f"127.0.0.1:{_free_port()}",
            "MAVENTA_BASE_URL": f"http://127.0.0.1:{values['MAVENTA_SANDBOX_PORT']}",
            "NETVISOR_BASE_URL": f"http://127.0.0.1:{values['NETVISOR_SANDBOX_PORT']}",
            "SANDBOX_BANK_CONFIRM_SECONDS": "1",
            "SANDBOX_DELIVERY_SECONDS": "1",
            "LOG_LEVEL": "WARNING",
            **environment,
        }
        with _environment(values):
            settings = Settings()
            devstack = DevStack(settings)
            # The children share the key devstack put in their environment; the bench's client needs it too.
            settings = settings.model_copy(update={"secrets_key": SecretStr(devstack.env["SECRETS_KEY"])})
            devstack.maventa = ChildProcess(
                "Maventa sandbox", [sys.executable, "-m", "bench.maventa_counted"], devstack.env, 10.0
            )
            devstack.children = (
                devstack.temporal,
                devstack.maventa,
                devstack.netvisor,
                devstack.worker,
                devstack.api,
            )
        try:
            await devstack.start()
            client = await connect_temporal(settings)
            async with open_dependencies(settings) as dependencies:
                await ensure_webhook_subscription(dependencies, settings)
            await start_inbox(client, settings)
            token = settings.api_netvisor_token.get_secret_value()
            support_token = settings.api_support_token.get_secret_value()
            api_url = f"http://127.0.0.1:{settings.api_port}"
            async with (
                httpx.AsyncClient(
                    base_url=api_url, headers={"Authorization": f"Bearer {token}"}, timeout=60
                ) as api,
                httpx.AsyncClient(
                    base_url=api_url, headers={"Authorization": f"Bearer {support_token}"}, timeout=60
                ) as support,
                httpx.AsyncClient(base_url=settings.maventa_base_url, timeout=60) as maventa_http,
                httpx.AsyncClient(base_url=settings.netvisor_base_url, timeout=60) as netvisor_http,
            ):
                yield Running(settings, devstack, client, api, support, maventa_http, netvisor_http)
        finally:
            await devstack.stop()
