"""The worker as an operator runs it: it connects, runs what is registered, serves metrics and stops."""

import asyncio
import os
import uuid
from pathlib import Path

import httpx
import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from bench.harness import free_port
from devstack.probes import worker_is_polling
from security.codec import ENCODING
from settings import Settings
from tests.workers.greet_company import GreetCompany
from workers import worker as worker_module
from workers.client import connect_temporal
from workers.dependencies import open_dependencies
from workers.main import run_worker
from workers.metrics import WorkerMetrics
from workers.registry import WORKFLOWS
from workers.worker import build_worker
from workflows.activity_timeouts import HEARTBEAT


async def _until_polling(plain: Client, task_queue: str, running: asyncio.Task[None]) -> None:
    for _ in range(100):
        if await worker_is_polling(plain, task_queue, os.getpid()):
            return
        assert not running.done(), running.exception()
        await asyncio.sleep(0.1)
    pytest.fail("the worker never polled its task queue")


async def test_worker_runs_a_workflow_with_encrypted_payloads_and_stops_on_request(
    temporal_env: WorkflowEnvironment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        temporal_address=temporal_env.client.service_client.config.target_host,
        temporal_task_queue=f"worker-test-{uuid.uuid4()}",
        inbound_workflow_id=f"inbox-worker-test-{uuid.uuid4()}",
        metrics_port=free_port(),
    )
    # The registered workflows plus one whose outcome the test knows.
    monkeypatch.setattr(worker_module, "WORKFLOWS", [*WORKFLOWS, GreetCompany])
    stop = asyncio.Event()
    running = asyncio.create_task(run_worker(settings, stop=stop, metrics=WorkerMetrics(settings)))
    plain = await Client.connect(settings.temporal_address)
    await _until_polling(plain, settings.temporal_task_queue, running)

    client = await connect_temporal(settings)
    workflow_id = f"greet-{uuid.uuid4()}"
    result = await client.execute_workflow(
        GreetCompany.run, "42", id=workflow_id, task_queue=settings.temporal_task_queue
    )
    assert result == "connected 42"

    history = await plain.get_workflow_handle(workflow_id).fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes
    assert [payload.metadata["encoding"] for payload in started.input.payloads] == [ENCODING]

    async with httpx.AsyncClient() as http:
        metrics = await http.get(f"http://127.0.0.1:{settings.metrics_port}/metrics")
    assert metrics.status_code == 200
    assert "temporal_workflow_completed" in metrics.text

    stop.set()
    await asyncio.wait_for(running, timeout=15)


async def test_a_lost_workers_workflows_wait_for_it_no_longer_than_its_activities(
    temporal_client: Client, tmp_path: Path
) -> None:
    """A workflow's next task waits on the queue of the worker that has it cached (which a SIGKILLed worker
    never polls again) no longer than the lost worker's activities wait for their heartbeat: its workflows go
    on as soon as its work is retried elsewhere, not 10 s later (the SDK's default)."""
    settings = Settings(data_dir=tmp_path, temporal_task_queue=f"worker-test-{uuid.uuid4()}")
    async with open_dependencies(settings) as dependencies:
        worker = build_worker(temporal_client, settings, dependencies)
    assert worker.config()["sticky_queue_schedule_to_start_timeout"] == HEARTBEAT
