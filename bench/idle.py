"""What an idle CONNECTED company costs in a month, next to the hourly-polling baseline (time-skipped).

Three workflows run on the time-skipping server with stand-in activities:
- the real connection workflow, driven to CONNECTED, then left alone for 30 days;
- the real inbox sweep with an empty queue, for one day (its backstop timer is its only idle cost, the same
  every day), scaled to 30 days plus the continue-as-new runs that many events call for;
- the naive baseline (bench/naive.py), left alone for 30 days.

idle per company = connection's 30 days + sweep's month / N, since one sweep serves every company.
"""

import asyncio
import math
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from bench.actions import total
from bench.histories import actions_since, mark, quiet
from bench.naive import NaivePollingWorkflow, poll_received_invoices
from bench.standins import STANDINS
from devstack.binaries import temporal_test_server
from settings import Settings
from starters.inbound import inbox_options
from workflows.connection import ConnectionWorkflow, workflow_id
from workflows.connection_models import Address, CompanyReport, ConnectionInput, Modules
from workflows.inbox import InboxWorkflow
from workflows.inbox_models import InboxState
from workflows.search_attributes import ALL_SEARCH_ATTRIBUTES, MAVENTA_STATE

MONTH = timedelta(days=30)
SWEEP_SAMPLE = timedelta(days=1)
SUGGEST_CONTINUE_AS_NEW_EVENTS = 4096
"""The server's default history length at which continue-as-new is suggested (docs/facts/temporal.md §D1)."""


@dataclass(frozen=True)
class IdleResult:
    connection_month: Counter[str]
    sweep_day: Counter[str]
    sweep_events_per_day: int
    naive_month: Counter[str]
    companies: int

    @property
    def sweep_continue_as_new_per_month(self) -> int:
        return math.ceil(self.sweep_events_per_day * MONTH / SWEEP_SAMPLE / SUGGEST_CONTINUE_AS_NEW_EVENTS)

    @property
    def sweep_month(self) -> float:
        return total(self.sweep_day) * (MONTH / SWEEP_SAMPLE) + self.sweep_continue_as_new_per_month

    @property
    def per_company(self) -> float:
        return total(self.connection_month) + self.sweep_month / self.companies

    @property
    def break_even_companies(self) -> int | None:
        """Fewest companies sharing the sweep for which an idle company costs at most one action a month."""
        own = total(self.connection_month)
        return math.ceil(self.sweep_month / (1 - own)) if own < 1 else None


def _company() -> CompanyReport:
    return CompanyReport(
        business_id="1572860-0",
        name="Lepo Oy",
        email="talous@lepo.fi",
        address=Address(street="Hiljainen katu 1", post_code="00100", city="Helsinki"),
        modules=Modules(sales=True, purchases=True),
    )


async def _register_search_attributes(client: Client) -> None:
    await client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=client.namespace,
            search_attributes={
                key.name: IndexedValueType.ValueType(key.indexed_value_type) for key in ALL_SEARCH_ATTRIBUTES
            },
        )
    )


async def _connected(handle: WorkflowHandle[Any, Any], within_s: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    while (await handle.describe()).typed_search_attributes.get(MAVENTA_STATE) != "CONNECTED":
        if loop.time() > deadline:
            raise TimeoutError("the connection workflow did not reach CONNECTED")
        await asyncio.sleep(0.05)


async def measure_idle(companies: int) -> IdleResult:
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter, test_server_existing_path=str(temporal_test_server())
    )
    try:
        client = env.client
        await _register_search_attributes(client)
        queue = f"bench-idle-{uuid.uuid4()}"
        activities = [*STANDINS, poll_received_invoices]
        workflows = [ConnectionWorkflow, InboxWorkflow, NaivePollingWorkflow]
        async with Worker(client, task_queue=queue, workflows=workflows, activities=activities):
            company_id = f"idle-{uuid.uuid4().hex[:8]}"
            connection = await client.start_workflow(
                ConnectionWorkflow.run,
                ConnectionInput(company_id=company_id, company=_company()),
                id=workflow_id(company_id),
                task_queue=queue,
            )
            await _connected(connection)
            await quiet(client, connection.id)
            sweep = await client.start_workflow(
                InboxWorkflow.run,
                # One worker plays every activity: the Maventa ones stay on its queue (the count is the same).
                InboxState(options=inbox_options(Settings(temporal_maventa_task_queue=queue))),
                id=f"bench-inbox-{uuid.uuid4().hex[:8]}",
                task_queue=queue,
            )
            naive = await client.start_workflow(
                NaivePollingWorkflow.run, company_id, id=f"bench-naive-{company_id}", task_queue=queue
            )
            await quiet(client, sweep.id)
            await quiet(client, naive.id)
            marks = [await mark(client, w) for w in (connection.id, sweep.id, naive.id)]

            await env.sleep(SWEEP_SAMPLE)
            sweep_day = await actions_since(client, marks[1])
            sweep_events = (await sweep.describe()).history_length - marks[1].event_id
            await sweep.terminate("sampled one day")

            await env.sleep(MONTH - SWEEP_SAMPLE)
            connection_month = await actions_since(client, marks[0])
            naive_month = await actions_since(client, marks[2])
            await connection.terminate("bench over")
            await naive.terminate("bench over")
        return IdleResult(
            connection_month=connection_month,
            sweep_day=sweep_day,
            sweep_events_per_day=sweep_events,
            naive_month=naive_month,
            companies=companies,
        )
    finally:
        await env.shutdown()
