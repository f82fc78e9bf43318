"""Worker and dev-server memory with many live connection workflows, against the same processes before them.

The workflows are the real connection workflow, started straight into CONNECTED with the state it would
carry across continue-as-new (and its search attributes and projection already as it would publish them), so
each costs one workflow task and then waits with no timer, as an idle company does. Memory is VmRSS, read
at each checkpoint on the way up (e.g. 1,000, 10,000 and 50,000) once the workflows started so far have
settled, so one run shows whether the worker's memory stays flat while the companies grow; the dev server's
disk is the size of its SQLite files there. After the last reading a sample of the first companies started,
evicted from the worker's cache long before, each gets a company report and must show it: they replay and
carry on (queries and signals after the measured readings).
"""

import asyncio
import os
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.service import RPCError

from bench.stack import Running, new_business_id, rss_mb
from workflows.connection import ConnectionWorkflow, workflow_id
from workflows.connection_models import (
    Account,
    Address,
    BankNetwork,
    CompanyReport,
    ConnectionInput,
    ConnectionState,
    Modules,
    Projection,
)
from workflows.connection_policy import ConnectionStatus, ImportMode
from workflows.search_attributes import (
    BANK_NETWORK_DEADLINE,
    BUSINESS_ID,
    MAVENTA_STATE,
    NEEDS_SUPPORT,
    NETVISOR_COMPANY_ID,
)

WAKE_SAMPLE = 20
SETTLE_S = 5.0
SETTLE_PER_WORKFLOW_S = 0.1
"""On 2 busy cores the worker took over 300 s to give 10,000 new workflows their first task."""


@dataclass(frozen=True)
class Checkpoint:
    workflows: int
    worker_mb: float
    worker_peak_mb: float
    server_mb: float
    server_disk_mb: float
    load: float


@dataclass(frozen=True)
class MemoryResult:
    workflows: int
    start_s: float
    worker_before_mb: float
    worker_after_mb: float
    worker_peak_mb: float
    server_before_mb: float
    server_after_mb: float
    checkpoints: tuple[Checkpoint, ...] = ()
    woken: int = 0
    """Of WAKE_SAMPLE of the first companies started (long evicted by then), those that took a new company
    report and showed it in their account view: an evicted run replays and carries on."""


def connected_input(company_id: str, now: datetime) -> tuple[ConnectionInput, TypedSearchAttributes]:
    business_id = new_business_id()
    company = CompanyReport(
        business_id=business_id,
        name=f"Muisti {business_id} Oy",
        email="talous@muisti.fi",
        address=Address(street="Muistikatu 1", post_code="00100", city="Helsinki"),
        modules=Modules(sales=True, purchases=True),
    )
    deadline = now + timedelta(days=3)
    account = Account(
        company_uuid=str(uuid.uuid4()),
        credentials_ref=f"bench-{company_id}",
        api_key_masked="****bnch",
        authorized=True,
        vendor_linked=True,
    )
    state = ConnectionState(
        company_id=company_id,
        company=company,
        status=ConnectionStatus.CONNECTED,
        founded_at=now,
        account=account,
        networks={"VISMA": "active", "SCAN": "active", "BANK": "active"},
        receiving_opened_at=now,
        bank_network=BankNetwork(requested_at=now, deadline=deadline, confirmed_at=now),
        addresses_updated_at=now,
        import_mode=ImportMode.NOW,
        import_from=now,
        published=Projection(
            company_id=company_id,
            business_id=business_id,
            name=company.name,
            state=ConnectionStatus.CONNECTED.value,
            needs_support=False,
            needs_support_reason=None,
            maventa_company_uuid=account.company_uuid,
            credentials_ref=account.credentials_ref,
            import_mode=ImportMode.NOW,
            import_from=now,
            lifecycle_state=ConnectionStatus.CONNECTED,
        ),
    )
    attributes = TypedSearchAttributes(
        [
            SearchAttributePair(NETVISOR_COMPANY_ID, company_id),
            SearchAttributePair(BUSINESS_ID, business_id),
            SearchAttributePair(MAVENTA_STATE, ConnectionStatus.CONNECTED.value),
            SearchAttributePair(NEEDS_SUPPORT, False),
            SearchAttributePair(BANK_NETWORK_DEADLINE, deadline),
        ]
    )
    return ConnectionInput(company_id=company_id, company=company, carried=state), attributes


async def _settled(running: Running, workflow_ids: list[str], within_s: float = 300.0) -> None:
    """Until the sampled workflows have each finished their first workflow task."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    for wid in workflow_ids:
        while (await running.client.get_workflow_handle(wid).describe()).history_length < 4:
            if loop.time() > deadline:
                raise TimeoutError("live workflows did not settle")
            await asyncio.sleep(0.2)


async def _wake(running: Running, workflow_id: str, within_s: float = 120.0) -> bool:
    """A renamed company report to a sleeping company; True once its account view shows the new name."""
    handle = running.client.get_workflow_handle(workflow_id)
    view = await handle.query(ConnectionWorkflow.account)
    name = f"Herätetty {workflow_id[-6:]} Oy"
    report = CompanyReport(
        business_id=view.business_id,
        name=name,
        email="talous@muisti.fi",
        address=Address(street="Muistikatu 1", post_code="00100", city="Helsinki"),
        modules=Modules(sales=True, purchases=True),
    )
    await handle.signal(ConnectionWorkflow.report_company, report)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    while loop.time() < deadline:
        if (await handle.query(ConnectionWorkflow.account)).name == name:
            return True
        await asyncio.sleep(0.2)
    return False


def server_disk_mb(running: Running) -> float:
    """The dev server's SQLite database with its WAL, in MB."""
    files = running.devstack.data_dir.glob("temporal.db*")
    return sum(f.stat().st_size for f in files) / 1024 / 1024


async def _checkpoint(running: Running, ids: list[str]) -> Checkpoint:
    await _settled(running, ids[-20:], within_s=max(300.0, len(ids) * SETTLE_PER_WORKFLOW_S))
    await asyncio.sleep(SETTLE_S)
    return Checkpoint(
        workflows=len(ids),
        worker_mb=rss_mb(running.worker_pid),
        worker_peak_mb=rss_mb(running.worker_pid, "VmHWM"),
        server_mb=rss_mb(running.temporal_pid),
        server_disk_mb=server_disk_mb(running),
        load=os.getloadavg()[0],
    )


async def measure_memory(
    running: Running, workflows: int, parallel: int = 32, checkpoints: Sequence[int] = ()
) -> MemoryResult:
    worker_before = rss_mb(running.worker_pid)
    server_before = rss_mb(running.temporal_pid)
    gate = asyncio.Semaphore(parallel)
    now = datetime.now(UTC)
    run = uuid.uuid4().hex[:6]
    ids: list[str] = []
    readings: list[Checkpoint] = []

    async def start(n: int) -> None:
        company_id = f"mem-{run}-{n:06d}"
        arg, attributes = connected_input(company_id, now)
        async with gate:
            for _ in range(5):
                try:
                    await running.client.start_workflow(
                        ConnectionWorkflow.run,
                        arg,
                        id=workflow_id(company_id),
                        task_queue=running.settings.temporal_task_queue,
                        search_attributes=attributes,
                    )
                    break
                except RPCError:
                    await asyncio.sleep(1.0)
        ids.append(workflow_id(company_id))

    started = time.perf_counter()
    steps = sorted({n for n in checkpoints if 0 < n < workflows} | {workflows})
    first = 0
    for step in steps:
        await asyncio.gather(*(start(n) for n in range(first, step)))
        first = step
        readings.append(await _checkpoint(running, ids))
    start_s = time.perf_counter() - started
    early = ids[: max(WAKE_SAMPLE, len(ids) // 50)]
    sample = early[:: max(1, len(early) // WAKE_SAMPLE)][:WAKE_SAMPLE]
    woken = sum(await asyncio.gather(*(_wake(running, wid) for wid in sample)))
    return MemoryResult(
        workflows=workflows,
        start_s=start_s,
        worker_before_mb=worker_before,
        worker_after_mb=rss_mb(running.worker_pid),
        worker_peak_mb=rss_mb(running.worker_pid, "VmHWM"),
        server_before_mb=server_before,
        server_after_mb=rss_mb(running.temporal_pid),
        checkpoints=tuple(readings),
        woken=woken,
    )
