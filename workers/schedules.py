"""The monthly billing schedule (R8), created or brought up to date each time a worker starts.

It fires on the 1st of every month at 03:00 in Europe/Helsinki and starts `MonthlyBillingWorkflow`, which
bills the previous month as `billing-{YYYY-MM}`. Starting a worker again only rewrites the schedule's spec,
action and policy from this code; an operator's pause (and note) stays as it was.
"""

import dataclasses
from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from settings import Settings
from workflows.billing import MonthlyBillingWorkflow
from workflows.billing_models import ScheduledBilling

BILLING_SCHEDULE_ID = "billing-monthly"
BILLING_TIME_ZONE = "Europe/Helsinki"
BILLING_DAY_OF_MONTH = 1
BILLING_HOUR = 3
CATCHUP_WINDOW = timedelta(days=27)
"""Temporal down on the 1st: the run still happens when it is back, as long as that is within the month."""


def billing_schedule(settings: Settings) -> Schedule:
    """The schedule as this version of the service wants it."""
    return Schedule(
        action=ScheduleActionStartWorkflow(
            MonthlyBillingWorkflow.run,
            ScheduledBilling(),
            id=BILLING_SCHEDULE_ID,
            task_queue=settings.temporal_task_queue,
        ),
        spec=ScheduleSpec(
            calendars=[
                ScheduleCalendarSpec(
                    day_of_month=[ScheduleRange(BILLING_DAY_OF_MONTH)],
                    hour=[ScheduleRange(BILLING_HOUR)],
                    minute=[ScheduleRange(0)],
                    second=[ScheduleRange(0)],
                    comment="Service billing of the previous month",
                )
            ],
            time_zone_name=BILLING_TIME_ZONE,
        ),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.BUFFER_ONE, catchup_window=CATCHUP_WINDOW),
        state=ScheduleState(note="Bills the previous month's electronic transactions to Netvisor (R8)"),
    )


async def ensure_billing_schedule(client: Client, settings: Settings) -> None:
    """Create the schedule, or update an existing one to this code's spec while keeping its state."""
    wanted = billing_schedule(settings)
    try:
        await client.create_schedule(BILLING_SCHEDULE_ID, wanted)
    except ScheduleAlreadyRunningError:

        def keep_state(current: ScheduleUpdateInput) -> ScheduleUpdate:
            return ScheduleUpdate(
                schedule=dataclasses.replace(wanted, state=current.description.schedule.state)
            )

        await client.get_schedule_handle(BILLING_SCHEDULE_ID).update(keep_state)
