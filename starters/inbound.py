"""Typed ways to reach the inbox sweep; the webhook, the API's manual transfer and the worker use these.

Every message is a signal-with-start: it lands in the running sweep, or starts it, and is accepted even
while no worker runs. Webhook notices are coalesced per process (`InboxWaker`): a burst of arrivals costs one
signal per window instead of one per invoice, and the sweep reads the whole queue whatever woke it.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy

from clients.maventa import MaventaError
from settings import Settings
from starters.webhook_subscription import ensure_webhook_subscription
from workers.dependencies import Dependencies
from workflows.inbox import InboxWorkflow
from workflows.inbox_models import (
    InboxOptions,
    InboxState,
    ReceivedNotice,
    TransferRequest,
)

log = logging.getLogger(__name__)

Connect = Callable[[], Awaitable[Client]]
"""The process's Temporal client, connecting if it must (raises while Temporal cannot be reached)."""


__all__ = [
    "InboxWaker",
    "inbox_options",
    "start_inbox",
    "start_receiving",
    "transfer",
    "wake",
    "wake_after_start",
]


def inbox_options(settings: Settings) -> InboxOptions:
    """The sweep's pacing and sizes from the INBOUND_* settings."""
    return InboxOptions(
        backstop_every=timedelta(seconds=settings.inbound_backstop_s),
        invoices_per_activity=settings.inbound_invoices_per_activity,
        invoices_per_round=settings.inbound_invoices_per_round,
        import_heartbeat_timeout=timedelta(seconds=settings.inbound_heartbeat_timeout_s),
        import_attempts=settings.inbound_import_attempts,
        maventa_task_queue=settings.maventa_task_queue,
    )


async def start_inbox(client: Client, settings: Settings, options: InboxOptions | None = None) -> None:
    """Start the sweep unless it runs; the first round reads the queue at once. Idempotent and free when
    it already runs (a deduplicated start is no action)."""
    await client.start_workflow(
        InboxWorkflow.run,
        InboxState(options=options or inbox_options(settings)),
        id=settings.inbound_workflow_id,
        task_queue=settings.temporal_task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        static_summary="Received invoices of every company into Netvisor",
    )


async def start_receiving(client: Client, dependencies: Dependencies) -> None:
    """At worker start: Maventa's webhook subscribed (idempotent) and the sweep running and reading the queue
    at once, since notices sent while no worker ran (or the API was down) are gone; a fleet starting together
    costs one round or two, as any burst of notices does. A Maventa that cannot be reached now only delays
    the webhook: the sweep's rounds import in the meantime."""
    try:
        await ensure_webhook_subscription(dependencies, dependencies.settings)
    except MaventaError as error:
        log.warning("Maventa webhook not subscribed yet", extra={"error": error.message})
    await wake(client, dependencies.settings, ReceivedNotice(options=inbox_options(dependencies.settings)))


async def wake(client: Client, settings: Settings, notice: ReceivedNotice) -> None:
    """One more round of the sweep, starting it if needed."""
    await client.start_workflow(
        InboxWorkflow.run,
        InboxState(options=inbox_options(settings)),
        id=settings.inbound_workflow_id,
        task_queue=settings.temporal_task_queue,
        start_signal="received",
        start_signal_args=[notice],
        static_summary="Received invoices of every company into Netvisor",
    )


async def wake_after_start(client: Client, settings: Settings) -> None:
    """An API process that starts wakes the sweep once: Maventa's notices that came while no API answered, and
    the trailing wake-up a killed API process still held (InboxWaker), are not sent again, and their invoices
    would otherwise wait for the backstop. A sweep that cannot be reached now is woken by the next notice."""
    try:
        await wake(client, settings, ReceivedNotice())
    except Exception as error:
        log.warning("inbox not woken at start", extra={"error_type": type(error).__name__})


async def transfer(client: Client, settings: Settings, request: TransferRequest) -> None:
    """Import these invoices in the sweep's next round, through the company's one-at-a-time import."""
    await client.start_workflow(
        InboxWorkflow.run,
        InboxState(options=inbox_options(settings)),
        id=settings.inbound_workflow_id,
        task_queue=settings.temporal_task_queue,
        start_signal="transfer",
        start_signal_args=[request],
        static_summary="Received invoices of every company into Netvisor",
    )


class InboxWaker:
    """At most one wake-up signal per `window` in this process, and none lost while Temporal is away.

    The first notice signals at once; notices within the window after it share one trailing signal at the
    window's end. A signal Temporal does not take (the server down or restarting) is owed: sent again, every
    `retry_every` doubling up to `retry_at_most`, until Temporal takes it, so the notices that came meanwhile
    are looked at within seconds of its return, not at the backstop. Maventa does not send a notice again
    (docs/facts/maventa.md §2.9), so the notice is answered as taken either way. An owed signal lost with the
    process is covered by the next API process's own wake-up at its start (`wake_after_start`).
    """

    def __init__(
        self,
        window: timedelta,
        *,
        retry_every: timedelta = timedelta(seconds=1),
        retry_at_most: timedelta = timedelta(seconds=5),
        send_within: timedelta = timedelta(seconds=5),
    ) -> None:
        self._window = window.total_seconds()
        self._retry_every = retry_every.total_seconds()
        self._retry_at_most = retry_at_most.total_seconds()
        self._send_within = send_within.total_seconds()
        self._last_sent = float("-inf")
        self._trailing: asyncio.Task[None] | None = None
        self._owed: asyncio.Task[None] | None = None

    @property
    def owing(self) -> bool:
        """A wake-up Temporal has not taken yet is being sent again."""
        return self._owed is not None

    async def wake(self, connect: Connect, settings: Settings, notice: ReceivedNotice) -> None:
        if self._trailing is not None or self._owed is not None:
            return
        since = time.monotonic() - self._last_sent
        if since >= self._window:
            self._last_sent = time.monotonic()
            await self._send_or_owe(connect, settings, notice)
            return
        self._trailing = asyncio.create_task(self._later(self._window - since, connect, settings, notice))

    async def _later(
        self, delay: float, connect: Connect, settings: Settings, notice: ReceivedNotice
    ) -> None:
        await asyncio.sleep(delay)
        # Cleared before sending: a notice that arrives while this signal is on its way gets its own.
        self._trailing = None
        self._last_sent = time.monotonic()
        await self._send_or_owe(connect, settings, notice)

    async def _send_or_owe(self, connect: Connect, settings: Settings, notice: ReceivedNotice) -> None:
        if not await self._sent(connect, settings, notice) and self._owed is None:
            self._owed = asyncio.create_task(self._repay(connect, settings, notice))

    async def _sent(self, connect: Connect, settings: Settings, notice: ReceivedNotice) -> bool:
        try:
            await asyncio.wait_for(wake(await connect(), settings, notice), self._send_within)
        except Exception as error:  # Temporal down or restarting: owed, sent again until it is taken
            log.warning("inbox wake-up not taken; owed", extra={"error_type": type(error).__name__})
            return False
        return True

    async def _repay(self, connect: Connect, settings: Settings, notice: ReceivedNotice) -> None:
        pause = self._retry_every
        while True:
            await asyncio.sleep(pause)
            if await self._sent(connect, settings, notice):
                log.info("owed inbox wake-up taken")
                self._owed = None
                return
            pause = min(pause * 2, self._retry_at_most)

    def close(self) -> None:
        """At shutdown: a pending trailing or owed signal is dropped; the next API process wakes the sweep at
        its start and the backstop round covers the rest."""
        for task in (self._trailing, self._owed):
            if task is not None:
                task.cancel()
