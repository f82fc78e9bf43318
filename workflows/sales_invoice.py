"""One sales e-invoice, from upload to delivered or failed (R5): exactly once, and Netvisor is told each step.

The common path costs six Temporal actions: the start, the upload, the PENDING report, one backstop timer, the
webhook's signal and the final report. The timer doubles each time no webhook came (1 min, 2 min, ... capped),
and tracking ends after a bounded time, so the history stays small. docs/outbound.md explains the choices.
"""

import contextlib
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.sales_invoice import SalesInvoiceActivities
    from workflows.activity_timeouts import TIMEOUTS
    from workflows.sales_invoice_models import (
        DELIVERED_EVENT,
        SETTLED,
        DeliveryCheck,
        DeliveryEvent,
        DeliveryOutcome,
        DeliveryStatus,
        SalesInvoiceInput,
        SalesInvoiceState,
        StatusChange,
        StatusReport,
        Uploaded,
        UploadRequest,
        maventa_uuid,
    )


def _reason(error: ActivityError) -> str:
    """The activity's own message, as the user should read it."""
    return error.cause.message if isinstance(error.cause, ApplicationError) else str(error)


@workflow.defn
class SalesInvoiceWorkflow:
    @workflow.init
    def __init__(self, input: SalesInvoiceInput) -> None:
        self._input = input
        self._state = SalesInvoiceState(
            company_id=input.company_id,
            invoice_key=input.invoice_key,
            uuid=maventa_uuid(input.company_id, input.invoice_key),
            route=input.route,
            history=[StatusChange(status=DeliveryStatus.SUBMITTED, at=workflow.now())],
        )

    @workflow.run
    async def run(self, input: SalesInvoiceInput) -> SalesInvoiceState:
        uploaded = await self._upload()
        self._state.maventa_invoice_id = uploaded.maventa_invoice_id
        await self._change(DeliveryStatus.PENDING)
        await self._follow_delivery(look_now=uploaded.status != DeliveryStatus.PENDING)
        return self._state

    @workflow.signal
    def delivery_event(self, event: DeliveryEvent) -> None:
        """Maventa's answer about this invoice after a webhook: the API asked Maventa before sending it
        (starters/delivery_notices.py), so it is not the webhook's word; a repeat changes nothing."""
        if self._state.status not in SETTLED:
            self._state.delivery_event = event

    @workflow.query
    def state(self) -> SalesInvoiceState:
        return self._state

    async def _upload(self) -> Uploaded:
        state = self._state
        request = UploadRequest(company_id=state.company_id, invoice_key=state.invoice_key, uuid=state.uuid)
        try:
            return await workflow.execute_activity_method(
                SalesInvoiceActivities.upload_sales_invoice,
                request,
                task_queue=self._input.maventa_task_queue,
                **TIMEOUTS["upload_sales_invoice"].options(),
            )
        except ActivityError as error:
            reason = _reason(error)
            await self._change(DeliveryStatus.REJECTED, reason)
            # A failed run lets the same invoice key be submitted again once the cause is fixed.
            raise ApplicationError(
                f"Sales invoice {state.invoice_key} was not sent: {reason}",
                type="SalesInvoiceRejected",
                non_retryable=True,
            ) from None

    async def _follow_delivery(self, *, look_now: bool) -> None:
        """Wait for the webhook, asking Maventa on a doubling interval in case it never comes."""
        tracking = self._input.tracking
        give_up_at = workflow.now() + tracking.give_up_after
        interval = tracking.first_check_after
        while self._state.status == DeliveryStatus.PENDING:
            if not look_now and self._state.delivery_event is None:
                remaining = give_up_at - workflow.now()
                if remaining <= timedelta(0):
                    await self._change(
                        DeliveryStatus.UNCONFIRMED,
                        f"Maventa had not confirmed delivery after {tracking.give_up_after.days} days; "
                        "see the invoice in Maventa.",
                    )
                    return
                with contextlib.suppress(TimeoutError):
                    await workflow.wait_condition(
                        lambda: self._state.delivery_event is not None, timeout=min(interval, remaining)
                    )
                interval = min(interval * 2, tracking.longest_check_interval)
            look_now = False
            outcome = await self._outcome()
            if outcome.status != DeliveryStatus.PENDING:
                await self._change(outcome.status, outcome.detail)

    async def _outcome(self) -> DeliveryOutcome:
        """A DELIVERED signal is Maventa's own answer (the API asked); a failure or silence is asked of
        Maventa (the reason)."""
        event, self._state.delivery_event = self._state.delivery_event, None
        if event is not None and event.event == DELIVERED_EVENT:
            return DeliveryOutcome(status=DeliveryStatus.DELIVERED)
        assert self._state.maventa_invoice_id is not None
        check = DeliveryCheck(
            company_id=self._state.company_id, maventa_invoice_id=self._state.maventa_invoice_id
        )
        try:
            return await workflow.execute_activity_method(
                SalesInvoiceActivities.check_delivery,
                check,
                task_queue=self._input.maventa_task_queue,
                **TIMEOUTS["check_delivery"].options(),
            )
        except ActivityError as error:
            workflow.logger.warning("delivery check failed, asking again later: %s", _reason(error))
            return DeliveryOutcome(status=DeliveryStatus.PENDING)

    async def _change(self, status: DeliveryStatus, detail: str | None = None) -> None:
        """Keep the change in the history and tell Netvisor (and the store the API reads)."""
        change = StatusChange(status=status, at=workflow.now(), detail=detail)
        self._state.status = status
        self._state.history.append(change)
        report = StatusReport(
            company_id=self._state.company_id,
            invoice_key=self._state.invoice_key,
            status=status,
            at=change.at,
            detail=detail,
        )
        try:
            await workflow.execute_activity_method(
                SalesInvoiceActivities.report_status,
                report,
                **TIMEOUTS["report_status"].options(),
            )
        except ActivityError as error:
            workflow.logger.warning("Netvisor was not told of %s: %s", status.value, _reason(error))
