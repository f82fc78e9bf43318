"""R7 on the time-skipping server: the bank-network deadline, checks on banking days, overdue, CONNECTED.

Each calendar situation is found from the test server's clock (tests/clock.py), and each test also runs from a
year and three years ahead, a month's last evening and the day before Christmas.
"""

from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from domain.banking_days import HELSINKI, bank_network_deadline, is_banking_day
from tests.clock import (
    at_hour,
    day_before_christmas_eve,
    end_of,
    friday_before_a_monday_holiday,
    friday_before_a_normal_week,
    last_banking_day_of_a_month,
    maundy_thursday,
    midsummer_eve,
    server_time,
    skip_to,
    wall_clock,
    weekdays_after,
)
from tests.workflows.connection_fakes import (
    BUSINESS_ID,
    FakeServices,
    company_report,
    connection_running,
    view_when,
)
from workflows.connection import ConnectionWorkflow, next_bank_check
from workflows.connection_models import ActionRequest, ReleaseSummary
from workflows.search_attributes import BANK_NETWORK_DEADLINE, MAVENTA_STATE, NEEDS_SUPPORT

Situation = Callable[[datetime], datetime]
"""From the clock's now, the next moment the bank network is requested in that calendar situation."""


DEADLINES = [
    pytest.param(
        friday_before_a_normal_week,
        lambda friday: friday + timedelta(days=5),
        id="Friday -> end of Wednesday",
    ),
    pytest.param(
        day_before_christmas_eve,
        lambda december_23: weekdays_after(date(december_23.year, 12, 26), 3),
        id="23 December -> the third weekday after Boxing Day",
    ),
    pytest.param(
        midsummer_eve,
        lambda eve: eve + timedelta(days=6),
        id="Midsummer Eve -> counts as Monday -> end of Thursday",
    ),
    pytest.param(
        maundy_thursday,
        lambda thursday: thursday + timedelta(days=7),
        id="Thursday before Easter -> end of the Thursday after",
    ),
    pytest.param(
        friday_before_a_monday_holiday,
        lambda friday: friday + timedelta(days=6),
        id="Friday before a Monday holiday -> end of Thursday",
    ),
    pytest.param(
        last_banking_day_of_a_month,
        lambda last: weekdays_after(last, 3),
        id="a month's last banking day -> three weekdays into the next month",
    ),
]
"""Calendar situations, each with the deadline day a person reads off a calendar for it."""


@pytest.mark.calendar
@pytest.mark.parametrize(("situation", "deadline_day"), DEADLINES)
async def test_bank_network_deadline_is_the_end_of_the_third_banking_day(
    connection_env: WorkflowEnvironment,
    situation: Situation,
    deadline_day: Callable[[date], date],
) -> None:
    fakes = FakeServices()
    requested = situation(await server_time(connection_env))
    deadline = end_of(deadline_day(requested.date()))
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


@pytest.mark.calendar
async def test_overdue_bank_network_needs_support_while_checking_on_banking_days_then_connects(
    connection_env: WorkflowEnvironment,
) -> None:
    fakes = FakeServices()
    friday = friday_before_a_normal_week(await server_time(connection_env))
    thursday = friday.date() + timedelta(days=6)
    await skip_to(connection_env, friday)
    report = company_report(purchases=True)
    async with connection_running(
        connection_env.client, fakes, report, bank_check_every=timedelta(hours=4)
    ) as handle:
        await view_when(handle, lambda v: v.state == "RECEIVING")

        await skip_to(connection_env, at_hour(thursday, 1))
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
    checked_on = {at.astimezone(HELSINKI).date() for at in fakes.bank_checked_at}
    assert all(is_banking_day(day) for day in checked_on)
    weekend = {friday.date() + timedelta(days=1), friday.date() + timedelta(days=2)}
    assert not checked_on & weekend

    assert not connected.needs_support
    assert connected.bank_network.confirmed_at is not None
    assert connected.bank_network.confirmed_at.astimezone(HELSINKI).date() == thursday
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


@pytest.mark.parametrize(("situation", "deadline_day"), DEADLINES)
def test_each_situation_is_found_and_its_deadline_holds_on_any_day_of_the_next_five_years(
    situation: Situation, deadline_day: Callable[[date], date]
) -> None:
    """What the workflow test expects, against the domain calendar from every few days' start over five years:
    the workflow test cannot start failing on a later date because its situation or expectation changes."""
    start = wall_clock()
    while start < wall_clock() + timedelta(days=5 * 366):
        requested = situation(start)
        assert requested > start
        assert end_of(deadline_day(requested.date())) == bank_network_deadline(requested), requested
        start += timedelta(days=3, hours=7)


def helsinki(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=HELSINKI)


@pytest.mark.parametrize(
    ("after", "any_day", "expected"),
    [
        pytest.param(
            helsinki(2025, 12, 9, 10), False, helsinki(2025, 12, 9, 14), id="Tuesday: 4 hours later"
        ),
        pytest.param(
            helsinki(2025, 12, 12, 22), False, helsinki(2025, 12, 15), id="Friday night: Monday 00:00"
        ),
        pytest.param(
            helsinki(2025, 12, 23, 22), False, helsinki(2025, 12, 29), id="before Christmas: Mon 29"
        ),
        pytest.param(helsinki(2025, 12, 12, 22), True, helsinki(2025, 12, 13, 2), id="make run: any day"),
    ],
)
def test_bank_network_checks_fall_on_banking_days(after: datetime, any_day: bool, expected: datetime) -> None:
    """A pure function of the time it is given: pinned historic dates."""
    assert next_bank_check(after, timedelta(hours=4), any_day=any_day) == expected
