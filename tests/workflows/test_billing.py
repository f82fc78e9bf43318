"""Monthly billing on the dev server: the store on SQLite and PostgreSQL, Netvisor's sandbox over real HTTP.

Workflow ids are one per month (`billing-YYYY-MM`) on a dev server shared by the session, so every test bills
months of its own.
"""

import asyncio
import itertools
from collections.abc import AsyncIterator
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from temporalio.client import (
    Client,
    ScheduleActionExecutionStartWorkflow,
    ScheduleActionStartWorkflow,
    ScheduleCalendarSpec,
    ScheduleHandle,
    ScheduleRange,
    WorkflowExecutionStatus,
    WorkflowFailureError,
)
from temporalio.exceptions import ApplicationError
from temporalio.worker import Replayer, Worker

from activities.billing import BillingActivities
from domain.pricing import previous_month
from settings import Settings
from store.database import Sessions
from store.ledger import RECEIVED_EINVOICE, SENT_EINVOICE
from tests.activities.test_billing import (
    NetvisorSandbox,
    billing_prices,
    netvisor_sandbox,
    seed,
    sessions,
    store_url,
)
from tests.clock import away_from_a_month_end, billing_month_now
from workers.schedules import BILLING_SCHEDULE_ID, ensure_billing_schedule
from workflows.billing import BillingWorkflow, MonthlyBillingWorkflow, workflow_id
from workflows.billing_models import BillingState

__all__ = ["netvisor_sandbox", "sessions", "store_url"]

_months = itertools.count()
HELSINKI = ZoneInfo("Europe/Helsinki")


def fresh_month() -> str:
    """A past month no other test of this session bills (2001-01 onwards)."""
    number = next(_months)
    return f"{2001 + number // 12}-{number % 12 + 1:02d}"


@pytest_asyncio.fixture(loop_scope="session")
async def worker(
    temporal_client: Client, task_queue: str, sessions: Sessions, netvisor_sandbox: NetvisorSandbox
) -> AsyncIterator[Worker]:
    activities = BillingActivities(netvisor_sandbox.client, sessions, billing_prices())
    async with Worker(
        temporal_client,
        task_queue=task_queue,
        workflows=[BillingWorkflow, MonthlyBillingWorkflow],
        activities=[activities.companies_to_bill, activities.bill_company],
    ) as running:
        yield running


async def _bill(client: Client, task_queue: str, state: BillingState) -> tuple[BillingState, str]:
    handle = await client.start_workflow(
        BillingWorkflow.run, state, id=workflow_id(state.month), task_queue=task_queue
    )
    return await handle.result(), handle.first_execution_run_id or handle.result_run_id or ""


async def test_a_failing_company_is_reported_and_a_rerun_bills_only_it(
    temporal_client: Client,
    task_queue: str,
    worker: Worker,
    sessions: Sessions,
    netvisor_sandbox: NetvisorSandbox,
) -> None:
    month = fresh_month()
    organisations = {
        company_id: seed(sessions, company_id, month, {RECEIVED_EINVOICE: 3, SENT_EINVOICE: 1})
        for company_id in ("a", "b", "c")
    }
    await netvisor_sandbox.fail_authentication_for(organisations["b"])
    try:
        first, _ = await _bill(temporal_client, task_queue, BillingState(month=month, page_size=2))
    finally:
        await netvisor_sandbox.heal()

    # 4 transactions each: 3 received at 0.50 (past the edge of 2) and 1 sent at 0.40.
    assert (first.posted, first.already_posted, first.failed) == (2, 0, 1)
    assert first.posted_totals == {"EUR": Decimal("3.80")}
    [failure] = first.failures
    assert failure.company_id == "b" and "AUTHENTICATION_FAILED" in failure.reason
    assert sorted(await netvisor_sandbox.billed(month)) == sorted([organisations["a"], organisations["c"]])

    second, _ = await _bill(temporal_client, task_queue, BillingState(month=month, page_size=2))
    third, _ = await _bill(temporal_client, task_queue, BillingState(month=month, page_size=2))

    assert (second.posted, second.already_posted, second.failed) == (1, 2, 0)
    assert (third.posted, third.already_posted, third.failed) == (0, 3, 0)
    billed = await netvisor_sandbox.billed(month)
    assert {organisation: len(sets) for organisation, sets in billed.items()} == {
        organisation: 1 for organisation in organisations.values()
    }
    assert all(Decimal(sets[0]["total"]) == Decimal("1.90") for sets in billed.values())


async def test_a_long_month_continues_as_new_and_replays_without_billing_again(
    temporal_client: Client,
    task_queue: str,
    worker: Worker,
    sessions: Sessions,
    netvisor_sandbox: NetvisorSandbox,
) -> None:
    month = fresh_month()
    for number in range(12):
        seed(sessions, f"many-{number:02d}", month, {SENT_EINVOICE: 1})

    result, first_run_id = await _bill(temporal_client, task_queue, BillingState(month=month, page_size=2))

    assert (result.posted, result.failed, result.finished) == (12, 0, True)
    first_run = temporal_client.get_workflow_handle(workflow_id(month), run_id=first_run_id)
    assert (await first_run.describe()).status is WorkflowExecutionStatus.CONTINUED_AS_NEW
    assert len(await netvisor_sandbox.billed(month)) == 12
    replayer = Replayer(workflows=[BillingWorkflow], data_converter=temporal_client.data_converter)
    for run_id in (first_run_id, None):
        history = await temporal_client.get_workflow_handle(workflow_id(month), run_id=run_id).fetch_history()
        await replayer.replay_workflow(history)
    assert len(await netvisor_sandbox.billed(month)) == 12


async def test_a_month_not_yet_over_is_refused(
    temporal_client: Client, task_queue: str, worker: Worker
) -> None:
    this_month = await billing_month_now()

    with pytest.raises(WorkflowFailureError) as refused:
        await temporal_client.execute_workflow(
            BillingWorkflow.run,
            BillingState(month=this_month),
            id=f"not-over-{task_queue}",
            task_queue=task_queue,
        )

    assert isinstance(refused.value.cause, ApplicationError) and refused.value.cause.type == "MonthNotOver"


async def _first_action(client: Client, schedule: ScheduleHandle) -> BillingState:
    """The result of the workflow the schedule's first action started (the launcher returns the billing's)."""
    for _ in range(200):
        actions = (await schedule.describe()).info.recent_actions
        if actions:
            started = actions[0].action
            assert isinstance(started, ScheduleActionExecutionStartWorkflow)
            launcher = client.get_workflow_handle_for(
                MonthlyBillingWorkflow.run, started.workflow_id, run_id=started.first_execution_run_id
            )
            report = await launcher.result()
            assert report is not None
            return report
        await asyncio.sleep(0.05)
    raise AssertionError("the schedule never started its action")


async def test_the_monthly_schedule_is_created_once_and_bills_the_previous_month(
    temporal_client: Client,
    task_queue: str,
    worker: Worker,
    sessions: Sessions,
    netvisor_sandbox: NetvisorSandbox,
) -> None:
    settings = Settings(temporal_task_queue=task_queue)
    handle = temporal_client.get_schedule_handle(BILLING_SCHEDULE_ID)
    try:
        await ensure_billing_schedule(temporal_client, settings)
        await handle.pause(note="paused by an operator")
        await ensure_billing_schedule(temporal_client, settings)

        schedule = (await handle.describe()).schedule
        assert schedule.spec.time_zone_name == "Europe/Helsinki"
        assert schedule.spec.calendars == [
            ScheduleCalendarSpec(
                second=(ScheduleRange(0),),
                minute=(ScheduleRange(0),),
                hour=(ScheduleRange(3),),
                day_of_month=(ScheduleRange(1),),
                month=(ScheduleRange(1, 12),),
                day_of_week=(ScheduleRange(0, 6),),
                comment="Service billing of the previous month",
            )
        ]
        assert schedule.state.paused and schedule.state.note == "paused by an operator"
        action = schedule.action
        assert isinstance(action, ScheduleActionStartWorkflow)
        assert (action.workflow, action.id, action.task_queue) == (
            "MonthlyBillingWorkflow",
            "billing-monthly",
            task_queue,
        )
        await handle.unpause()
        upcoming = [
            moment.astimezone(HELSINKI) for moment in (await handle.describe()).info.next_action_times
        ]
        assert upcoming and all((moment.day, moment.hour, moment.minute) == (1, 3, 0) for moment in upcoming)

        month = previous_month(await away_from_a_month_end())
        organisation = seed(sessions, "scheduled", month, {RECEIVED_EINVOICE: 1})
        await handle.trigger()
        report = await _first_action(temporal_client, handle)
        assert (report.month, report.posted) == (month, 1)
        assert len((await netvisor_sandbox.billed(month))[organisation]) == 1
    finally:
        await handle.delete()
