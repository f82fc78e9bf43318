"""The whole service as `make run` starts it (devstack), on free ports in a throw-away folder, for one bench
(the start-up shared with the reliability tests is bench/harness.py).

Every part is its own process, as in production: the worker and the dev server can be measured apart from the
bench's own load loop, and the raw baseline's HTTP clients do not share a process with the worker. The only
change is the Maventa sandbox, which counts the requests it answers (bench/maventa_counted.py).
"""

import os
import random
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from bench.harness import Stack, loopback_environment, started
from devstack.children import ChildProcess
from devstack.stack import DevStack
from settings import Settings
from starters.inbound import start_inbox

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2)


_ISSUED: set[str] = set()


def new_business_id() -> str:
    """A Y-tunnus with a valid check digit, never the same twice in one bench run.

    Among the thousands a founding burst draws, two random ones coincide in about one run in sixteen, and the
    second company then rightly finds its business id taken (EXISTING_ACCOUNT) instead of founding an account.
    """
    while True:
        body = f"{random.randrange(1_000_000, 9_999_999):07d}"
        remainder = sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11
        business_id = f"{body}-{0 if remainder == 0 else 11 - remainder}"
        if remainder != 1 and business_id not in _ISSUED:
            _ISSUED.add(business_id)
            return business_id


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


class Running(Stack):
    """The stack as the bench measures it: its processes' ids, a worker restarted with other settings and the
    counted Maventa sandbox's tallies."""

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
        response = await self.maventa_http.get("/_sandbox/bench/requests")
        response.raise_for_status()
        return dict(response.json())


@asynccontextmanager
async def running_stack(**environment: str) -> AsyncIterator[Running]:
    """Dev server, both sandboxes, worker and API, with Maventa's webhook subscribed and the sweep started."""
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        values = loopback_environment(Path(folder)) | {
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
        async with started(settings, devstack, start_inbox, Running) as running:
            yield running
