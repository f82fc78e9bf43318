"""The embedded stack: store migrations, the Temporal dev server, both sandboxes, the workers and the API.

Started in dependency order, each waited on until it is really ready; stopped in reverse order. `WORKERS`
worker processes poll the one task queue, as a fleet would (docs/operating.md).
"""

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TypeVar

from temporalio.client import Client

from devstack.children import ChildProcess
from devstack.environment import child_environment
from devstack.ports import free_port, ports_in_use, worker_metrics_ports
from devstack.probes import answers_http, worker_is_polling
from devstack.temporal_server import dev_server_command, ready_client
from settings import Settings

log = logging.getLogger("devstack")

T = TypeVar("T")

READY_TIMEOUT_S = 60.0
POLL_INTERVAL_S = 0.2


class StartupFailed(Exception):
    """A part of the stack could not start; the message says which and why."""


class DevStack:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.data_dir = settings.data_dir.resolve()
        env = child_environment(settings, self.data_dir)
        self.env = env

        def python_module(name: str, module: str, stop_timeout_s: float = 10.0) -> ChildProcess:
            return ChildProcess(name, [sys.executable, "-m", module], env, stop_timeout_s)

        self.ui_server_port = free_port(settings.bind_host)
        self.temporal = ChildProcess(
            "Temporal dev server",
            dev_server_command(settings, self.data_dir, self.ui_server_port),
            env,
            stop_timeout_s=15.0,
        )
        self.ui_proxy = ChildProcess(
            "Temporal UI proxy",
            [sys.executable, "-m", "devstack.ui_proxy", str(self.ui_server_port)],
            env,
            stop_timeout_s=5.0,
        )
        self.maventa = python_module("Maventa sandbox", "sandbox.maventa")
        self.netvisor = python_module("Netvisor sandbox", "sandbox.netvisor")
        stop_s = settings.worker_graceful_shutdown_s + 5
        ports = worker_metrics_ports(settings)
        self.workers = [
            ChildProcess(
                "worker" if len(ports) == 1 else f"worker {n + 1}",
                [sys.executable, "-m", "workers"],
                env,
                stop_s,
                overrides={"METRICS_PORT": str(port)} if n else {},
            )
            for n, port in enumerate(ports)
        ]
        self.api = python_module("API", "starters.api")

    @property
    def worker(self) -> ChildProcess:
        """The first worker process (the only one unless WORKERS is more than 1)."""
        return self.workers[0]

    @worker.setter
    def worker(self, replacement: ChildProcess) -> None:
        self.workers[0] = replacement

    @property
    def children(self) -> tuple[ChildProcess, ...]:
        return (self.temporal, self.ui_proxy, self.maventa, self.netvisor, *self.workers, self.api)

    async def start(self) -> None:
        clashes = ports_in_use(self.settings)
        if clashes:
            raise StartupFailed("; ".join(clashes))
        self.data_dir.mkdir(parents=True, exist_ok=True)
        await self._migrate()
        host = self.settings.bind_host

        await self.temporal.start()
        client = await self._until_ready(self.temporal, lambda: ready_client(self.settings))
        await self._until_ready(
            self.temporal, lambda: answers_http(f"http://{host}:{self.ui_server_port}/"), what="Temporal UI"
        )
        await self.ui_proxy.start()
        await self._until_ready(
            self.ui_proxy, lambda: answers_http(f"http://{host}:{self.settings.temporal_ui_port}/")
        )

        await self.maventa.start()
        await self.netvisor.start()
        await asyncio.gather(
            self._until_ready(
                self.maventa, lambda: answers_http(f"http://{host}:{self.settings.maventa_sandbox_port}/")
            ),
            self._until_ready(
                self.netvisor, lambda: answers_http(f"http://{host}:{self.settings.netvisor_sandbox_port}/")
            ),
        )

        for worker in self.workers:
            await worker.start()
        await self.api.start()
        await asyncio.gather(
            *(
                self._until_ready(worker, partial(self._worker_polls, client, worker))
                for worker in self.workers
            ),
            self._until_ready(
                self.api,
                lambda: answers_http(f"http://{host}:{self.settings.api_port}/healthz", want_status=200),
            ),
        )

    async def watch(self) -> ChildProcess:
        """Wait until any child exits (none should while the stack runs) and return it."""
        waits = {asyncio.create_task(child.wait()): child for child in self.children}
        done, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        return waits[done.pop()]

    async def stop(self) -> None:
        """The service's processes first, so they stop cleanly while Temporal still answers; Temporal last."""
        await asyncio.gather(
            self.api.stop(), *(worker.stop() for worker in self.workers), self.ui_proxy.stop()
        )
        await asyncio.gather(self.maventa.stop(), self.netvisor.stop())
        await self.temporal.stop()

    async def _migrate(self) -> None:
        log.info("applying store migrations to %s", self.settings.store_url.split("@")[-1])
        process = await asyncio.create_subprocess_exec(sys.executable, "-m", "store", "migrate", env=self.env)
        code = await process.wait()
        if code != 0:
            raise StartupFailed(f"store migrations failed with exit code {code}; see the output above")

    async def _worker_polls(self, client: Client, worker: ChildProcess) -> bool:
        return await worker_is_polling(client, self.settings.temporal_task_queue, worker.pid)

    async def _until_ready(
        self, child: ChildProcess, probe: Callable[[], Awaitable[T | None]], what: str = ""
    ) -> T:
        what = what or child.name
        log.info("waiting for %s", what)
        deadline = asyncio.get_running_loop().time() + READY_TIMEOUT_S
        while True:
            if child.exit_code is not None:
                raise StartupFailed(
                    f"{child.name} exited with code {child.exit_code} while starting; see its output above"
                )
            result = await probe()
            if result:
                log.info("%s is ready", what)
                return result
            if asyncio.get_running_loop().time() > deadline:
                raise StartupFailed(f"{what} was not ready within {READY_TIMEOUT_S:.0f} s")
            await asyncio.sleep(POLL_INTERVAL_S)
