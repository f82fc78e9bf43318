"""The delivery workflow's own rules, with stand-in activities: silence, refusal, a failure's reason."""

import uuid
from datetime import timedelta

import pytest
from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from workflows.sales_invoice import SalesInvoiceWorkflow
from workflows.sales_invoice_models import (
    FAILED_EVENT,
    DeliveryCheck,
    DeliveryEvent,
    DeliveryOutcome,
    DeliveryStatus,
    Route,
    SalesInvoiceInput,
    StatusReport,
    Uploaded,
    UploadRequest,
)

ROUTE = Route(einvoice_address="003715728600", operator="003721291126")


class StandIns:
    """Maventa and Netvisor as the activities see them; `refusal` makes the upload fail for good."""

    def __init__(self, *, refusal: str | None = None, delivery: DeliveryOutcome | None = None) -> None:
        self.refusal = refusal
        self.delivery = delivery or DeliveryOutcome(status=DeliveryStatus.PENDING)
        self.reports: list[StatusReport] = []
        self.checks = 0

    @activity.defn(name="upload_sales_invoice")
    async def upload(self, request: UploadRequest) -> Uploaded:
        if self.refusal:
            raise ApplicationError(self.refusal, type="SendingNotAllocated", non_retryable=True)
        return Uploaded(maventa_invoice_id=f"mv-{request.uuid}", status=DeliveryStatus.PENDING)

    @activity.defn(name="check_delivery")
    async def check(self, check: DeliveryCheck) -> DeliveryOutcome:
        self.checks += 1
        return self.delivery

    @activity.defn(name="report_status")
    async def report(self, report: StatusReport) -> None:
        self.reports.append(report)


def _worker(client: Client, task_queue: str, stand_ins: StandIns) -> Worker:
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[SalesInvoiceWorkflow],
        activities=[stand_ins.upload, stand_ins.check, stand_ins.report],
    )


def _input() -> SalesInvoiceInput:
    return SalesInvoiceInput(company_id="nv-1", invoice_key=f"inv-{uuid.uuid4().hex[:8]}", route=ROUTE)


async def test_silence_is_followed_on_a_doubling_interval_and_ends_unconfirmed(
    time_skipping_env: WorkflowEnvironment, task_queue: str
) -> None:
    stand_ins = StandIns()
    async with _worker(time_skipping_env.client, task_queue, stand_ins):
        handle = await time_skipping_env.client.start_workflow(
            SalesInvoiceWorkflow.run, _input(), id=f"sales-invoice-{uuid.uuid4()}", task_queue=task_queue
        )
        state = await handle.result()

    assert state.status == DeliveryStatus.UNCONFIRMED
    assert [r.status for r in stand_ins.reports] == [DeliveryStatus.PENDING, DeliveryStatus.UNCONFIRMED]
    assert "14 days" in (stand_ins.reports[-1].detail or "")
    history = await handle.fetch_history()
    timers = [
        e.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta()
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_TIMER_STARTED
    ]
    assert timers[:4] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert max(timers) == timedelta(hours=6)
    assert timedelta(days=14) - timedelta(minutes=1) < sum(timers, timedelta()) <= timedelta(days=14)
    assert stand_ins.checks == len(timers)
    assert len(history.events) < 1_000, "far below the 10,240-event warning: no continue-as-new needed"


async def test_a_refused_upload_is_reported_and_fails_the_run_so_the_key_can_be_sent_again(
    time_skipping_env: WorkflowEnvironment, task_queue: str
) -> None:
    refusal = "Company nv-1 cannot send e-invoices in state NOT_LINKED: link the account."
    stand_ins = StandIns(refusal=refusal)
    async with _worker(time_skipping_env.client, task_queue, stand_ins):
        with pytest.raises(WorkflowFailureError) as failure:
            await time_skipping_env.client.execute_workflow(
                SalesInvoiceWorkflow.run, _input(), id=f"sales-invoice-{uuid.uuid4()}", task_queue=task_queue
            )

    assert refusal in str(failure.value.cause)
    assert [(r.status, r.detail) for r in stand_ins.reports] == [(DeliveryStatus.REJECTED, refusal)]


async def test_a_failed_webhook_is_checked_with_maventa_for_the_reason(
    temporal_client: Client, task_queue: str
) -> None:
    reason = "Recipient's operator refused the invoice"
    stand_ins = StandIns(delivery=DeliveryOutcome(status=DeliveryStatus.FAILED, detail=reason))
    async with _worker(temporal_client, task_queue, stand_ins):
        handle = await temporal_client.start_workflow(
            SalesInvoiceWorkflow.run, _input(), id=f"sales-invoice-{uuid.uuid4()}", task_queue=task_queue
        )
        event = DeliveryEvent(event=FAILED_EVENT, maventa_invoice_id="mv-1")
        await handle.signal(SalesInvoiceWorkflow.delivery_event, event)
        state = await handle.result()

    assert state.status == DeliveryStatus.FAILED
    assert [(change.status, change.detail) for change in state.history] == [
        (DeliveryStatus.SUBMITTED, None),
        (DeliveryStatus.PENDING, None),
        (DeliveryStatus.FAILED, reason),
    ]
    assert [r.status for r in stand_ins.reports] == [DeliveryStatus.PENDING, DeliveryStatus.FAILED]
    assert stand_ins.checks == 1
