"""SIGTERM to a real worker process (`python -m workers`) in the middle of an activity: within the grace
period (WORKER_GRACEFUL_SHUTDOWN_S) the activity finishes and its result is kept; past it the activity is
handed back at once, as a failed attempt that another worker retries, not left to its heartbeat timeout."""

import asyncio
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from temporalio.api.enums.v1 import PendingActivityState
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from bench.harness import free_port
from devstack.probes import worker_is_polling
from sandbox.netvisor import NetvisorSandboxConfig
from sandbox.netvisor import create_app as netvisor_app
from settings import Settings
from store.schema import migrate
from tests.support import new_business_id, serving
from tests.workers.update_addresses import UpdateAddresses
from workers.client import connect_temporal
from workflows.connection_models import InvoicingAddresses

pytestmark = pytest.mark.slow


@dataclass
class Setup:
    settings: Settings
    env: dict[str, str]
    client: Client
    plain: Client
    netvisor: httpx.AsyncClient


@asynccontextmanager
async def setup(temporal_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Setup]:
    store_url = f"sqlite:///{tmp_path / 'service.db'}"
    migrate(store_url)
    config = NetvisorSandboxConfig(database_url=f"sqlite:///{tmp_path / 'netvisor.db'}")
    async with (
        serving(netvisor_app(config)) as netvisor_url,
        httpx.AsyncClient(base_url=netvisor_url) as http,
    ):
        queue = f"graceful-{uuid.uuid4()}"
        settings = Settings(
            data_dir=tmp_path,
            database_url=store_url,
            temporal_address=temporal_env.client.service_client.config.target_host,
            temporal_task_queue=queue,
            inbound_workflow_id=f"inbox-{queue}",
            netvisor_base_url=netvisor_url,
            # Nothing answers here: the worker starts without Maventa (its webhook waits, as in production).
            maventa_base_url=f"http://127.0.0.1:{free_port()}",
        )
        env = {
            **os.environ,
            "DATA_DIR": str(tmp_path),
            "DATABASE_URL": store_url,
            "TEMPORAL_ADDRESS": settings.temporal_address,
            "TEMPORAL_TASK_QUEUE": queue,
            "INBOUND_WORKFLOW_ID": settings.inbound_workflow_id,
            "NETVISOR_BASE_URL": netvisor_url,
            "MAVENTA_BASE_URL": settings.maventa_base_url,
            "PYTHONUNBUFFERED": "1",
        }
        client = await connect_temporal(settings)
        plain = await Client.connect(settings.temporal_address)
        yield Setup(settings, env, client, plain, http)


async def _worker_process(setup: Setup, grace_s: float) -> asyncio.subprocess.Process:
    env = setup.env | {"WORKER_GRACEFUL_SHUTDOWN_S": str(grace_s), "METRICS_PORT": str(free_port())}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "workers",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    for _ in range(300):
        if await worker_is_polling(setup.plain, setup.settings.temporal_task_queue, process.pid):
            return process
        assert process.returncode is None, "the worker process ended on its way up"
        await asyncio.sleep(0.1)
    process.kill()
    pytest.fail("the worker process never polled its task queue")


async def _activity_running(handle: WorkflowHandle[UpdateAddresses, object]) -> None:
    for _ in range(600):
        pending = (await handle.describe()).raw_description.pending_activities
        if pending and pending[0].state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED:
            return
        await asyncio.sleep(0.05)
    pytest.fail("the activity never started")


async def _start(setup: Setup, latency_ms: int) -> tuple[WorkflowHandle[UpdateAddresses, object], str]:
    (await setup.netvisor.put("/_sandbox/faults", json={"latency_ms": latency_ms})).raise_for_status()
    business_id = new_business_id()
    company = InvoicingAddresses(company_id=f"nv-{uuid.uuid4().hex[:8]}", business_id=business_id)
    handle = await setup.client.start_workflow(
        UpdateAddresses.run,
        args=[company, setup.settings.temporal_task_queue],
        id=f"graceful-{uuid.uuid4()}",
        task_queue=f"{setup.settings.temporal_task_queue}-test",
    )
    await _activity_running(handle)
    return handle, business_id


async def _handed_back(handle: WorkflowHandle[UpdateAddresses, object]) -> tuple[int, str]:
    """The pending activity's next attempt and the failure that ended the one before, once there is one."""
    for _ in range(600):
        pending = (await handle.describe()).raw_description.pending_activities
        if pending and pending[0].attempt > 1:
            return pending[0].attempt, pending[0].last_failure.message
        await asyncio.sleep(0.05)
    pytest.fail("the activity was never handed back")


async def _attempt(handle: WorkflowHandle[UpdateAddresses, object]) -> int:
    """The attempt the activity completed on."""
    attempt = 0
    async for event in handle.fetch_history_events():
        if event.HasField("activity_task_started_event_attributes"):
            attempt = event.activity_task_started_event_attributes.attempt
    return attempt


async def _addresses(setup: Setup, business_id: str) -> list[object]:
    answer = await setup.netvisor.get(f"/_sandbox/companies/{business_id}/invoicing-addresses")
    answer.raise_for_status()
    return list(answer.json())


async def test_sigterm_hands_back_what_outlasts_the_grace_period_and_lets_the_rest_finish(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with (
        setup(temporal_env, tmp_path) as s,
        Worker(s.client, task_queue=f"{s.settings.temporal_task_queue}-test", workflows=[UpdateAddresses]),
    ):
        # Past the grace period: each Netvisor call takes 4 s, the first worker gives its activities 0.5 s.
        first = await _worker_process(s, grace_s=0.5)
        handed_back, handed_back_company = await _start(s, latency_ms=4000)
        first.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(first.wait(), timeout=30) == 0
        attempt, failure = await _handed_back(handed_back)
        assert attempt == 2, "the stopped worker's attempt failed at once and the next is scheduled"
        assert "shutting down" in failure, f"handed back, not timed out: {failure}"

        # Within it: the second worker finishes the handed-back activity, then one it is running when told
        # to stop.
        second = await _worker_process(s, grace_s=30)
        await asyncio.wait_for(handed_back.result(), timeout=60)
        finishing, finishing_company = await _start(s, latency_ms=2000)
        second.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(second.wait(), timeout=60) == 0
        await asyncio.wait_for(finishing.result(), timeout=30)
        assert (await _attempt(finishing)) == 1, "finished by the stopping worker"
        assert await _addresses(s, handed_back_company) and await _addresses(s, finishing_company)
