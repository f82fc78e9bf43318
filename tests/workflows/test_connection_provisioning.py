"""R1, R2 and R6 on the time-skipping server, with the activities played by fakes."""

import asyncio
from datetime import timedelta

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from tests.clock import any_day, at_hour, server_time, skip_to
from tests.workflows.connection_fakes import (
    FakeServices,
    company_report,
    connection_running,
    view_when,
)
from workflows.connection import ConnectionWorkflow
from workflows.connection_models import ActionRequest, Outcome, ReleaseSummary
from workflows.search_attributes import MAVENTA_STATE, NEEDS_SUPPORT

NETVISOR_USER = ActionRequest(requested_by="netvisor user 42")
AGENT = ActionRequest(requested_by="agent anna")


@pytest.mark.calendar
async def test_account_not_ready_by_the_end_of_the_founding_day_needs_support_while_it_keeps_trying(
    connection_env: WorkflowEnvironment,
) -> None:
    fakes = FakeServices()
    fakes.maventa_down = True
    founded = any_day(await server_time(connection_env), hour=15)
    await skip_to(connection_env, founded)
    async with connection_running(connection_env.client, fakes, company_report()) as handle:
        in_the_afternoon = await view_when(handle, lambda v: fakes.calls["look_up_business_id"] >= 2)

        await skip_to(connection_env, at_hour(founded.date() + timedelta(days=1), 0, 30))
        after_midnight = await view_when(handle, lambda v: v.needs_support)
        attributes = (await handle.describe()).typed_search_attributes
        attempts_by_midnight = fakes.calls["look_up_business_id"]

        fakes.maventa_down = False
        await connection_env.sleep(timedelta(minutes=10))
        ready = await view_when(handle, lambda v: v.state == "ACTIVE")

    assert in_the_afternoon.state == "PROVISIONING" and not in_the_afternoon.needs_support
    assert after_midnight.state == "PROVISIONING"
    assert after_midnight.needs_support_reason == (
        f"The Maventa account was not ready by the end of {founded.date()} (Helsinki); still trying."
    )
    assert attributes.get(NEEDS_SUPPORT) is True and attributes.get(MAVENTA_STATE) == "PROVISIONING"
    assert attempts_by_midnight > 20, "transient failures are retried with backoff all along"
    assert not ready.needs_support and ready.sending_allocated
    assert fakes.calls["create_maventa_company"] == 1


async def test_sales_only_company_stays_active_until_purchases_open(
    connection_env: WorkflowEnvironment,
) -> None:
    fakes = FakeServices()
    async with connection_running(connection_env.client, fakes, company_report(sales=True)) as handle:
        active = await view_when(handle, lambda v: v.state == "ACTIVE")
        await connection_env.sleep(timedelta(days=30))
        a_month_later = await handle.query(ConnectionWorkflow.account)
        receiving_calls_while_sales_only = fakes.calls["open_receiving"]

        await handle.signal(ConnectionWorkflow.report_company, company_report(sales=True, purchases=True))
        receiving = await view_when(handle, lambda v: v.state == "RECEIVING")

    assert active.sending_allocated and active.maventa_company_id is not None
    assert active.api_key_masked == "****k3y9"
    assert active.networks.operator is None and active.import_mode == "off"
    assert a_month_later.state == "ACTIVE"
    assert receiving_calls_while_sales_only == 0
    assert receiving.networks.operator == "active" and receiving.networks.scan == "active"
    assert receiving.networks.bank == "pending"
    assert receiving.scan_address == "1572860-0@scan.test"
    assert receiving.import_mode == "now"
    assert (fakes.calls["open_receiving"], fakes.calls["request_bank_network"]) == (1, 1)
    assert [p.state for p in fakes.projections] == ["PROVISIONING", "ACTIVE", "RECEIVING"]


async def test_the_same_report_twice_changes_nothing(connection_env: WorkflowEnvironment) -> None:
    fakes = FakeServices()
    report = company_report(sales=True)
    async with connection_running(connection_env.client, fakes, report) as handle:
        before = await view_when(handle, lambda v: v.state == "ACTIVE")
        calls_before = fakes.calls.copy()
        await handle.signal(ConnectionWorkflow.report_company, report)
        await handle.signal(ConnectionWorkflow.report_company, report)
        events = await _events_after_signals_handled(handle, signals=2)
        after = await handle.query(ConnectionWorkflow.account)

    assert after == before
    assert fakes.calls == calls_before
    assert not {
        EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
        EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
    } & {event.event_type for event in events}


async def test_the_first_maventa_step_is_asked_for_in_the_same_workflow_task_as_the_projection(
    connection_env: WorkflowEnvironment,
) -> None:
    fakes = FakeServices()
    async with connection_running(connection_env.client, fakes, company_report(sales=True)) as handle:
        await view_when(handle, lambda v: v.state == "ACTIVE")
        events = (await handle.fetch_history()).events

    completed = [
        n for n, e in enumerate(events) if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    ]
    first_task_asked = {
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in events[completed[0] + 1 : completed[1]]
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    }
    assert first_task_asked == {"record_company", "look_up_business_id"}, (
        "a founding burst's companies do not wait for a second workflow task before asking Maventa"
    )


async def test_a_taken_business_id_leads_to_existing_account_and_never_a_second_account(
    connection_env: WorkflowEnvironment,
) -> None:
    fakes = FakeServices()
    fakes.business_id_taken = True
    async with connection_running(connection_env.client, fakes, company_report(purchases=True)) as handle:
        view = await view_when(handle, lambda v: v.state == "EXISTING_ACCOUNT")
        attributes = (await handle.describe()).typed_search_attributes
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(ConnectionWorkflow.create_connection, NETVISOR_USER)

    assert not view.sending_allocated and view.maventa_company_id is None
    assert attributes.get(MAVENTA_STATE) == "EXISTING_ACCOUNT"
    assert fakes.calls["create_maventa_user"] == fakes.calls["create_maventa_company"] == 0
    assert "Contact Netvisor customer service" in str(refused.value.cause)


async def test_create_connection_provisions_a_company_without_modules(
    connection_env: WorkflowEnvironment,
) -> None:
    fakes = FakeServices()
    report = company_report(sales=False, purchases=False)
    async with connection_running(connection_env.client, fakes, report) as handle:
        before = await view_when(handle, lambda v: v.state == "NO_CONNECTION")
        answer = await handle.execute_update(ConnectionWorkflow.create_connection, NETVISOR_USER)
        again = await handle.execute_update(ConnectionWorkflow.create_connection, NETVISOR_USER)
        view = await handle.query(ConnectionWorkflow.account)

    assert before.maventa_company_id is None and fakes.calls["look_up_business_id"] <= 1
    assert answer.outcome == Outcome.DONE and answer.state == "ACTIVE"
    assert again.outcome == Outcome.DONE
    assert fakes.calls["create_maventa_company"] == 1
    assert [a.requested_by for a in view.recent_actions] == ["netvisor user 42", "netvisor user 42"]


async def test_failed_provisioning_answers_contact_customer_service_and_support_retries_it(
    connection_env: WorkflowEnvironment,
) -> None:
    fakes = FakeServices()
    fakes.company_refusal = "Maventa refused creating the company: name is too short"
    async with connection_running(connection_env.client, fakes, company_report()) as handle:
        stuck = await view_when(handle, lambda v: v.state == "NEEDS_SUPPORT")
        stuck_attributes = (await handle.describe()).typed_search_attributes
        answer = await handle.execute_update(ConnectionWorkflow.create_connection, NETVISOR_USER)
        still_stuck = await handle.query(ConnectionWorkflow.account)

        fakes.company_refusal = None
        retried = await handle.execute_update(ConnectionWorkflow.retry, AGENT, id="retry-1")
        repeated = await handle.execute_update(ConnectionWorkflow.retry, AGENT, id="retry-1")
        with pytest.raises(WorkflowUpdateFailedError) as nothing_to_retry:
            await handle.execute_update(ConnectionWorkflow.retry, AGENT)
        ready = await handle.query(ConnectionWorkflow.account)

    assert stuck.lifecycle_state == "PROVISIONING" and stuck.needs_support
    stuck_row = next(p for p in fakes.projections if p.state == "NEEDS_SUPPORT")
    assert stuck_row.lifecycle_state == "PROVISIONING", "the projection keeps the lifecycle state under it"
    assert fakes.projections[-1].state == fakes.projections[-1].lifecycle_state == "ACTIVE"
    assert stuck.needs_support_reason == (
        "Creating the Maventa account failed: Maventa refused creating the company: name is too short."
    )
    assert (
        stuck_attributes.get(MAVENTA_STATE) == "NEEDS_SUPPORT" and stuck_attributes.get(NEEDS_SUPPORT) is True
    )
    assert answer.outcome == Outcome.FAILED
    assert "Contact Netvisor customer service" in answer.message and "too short" not in answer.message
    assert still_stuck.needs_support_reason == stuck.needs_support_reason
    assert retried.outcome == Outcome.DONE and retried.state == "ACTIVE"
    assert repeated == retried
    assert "Nothing to retry" in str(nothing_to_retry.value.cause)
    assert ready.state == "ACTIVE" and not ready.needs_support
    assert [a.action for a in ready.recent_actions] == ["create_connection", "retry"]


async def _events_after_signals_handled(
    handle: WorkflowHandle[ConnectionWorkflow, ReleaseSummary], signals: int
) -> list[HistoryEvent]:
    """History events after the last of `signals` signals, once a workflow task has handled them."""
    for _ in range(200):
        events = (await handle.fetch_history()).events
        signalled = [
            i
            for i, e in enumerate(events)
            if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
        ]
        if len(signalled) >= signals:
            after = list(events[signalled[-1] + 1 :])
            if any(e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED for e in after):
                return after
        await asyncio.sleep(0.05)
    raise AssertionError("the signals were never handled")
