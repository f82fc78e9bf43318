"""Monthly service billing (R8): one workflow per month, `billing-{YYYY-MM}`, and the schedule's launcher.

The billing workflow walks the companies with transactions in the month a page at a time and bills each
(concurrently within a page). A company that fails is reported in the result and logged, and the walk goes
on. Re-running a month is safe: companies already posted are skipped by the activity, so a re-run after a fix
bills only the ones that failed. Between pages the workflow continues as new when its history grows.
"""

import asyncio

from temporalio import workflow
from temporalio.common import SearchAttributeKey
from temporalio.exceptions import ActivityError, ApplicationError, WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from activities.billing import BillingActivities
    from domain.pricing import month_has_ended, previous_month
    from workflows.activity_timeouts import TIMEOUTS
    from workflows.billing_models import (
        FAILURES_KEPT,
        BillingOutcome,
        BillingState,
        CompanyBilled,
        CompanyFailure,
        CompanyPageRequest,
        CompanyToBill,
        ScheduledBilling,
    )

WORKFLOW_ID_PREFIX = "billing-"
SCHEDULED_START_TIME = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")


def workflow_id(month: str) -> str:
    return f"{WORKFLOW_ID_PREFIX}{month}"


def _reason(error: ActivityError) -> str:
    cause = error.cause
    return cause.message if isinstance(cause, ApplicationError) else str(cause or error)


@workflow.defn
class BillingWorkflow:
    @workflow.init
    def __init__(self, state: BillingState) -> None:
        self._state = state

    @workflow.run
    async def run(self, state: BillingState) -> BillingState:
        if not month_has_ended(self._state.month, workflow.now()):
            raise ApplicationError(
                f"{self._state.month} has not ended in Finland yet; bill it from the 1st of the next month",
                type="MonthNotOver",
                non_retryable=True,
            )
        while not self._state.finished:
            if workflow.info().is_continue_as_new_suggested():
                workflow.continue_as_new(self._state)
            await self._bill_next_page()
        workflow.logger.info(
            "billing run finished",
            extra={
                "month": self._state.month,
                "posted": self._state.posted,
                "already_posted": self._state.already_posted,
                "failed": self._state.failed,
            },
        )
        return self._state

    @workflow.query
    def progress(self) -> BillingState:
        return self._state

    async def _bill_next_page(self) -> None:
        state = self._state
        page = await workflow.execute_activity_method(
            BillingActivities.companies_to_bill,
            CompanyPageRequest(month=state.month, after=state.after, limit=state.page_size),
            **TIMEOUTS["companies_to_bill"].options(),
        )
        workflow.set_current_details(
            f"Billing {state.month}: {state.posted} posted, {state.already_posted} already posted, "
            f"{state.failed} failed; next {len(page.company_ids)} from after {state.after or 'the start'}"
        )
        outcomes = await asyncio.gather(*(self._bill(company_id) for company_id in page.company_ids))
        for outcome in outcomes:
            self._count(outcome)
        if page.company_ids:
            state.after = page.company_ids[-1]
        state.finished = len(page.company_ids) < state.page_size

    async def _bill(self, company_id: str) -> CompanyBilled | CompanyFailure:
        try:
            return await workflow.execute_activity_method(
                BillingActivities.bill_company,
                CompanyToBill(month=self._state.month, company_id=company_id),
                **TIMEOUTS["bill_company"].options(),
            )
        except ActivityError as error:
            reason = _reason(error)
            workflow.logger.warning(
                "billing a company failed",
                extra={"company_id": company_id, "month": self._state.month, "reason": reason},
            )
            return CompanyFailure(company_id=company_id, reason=reason)

    def _count(self, outcome: CompanyBilled | CompanyFailure) -> None:
        state = self._state
        if isinstance(outcome, CompanyFailure):
            state.failed += 1
            if len(state.failures) < FAILURES_KEPT:
                state.failures.append(outcome)
        elif outcome.outcome is BillingOutcome.POSTED:
            state.posted += 1
            state.posted_totals[outcome.currency] = (
                state.posted_totals.get(outcome.currency, 0) + outcome.total
            )
        else:
            state.already_posted += 1


@workflow.defn
class MonthlyBillingWorkflow:
    """Started by the `billing-monthly` schedule: bills the month before the one it was scheduled in.

    The month comes from the schedule's nominal time, so a run caught up late still bills the right month.
    The billing itself is the child `billing-{YYYY-MM}`, the same workflow support starts by hand, so the two
    never bill a month side by side (if support's run is already going, this one leaves it to finish); the
    child is abandoned rather than cancelled if this launcher is stopped.
    """

    @workflow.run
    async def run(self, scheduled: ScheduledBilling) -> BillingState | None:
        nominal = workflow.info().typed_search_attributes.get(SCHEDULED_START_TIME) or workflow.now()
        month = previous_month(nominal)
        try:
            return await workflow.execute_child_workflow(
                BillingWorkflow.run,
                BillingState(month=month, page_size=scheduled.page_size),
                id=workflow_id(month),
                parent_close_policy=ParentClosePolicy.ABANDON,
            )
        except WorkflowAlreadyStartedError:
            workflow.logger.info("billing of the month is already running", extra={"month": month})
            return None
