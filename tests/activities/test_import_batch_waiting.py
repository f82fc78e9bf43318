"""An import batch of several companies reports every company's waiting invoices, so that the sweep's next
round comes at their retry time and not at the 15-minute backstop.

Found by the two-worker bench (bench/README.md, "Two workers"): after one of two workers was killed, two
invoices of the batch's first companies waited, the batch reported only the last company's, and the sweep set
no timer for them. `import_received` sums the companies' outcomes with `ImportOutcome.add`, which keeps no
waiting invoices (the sweep's totals keep only counts), so each company's list replaced the one before; the
lists now go beside the sum.
"""

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest_asyncio
from temporalio.client import Client
from temporalio.testing import ActivityEnvironment

from activities.inbound_import import InboundImportActivities
from tests.inbound.harness import Inbound, Receiver, inbound_stack
from workflows.inbox_models import CompanyInvoices, ImportBatch, ImportOutcome

RECHECK = timedelta(seconds=3)


@pytest_asyncio.fixture(loop_scope="session")
async def stack(temporal_client: Client, task_queue: str, tmp_path: Path) -> AsyncIterator[Inbound]:
    async with inbound_stack(temporal_client, task_queue, tmp_path) as running:
        yield running


async def _import(stack: Inbound, *companies: tuple[Receiver, list[str]]) -> ImportOutcome:
    activities = InboundImportActivities(stack.maventa, stack.netvisor, stack.sessions, recheck_after=RECHECK)
    batch = ImportBatch(
        companies=[CompanyInvoices(maventa_company_uuid=c.maventa_uuid, queued=ids) for c, ids in companies]
    )
    return await ActivityEnvironment().run(activities.import_received, batch)


async def test_the_first_companys_waiting_invoice_is_reported_beside_the_others(stack: Inbound) -> None:
    uncertain_company, fine_company = await stack.company(), await stack.company()
    [uncertain] = await stack.arrive(uncertain_company, "OPERATOR", number="UNCERTAIN")
    await stack.netvisor_faults(drop_response_rate=1.0)
    await _import(stack, (uncertain_company, [uncertain]))
    await stack.netvisor_faults()
    fine = await stack.arrive(fine_company, "OPERATOR", count=2, number="FINE")

    outcome = await _import(stack, (uncertain_company, [uncertain]), (fine_company, fine))

    assert outcome.imported == 2 and outcome.deferred == 1, outcome
    assert [w.invoice_id for w in outcome.waiting] == [uncertain], "its retry time is the sweep's next round"
    assert outcome.retry_at is not None
