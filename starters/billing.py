"""Run a month's service billing now (R8), for support's API route and CLI.

One workflow id per month (`billing-{YYYY-MM}`), the same one the monthly schedule uses:
- a run in progress is joined, never doubled, and answers its progress;
- a finished run with no failures answers its result and starts nothing;
- otherwise (never run, or finished with failures, or stopped) a new run starts; it skips every company
  already posted, so after a fix it bills only the ones that failed before.
"""

from datetime import UTC, datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle, WorkflowQueryFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.service import RPCError, RPCStatusCode

from domain.pricing import month_has_ended, parse_month
from workflows.billing import BillingWorkflow, workflow_id
from workflows.billing_models import BillingState

QUERY_TIMEOUT = timedelta(seconds=5)


class MonthNotOver(ValueError):
    """The month is still going on in Finland, so its transactions are not all counted yet."""


class BillingRunStatus(StrEnum):
    STARTED = "started"
    RUNNING = "running"
    COMPLETED = "completed"


class BillingStatus(BaseModel):
    month: str
    workflow_id: str
    status: BillingRunStatus
    report: BillingState | None = None
    """The finished run's result, or a running run's progress when a worker answered in time."""
    requested_by: str | None = None
    """Who started the run this answers about: the agent, or none for the monthly schedule (or unknown while
    a running run's progress could not be read)."""


async def run_billing_now(
    client: Client, month: str, *, task_queue: str, requested_by: str, now: datetime | None = None
) -> BillingStatus:
    """Bill the month now unless it is being billed or was billed without failures; raises InvalidMonth or
    MonthNotOver for a month that cannot be billed. A run started here carries who asked in its input (the
    workflow's history) and its result."""
    parse_month(month)
    if not month_has_ended(month, now or datetime.now(UTC)):
        raise MonthNotOver(f"{month} has not ended in Finland yet; bill it from the 1st of the next month")
    handle = client.get_workflow_handle_for(BillingWorkflow.run, workflow_id(month))
    status = await _latest_status(handle)
    if status is WorkflowExecutionStatus.RUNNING:
        progress = await _progress(handle)
        return BillingStatus(
            month=month,
            workflow_id=handle.id,
            status=BillingRunStatus.RUNNING,
            report=progress,
            requested_by=progress.requested_by if progress is not None else None,
        )
    if status is WorkflowExecutionStatus.COMPLETED:
        report = await handle.result()
        if report.failed == 0:
            return BillingStatus(
                month=month,
                workflow_id=handle.id,
                status=BillingRunStatus.COMPLETED,
                report=report,
                requested_by=report.requested_by,
            )
    await client.start_workflow(
        BillingWorkflow.run,
        BillingState(month=month, requested_by=requested_by),
        id=workflow_id(month),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        static_summary=f"Service billing of {month}, asked by {requested_by}",
    )
    return BillingStatus(
        month=month, workflow_id=handle.id, status=BillingRunStatus.STARTED, requested_by=requested_by
    )


async def _latest_status(
    handle: WorkflowHandle[BillingWorkflow, BillingState],
) -> WorkflowExecutionStatus | None:
    try:
        return (await handle.describe()).status
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return None
        raise


async def _progress(handle: WorkflowHandle[BillingWorkflow, BillingState]) -> BillingState | None:
    """The running run's progress; None when no worker answers in time (the run is still going)."""
    try:
        return await handle.query(BillingWorkflow.progress, rpc_timeout=QUERY_TIMEOUT)
    except (WorkflowQueryFailedError, RPCError):
        return None
