"""Continue-as-new on the dev server (suggested after 60 events): nothing lost or handled twice."""

import asyncio
from datetime import UTC, datetime

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle

from tests.workflows.connection_fakes import (
    BUSINESS_ID,
    FakeServices,
    company_report,
    connection_running,
    view_when,
)
from workflows.connection import ConnectionWorkflow
from workflows.connection_models import (
    Account,
    ActionRequest,
    Address,
    ConnectionState,
    Outcome,
    Projection,
    ReleaseSummary,
)
from workflows.connection_policy import ConnectionStatus, ImportMode
from workflows.search_attributes import MAVENTA_STATE

MESSAGES = 30


async def test_reports_and_actions_survive_continue_as_new_exactly_once(temporal_client: Client) -> None:
    fakes = FakeServices()
    async with connection_running(temporal_client, fakes, company_report(sales=True)) as handle:
        first_run = (await handle.describe()).run_id
        await view_when(handle, lambda v: v.state == "ACTIVE")
        answers = []
        for n in range(MESSAGES):
            await handle.signal(
                ConnectionWorkflow.report_company, company_report(sales=True, name=f"Testi {n} Oy")
            )
            answers.append(
                await handle.execute_update(
                    ConnectionWorkflow.create_connection,
                    ActionRequest(requested_by=f"user {n}"),
                    id=f"ask-{n}",
                )
            )
        repeated = await handle.execute_update(
            ConnectionWorkflow.create_connection, ActionRequest(requested_by="user 0"), id="ask-0"
        )
        view = await view_when(handle, lambda v: v.name == f"Testi {MESSAGES - 1} Oy")
        latest = await handle.describe()

    assert latest.run_id != first_run, "the history should have been continued as new"
    assert latest.typed_search_attributes.get(MAVENTA_STATE) == "ACTIVE"
    assert all(answer.outcome == Outcome.DONE for answer in answers)
    assert repeated == answers[0]
    assert [record.update_id for record in view.recent_actions] == [f"ask-{n}" for n in range(MESSAGES)]
    assert [record.requested_by for record in view.recent_actions] == [f"user {n}" for n in range(MESSAGES)]
    assert [p.name for p in fakes.projections[2:]] == [f"Testi {n} Oy" for n in range(MESSAGES)]
    assert fakes.calls["create_maventa_company"] == 1


async def _signals_handled(handle: WorkflowHandle[ConnectionWorkflow, ReleaseSummary], signals: int) -> None:
    for _ in range(200):
        events = (await handle.fetch_history()).events
        signalled = [
            i
            for i, e in enumerate(events)
            if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
        ]
        after = events[signalled[-1] + 1 :] if len(signalled) >= signals else []
        if any(e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED for e in after):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the signals were never handled")


async def test_a_run_carried_over_from_before_lifecycle_state_writes_its_row_only_when_it_changes(
    temporal_client: Client,
) -> None:
    """Runs continued as new by the version before `lifecycle_state` carry a projection without it; their
    histories replay only if the new version schedules the same projection writes."""
    report = company_report(sales=True)
    account = Account(
        company_uuid="uuid-carried", credentials_ref="secret-carried", authorized=True, vendor_linked=True
    )
    carried = ConnectionState(
        company_id="carried",
        company=report,
        status=ConnectionStatus.ACTIVE,
        founded_at=datetime(2025, 5, 5, 9, tzinfo=UTC),
        account=account,
        published=Projection(
            company_id="carried",
            business_id=BUSINESS_ID,
            name=report.name,
            state="ACTIVE",
            needs_support=False,
            needs_support_reason=None,
            maventa_company_uuid=account.company_uuid,
            credentials_ref=account.credentials_ref,
            import_mode=ImportMode.OFF,
            import_from=None,
        ),
    )
    moved = report.model_copy(
        update={"address": Address(street="Uusikatu 2", post_code="02100", city="Espoo")}
    )
    fakes = FakeServices()
    async with connection_running(temporal_client, fakes, report, carried=carried) as handle:
        await view_when(handle, lambda v: v.state == "ACTIVE")
        await handle.signal(ConnectionWorkflow.report_company, moved)
        await _signals_handled(handle, signals=1)
        writes_before_a_change = fakes.calls["record_company"]
        await handle.signal(ConnectionWorkflow.report_company, moved.model_copy(update={"name": "Uusi Oy"}))
        await view_when(handle, lambda v: v.name == "Uusi Oy")

    assert writes_before_a_change == 0
    assert [(p.name, p.state, p.lifecycle_state) for p in fakes.projections] == [
        ("Uusi Oy", "ACTIVE", ConnectionStatus.ACTIVE)
    ]
