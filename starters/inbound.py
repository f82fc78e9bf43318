"""Typed ways to reach the inbox sweep; the webhook, the API's manual transfer and the worker use these.

Every message is a signal-with-start: it lands in the running sweep, or starts it, and is accepted even
while no worker runs. Webhook notices are coalesced per process (`InboxWaker`): a burst of arrivals costs one
signal per window instead of one per invoice, and the sweep reads the whole queue whatever woke it.
"""

import asyncio
import logging
import time
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
    """At most one wake-up signal per `window` in this process.

    The first notice signals at once; notices within the window after it share one trailing signal at the
    window's end. A trailing signal lost with the process is covered by the sweep's backstop timer.
    """

    def __init__(self, window: timedelta) -> None:
        self._window = window.total_seconds()
        self._last_sent = float("-inf")
        self._trailing: asyncio.Task[None] | None = None

    async def wake(self, client: Client, settings: Settings, notice: ReceivedNotice) -> None:
        if self._trailing is not None:
            return
        since = time.monotonic() - self._last_sent
        if since >= self._window:
            self._last_sent = time.monotonic()
            await wake(client, settings, notice)
            return
        self._trailing = asyncio.create_task(self._later(self._window - since, client, settings, notice))

    async def _later(self, delay: float, client: Client, settings: Settings, notice: ReceivedNotice) -> None:
        await asyncio.sleep(delay)
        # Cleared before sending: a notice that arrives while this signal is on its way gets its own.
        self._trailing = None
        self._last_sent = time.monotonic()
        try:
            await wake(client, settings, notice)
        except Exception as error:  # the backstop round picks the invoices up
            log.warning("inbox wake-up not sent", extra={"error_type": type(error).__name__})

    def close(self) -> None:
        """At shutdown: a pending trailing signal is dropped; the backstop round covers its invoices."""
        if self._trailing is not None:
            self._trailing.cancel()
            self._trailing = None
