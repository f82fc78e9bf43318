"""The worker heartbeats for its running activities, so one lost with its worker is noticed within the
heartbeat timeout (5 s, workflows/activity_timeouts.py) instead of its whole start-to-close.

A beat goes every third of the timeout and only once an activity has run that long: a quick activity sends
none. It says the worker and its event loop are alive, which is what losing a worker takes away; an activity
that hangs while its worker lives is still ended by its start-to-close. Activities that beat with their own
progress (`beats_itself`) are left to do so: a beat from here would replace their details.
"""

import asyncio
from typing import Any

from temporalio import activity
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

from workflows.activity_timeouts import TIMEOUTS


class _KeepAlive(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        timeouts = TIMEOUTS.get(info.activity_type)
        if info.heartbeat_timeout is None or (timeouts is not None and timeouts.beats_itself):
            return await self.next.execute_activity(input)
        every = info.heartbeat_timeout.total_seconds() / 3

        async def beat() -> None:
            while True:
                await asyncio.sleep(every)
                activity.heartbeat()

        beating = asyncio.create_task(beat())
        try:
            return await self.next.execute_activity(input)
        finally:
            beating.cancel()


class KeepAliveInterceptor(Interceptor):
    """Install on the worker: `Worker(..., interceptors=[KeepAliveInterceptor()])`."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _KeepAlive(next)
