"""Reading what a workflow cost between two moments: a mark in its history, then every event after it.

A mark names the run and the last event at the time it was taken; counting follows continue-as-new from that
run to the newest one, so a sweep that continued as new in the window is still counted whole.
"""

import asyncio
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from bench.actions import count_actions


@dataclass(frozen=True)
class Mark:
    workflow_id: str
    run_id: str
    event_id: int


async def mark(client: Client, workflow_id: str) -> Mark:
    """The newest run of `workflow_id` and its last event now."""
    description = await client.get_workflow_handle(workflow_id).describe()
    return Mark(workflow_id, description.run_id, description.history_length)


async def actions_since(client: Client, since: Mark) -> Counter[str]:
    """Actions of the marked run after the mark, plus every later run it continued as."""
    counts: Counter[str] = Counter()
    run_id: str | None = since.run_id
    after = since.event_id
    while run_id:
        history = await client.get_workflow_handle(since.workflow_id, run_id=run_id).fetch_history()
        counts += count_actions(history.events, after_event_id=after)
        last = history.events[-1]
        run_id = None
        if last.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
            run_id = last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
            after = 0
    return counts


async def actions_of(client: Client, workflow_ids: Iterable[str], *, parallel: int = 20) -> Counter[str]:
    """Every action of each workflow, from its first run's start."""
    gate = asyncio.Semaphore(parallel)

    async def one(workflow_id: str) -> Counter[str]:
        async with gate:
            history = await client.get_workflow_handle(workflow_id).fetch_history()
            first_run = history.events[0].workflow_execution_started_event_attributes.first_execution_run_id
            return await actions_since(client, Mark(workflow_id, first_run, 0))

    total: Counter[str] = Counter()
    for counts in await asyncio.gather(*(one(w) for w in workflow_ids)):
        total += counts
    return total


async def quiet(client: Client, workflow_id: str, *, still_s: float = 1.5, within_s: float = 120.0) -> None:
    """Wait until the workflow has no pending activity and its history has not grown for `still_s`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    handle = client.get_workflow_handle(workflow_id)
    length, since = -1, loop.time()
    while loop.time() < deadline:
        description = await handle.describe()
        pending = len(description.raw_description.pending_activities)
        if description.history_length != length or pending:
            length, since = description.history_length, loop.time()
        elif loop.time() - since >= still_s:
            return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"{workflow_id} did not settle within {within_s:.0f} s")
