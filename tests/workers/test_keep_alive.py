"""The worker heartbeats for an activity that does not: it outlives its heartbeat timeout, and without the
worker's beats the same activity times out (so the test can fail)."""

import uuid

import pytest
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ActivityError, TimeoutError, TimeoutType
from temporalio.worker import Worker

from tests.workers.slow_activity import HEARTBEAT, SlowStep, slow_step
from workers.keep_alive import KeepAliveInterceptor

LONGER_THAN_THE_HEARTBEAT = HEARTBEAT.total_seconds() * 2.5


async def _run(client: Client, task_queue: str, *, keep_alive: bool) -> int:
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[SlowStep],
        activities=[slow_step],
        interceptors=[KeepAliveInterceptor()] if keep_alive else [],
    ):
        return await client.execute_workflow(
            SlowStep.run, LONGER_THAN_THE_HEARTBEAT, id=f"slow-{uuid.uuid4()}", task_queue=task_queue
        )


async def test_the_worker_keeps_a_long_activity_alive(temporal_client: Client, task_queue: str) -> None:
    assert await _run(temporal_client, task_queue, keep_alive=True) == 1


async def test_without_the_worker_beats_the_same_activity_times_out(
    temporal_client: Client, task_queue: str
) -> None:
    with pytest.raises(WorkflowFailureError) as failed:
        await _run(temporal_client, task_queue, keep_alive=False)
    cause = failed.value.cause
    assert isinstance(cause, ActivityError) and isinstance(cause.cause, TimeoutError), cause
    assert cause.cause.type == TimeoutType.HEARTBEAT
