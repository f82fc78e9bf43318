"""Importing a company's received invoices into Netvisor, exactly once (§4).

The received-invoice ledger is the truth. Netvisor's import has no idempotency key, so an invoice whose
earlier attempt may have reached Netvisor (the ledger still says `importing`) is looked up there before it is
sent again, and only after Netvisor's list can show it (`recheck_after`; Finvoice imports take about a minute
to appear, docs/facts/netvisor.md §4.1). Each company's invoices go one at a time (Netvisor's rule,
docs/facts/netvisor.md §1); companies of a batch go side by side.

Outcomes per invoice: imported, already in Netvisor, outside the import mode (acknowledged, left for manual
transfer), quarantined (unreadable or rejected: set aside for support, acknowledged, never retried by itself)
or deferred (Maventa or Netvisor unavailable: the activity is retried, then the next round tries again).
"""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.document_reading import read_received_document
from activities.inbound_companies import ReceivingCompany, company_by_maventa_uuid, credentials
from activities.inbound_lookahead import Lookahead
from activities.inbound_mapping import ReceivedFile, channel_of, purchase_invoice
from clients.maventa import (
    Invoice,
    MaventaClient,
    MaventaCredentials,
    MaventaRequestError,
    MaventaUnauthorized,
    MaventaUnavailable,
)
from clients.netvisor import NetvisorClient, NetvisorRejected, NetvisorUnavailable
from clients.netvisor_models import PurchaseInvoiceImport
from domain.finvoice import UnparsableInvoice
from store.database import Sessions, reading, unit_of_work
from store.received_invoices import (
    IMPORTED,
    IMPORTING,
    QUARANTINED,
    ReceivedInvoice,
    begin_import,
    get_received_invoice,
    mark_imported,
    quarantine,
    release_from_quarantine,
)
from workflows.inbox_models import CompanyInvoices, ImportBatch, ImportOutcome

log = logging.getLogger(__name__)

IMAGE_FORMAT = "ORIGINAL_OR_GENERATED_IMAGE"
DOCUMENT_FORMAT = "FINVOICE30"
ATTACHMENT = "ATTACHMENT"
COMPANY_LEVEL_REJECTIONS = frozenset({"AUTHENTICATION_FAILED", "SERVICE_ACCESS_ERROR"})
"""Netvisor refusing the company, not the document: quarantining every invoice would hide the real fault."""
RETRYABLE_REJECTIONS = frozenset({"REQUEST_NOT_UNIQUE"})
"""A reused TransactionId: the next request has a fresh one."""

Result = Literal["imported", "already_in_netvisor", "outside_import_mode", "quarantined", "skipped"]


class Deferred(Exception):
    """This invoice, and the company's others after it, wait: trying again later can help."""

    def __init__(self, reason: str, retry_after: timedelta | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class CompanyBlocked(Exception):
    """Maventa or Netvisor refuses the company itself; its invoices wait in the queue for a fix."""


@dataclass(frozen=True)
class _Fetched:
    """Maventa's side of an invoice: the invoice, and its import made ready when it is to be imported now (or
    why it cannot be made); None outside the import mode."""

    invoice: Invoice
    received_at: datetime
    prepared: PurchaseInvoiceImport | str | None


@dataclass
class _CompanyResult:
    outcome: ImportOutcome
    deferred: Deferred | None = None


class Progress:
    """Invoices finished in earlier attempts (heartbeat details) and in this one.

    Heartbeats are billed, so a batch that ends within `beat_every` sends none; a longer one beats from a
    background task, which also covers a single slow Netvisor call.
    """

    def __init__(self, beat_every: float) -> None:
        details = activity.info().heartbeat_details
        self.done: set[str] = set(details[0]) if details else set()
        self._beat_every = beat_every

    def finished(self, invoice_id: str) -> None:
        self.done.add(invoice_id)

    @asynccontextmanager
    async def heartbeating(self) -> AsyncIterator[None]:
        async def beat() -> None:
            while True:
                await asyncio.sleep(self._beat_every)
                activity.heartbeat(sorted(self.done))

        task = asyncio.create_task(beat())
        try:
            yield
        finally:
            task.cancel()


class InboundImportActivities:
    def __init__(
        self,
        maventa: MaventaClient,
        netvisor: NetvisorClient,
        sessions: Sessions,
        *,
        recheck_after: timedelta = timedelta(seconds=90),
        companies_side_by_side: int = 8,
    ) -> None:
        self._maventa = maventa
        self._netvisor = netvisor
        self._sessions = sessions
        self._recheck_after = recheck_after
        self._slots = asyncio.Semaphore(companies_side_by_side)

    @activity.defn
    async def import_received(self, batch: ImportBatch) -> ImportOutcome:
        timeout = activity.info().heartbeat_timeout
        progress = Progress(beat_every=timeout.total_seconds() / 3 if timeout else 60.0)
        async with progress.heartbeating():
            results = await asyncio.gather(*(self._company(work, progress) for work in batch.companies))
        outcome = ImportOutcome()
        for result in results:
            outcome = outcome.add(result.outcome)
        waits = [r.deferred for r in results if r.deferred is not None]
        if waits:
            delays = [w.retry_after for w in waits if w.retry_after is not None]
            raise ApplicationError(
                f"{outcome.deferred} received invoices wait: {waits[0].reason}",
                type="ImportDeferred",
                next_retry_delay=max(delays) if delays else None,
            )
        return outcome

    async def _company(self, work: CompanyInvoices, progress: Progress) -> _CompanyResult:
        async with self._slots, Lookahead[_Fetched | None]() as ahead:
            outcome = ImportOutcome()
            company = await company_by_maventa_uuid(self._sessions, work.maventa_company_uuid)
            if company is None:
                log.warning(
                    "received invoices of an unknown company",
                    extra={"maventa_company_uuid": work.maventa_company_uuid},
                )
                return _CompanyResult(outcome)
            creds = await credentials(self._sessions, company)
            todo = [(i, True) for i in work.requested] + [(i, False) for i in work.queued]
            ahead.plan(
                [i for i, _ in todo if i not in progress.done],
                lambda i: self._fetch(company, creds, i, requested=i in work.requested),
            )
            for position, (invoice_id, requested) in enumerate(todo):
                if invoice_id in progress.done:
                    continue
                try:
                    result = await self._invoice(company, creds, invoice_id, ahead, requested=requested)
                except Deferred as wait:
                    outcome.deferred += len(todo) - position
                    log.info(
                        "received invoices wait",
                        extra={
                            "company_id": company.company_id,
                            "invoice_id": invoice_id,
                            "reason": wait.reason,
                        },
                    )
                    return _CompanyResult(outcome, wait)
                except CompanyBlocked as blocked:
                    log.error(
                        "received invoices of a company cannot be imported",
                        extra={"company_id": company.company_id, "reason": str(blocked)},
                    )
                    return _CompanyResult(outcome)
                if result != "skipped":
                    setattr(outcome, result, getattr(outcome, result) + 1)
                progress.finished(invoice_id)
            return _CompanyResult(outcome)

    async def _invoice(
        self,
        company: ReceivingCompany,
        creds: MaventaCredentials,
        invoice_id: str,
        ahead: Lookahead[_Fetched | None],
        *,
        requested: bool,
    ) -> Result:
        row = await self._ledger_row(invoice_id)
        if row is not None and row.status == IMPORTED:
            await self._acknowledge(creds, invoice_id)
            return "already_in_netvisor"
        if row is not None and row.status == QUARANTINED and not requested:
            await self._acknowledge(creds, invoice_id)
            return "skipped"
        if row is not None and row.status == IMPORTING and row.attempts > 0:
            self._wait_until_netvisor_can_tell(row)
        fetched = await ahead.take(invoice_id)
        if fetched is None:
            return "skipped"
        invoice, received_at, prepared = fetched.invoice, fetched.received_at, fetched.prepared
        if prepared is None:
            # Left for a manual transfer; one asked for by hand stays in Maventa's queue as it was.
            if not requested:
                await self._acknowledge(creds, invoice_id)
            return "outside_import_mode"
        row = await self._begin(company, invoice, received_at, release=requested)
        if row.status != IMPORTING:
            await self._acknowledge(creds, invoice_id)
            return "already_in_netvisor" if row.status == IMPORTED else "skipped"
        if isinstance(prepared, str):
            await self._quarantine(invoice_id, prepared)
            await self._acknowledge(creds, invoice_id)
            return "quarantined"
        netvisor_key = await self._send_once(company, row, prepared)
        if netvisor_key is None:
            await self._acknowledge(creds, invoice_id)
            return "quarantined"
        await self._record_imported(invoice_id, netvisor_key)
        await self._acknowledge(creds, invoice_id)
        return "imported"

    async def _fetch(
        self, company: ReceivingCompany, creds: MaventaCredentials, invoice_id: str, *, requested: bool
    ) -> _Fetched | None:
        """Only Maventa's reads, so they can run before the invoice's turn (inbound_lookahead.py)."""
        invoice = await self._get_invoice(creds, invoice_id)
        if invoice is None:
            return None
        received_at = invoice.received_at or datetime.now(UTC)
        now = company.receives and (requested or company.imports_automatically(received_at))
        return _Fetched(invoice, received_at, await self._prepare(creds, invoice) if now else None)

    def _wait_until_netvisor_can_tell(self, row: ReceivedInvoice) -> None:
        """An earlier attempt may have reached Netvisor: look only once Netvisor's list can show it."""
        ready_at = row.updated_at + self._recheck_after
        now = datetime.now(UTC)
        if now < ready_at:
            raise Deferred("an earlier attempt's outcome is not visible in Netvisor yet", ready_at - now)

    async def _prepare(self, creds: MaventaCredentials, invoice: Invoice) -> PurchaseInvoiceImport | str:
        """The import ready to send, or why it cannot be made (the quarantine reason)."""
        try:
            document = await self._maventa.download_invoice(creds, invoice.id, DOCUMENT_FORMAT)
            image = await self._maventa.download_invoice(creds, invoice.id, IMAGE_FORMAT)
            files = [
                ReceivedFile(
                    filename=file.filename or f"{file.id}.pdf",
                    mime_type=file.mimetype or "application/octet-stream",
                    content=await self._maventa.download_file(creds, invoice.id, file.id),
                )
                for file in invoice.files
                if file.type in (None, ATTACHMENT)
            ]
        except MaventaUnavailable as error:
            raise Deferred(error.message, _seconds(error.retry_after_s)) from None
        except MaventaUnauthorized as error:
            raise CompanyBlocked(error.message) from None
        except MaventaRequestError as error:
            return f"Maventa could not give the document: {error.message}"
        try:
            received = await read_received_document(document)
        except UnparsableInvoice as error:
            return f"The document cannot be read as an invoice: {error.reason}"
        return purchase_invoice(invoice, received, image, files)

    async def _send_once(
        self, company: ReceivingCompany, row: ReceivedInvoice, invoice: PurchaseInvoiceImport
    ) -> str | None:
        """Netvisor's key of the invoice, sent now or found from an earlier attempt; None once quarantined."""
        organisation = company.organisation_id
        try:
            if row.attempts > 1:
                found = await self._find_in_netvisor(organisation, invoice)
                if found is not None:
                    log.info(
                        "found in Netvisor after an uncertain attempt",
                        extra={"invoice_id": row.maventa_invoice_id},
                    )
                    return found
            return str(await self._netvisor.import_purchase_invoice(organisation, invoice))
        except NetvisorUnavailable as error:
            retry_after = self._recheck_after if error.uncertain else None
            raise Deferred(f"Netvisor: {error.message}", retry_after) from None
        except NetvisorRejected as error:
            if error.code in COMPANY_LEVEL_REJECTIONS:
                raise CompanyBlocked(f"Netvisor: {error}") from None
            if error.code in RETRYABLE_REJECTIONS:
                raise Deferred(f"Netvisor: {error}") from None
            await self._quarantine(row.maventa_invoice_id, f"Netvisor rejected the invoice: {error}")
            return None

    async def _find_in_netvisor(self, organisation: str, invoice: PurchaseInvoiceImport) -> str | None:
        listed = await self._netvisor.list_purchase_invoices(
            organisation,
            begin_date=invoice.invoice_date,
            end_date=invoice.invoice_date,
            invoice_number=invoice.invoice_number,
        )
        return next((str(row.netvisor_key) for row in listed if row.matches(invoice)), None)

    async def _get_invoice(self, creds: MaventaCredentials, invoice_id: str) -> Invoice | None:
        try:
            return await self._maventa.get_invoice(creds, invoice_id)
        except MaventaUnavailable as error:
            raise Deferred(error.message, _seconds(error.retry_after_s)) from None
        except MaventaUnauthorized as error:
            raise CompanyBlocked(error.message) from None
        except MaventaRequestError as error:
            log.warning(
                "received invoice unknown at Maventa",
                extra={"invoice_id": invoice_id, "error": error.message},
            )
            return None

    async def _acknowledge(self, creds: MaventaCredentials, invoice_id: str) -> None:
        """HANDLED at Maventa: the event leaves the queue. An invoice without an event has nothing to mark."""
        try:
            await self._maventa.mark_handled(creds, invoice_id)
        except MaventaUnavailable as error:
            raise Deferred(error.message, _seconds(error.retry_after_s)) from None
        except MaventaUnauthorized as error:
            raise CompanyBlocked(error.message) from None
        except MaventaRequestError as error:
            if error.status != 404:
                raise CompanyBlocked(error.message) from None

    async def _ledger_row(self, invoice_id: str) -> ReceivedInvoice | None:
        def read() -> ReceivedInvoice | None:
            with reading(self._sessions) as session:
                row = get_received_invoice(session, invoice_id)
                if row is not None:
                    session.expunge(row)
                return row

        return await asyncio.to_thread(read)

    async def _begin(
        self, company: ReceivingCompany, invoice: Invoice, received_at: datetime, *, release: bool
    ) -> ReceivedInvoice:
        def write() -> ReceivedInvoice:
            with unit_of_work(self._sessions) as session:
                if release:
                    existing = get_received_invoice(session, invoice.id)
                    if existing is not None and existing.status == QUARANTINED:
                        release_from_quarantine(session, invoice.id)
                row = begin_import(
                    session,
                    company.company_id,
                    invoice.id,
                    channel=channel_of(invoice),
                    received_at=received_at,
                    number=invoice.number,
                    origin=invoice.origin,
                )
                session.flush()
                session.expunge(row)
                return row

        return await asyncio.to_thread(write)

    async def _quarantine(self, invoice_id: str, reason: str) -> None:
        def write() -> None:
            with unit_of_work(self._sessions) as session:
                quarantine(session, invoice_id, reason[:4000])

        log.warning("received invoice quarantined", extra={"invoice_id": invoice_id, "reason": reason})
        await asyncio.to_thread(write)

    async def _record_imported(self, invoice_id: str, netvisor_key: str) -> None:
        def write() -> None:
            with unit_of_work(self._sessions) as session:
                mark_imported(session, invoice_id, netvisor_key)

        await asyncio.to_thread(write)


def _seconds(value: float | None) -> timedelta | None:
    return timedelta(seconds=value) if value is not None else None
