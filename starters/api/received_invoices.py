"""Manual transfer (R11) for Netvisor, and the quarantine for support (§4, §7).

Listing reads Maventa directly (every page) and the ledger: no workflow is involved, so it costs no Temporal
action. Moving invoices to the queue hands them to the inbox sweep, which imports them through the same
one-at-a-time path as everything else; invoices already in Netvisor and ids Maventa does not know for the
company are reported, not queued.
"""

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from pydantic import BaseModel, Field
from temporalio.service import RPCError

from clients.maventa import (
    MAX_PER_PAGE,
    Invoice,
    MaventaClient,
    MaventaCredentials,
    MaventaRequestError,
    MaventaUnavailable,
)
from starters import inbound
from starters.api.auth import netvisor_caller, support_caller
from starters.api.companies import CompanyId
from starters.api.errors import ERROR_RESPONSES, ApiError
from starters.api.limits import TRANSFER_BODY_BYTES, body_limit
from starters.api.maventa import close_maventa, maventa_client
from starters.api.store import store_sessions
from starters.delivery_notices import DeliveryNotices
from starters.inbound import InboxWaker
from starters.receiving import NotReceiving, ReceivingAccount, maventa_company_of, receiving_account
from store.database import Sessions, unit_of_work
from store.received_invoices import QUARANTINED, get_received_invoice, in_netvisor, list_quarantined
from workflows.inbox_models import TransferRequest

router = APIRouter(
    prefix="/v1/companies",
    tags=["received invoices"],
    dependencies=[Depends(netvisor_caller)],
    responses=ERROR_RESPONSES,
)
support_router = APIRouter(
    prefix="/v1/support/companies",
    tags=["support", "received invoices"],
    dependencies=[Depends(support_caller)],
    responses=ERROR_RESPONSES,
)

HELSINKI = ZoneInfo("Europe/Helsinki")
LONGEST_PERIOD_DAYS = 366
MAVENTA_LOOKUPS_SIDE_BY_SIDE = 8
LAST_PAGE = 10_000

INVOICE_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,64}$"
InvoiceId = Annotated[str, Field(pattern=INVOICE_ID_PATTERN, max_length=64)]


class Sender(BaseModel):
    name: str | None
    business_id: str | None


class ReceivedInvoiceItem(BaseModel):
    id: str
    number: str | None
    sender: Sender
    received_at: datetime | None
    sum: float | None = Field(description="Maventa's invoice sum, VAT excluded")
    sum_tax: float | None = Field(description="Maventa's invoice sum with VAT")
    currency: str | None
    origin: str | None = Field(description="EXTERNAL or INTERNAL (e-invoice networks) or SCAN (scanning)")
    in_netvisor: bool


class ReceivedInvoicePage(BaseModel):
    invoices: list[ReceivedInvoiceItem] = Field(description=f"Up to {MAX_PER_PAGE} invoices, oldest first")
    next_page: int | None = Field(description="Pass as `page` for the next page; null on the last page")


class TransferBody(BaseModel):
    invoice_ids: list[InvoiceId] = Field(min_length=1, max_length=1000)


class TransferAnswer(BaseModel):
    queued: list[str]
    already_in_netvisor: list[str]
    unknown: list[str]


class QuarantinedInvoice(BaseModel):
    id: str
    number: str | None
    channel: str
    origin: str | None
    received_at: datetime
    reason: str | None
    attempts: int
    quarantined_at: datetime


class QuarantineList(BaseModel):
    invoices: list[QuarantinedInvoice]
    next_after: str | None = Field(description="Pass as `after` for the next page; null on the last page")


class RetryAnswer(BaseModel):
    invoice_id: str
    status: str


async def _receiving_company(sessions: Sessions, company_id: str) -> ReceivingAccount:
    try:
        return await receiving_account(sessions, company_id)
    except NotReceiving as refused:
        raise ApiError(
            404 if refused.code == "unknown_company" else 409, refused.code, str(refused)
        ) from None


def _period(start: date, end: date) -> tuple[datetime, datetime]:
    """The period's first and last second in Finnish time, as the user means the dates."""
    if start > end:
        raise ApiError(
            422, "invalid_period", f"'from' ({start}) is after 'to' ({end}): send the earlier date as 'from'."
        )
    days = (end - start).days + 1
    if days > LONGEST_PERIOD_DAYS:
        raise ApiError(
            422,
            "period_too_long",
            f"The period is {days} days; ask for at most {LONGEST_PERIOD_DAYS} days at a time.",
        )
    first = datetime.combine(start, time.min, HELSINKI).astimezone(UTC)
    last = datetime.combine(end + timedelta(days=1), time.min, HELSINKI).astimezone(UTC) - timedelta(
        seconds=1
    )
    return first, last


def _maventa_unavailable(error: MaventaUnavailable) -> ApiError:
    return ApiError(
        503, "maventa_unavailable", f"Maventa cannot answer right now; try again shortly ({error.status})."
    )


async def _imported(sessions: Sessions, company_id: str, invoice_ids: list[str]) -> set[str]:
    """Which of these are in Netvisor as this company's invoices; another company's id is unknown here."""

    def read() -> set[str]:
        with unit_of_work(sessions) as session:
            imported = in_netvisor(session, invoice_ids)
            return {
                i
                for i in imported
                if (row := get_received_invoice(session, i)) and row.company_id == company_id
            }

    return await asyncio.to_thread(read)


async def _hand_over(request: Request, request_body: TransferRequest) -> None:
    client = await request.app.state.temporal.client()
    try:
        await inbound.transfer(client, request.app.state.settings, request_body)
    except RPCError:
        raise ApiError(
            503, "temporal_unavailable", "The service cannot queue invoices right now; try again."
        ) from None


@router.get("/{company_id}/maventa/received-invoices", response_model=ReceivedInvoicePage)
async def received_invoices(
    company_id: CompanyId,
    request: Request,
    start: Annotated[date, Query(alias="from", description="First day, YYYY-MM-DD (Finnish time)")],
    end: Annotated[date, Query(alias="to", description="Last day, YYYY-MM-DD, inclusive")],
    page: Annotated[int, Query(ge=1, le=LAST_PAGE, description="1 for the first page, then next_page")] = 1,
) -> ReceivedInvoicePage:
    """The invoices the company received in the period (R11), a page at a time (one request to Maventa),
    with whether each is in Netvisor already."""
    first, last = _period(start, end)
    sessions = store_sessions(request)
    creds = (await _receiving_company(sessions, company_id)).credentials
    try:
        invoices, next_page = await maventa_client(request).list_invoices_page(
            creds, direction="RECEIVED", received_at_start=first, received_at_end=last, page=page
        )
    except MaventaUnavailable as error:
        raise _maventa_unavailable(error) from None
    imported = await _imported(sessions, company_id, [i.id for i in invoices])
    return ReceivedInvoicePage(invoices=_items(invoices, imported), next_page=next_page)


def _items(invoices: list[Invoice], imported: set[str]) -> list[ReceivedInvoiceItem]:
    return [
        ReceivedInvoiceItem(
            id=invoice.id,
            number=invoice.number,
            sender=Sender(
                name=invoice.sender.name if invoice.sender else None,
                business_id=invoice.sender.bid if invoice.sender else None,
            ),
            received_at=invoice.received_at,
            sum=invoice.sum,
            sum_tax=invoice.sum_tax,
            currency=invoice.currency,
            origin=invoice.origin,
            in_netvisor=invoice.id in imported,
        )
        for invoice in invoices
    ]


async def _known_at_maventa(
    maventa: MaventaClient, creds: MaventaCredentials, invoice_ids: list[str]
) -> set[str]:
    slots = asyncio.Semaphore(MAVENTA_LOOKUPS_SIDE_BY_SIDE)

    async def look(invoice_id: str) -> Invoice | None:
        async with slots:
            try:
                return await maventa.get_invoice(creds, invoice_id)
            except MaventaUnavailable:
                raise
            except MaventaRequestError:
                return None

    found = await asyncio.gather(*(look(i) for i in invoice_ids))
    return {invoice.id for invoice in found if invoice is not None}


@router.post(
    "/{company_id}/maventa/received-invoices/queue",
    status_code=202,
    response_model=TransferAnswer,
    openapi_extra=body_limit(TRANSFER_BODY_BYTES),
)
async def queue_received_invoices(
    company_id: CompanyId, body: TransferBody, request: Request
) -> TransferAnswer:
    """Move the selected invoices to Netvisor's purchase-invoice queue (R11), whatever the import mode."""
    sessions = store_sessions(request)
    company = await _receiving_company(sessions, company_id)
    invoice_ids = list(dict.fromkeys(body.invoice_ids))
    imported = await _imported(sessions, company_id, invoice_ids)
    candidates = [i for i in invoice_ids if i not in imported]
    creds = company.credentials
    try:
        known = await _known_at_maventa(maventa_client(request), creds, candidates)
    except MaventaUnavailable as error:
        raise _maventa_unavailable(error) from None
    queued = [i for i in candidates if i in known]
    if queued:
        await _hand_over(
            request, TransferRequest(maventa_company_uuid=company.maventa_company_uuid, invoice_ids=queued)
        )
    return TransferAnswer(
        queued=queued,
        already_in_netvisor=[i for i in invoice_ids if i in imported],
        unknown=[i for i in candidates if i not in known],
    )


@support_router.get("/{company_id}/quarantine", response_model=QuarantineList)
async def quarantine(
    company_id: CompanyId,
    request: Request,
    after: Annotated[str | None, Query(max_length=64, description="The last id of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> QuarantineList:
    """Received invoices set aside because they could not be read or Netvisor rejected them, with why."""
    return await quarantined_invoices(store_sessions(request), company_id, after, limit)


async def quarantined_invoices(
    sessions: Sessions, company_id: str, after: str | None, limit: int
) -> QuarantineList:
    """A page of the company's quarantined invoices (the support route and the console)."""

    def read() -> list[QuarantinedInvoice]:
        with unit_of_work(sessions) as session:
            rows = list_quarantined(session, company_id=company_id, after=after, limit=limit)
            return [
                QuarantinedInvoice(
                    id=row.maventa_invoice_id,
                    number=row.number,
                    channel=row.channel,
                    origin=row.origin,
                    received_at=row.received_at,
                    reason=row.quarantine_reason,
                    attempts=row.attempts,
                    quarantined_at=row.updated_at,
                )
                for row in rows
            ]

    invoices = await asyncio.to_thread(read)
    return QuarantineList(invoices=invoices, next_after=invoices[-1].id if len(invoices) == limit else None)


@support_router.post(
    "/{company_id}/quarantine/{invoice_id}/retry", status_code=202, response_model=RetryAnswer
)
async def retry_quarantined(
    company_id: CompanyId,
    invoice_id: Annotated[str, Path(pattern=INVOICE_ID_PATTERN, max_length=64)],
    request: Request,
) -> RetryAnswer:
    """Import a quarantined invoice again once its cause is fixed; it returns to quarantine if it fails."""
    return await retry_quarantined_invoice(request, company_id, invoice_id)


async def retry_quarantined_invoice(request: Request, company_id: str, invoice_id: str) -> RetryAnswer:
    """Hand a quarantined invoice to the inbox sweep again (the support route and the console)."""
    sessions = store_sessions(request)

    def read() -> tuple[str, str] | None:
        with unit_of_work(sessions) as session:
            row = get_received_invoice(session, invoice_id)
            return None if row is None else (row.company_id, row.status)

    found = await asyncio.to_thread(read)
    if found is None or found[0] != company_id:
        raise ApiError(404, "unknown_invoice", f"Company {company_id} has no received invoice {invoice_id}.")
    if found[1] != QUARANTINED:
        raise ApiError(
            409,
            "not_quarantined",
            f"Invoice {invoice_id} is {found[1]}, not in quarantine: nothing to retry.",
        )
    if (maventa_company := await maventa_company_of(sessions, company_id)) is None:
        raise ApiError(409, "no_maventa_account", f"Company {company_id} has no Maventa account any more.")
    await _hand_over(request, TransferRequest(maventa_company_uuid=maventa_company, invoice_ids=[invoice_id]))
    return RetryAnswer(invoice_id=invoice_id, status="queued")


async def close_clients(app: FastAPI) -> None:
    """At shutdown: the Maventa client and the webhook coalescers made on first use."""
    await close_maventa(app)
    waker: InboxWaker | None = getattr(app.state, "inbox_waker", None)
    if waker is not None:
        waker.close()
    notices: DeliveryNotices | None = getattr(app.state, "delivery_notices", None)
    if notices is not None:
        notices.close()
