"""A received-invoice notice that comes while Temporal is away is not lost: its wake-up is owed and sent again
until Temporal takes it, so the sweep looks at the queue within seconds of Temporal's return."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment

from devstack.binaries import temporal_cli
from devstack.ports import free_port
from security.converter import data_converter
from settings import Settings
from starters.api.temporal import TemporalConnection
from starters.inbound import InboxWaker
from tests.inbound.harness import eventually
from workflows.inbox_models import ReceivedNotice
from workflows.search_attributes import ALL_SEARCH_ATTRIBUTES

WINDOW = timedelta(seconds=0.2)


@asynccontextmanager
async def dev_server(settings: Settings, port: int) -> AsyncIterator[WorkflowEnvironment]:
    """A real dev server on this port, for as long as the block runs."""
    env = await WorkflowEnvironment.start_local(
        port=port,
        data_converter=data_converter(settings),
        dev_server_existing_path=str(temporal_cli()),
        search_attributes=ALL_SEARCH_ATTRIBUTES,
        ui=False,
    )
    try:
        yield env
    finally:
        await env.shutdown()


async def _received_signals(env: WorkflowEnvironment, workflow_id: str) -> int:
    history = await env.client.get_workflow_handle(workflow_id).fetch_history()
    signalled = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
    return sum(1 for event in history.events if event.event_type == signalled)


async def test_a_notice_while_temporal_is_down_wakes_the_sweep_once_it_is_back() -> None:
    port = free_port()
    settings = Settings(temporal_address=f"127.0.0.1:{port}", inbound_workflow_id=f"inbox-{uuid.uuid4()}")
    connection = TemporalConnection(settings)
    waker = InboxWaker(WINDOW, retry_every=timedelta(seconds=0.2), retry_at_most=timedelta(seconds=1))
    try:
        async with dev_server(settings, port):
            await waker.wake(connection.client, settings, ReceivedNotice(invoice_id="before"))
            assert not waker.owing, "taken at once while Temporal runs"
        # Temporal stopped (its state gone with it here): the API's connected client cannot deliver.
        await asyncio.sleep(WINDOW.total_seconds() * 2)
        await waker.wake(connection.client, settings, ReceivedNotice(invoice_id="while-down"))
        assert waker.owing, "not taken, so owed"
        await waker.wake(connection.client, settings, ReceivedNotice(invoice_id="also-while-down"))

        async with dev_server(settings, port) as env:
            assert await eventually(lambda: _not_owing(waker), timeout_s=30), "sent once Temporal is back"
            assert await _received_signals(env, settings.inbound_workflow_id) == 1, (
                "one round for every notice that came while Temporal was away"
            )
            await env.client.get_workflow_handle(settings.inbound_workflow_id).terminate("test over")
    finally:
        waker.close()


async def _not_owing(waker: InboxWaker) -> bool:
    return not waker.owing
