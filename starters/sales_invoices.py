"""Submitting sales invoices and reading their delivery (R5); the HTTP API and the webhook receiver use these.

A submission is checked (Finvoice 3.0 that the hardened parser reads, or a JSON invoice rendered here),
stored with its image and attachments, registered, and handed to its delivery workflow. The same invoice key
is one invoice: a repeat answers the first one's status and starts nothing new, a different document under a
used key is refused, and only an invoice that never left (REJECTED) may be sent again.
"""

import asyncio
import base64
import binascii
import codecs
import contextlib
import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from clients.maventa_package import upload_package
from domain.finvoice import DocumentFormat, SalesInvoice, UnparsableInvoice, parse_invoice, render_finvoice
from domain.finvoice.decoding import CHARACTER_SETS
from domain.identifiers import (
    MAVENTA_OPERATOR,
    InvalidIdentifier,
    einvoice_address_for,
    normalise_business_id,
)
from settings import Settings
from starters.api.sales_invoice_requests import (
    MAX_FILE_BYTES,
    BatchOutcome,
    RouteView,
    SalesInvoiceRequest,
    SalesInvoiceView,
    StatusEntry,
)
from store.companies import Company, get_company
from store.database import Sessions, unit_of_work
from store.sales_invoice_documents import FINVOICE_30, OutboundDocuments, StoredSubmission
from store.sent_invoices import (
    SentInvoice,
    get_sent_invoice,
    record_status,
    register_sent_invoice,
)
from workflows.connection_policy import sending_refusal
from workflows.sales_invoice import SalesInvoiceWorkflow
from workflows.sales_invoice_models import (
    DeliveryStatus,
    Route,
    SalesInvoiceInput,
    Tracking,
    maventa_uuid,
    workflow_id,
)

log = logging.getLogger(__name__)

BATCH_CONCURRENCY = 16
_XML_ENCODING = re.compile(
    rb"""^\s{0,100}<\?xml[^>]{0,400}?\bencoding\s{0,40}=\s{0,40}["']([A-Za-z0-9._-]{1,40})["']"""
)


def delivery_tracking(settings: Settings) -> Tracking:
    """How delivery is followed when no webhook comes (the SALES_INVOICE_* settings)."""
    return Tracking(
        first_check_after=timedelta(seconds=settings.sales_invoice_first_check_s),
        longest_check_interval=timedelta(seconds=settings.sales_invoice_longest_check_interval_s),
        give_up_after=timedelta(days=settings.sales_invoice_tracking_days),
    )


class InvoiceRejected(ValueError):
    """The submission cannot be sent as it is (422); the message names the problem."""


class SendingNotAllocated(Exception):
    """The company cannot send e-invoices in its current state (409); the message says what to do."""


class InvoiceKeyReused(Exception):
    """The key was already used for a different invoice (409)."""


@dataclass(frozen=True)
class Outbound:
    """What submitting needs; built once per process."""

    client: Client
    sessions: Sessions
    documents: OutboundDocuments
    task_queue: str
    tracking: Tracking
    maventa_task_queue: str | None = None

    @classmethod
    def from_settings(cls, client: Client, sessions: Sessions, settings: Settings) -> "Outbound":
        return cls(
            client=client,
            sessions=sessions,
            documents=OutboundDocuments(sessions),
            task_queue=settings.temporal_task_queue,
            tracking=delivery_tracking(settings),
            maventa_task_queue=settings.maventa_task_queue,
        )


@dataclass(frozen=True)
class Submitted:
    invoice_key: str
    status: str
    duplicate: bool


def _read_company(sessions: Sessions, company_id: str) -> Company | None:
    with unit_of_work(sessions) as session:
        return get_company(session, company_id)


def _sent_invoice(sessions: Sessions, company_id: str, invoice_key: str) -> SentInvoice | None:
    with unit_of_work(sessions) as session:
        return get_sent_invoice(session, company_id, invoice_key)


async def sending_company(outbound: Outbound, company_id: str) -> Company:
    """The company, if its sending is allocated (§5); otherwise SendingNotAllocated says why."""
    company = await asyncio.to_thread(_read_company, outbound.sessions, company_id)
    state, shown = (company.lifecycle_state, company.state) if company is not None else (None, None)
    if (refusal := sending_refusal(company_id, state, shown)) is not None:
        raise SendingNotAllocated(refusal)
    assert company is not None
    return company


def _xml_bytes(text: str) -> bytes:
    """The document in the encoding its declaration names (JSON carried it as text), else UTF-8."""
    encoded = text.encode("utf-8")
    declared = _XML_ENCODING.match(encoded)
    if declared is None:
        return encoded
    try:
        codec = codecs.lookup(declared[1].decode("ascii")).name
    except LookupError:
        codec = None
    if codec not in CHARACTER_SETS:
        raise InvoiceRejected(
            f"finvoice_xml declares the encoding {declared[1].decode()!r}; use UTF-8 or ISO-8859-15"
        ) from None
    return text.encode(codec, errors="xmlcharrefreplace")


def _same_business(company: Company, seller_business_id: str | None, where: str) -> None:
    if not seller_business_id or not company.business_id:
        return
    try:
        seller = normalise_business_id(seller_business_id)
    except InvalidIdentifier:
        return
    if seller != normalise_business_id(company.business_id):
        raise InvoiceRejected(
            f"{where} is {seller}, but company {company.company_id} is {company.business_id}: "
            "send the invoice as the company that issued it"
        )


def _checked_finvoice(company: Company, text: str) -> bytes:
    document = _xml_bytes(text)
    try:
        received = parse_invoice(document)
    except UnparsableInvoice as error:
        raise InvoiceRejected(f"finvoice_xml cannot be read: {error.reason}") from None
    if received.format != DocumentFormat.FINVOICE or received.version != "3.0":
        raise InvoiceRejected(
            f"finvoice_xml is {received.format.value} {received.version}; send a Finvoice 3.0 document"
        )
    _same_business(company, received.seller.business_id, "the seller's business id in finvoice_xml")
    return document


def _rendered(company: Company, invoice: SalesInvoice, route: Route, message_id: str) -> bytes:
    _same_business(company, invoice.seller.business_id, "invoice.seller.business_id")
    try:
        return render_finvoice(
            invoice,
            sender_einvoice_address=einvoice_address_for(company.business_id),
            sender_operator=MAVENTA_OPERATOR,
            recipient_einvoice_address=route.einvoice_address,
            recipient_operator=route.operator,
            message_id=message_id,
            timestamp=datetime.now(UTC).replace(microsecond=0),
        )
    except ValueError as error:
        raise InvoiceRejected(f"invoice cannot be rendered as Finvoice 3.0: {error}") from None


def _decoded(value: str, where: str) -> bytes:
    try:
        content = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise InvoiceRejected(f"{where} is not valid base64") from None
    if len(content) > MAX_FILE_BYTES:
        raise InvoiceRejected(
            f"{where} is {len(content)} bytes; Maventa takes at most {MAX_FILE_BYTES} per file"
        )
    return content


def _package(company: Company, request: SalesInvoiceRequest, route: Route) -> tuple[str, bytes]:
    """The upload: the checked or rendered Finvoice, alone or zipped with its image and attachments."""
    if request.invoice is not None:
        message_id = maventa_uuid(company.company_id, request.invoice_key)
        document = _rendered(company, request.invoice, route, message_id)
    else:
        assert request.finvoice_xml is not None
        document = _checked_finvoice(company, request.finvoice_xml)
    pdf = None
    if request.pdf_base64 is not None:
        pdf = _decoded(request.pdf_base64, "pdf_base64")
        if not pdf.startswith(b"%PDF-"):
            raise InvoiceRejected("pdf_base64 is not a PDF document")
    attachments = [
        (attachment.filename, _decoded(attachment.content_base64, f"attachments[{index}].content_base64"))
        for index, attachment in enumerate(request.attachments)
    ]
    return upload_package(document, pdf, attachments)


def _fingerprint(request: SalesInvoiceRequest) -> str:
    return hashlib.sha256(request.model_dump_json().encode()).hexdigest()


def _register(sessions: Sessions, company_id: str, invoice_key: str, *, again: bool) -> str:
    with unit_of_work(sessions) as session:
        register_sent_invoice(session, company_id, invoice_key, maventa_uuid(company_id, invoice_key))
        if again:
            record_status(
                session, company_id, invoice_key, DeliveryStatus.SUBMITTED.value, detail="submitted again"
            )
        row = get_sent_invoice(session, company_id, invoice_key)
        assert row is not None
        return row.status


async def _start_delivery(outbound: Outbound, company_id: str, invoice_key: str, route: Route) -> None:
    """Start the invoice's workflow unless it runs or has finished (a failed run may be started again)."""
    with contextlib.suppress(WorkflowAlreadyStartedError):
        await outbound.client.start_workflow(
            SalesInvoiceWorkflow.run,
            SalesInvoiceInput(
                company_id=company_id,
                invoice_key=invoice_key,
                route=route,
                tracking=outbound.tracking,
                maventa_task_queue=outbound.maventa_task_queue,
            ),
            id=workflow_id(company_id, invoice_key),
            task_queue=outbound.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
            static_summary=f"Sales invoice {invoice_key} to {route.einvoice_address} via {route.operator}",
        )


async def submit_sales_invoice(
    outbound: Outbound, company: Company, request: SalesInvoiceRequest
) -> Submitted:
    """Store and send one invoice of a company whose sending is allocated (see `sending_company`)."""
    company_id, key = company.company_id, request.invoice_key
    route = Route(einvoice_address=request.recipient.einvoice_address, operator=request.recipient.operator)
    fingerprint = _fingerprint(request)
    kept = await asyncio.to_thread(outbound.documents.submission, company_id, key)
    row = await asyncio.to_thread(_sent_invoice, outbound.sessions, company_id, key)
    again = row is not None and row.status == DeliveryStatus.REJECTED
    if kept is not None and not again:
        if kept.fingerprint != fingerprint:
            raise InvoiceKeyReused(
                f"Invoice key {key} was already used for a different invoice; send this one under a new key."
            )
        if row is None or row.status == DeliveryStatus.SUBMITTED:
            # A crash between storing and starting left it here; starting again is harmless.
            status = await asyncio.to_thread(_register, outbound.sessions, company_id, key, again=False)
            await _start_delivery(outbound, company_id, key, kept.route)
        else:
            status = row.status
        return Submitted(invoice_key=key, status=status, duplicate=True)
    filename, content = await asyncio.to_thread(_package, company, request, route)
    submission = StoredSubmission(
        company_id=company_id,
        invoice_key=key,
        route=route,
        filename=filename,
        document_format=FINVOICE_30,
        fingerprint=fingerprint,
        submitted_at=datetime.now(UTC),
        size=len(content),
    )
    store = outbound.documents.replace if again else outbound.documents.store
    stored = await asyncio.to_thread(store, submission, content)
    if stored.fingerprint != fingerprint:
        raise InvoiceKeyReused(
            f"Invoice key {key} was just used for a different invoice; send a new invoice under a new key."
        )
    status = await asyncio.to_thread(_register, outbound.sessions, company_id, key, again=again)
    await _start_delivery(outbound, company_id, key, route)
    return Submitted(invoice_key=key, status=status, duplicate=stored is not submission)


def _validation_problems(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in problem['loc']) or 'invoice'}: {problem['msg']}"
        for problem in error.errors()
    )


async def _batch_item(outbound: Outbound, company: Company, item: dict[str, Any]) -> BatchOutcome:
    key = item.get("invoice_key") if isinstance(item.get("invoice_key"), str) else None
    try:
        request = SalesInvoiceRequest.model_validate(item)
        submitted = await submit_sales_invoice(outbound, company, request)
    except ValidationError as error:
        return BatchOutcome(
            invoice_key=key, outcome="rejected", code="invalid_request", reason=_validation_problems(error)
        )
    except InvoiceRejected as error:
        return BatchOutcome(invoice_key=key, outcome="rejected", code="invalid_invoice", reason=str(error))
    except InvoiceKeyReused as error:
        return BatchOutcome(invoice_key=key, outcome="rejected", code="invoice_key_reused", reason=str(error))
    except RPCError:
        return BatchOutcome(
            invoice_key=key,
            outcome="rejected",
            code="temporal_unavailable",
            reason="The delivery could not be started; send this invoice again (the same key is safe).",
        )
    return BatchOutcome(
        invoice_key=submitted.invoice_key,
        outcome="duplicate" if submitted.duplicate else "accepted",
        status=submitted.status,
    )


async def submit_batch(
    outbound: Outbound, company: Company, items: list[dict[str, Any]]
) -> list[BatchOutcome]:
    """Each invoice on its own: one that is bad is rejected with its reason, the others go.

    Invoices run concurrently, but repeats of a key run in the order sent, so the first is the accepted one.
    """
    limit = asyncio.Semaphore(BATCH_CONCURRENCY)
    outcomes: list[BatchOutcome | None] = [None] * len(items)
    by_key: dict[str | int, list[int]] = {}
    for index, item in enumerate(items):
        key = item.get("invoice_key")
        by_key.setdefault(key if isinstance(key, str) else index, []).append(index)

    async def in_order(indexes: list[int]) -> None:
        for index in indexes:
            async with limit:
                outcomes[index] = await _batch_item(outbound, company, items[index])

    await asyncio.gather(*(in_order(indexes) for indexes in by_key.values()))
    return [outcome for outcome in outcomes if outcome is not None]


def sales_invoice_view(
    sessions: Sessions, documents: OutboundDocuments, company_id: str, invoice_key: str
) -> SalesInvoiceView | None:
    """Status, route and history as the store has them (no Temporal query, so no action is spent)."""
    row = _sent_invoice(sessions, company_id, invoice_key)
    submission = documents.submission(company_id, invoice_key)
    if row is None or submission is None:
        return None
    return SalesInvoiceView(
        invoice_key=invoice_key,
        status=row.status,
        route=RouteView(**submission.route.model_dump()),
        maventa_invoice_id=row.maventa_invoice_id,
        submitted_at=row.created_at,
        updated_at=row.updated_at,
        history=[StatusEntry.model_validate(entry) for entry in row.history],
    )
