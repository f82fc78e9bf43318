"""A backstop shorter than the import's first retry interval must not stop the inbox sweep.

Found while pacing the fault matrix: with `INBOUND_BACKSTOP_S` below 5 s (the default `import_retry_first`),
the sweep's import retry policy gets a maximum interval below its initial one, Temporal refuses the command,
and every workflow task of the sweep fails: no received invoice is imported any more.
"""

import uuid
from datetime import timedelta

from temporalio import activity
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.worker import Worker

from tests.reliability.stack import eventually
from workflows.inbox import InboxWorkflow
from workflows.inbox_models import (
    CompanyInvoices,
    ImportBatch,
    ImportOutcome,
    InboxOptions,
    InboxState,
    QueueRequest,
    QueueSnapshot,
)


async def test_a_short_backstop_still_imports(temporal_client: Client, task_queue: str) -> None:
    imported: list[ImportBatch] = []

    @activity.defn(name="read_received_queue")
    async def read_received_queue(request: QueueRequest) -> QueueSnapshot:
        return QueueSnapshot(companies=[CompanyInvoices(maventa_company_uuid="m-1", queued=["invoice-1"])])

    @activity.defn(name="import_received")
    async def import_received(batch: ImportBatch) -> ImportOutcome:
        imported.append(batch)
        return ImportOutcome(imported=1)

    async def some_imported() -> bool:
        return bool(imported)

    async with Worker(
        temporal_client,
        task_queue=task_queue,
        workflows=[InboxWorkflow],
        activities=[read_received_queue, import_received],
    ):
        handle = await temporal_client.start_workflow(
            InboxWorkflow.run,
            InboxState(options=InboxOptions(backstop_every=timedelta(seconds=2))),
            id=f"inbox-pacing-{uuid.uuid4()}",
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        )
        try:
            assert await eventually(some_imported, timeout_s=5), "the sweep imported nothing"
        finally:
            await handle.terminate("test over")
