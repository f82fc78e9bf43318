"""A worker whose workflow cache is smaller than the live companies (WORKER_MAX_CACHED_WORKFLOWS): the ones it
evicted replay their history when their next message comes, and carry on as if never evicted (bench/README.md,
memory with 50,000 live companies)."""

import uuid
from collections.abc import Sequence

from temporalio.client import Client, WorkflowHandle
from temporalio.runtime import BufferedMetricUpdate, MetricBuffer, Runtime, TelemetryConfig
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.workflows.connection_fakes import FakeServices, company_report, view_when
from workers.registry import MAVENTA_ACTIVITIES
from workflows.connection import ConnectionWorkflow, workflow_id
from workflows.connection_models import AccountView, ActionRequest, ConnectionInput, Outcome, ReleaseSummary

CACHED = 2
COMPANIES = 6


def _metric(updates: Sequence[BufferedMetricUpdate], name: str) -> list[int | float]:
    return [update.value for update in updates if update.metric.name.endswith(name)]


async def _renamed(handle: WorkflowHandle[ConnectionWorkflow, ReleaseSummary], name: str) -> AccountView:
    return await view_when(handle, lambda view: view.name == name, within_s=30)


async def test_evicted_connection_workflows_replay_and_carry_on(temporal_env: WorkflowEnvironment) -> None:
    buffer = MetricBuffer(100_000)
    base = temporal_env.client
    client = await Client.connect(
        base.service_client.config.target_host,
        namespace=base.namespace,
        data_converter=base.data_converter,
        runtime=Runtime(telemetry=TelemetryConfig(metrics=buffer)),
    )
    fakes = FakeServices()
    activities = fakes.activities()
    task_queue = f"eviction-{uuid.uuid4()}"
    handles: list[WorkflowHandle[ConnectionWorkflow, ReleaseSummary]] = []
    async with (
        Worker(
            client,
            task_queue=task_queue,
            workflows=[ConnectionWorkflow],
            activities=[a for a in activities if a.__name__ not in MAVENTA_ACTIVITIES],
            max_cached_workflows=CACHED,
        ),
        Worker(
            client,
            task_queue=f"{task_queue}-maventa",
            activities=[a for a in activities if a.__name__ in MAVENTA_ACTIVITIES],
        ),
    ):
        for n in range(COMPANIES):
            company_id = f"c{uuid.uuid4().hex[:12]}"
            handles.append(
                await client.start_workflow(
                    ConnectionWorkflow.run,
                    ConnectionInput(
                        company_id=company_id,
                        company=company_report(sales=True, name=f"Ennen {n} Oy"),
                        maventa_task_queue=f"{task_queue}-maventa",
                    ),
                    id=workflow_id(company_id),
                    task_queue=task_queue,
                )
            )
        first_answers = []
        for handle in handles:
            await view_when(handle, lambda v: v.state == "ACTIVE", within_s=30)
            first_answers.append(
                await handle.execute_update(
                    ConnectionWorkflow.create_connection, ActionRequest(requested_by="before"), id="ask-1"
                )
            )
        evicted_before = sum(_metric(buffer.retrieve_updates(), "sticky_cache_total_forced_eviction"))

        # Every company now gets a message after the others have pushed it out of the cache.
        for n, handle in enumerate(handles):
            report = company_report(sales=True, name=f"Jälkeen {n} Oy")
            await handle.signal(ConnectionWorkflow.report_company, report)
        repeats = [
            await handle.execute_update(
                ConnectionWorkflow.create_connection, ActionRequest(requested_by="before"), id="ask-1"
            )
            for handle in handles
        ]
        views = [await _renamed(handle, f"Jälkeen {n} Oy") for n, handle in enumerate(handles)]
        updates = buffer.retrieve_updates()
        for handle in handles:
            await handle.terminate("test over")

    evicted = evicted_before + sum(_metric(updates, "sticky_cache_total_forced_eviction"))
    assert evicted >= COMPANIES, "the cache should have pushed the companies out"
    assert max(_metric(updates, "sticky_cache_size"), default=0) <= CACHED
    assert all(answer.outcome == Outcome.DONE for answer in first_answers)
    assert repeats == first_answers, "a replayed run should answer a repeated request from its action log"
    assert all(view.state == "ACTIVE" for view in views)
    assert [[r.update_id for r in view.recent_actions] for view in views] == [["ask-1"]] * COMPANIES
    assert fakes.calls["create_maventa_company"] == COMPANIES, "replay must not run an activity again"
    assert sorted(p.name for p in fakes.projections if p.name.startswith("Jälkeen")) == sorted(
        f"Jälkeen {n} Oy" for n in range(COMPANIES)
    )
