"""What the sweep costs: nothing per idle company, well under one action per imported invoice, one more round
for a burst of notices, and a bounded history; and when it comes back: a waiting invoice at its own retry
time, and a restarted worker's sweep at once, never at the backstop."""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest_asyncio
from temporalio import activity
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from activities.inbound_import import InboundImportActivities
from activities.inbound_queue import InboundQueueActivities
from clients.maventa_partner import partner_credentials
from starters.inbound import inbox_options, start_receiving
from tests.inbound.harness import QUICK, Inbound, eventually, inbound_stack
from workers.dependencies import Dependencies
from workflows.inbox import InboxWorkflow, pack
from workflows.inbox_models import CompanyInvoices, ImportBatch, ImportOutcome, ReceivedNotice


@pytest_asyncio.fixture(loop_scope="session")
async def stack(temporal_client: Client, task_queue: str, tmp_path: Path) -> AsyncIterator[Inbound]:
    async with inbound_stack(temporal_client, task_queue, tmp_path) as running:
        yield running


async def actions(handle: WorkflowHandle[Any, Any]) -> Counter[str]:
    """Billable actions in the run's history (docs/facts/temporal.md §D2): starts, signals, timers and
    every activity attempt."""
    counted: Counter[str] = Counter()
    async for event in handle.fetch_history_events():
        kind = event.WhichOneof("attributes")
        if kind == "workflow_execution_started_event_attributes":
            counted["start"] += 1
        elif kind == "workflow_execution_signaled_event_attributes":
            counted["signal"] += 1
        elif kind == "timer_started_event_attributes":
            counted["timer"] += 1
        elif kind == "activity_task_scheduled_event_attributes":
            counted[event.activity_task_scheduled_event_attributes.activity_type.name] += 1
        elif kind == "activity_task_started_event_attributes":
            counted["activity attempts"] += event.activity_task_started_event_attributes.attempt
    return counted


async def _handled(stack: Inbound, count: int) -> bool:
    return sum(state == "HANDLED" for state in (await stack.queue_state()).values()) >= count


def test_companies_are_packed_whole_into_batches() -> None:
    companies = [
        CompanyInvoices(maventa_company_uuid=str(n), queued=[f"{n}-{i}" for i in range(n)])
        for n in (30, 30, 5, 70, 1)
    ]
    batches = pack(companies, 50)
    assert [[c.maventa_company_uuid for c in batch] for batch in batches] == [
        ["30", "30"],
        ["5", "70"],
        ["1"],
    ]
    assert pack([], 50) == []


async def test_idle_companies_cost_nothing(stack: Inbound) -> None:
    """Twenty idle companies: each round reads the partner queue once and imports nothing."""
    for _ in range(20):
        await stack.company()
    stack.options = QUICK.model_copy(update={"backstop_every": timedelta(seconds=1)})
    async with stack.worker():
        await stack.start()
        assert await eventually(lambda: _rounds(stack, 4), timeout_s=15)
        status = await stack.status()
        counted = await actions(stack.inbox)
    assert counted["import_received"] == 0
    assert counted["read_received_queue"] == status.rounds
    assert counted["timer"] <= status.rounds + 1, "one backstop timer per period, not one per round"
    assert counted["signal"] == 0


async def test_a_burst_costs_well_under_one_action_per_invoice(stack: Inbound) -> None:
    companies = [await stack.company() for _ in range(5)]
    for company in companies:
        await stack.arrive(company, "OPERATOR", count=20)
    async with stack.worker():
        await stack.start()
        assert await eventually(lambda: _handled(stack, 100), timeout_s=30)
        await eventually(lambda: _totals_imported(stack, 100))
        counted = await actions(stack.inbox)
    total = counted["start"] + counted["signal"] + counted["timer"] + counted["activity attempts"]
    assert counted["import_received"] == 2, "100 invoices of 5 companies in batches of about 50"
    assert total / 100 <= 0.1, counted


async def test_notices_during_a_round_make_one_more_round(stack: Inbound) -> None:
    """Ten notices while a round's import is held open: that round and exactly one more.

    The import waits for the test (not for a slow Netvisor), so the notices land during the round however
    busy the machine is; the sweep's totals move only when a round ends, so they cannot tell "during".
    """
    company = await stack.company()
    await stack.arrive(company, "OPERATOR", count=3)
    importing, release = asyncio.Event(), asyncio.Event()
    real = InboundImportActivities(stack.maventa, stack.netvisor, stack.sessions)

    @activity.defn(name="import_received")
    async def held_import(batch: ImportBatch) -> ImportOutcome:
        importing.set()
        await release.wait()
        return await real.import_received(batch)

    queue = InboundQueueActivities(stack.maventa, stack.sessions, partner_credentials(stack.settings))
    async with Worker(
        stack.client,
        task_queue=stack.settings.temporal_task_queue,
        workflows=[InboxWorkflow],
        activities=[queue.read_received_queue, held_import],
    ):
        await stack.start()
        await asyncio.wait_for(importing.wait(), timeout=30)
        before = (await stack.status()).rounds
        await asyncio.gather(*(stack.inbox.signal("received", ReceivedNotice()) for _ in range(10)))
        assert not release.is_set() and (await stack.status()).rounds == before
        release.set()
        assert await eventually(lambda: _handled(stack, 3))
        assert await eventually(lambda: _rounds(stack, before + 1))
        await asyncio.sleep(1)
        after = (await stack.status()).rounds
    assert after - before == 1, "ten notices during a round: one more round, not one each"


async def test_a_waiting_invoice_comes_back_at_its_retry_time_not_the_backstop(stack: Inbound) -> None:
    """The backstop is an hour and no notice comes: only the round the sweep schedules for the uncertain
    invoice can look it up, once, and find the first attempt's invoice."""
    company = await stack.company()
    stack.recheck_after = timedelta(seconds=3)
    [uncertain] = await stack.arrive(company, "OPERATOR", number="UNCERTAIN")
    await stack.netvisor_faults(drop_response_rate=1.0)
    async with stack.worker():
        await stack.start()
        assert await eventually(lambda: _deferred(stack, 1)), "the first round ends with the invoice waiting"
        await stack.netvisor_faults()
        assert await eventually(lambda: _handled(stack, 1), timeout_s=30)
        counted = await actions(stack.inbox)
    assert counted["signal"] == 0
    assert len(await stack.in_netvisor(company)) == 1
    row = stack.ledger(uncertain)
    assert row is not None and row.status == "imported" and row.attempts == 2


async def test_a_restarted_worker_reads_the_queue_at_once(stack: Inbound) -> None:
    """Invoices that arrived while no worker ran, their notices lost: the worker's start finds them, and the
    sweep takes the worker's pacing from its settings."""
    company = await stack.company()
    async with stack.worker():
        await stack.start()
        assert await eventually(lambda: _rounds(stack, 1))
    ids = await stack.arrive(company, "OPERATOR", count=2)
    dependencies = Dependencies(
        settings=stack.settings, maventa=stack.maventa, netvisor=stack.netvisor, sessions=stack.sessions
    )
    async with stack.worker():
        await start_receiving(stack.client, dependencies)
        assert await eventually(lambda: _handled(stack, 2))
        options = (await stack.status()).options
    assert len(await stack.in_netvisor(company)) == len(ids)
    assert options == inbox_options(stack.settings) != QUICK


async def test_history_stays_bounded_and_state_carries_over(stack: Inbound) -> None:
    company = await stack.company()
    stack.options = QUICK.model_copy(update={"backstop_every": timedelta(milliseconds=200)})
    async with stack.worker():
        await stack.start()
        first_run = (await stack.inbox.describe()).run_id
        await eventually(lambda: _new_run(stack, first_run), timeout_s=20)
        rounds = (await stack.status()).rounds
        assert rounds >= 5, "the round count is carried into the new run"
        await stack.arrive(company, "OPERATOR")
        await stack.wake()
        assert await eventually(lambda: stack.in_netvisor(company))


async def _rounds(stack: Inbound, rounds: int) -> bool:
    return (await stack.status()).rounds >= rounds


async def _deferred(stack: Inbound, count: int) -> bool:
    return (await stack.status()).totals.deferred >= count


async def _totals_imported(stack: Inbound, count: int) -> bool:
    return (await stack.status()).totals.imported >= count


async def _new_run(stack: Inbound, first_run: str | None) -> bool:
    return (await stack.inbox.describe()).run_id != first_run
