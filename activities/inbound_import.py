"""Importing a company's received invoices into Netvisor, exactly once (§4).

The received-invoice ledger is the truth. Netvisor's import has no idempotency key, but it takes a request's
TransactionId only once (docs/facts/netvisor.md §2.2). So an invoice whose earlier attempt may have reached
Netvisor (the ledger still says `importing`) is first sent again as the same request, with the TransactionId
the ledger kept: accepted, the earlier one never reached Netvisor (a worker lost before or while sending it, a
5xx from in front of Netvisor); refused as used, it did, and the invoice is looked up in Netvisor once
Netvisor's list can show it (`recheck_after`; Finvoice imports take about a minute to appear,
docs/facts/netvisor.md §4.1) before it is sent anew. An id is sent again only within `recheck_after` of its
first use. Each company's invoices go one at a time (Netvisor's rule, docs/facts/netvisor.md §1); companies
of a batch go side by side.

Outcomes per invoice: imported, already in Netvisor, outside the import mode (acknowledged, left for manual
transfer), quarantined (unreadable or rejected: set aside for support, acknowledged, never retried by itself)
or waiting (Maventa or Netvisor unavailable, or an uncertain outcome not visible yet). A waiting invoice waits
alone, with its own earliest retry time, and the company's other invoices go on in the same attempt; the
outcome lists it and the sweep's next round comes at the earliest such time (docs/inbound.md). Only what
refuses the company itself (its keys, Netvisor refusing the organisation), Maventa asking the service to slow
down (429) or a service failing several invoices in a row stops the rest of the company's queue.
"""

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, TypeVar

from temporalio import activity

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
from observability.import_steps import observe, timed
from store.database import Sessions, reading, unit_of_work
from store.received_invoices import (
    IMPORTED,
    IMPORTING,
    QUARANTINED,
    Attempt,
    ReceivedInvoice,
    begin_import,
    count_attempt,
    forget_transaction,
    get_received_invoice,
    mark_imported,
    note_uncertain_answer,
    quarantine,
    release_from_quarantine,
    resendable,
    take_back_attempt,
)
from workflows.inbox_models import CompanyInvoices, ImportBatch, ImportOutcome, WaitingInvoice

log = logging.getLogger(__name__)

T = TypeVar("T")

IMAGE_FORMAT = "ORIGINAL_OR_GENERATED_IMAGE"
DOCUMENT_FORMAT = "FINVOICE30"
ATTACHMENT = "ATTACHMENT"
COMPANY_LEVEL_REJECTIONS = frozenset({"AUTHENTICATION_FAILED", "SERVICE_ACCESS_ERROR"})
"""Netvisor refusing the company, not the document: quarantining every invoice would hide the real fault."""
RETRYABLE_REJECTIONS = frozenset({"REQUEST_NOT_UNIQUE"})
"""A reused TransactionId: the next request has a fresh one."""
UNAVAILABLE_IN_A_ROW = 5
"""Maventa or Netvisor failing this many of a company's invoices in a row is an outage, not one invoice's bad
luck: the rest of the company waits instead of each invoice spending its calls on it. Under 40 % failed calls
a run of five happens at about 1 % of the invoices."""

Result = Literal["imported", "already_in_netvisor", "outside_import_mode", "quarantined", "skipped"]


class Deferred(Exception):
    """This invoice waits until `retry_at` (None: as soon as the sweep tries again); trying later can help.

    `unavailable`: a service failed the call, so a run of these is an outage. `whole_company`: the rest of the
    company's invoices wait too (Maventa's Retry-After covers every call).
    """

    def __init__(
        self,
        reason: str,
        retry_at: datetime | None = None,
        *,
        unavailable: bool = True,
        whole_company: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_at = retry_at
        self.unavailable = unavailable
        self.whole_company = whole_company


class CompanyBlocked(Exception):
    """Maventa or Netvisor refuses the company itself; its invoices wait in the queue for a fix."""


@dataclass(frozen=True)
class _Fetched:
    """Maventa's side of an invoice: the invoice, and its import made ready when it is to be imported now (or
    why it cannot be made); None outside the import mode."""

    invoice: Invoice
    received_at: datetime
    prepared: PurchaseInvoiceImport | str | None


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
            outcome = outcome.add(result)
        # `add` sums counts only (the sweep's totals keep no lists): each company's waiting ones go beside.
        outcome.waiting = [waiting for result in results for waiting in result.waiting]
        return outcome

    @asynccontextmanager
    async def _place(self) -> AsyncIterator[None]:
        """One of the worker's places for a company; the wait for it is the `company_place` step."""
        with timed("company_place"):
            await self._slots.acquire()
        try:
            yield
        finally:
            self._slots.release()

    async def _company(self, work: CompanyInvoices, progress: Progress) -> ImportOutcome:
        async with self._place(), Lookahead[_Fetched | None]() as ahead:
            outcome = ImportOutcome()
            company = await company_by_maventa_uuid(self._sessions, work.maventa_company_uuid)
            if company is None:
                log.warning(
                    "received invoices of an unknown company",
                    extra={"maventa_company_uuid": work.maventa_company_uuid},
                )
                return outcome
            creds = await credentials(self._sessions, company)
            todo = [(i, True) for i in work.requested if i not in progress.done] + [
                (i, False) for i in work.queued if i not in progress.done
            ]
            rows = await self._ledger_rows([i for i, _ in todo])
            ahead.plan(
                [i for i, requested in todo if self._reads_maventa(rows.get(i), requested=requested)],
                lambda i: self._fetch(company, creds, i, requested=i in work.requested),
            )
            failed_in_a_row = 0
            for position, (invoice_id, requested) in enumerate(todo):
                try:
                    with timed("invoice"):
                        result = await self._invoice(company, creds, invoice_id, ahead, requested=requested)
                except Deferred as wait:
                    if wait.unavailable:
                        failed_in_a_row += 1
                    stop = wait.whole_company or failed_in_a_row >= UNAVAILABLE_IN_A_ROW
                    waiting = [i for i, _ in todo[position:]] if stop else [invoice_id]
                    outcome.waiting += _waiting(work.maventa_company_uuid, waiting, wait)
                    outcome.deferred += len(waiting)
                    log.info(
                        "received invoices wait",
                        extra={
                            "company_id": company.company_id,
                            "invoice_id": invoice_id,
                            "invoices": len(waiting),
                            "reason": wait.reason,
                        },
                    )
                    if stop:
                        break
                    continue
                except CompanyBlocked as blocked:
                    log.error(
                        "received invoices of a company cannot be imported",
                        extra={"company_id": company.company_id, "reason": str(blocked)},
                    )
                    break
                failed_in_a_row = 0
                if result != "skipped":
                    setattr(outcome, result, getattr(outcome, result) + 1)
                progress.finished(invoice_id)
            return outcome

    async def _invoice(
        self,
        company: ReceivingCompany,
        creds: MaventaCredentials,
        invoice_id: str,
        ahead: Lookahead[_Fetched | None],
        *,
        requested: bool,
    ) -> Result:
        # Read again at the invoice's own turn: a lost attempt's successor may be at the same invoice.
        row = (await self._ledger_rows([invoice_id])).get(invoice_id)
        if row is not None and row.status == IMPORTED:
            await self._acknowledge(creds, invoice_id)
            return "already_in_netvisor"
        if row is not None and row.status == QUARANTINED and not requested:
            await self._acknowledge(creds, invoice_id)
            return "skipped"
        resend = row is not None and row.status == IMPORTING and self._resendable(row)
        looked_up = row is not None and row.status == IMPORTING and row.attempts > 0 and not resend
        if row is not None and looked_up:
            self._wait_until_netvisor_can_tell(row)
        with timed("maventa_reads_wait"):
            fetched = await ahead.take(invoice_id)
        if fetched is None:
            return "skipped"
        invoice, received_at, prepared = fetched.invoice, fetched.received_at, fetched.prepared
        if prepared is None:
            # Left for a manual transfer; one asked for by hand stays in Maventa's queue as it was.
            if not requested:
                await self._acknowledge(creds, invoice_id)
            return "outside_import_mode"
        before = row
        found = None
        if looked_up and not isinstance(prepared, str):
            found = await self._earlier_attempt_in_netvisor(company, invoice_id, prepared)
        row = await self._begin(company, invoice, received_at, release=requested)
        if row.status != IMPORTING:
            await self._acknowledge(creds, invoice_id)
            return "already_in_netvisor" if row.status == IMPORTED else "skipped"
        if isinstance(prepared, str):
            await self._quarantine(invoice_id, prepared)
            await self._acknowledge(creds, invoice_id)
            return "quarantined"
        netvisor_key = found
        if netvisor_key is None:
            # Only a look-up lets a new request go after one that may have reached Netvisor; a resend decided
            # above sends nothing if its id goes stale before the request holds its turn.
            seen = None if resend else before.attempts if before is not None and looked_up else 0
            netvisor_key = await self._send(company, invoice_id, seen, prepared)
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

    def _reads_maventa(self, row: ReceivedInvoice | None, *, requested: bool) -> bool:
        """Whether the invoice's turn will read it at Maventa, as `_invoice` decides from the ledger: not when
        the ledger settles it or makes it wait, so the lookahead spends no request on it. Only the plan of
        reads ahead follows this guess; `_invoice` decides again at the invoice's turn."""
        if row is None:
            return True
        if row.status == IMPORTED:
            return False
        if row.status == QUARANTINED:
            return requested
        now = datetime.now(UTC)
        return row.attempts == 0 or self._resendable(row) or now >= row.updated_at + self._recheck_after

    def _resendable(self, row: ReceivedInvoice) -> bool:
        """The earlier attempt's request may be sent again as it was (its TransactionId): at once."""
        return resendable(row, self._recheck_after, datetime.now(UTC))

    def _wait_until_netvisor_can_tell(self, row: ReceivedInvoice) -> None:
        """An earlier attempt may have reached Netvisor: look only once Netvisor's list can show it."""
        ready_at = row.updated_at + self._recheck_after
        if datetime.now(UTC) < ready_at:
            raise Deferred(
                "an earlier attempt's outcome is not visible in Netvisor yet", ready_at, unavailable=False
            )

    async def _prepare(self, creds: MaventaCredentials, invoice: Invoice) -> PurchaseInvoiceImport | str:
        """The import ready to send, or why it cannot be made (the quarantine reason)."""
        try:
            with timed("maventa_download"):
                document = await self._maventa.download_invoice(creds, invoice.id, DOCUMENT_FORMAT)
            with timed("maventa_download"):
                image = await self._maventa.download_invoice(creds, invoice.id, IMAGE_FORMAT)
            files = []
            for file in invoice.files:
                if file.type in (None, ATTACHMENT):
                    with timed("maventa_download"):
                        content = await self._maventa.download_file(creds, invoice.id, file.id)
                    files.append(
                        ReceivedFile(
                            filename=file.filename or f"{file.id}.pdf",
                            mime_type=file.mimetype or "application/octet-stream",
                            content=content,
                        )
                    )
        except MaventaUnavailable as error:
            raise _maventa_deferred(error) from None
        except MaventaUnauthorized as error:
            raise CompanyBlocked(error.message) from None
        except MaventaRequestError as error:
            return f"Maventa could not give the document: {error.message}"
        try:
            with timed("parse"):
                received = await read_received_document(document)
        except UnparsableInvoice as error:
            return f"The document cannot be read as an invoice: {error.reason}"
        return purchase_invoice(invoice, received, image, files)

    async def _earlier_attempt_in_netvisor(
        self, company: ReceivingCompany, invoice_id: str, invoice: PurchaseInvoiceImport
    ) -> str | None:
        """Netvisor's key if an earlier, uncertain attempt reached it, looked up before this attempt is
        counted: a look-up sends nothing, so one that fails leaves the ledger as it was and the next attempt
        may look again at once instead of after another recheck delay."""
        try:
            found = await self._find_in_netvisor(company.organisation_id, invoice)
        except NetvisorUnavailable as error:
            raise Deferred(f"Netvisor, looking the invoice up: {error.message}") from None
        except NetvisorRejected as error:
            if error.code in COMPANY_LEVEL_REJECTIONS:
                raise CompanyBlocked(f"Netvisor: {error}") from None
            raise Deferred(f"Netvisor, looking the invoice up: {error}") from None
        if found is not None:
            log.info("found in Netvisor after an uncertain attempt", extra={"invoice_id": invoice_id})
        return found

    async def _send(
        self, company: ReceivingCompany, invoice_id: str, seen: int | None, invoice: PurchaseInvoiceImport
    ) -> str | None:
        """Netvisor's key of the invoice, sent now; None once quarantined.

        The attempt is counted once its request holds the organisation's turn at Netvisor: counted before a
        long wait for the turn, its `updated_at` would let another attempt look the invoice up and send it
        anew before this request had even gone."""
        counted: list[Attempt] = []
        asked = time.perf_counter()
        sent: list[float] = []

        async def count_at_turn() -> str:
            observe("netvisor_turn", time.perf_counter() - asked)
            attempt = await self._count(invoice_id, seen)
            if attempt is None:
                # Another attempt counted since this one read the ledger, or the id this one was to send
                # again went stale meanwhile: the next round reads the ledger anew, and waits for Netvisor's
                # list from the last request's time as any attempt does.
                raise Deferred(
                    "an earlier request at this invoice may have reached Netvisor", unavailable=False
                )
            counted.append(attempt)
            sent.append(time.perf_counter())
            return attempt.transaction_id

        try:
            return str(
                await self._netvisor.import_purchase_invoice(
                    company.organisation_id, invoice, at_its_turn=count_at_turn
                )
            )
        except (NetvisorUnavailable, NetvisorRejected) as error:
            if not counted:
                raise
            failed = error
        finally:
            if sent:
                observe("netvisor_import", time.perf_counter() - sent[0])
        return await self._after_failed_send(invoice_id, counted[0], failed)

    async def _after_failed_send(
        self, invoice_id: str, attempt: Attempt, error: NetvisorUnavailable | NetvisorRejected
    ) -> str | None:
        """What the ledger keeps of an attempt Netvisor did not answer with a key; None once quarantined."""
        if isinstance(error, NetvisorUnavailable):
            if not error.uncertain:
                await self._take_back(invoice_id, attempt)
                raise Deferred(f"Netvisor: {error.message}")
            # The next attempt sends this same request again at once (its TransactionId, in the ledger). A
            # look-up, once the id is no longer sent, waits the recheck from now: Netvisor may take it now.
            await self._note_uncertain(invoice_id, attempt)
            raise Deferred(f"Netvisor: {error.message}; the same request goes again")
        if error.code in COMPANY_LEVEL_REJECTIONS:
            await self._take_back(invoice_id, attempt)
            raise CompanyBlocked(f"Netvisor: {error}")
        if error.code in RETRYABLE_REJECTIONS and attempt.previous[2] == attempt.transaction_id:
            # The earlier request (this one's TransactionId, sent again) reached Netvisor: only its list can
            # tell whether it was imported, and only `recheck_after` from now (never later than the ledger's).
            await self._forget_transaction(invoice_id, attempt)
            raise Deferred(
                "an earlier attempt reached Netvisor; looked up once Netvisor can show it",
                self._ready_to_look_up(),
                unavailable=False,
            )
        if error.code in RETRYABLE_REJECTIONS:
            await self._take_back(invoice_id, attempt)
            raise Deferred(f"Netvisor: {error}", unavailable=False)
        await self._quarantine(invoice_id, f"Netvisor rejected the invoice: {error}")
        return None

    def _ready_to_look_up(self) -> datetime:
        return datetime.now(UTC) + self._recheck_after

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
            with timed("maventa_get"):
                return await self._maventa.get_invoice(creds, invoice_id)
        except MaventaUnavailable as error:
            raise _maventa_deferred(error) from None
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
            with timed("maventa_handled"):
                await self._maventa.mark_handled(creds, invoice_id)
        except MaventaUnavailable as error:
            raise _maventa_deferred(error) from None
        except MaventaUnauthorized as error:
            raise CompanyBlocked(error.message) from None
        except MaventaRequestError as error:
            if error.status != 404:
                raise CompanyBlocked(error.message) from None

    async def _ledger_rows(self, invoice_ids: list[str]) -> dict[str, ReceivedInvoice]:
        """The invoices' ledger rows, those that have one."""

        def read() -> dict[str, ReceivedInvoice]:
            rows: dict[str, ReceivedInvoice] = {}
            with reading(self._sessions) as session:
                for invoice_id in invoice_ids:
                    row = get_received_invoice(session, invoice_id)
                    if row is not None:
                        session.expunge(row)
                        rows[invoice_id] = row
            return rows

        return await self._store("ledger_read", read)

    async def _begin(
        self,
        company: ReceivingCompany,
        invoice: Invoice,
        received_at: datetime,
        *,
        release: bool,
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

        return await self._store("ledger_begin", write)

    async def _quarantine(self, invoice_id: str, reason: str) -> None:
        def write() -> None:
            with unit_of_work(self._sessions) as session:
                quarantine(session, invoice_id, reason[:4000])

        log.warning("received invoice quarantined", extra={"invoice_id": invoice_id, "reason": reason})
        await self._store("ledger_other", write)

    async def _count(self, invoice_id: str, seen: int | None) -> Attempt | None:
        def write() -> Attempt | None:
            with unit_of_work(self._sessions) as session:
                return count_attempt(session, invoice_id, seen=seen, resend_for=self._recheck_after)

        return await self._store("ledger_count", write)

    async def _take_back(self, invoice_id: str, attempt: Attempt) -> None:
        """Netvisor certainly took nothing from this attempt: the ledger forgets it (take_back_attempt)."""

        def write() -> None:
            with unit_of_work(self._sessions) as session:
                take_back_attempt(session, invoice_id, attempt)

        await self._store("ledger_other", write)

    async def _note_uncertain(self, invoice_id: str, attempt: Attempt) -> None:
        def write() -> None:
            with unit_of_work(self._sessions) as session:
                note_uncertain_answer(session, invoice_id, counted=attempt.counted)

        await self._store("ledger_other", write)

    async def _forget_transaction(self, invoice_id: str, attempt: Attempt) -> None:
        def write() -> None:
            with unit_of_work(self._sessions) as session:
                forget_transaction(session, invoice_id, counted=attempt.counted)

        await self._store("ledger_other", write)

    async def _record_imported(self, invoice_id: str, netvisor_key: str) -> None:
        def write() -> None:
            with unit_of_work(self._sessions) as session:
                mark_imported(session, invoice_id, netvisor_key)

        await self._store("ledger_imported", write)

    @staticmethod
    async def _store(step: str, call: Callable[[], T]) -> T:
        """A store call in a thread (the store is synchronous), timed as `step`, its wait for a thread too."""
        handed = time.perf_counter()

        def run() -> T:
            observe("store_thread", time.perf_counter() - handed)
            return call()

        with timed(step):
            return await asyncio.to_thread(run)


def _maventa_deferred(error: MaventaUnavailable) -> Deferred:
    """A 429's Retry-After holds for every call, so the rest of the company waits with this invoice."""
    after = error.retry_after_s
    retry_at = datetime.now(UTC) + timedelta(seconds=after) if after is not None else None
    return Deferred(error.message, retry_at, whole_company=error.status == 429)


def _waiting(company_uuid: str, invoice_ids: list[str], wait: Deferred) -> list[WaitingInvoice]:
    retry_at = wait.retry_at or datetime.now(UTC)
    return [
        WaitingInvoice(
            maventa_company_uuid=company_uuid, invoice_id=i, retry_at=retry_at, reason=wait.reason[:200]
        )
        for i in invoice_ids
    ]
