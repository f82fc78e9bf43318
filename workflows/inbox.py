"""The inbox sweep: every received invoice of every company linked to the vendor key, into Netvisor (§4).

One workflow reads Maventa's partner-wide queue of received-invoice events, so discovery costs the same for
100,000 idle companies as for one. A round runs when Maventa's webhook says something arrived, when someone
asks for invoices by hand, when invoices a round left waiting can be tried again (each has its earliest retry
time; workflows/inbox_schedule.py), or when the backstop timer fires, which is there for webhooks lost while
everything runs; notices that arrive during a round make one more round, not one each. A round packs the
companies that have invoices into import activities; a company is always in exactly one of them and rounds
never overlap, so Netvisor sees one request at a time per company. docs/inbound.md explains the costs.
"""

import asyncio
import contextlib
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.inbound_import import InboundImportActivities
    from activities.inbound_queue import InboundQueueActivities
    from workflows.activity_timeouts import TIMEOUTS
    from workflows.inbox_models import (
        CompanyInvoices,
        ImportBatch,
        ImportOutcome,
        InboxState,
        QueueRequest,
        QueueSnapshot,
        ReceivedNotice,
        TransferRequest,
    )
    from workflows.inbox_schedule import longest_pause, next_retry

INVOICES_PER_COMPANY_PER_ROUND = 100


def pack(companies: list[CompanyInvoices], invoices_per_activity: int) -> list[list[CompanyInvoices]]:
    """Whole companies into batches of about `invoices_per_activity` invoices, in the order given."""
    batches: list[list[CompanyInvoices]] = []
    current: list[CompanyInvoices] = []
    size = 0
    for company in companies:
        current.append(company)
        size += company.size
        if size >= invoices_per_activity:
            batches.append(current)
            current, size = [], 0
    if current:
        batches.append(current)
    return batches


@workflow.defn(name="MaventaInbox")
class InboxWorkflow:
    @workflow.init
    def __init__(self, state: InboxState) -> None:
        self._state = state
        self._backstop_due = False

    @workflow.run
    async def run(self, state: InboxState) -> None:
        backstop = self._backstop()
        while True:
            await self._round_due()
            if self._backstop_due:
                backstop = self._backstop()
            self._state.wake = False
            await self._round()
            workflow.set_current_details(self._details())
            if workflow.info().is_continue_as_new_suggested():
                await workflow.wait_condition(workflow.all_handlers_finished)
                backstop.cancel()
                workflow.continue_as_new(self._state)

    @workflow.signal
    def received(self, notice: ReceivedNotice) -> None:
        """Maventa's webhook or a starting worker: one more round, however many notices come before it starts.

        A worker's notice brings its settings' pacing, so a sweep that runs for years follows the deployed
        timeouts (workflows/activity_timeouts.py) instead of those it was started with."""
        if notice.options is not None:
            self._state.options = notice.options
        self._state.wake = True

    @workflow.signal
    def transfer(self, request: TransferRequest) -> None:
        """Invoices asked for by hand go into the next round, through the same one-at-a-time import."""
        waiting = self._state.requested.setdefault(request.maventa_company_uuid, [])
        waiting.extend(i for i in request.invoice_ids if i not in waiting)
        self._state.wake = True

    @workflow.query
    def status(self) -> InboxState:
        return self._state

    async def _round_due(self) -> None:
        """Until a notice, a request, the backstop, or the moment invoices left waiting can be tried again."""
        retry_at = self._state.retry_at
        if retry_at is None:
            await workflow.wait_condition(lambda: self._state.wake or self._backstop_due)
            return
        wait = retry_at - workflow.now()
        if wait <= timedelta(0):
            return
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(
                lambda: self._state.wake or self._backstop_due,
                timeout=wait,
                timeout_summary="retry waiting received invoices",
            )

    def _backstop(self) -> asyncio.Task[None]:
        """One timer per backstop period, not one per round: a busy sweep costs no extra timers."""
        self._backstop_due = False

        async def sleep() -> None:
            await workflow.sleep(self._state.options.backstop_every, summary="backstop sweep")
            self._backstop_due = True

        return asyncio.create_task(sleep())

    async def _round(self) -> None:
        options = self._state.options
        requested, self._state.requested = self._state.requested, {}
        try:
            snapshot = await workflow.execute_activity_method(
                InboundQueueActivities.read_received_queue,
                QueueRequest(
                    invoices_per_round=options.invoices_per_round,
                    invoices_per_company=INVOICES_PER_COMPANY_PER_ROUND,
                ),
                task_queue=options.maventa_task_queue,
                **TIMEOUTS["read_received_queue"].options(),
                summary="read Maventa's queue of received invoices",
            )
        except ActivityError as error:
            workflow.logger.warning("the received-invoice queue could not be read: %s", error.cause)
            snapshot, gave_up = QueueSnapshot(), True
        else:
            gave_up = False
        self._state.rounds += 1
        companies = _with_requested(snapshot.companies, requested)
        batches = pack(companies, options.invoices_per_activity)
        results = await asyncio.gather(*(self._import(batch) for batch in batches), return_exceptions=True)
        retry_times: list[datetime] = []
        progressed = False
        for batch, result in zip(batches, results, strict=True):
            if isinstance(result, ImportOutcome):
                self._state.totals = self._state.totals.add(result)
                progressed = progressed or result.settled > 0
                if result.retry_at is not None:
                    retry_times.append(result.retry_at)
                self._keep_requested(batch, {w.invoice_id for w in result.waiting})
            elif isinstance(result, ActivityError):
                workflow.logger.warning("an import batch gave up for this round: %s", result.cause)
                gave_up = True
                self._keep_requested(batch)
            elif isinstance(result, BaseException):
                raise result
        self._state.retry_at, self._state.fruitless_rounds = next_retry(
            workflow.now(),
            options,
            retry_times=retry_times,
            gave_up=gave_up,
            progressed=progressed,
            fruitless_rounds=self._state.fruitless_rounds,
        )
        if snapshot.more:
            self._state.wake = True

    async def _import(self, companies: list[CompanyInvoices]) -> ImportOutcome:
        options = self._state.options
        invoices = sum(c.size for c in companies)
        return await workflow.execute_activity_method(
            InboundImportActivities.import_received,
            ImportBatch(companies=companies),
            task_queue=options.maventa_task_queue,
            start_to_close_timeout=options.import_timeout,
            heartbeat_timeout=options.import_heartbeat_timeout,
            retry_policy=RetryPolicy(
                initial_interval=options.import_retry_first,
                backoff_coefficient=2.0,
                maximum_interval=longest_pause(options),
                maximum_attempts=options.import_attempts,
            ),
            summary=f"import {invoices} received invoices of {len(companies)} companies",
        )

    def _keep_requested(self, batch: list[CompanyInvoices], only: set[str] | None = None) -> None:
        """Invoices asked for by hand are not in Maventa's queue any more: keep them for a later round (all of
        them, or `only` those left waiting)."""
        for company in batch:
            kept = [i for i in company.requested if only is None or i in only]
            if kept:
                waiting = self._state.requested.setdefault(company.maventa_company_uuid, [])
                waiting.extend(i for i in kept if i not in waiting)

    def _details(self) -> str:
        totals = self._state.totals
        return (
            f"{self._state.rounds} rounds; imported {totals.imported}, already in Netvisor "
            f"{totals.already_in_netvisor}, quarantined {totals.quarantined}, outside import mode "
            f"{totals.outside_import_mode}"
        )


def _with_requested(queued: list[CompanyInvoices], requested: dict[str, list[str]]) -> list[CompanyInvoices]:
    """One entry per company, so a company's queued and requested invoices go through one import."""
    by_company = {c.maventa_company_uuid: c.model_copy(deep=True) for c in queued}
    for company_uuid, invoice_ids in requested.items():
        entry = by_company.setdefault(company_uuid, CompanyInvoices(maventa_company_uuid=company_uuid))
        entry.requested = list(invoice_ids)
        entry.queued = [i for i in entry.queued if i not in invoice_ids]
    return list(by_company.values())
