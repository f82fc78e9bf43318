"""A workflow that runs one activity longer than its heartbeat timeout, for the worker's keep-alive test; in
its own module so the sandbox imports nothing else."""

import asyncio
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.common import RetryPolicy

HEARTBEAT = timedelta(seconds=1)


@activity.defn
async def slow_step(seconds: float) -> int:
    """Beats nothing itself; answers the attempt it finished on."""
    await asyncio.sleep(seconds)
    return activity.info().attempt


@workflow.defn
class SlowStep:
    @workflow.run
    async def run(self, seconds: float) -> int:
        return await workflow.execute_activity(
            slow_step,
            seconds,
            start_to_close_timeout=timedelta(minutes=1),
            heartbeat_timeout=HEARTBEAT,
            retry_policy=RetryPolicy(maximum_attempts=1),
        )
