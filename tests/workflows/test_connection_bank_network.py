"""R7 on the time-skipping server: the bank-network deadline, checks on banking days, overdue, CONNECTED.

The issue's own dates of June and April 2026 lie before today's clock, which a test server cannot turn back,
so the same calendar situations of 2027 stand in for them (the domain tests pin the 2026 dates themselves).
"""

from datetime import datetime, timedelta

import pytest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from domain.banking_days import HELSINKI, is_banking_day
from tests.workflows.connection_fakes import (
    BUSINESS_ID,
    FakeServices,
    company_report,
    connection_running,
    skip_to,
    view_when,
)
from workflows.connection import ConnectionWorkflow, next_bank_check
from workflows.connection_models import ActionRequest, ReleaseSummary
from workflows.search_attributes import BANK_NETWORK_DEADLINE, MAVENTA_STATE, NEEDS_SUPPORT


def helsinki(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=HELSINKI)


@pytest.mark.parametrize(
    ("requested", "deadline"),
    [
        pytest.param(
            helsinki(2026, 12, 23, 10), helsinki(2026, 12, 31), id="Wed before Christmas -> end of Wed 30 Dec"
        ),
        pytest.param(
            helsinki(2027, 6, 25, 10), helsinki(2027, 7, 2), id="Midsummer Eve -> as Monday -> end of Thu"
        ),
        pytest.param(
            helsinki(2027, 3, 25, 10), helsinki(2027, 4, 2), id="Thu before Easter -> end of Thu after"
        ),
        pytest.param(helsinki(2026, 12, 4, 10), helsinki(2026, 12, 10), id="Friday -> end of Wednesday"),
    ],
)
async def test_bank_network_deadline_is_the_end_of_the_third_banking_day(
    connection_env: WorkflowEnvironment, requested: datetime, deadline: datetime
) -> None:
    fakes = FakeServices()
    await skip_to(connection_env, requested)
    async with connection_running(connection_env.client, fakes, company_report(purchases=True)) as handle:
        view = await view_when(handle, lambda v: v.state == "RECEIVING")
        attributes = (await handle.describe()).typed_search_attributes

    assert view.bank_network.deadline == deadline
    assert attributes.get(BANK_NETWORK_DEADLINE) == deadline
    assert attributes.get(MAVENTA_STATE) == "RECEIVING"
    assert view.bank_network.requested_at is not None
    assert view.bank_network.requested_at.astimezone(HELSINKI).date() == requested.date()
    assert fakes.calls["request_bank_network"] == 1


async def test_overdue_bank_network_needs_support_while_checking_on_banking_days_then_connects(
    connection_env: WorkflowEnvironment,
) -> None:
    fakes = FakeServices()
    await skip_to(connection_env, helsinki(2026, 12, 4, 10))
    report = company_report(purchases=True)
    async with connection_running(
        connection_env.client, fakes, report, bank_check_every=timedelta(hours=4)
    ) as handle:
        await view_when(handle, lambda v: v.state == "RECEIVING")

        await skip_to(connection_env, helsinki(2026, 12, 10, 1))
        overdue = await view_when(handle, lambda v: v.needs_support)
        overdue_attributes = (await handle.describe()).typed_search_attributes
        checks_when_overdue = fakes.calls["check_networks"]

        fakes.bank_confirmed = True
        await connection_env.sleep(timedelta(hours=9))
        connected = await view_when(handle, lambda v: v.state == "CONNECTED")
        connected_attributes = (await handle.describe()).typed_search_attributes

        events_when_connected = await _event_count(handle)
        await connection_env.sleep(timedelta(days=30))
        events_a_month_later = await _event_count(handle)
        history = await handle.fetch_history()

    replayed = await Replayer(
        workflows=[ConnectionWorkflow], data_converter=pydantic_data_converter
    ).replay_workflow(history, raise_on_replay_failure=False)
    assert replayed.replay_failure is None, "the workflow must replay its own history deterministically"

    assert overdue.state == "RECEIVING"
    assert overdue.bank_network.overdue
    assert overdue.needs_support_reason is not None and "overdue" in overdue.needs_support_reason
    assert overdue_attributes.get(NEEDS_SUPPORT) is True
    assert checks_when_overdue >= 5
    assert all(is_banking_day(at.astimezone(HELSINKI).date()) for at in fakes.bank_checked_at)
    assert not any(at.astimezone(HELSINKI).date().day in (5, 6) for at in fakes.bank_checked_at)

    assert not connected.needs_support
    assert connected.bank_network.confirmed_at is not None
    assert connected.bank_network.confirmed_at.astimezone(HELSINKI).date() == helsinki(2026, 12, 10).date()
    assert connected.einvoice_address == "0037" + BUSINESS_ID.replace("-", "")
    assert connected.operator == "003721291126"
    assert [a.einvoice_address for a in fakes.addresses] == ["003715728600"]
    assert connected_attributes.get(MAVENTA_STATE) == "CONNECTED"
    assert connected_attributes.get(NEEDS_SUPPORT) is False
    assert events_a_month_later == events_when_connected, "an idle CONNECTED company must not wake up"


async def test_support_checks_now_and_the_company_connects_at_once(
    connection_env: WorkflowEnvironment,
) -> None:
    fakes = FakeServices()
    async with connection_running(
        connection_env.client, fakes, company_report(sales=False, purchases=False)
    ) as handle:
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(
                ConnectionWorkflow.check_bank_network_now, ActionRequest(requested_by="agent anna")
            )
        await handle.signal(ConnectionWorkflow.report_company, company_report(purchases=True))
        await view_when(handle, lambda v: v.state == "RECEIVING")
        not_yet = await handle.execute_update(
            ConnectionWorkflow.check_bank_network_now, ActionRequest(requested_by="agent anna")
        )
        fakes.bank_confirmed = True
        confirmed = await handle.execute_update(
            ConnectionWorkflow.check_bank_network_now, ActionRequest(requested_by="agent anna")
        )
        view = await handle.query(ConnectionWorkflow.account)

    assert "No bank network has been requested" in str(refused.value.cause)
    assert not_yet.state == "RECEIVING" and "not confirmed" in not_yet.message
    assert confirmed.state == "CONNECTED" and "confirmed" in confirmed.message
    assert view.state == "CONNECTED"
    assert [record.requested_by for record in view.recent_actions] == ["agent anna", "agent anna"]
    assert fakes.calls["update_invoicing_addresses"] == 1


async def _event_count(handle: WorkflowHandle[ConnectionWorkflow, ReleaseSummary]) -> int:
    history = await handle.fetch_history()
    return len(history.events)


@pytest.mark.parametrize(
    ("after", "any_day", "expected"),
    [
        pytest.param(
            helsinki(2026, 12, 8, 10), False, helsinki(2026, 12, 8, 14), id="Tuesday: 4 hours later"
        ),
        pytest.param(
            helsinki(2026, 12, 4, 22), False, helsinki(2026, 12, 7), id="Friday night: Monday 00:00"
        ),
        pytest.param(
            helsinki(2026, 12, 23, 22), False, helsinki(2026, 12, 28), id="before Christmas: Mon 28"
        ),
        pytest.param(helsinki(2026, 12, 4, 22), True, helsinki(2026, 12, 5, 2), id="make run: any day"),
    ],
)
def test_bank_network_checks_fall_on_banking_days(after: datetime, any_day: bool, expected: datetime) -> None:
    assert next_bank_check(after, timedelta(hours=4), any_day=any_day) == expected
