"""Manual transfer (R11) for Netvisor, and the quarantine for support (§4, §7): the routes parse, call the
use cases (starters/transfer.py, starters/quarantine.py) and answer their refusals in HTTP."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from pydantic import BaseModel, Field
from temporalio.client import Client
from temporalio.service import RPCError

from clients.maventa import MaventaUnavailable
from starters import inbound, transfer
from starters.api.auth import netvisor_caller, support_caller
from starters.api.companies import CompanyId, IdempotencyKey, answering_connection_errors
from starters.api.errors import ERROR_RESPONSES, ApiError
from starters.api.limits import TRANSFER_BODY_BYTES, body_limit
from starters.api.maventa import close_maventa, maventa_client
from starters.api.store import store_sessions
from starters.api.support import SupportUser, TemporalClient
from starters.delivery_notices import DeliveryNotices
from starters.inbound import InboxWaker
from starters.quarantine import QuarantineList, RetryAnswer, RetryRefused, quarantined_invoices
from starters.quarantine import retry_quarantined_invoice as retry_invoice
from starters.receiving import NotReceiving
from starters.transfer import HandOver, InvalidPeriod, ReceivedInvoicePage, Transfer, TransferAnswer
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

LAST_PAGE = 10_000
INVOICE_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,64}$"
InvoiceId = Annotated[str, Field(pattern=INVOICE_ID_PATTERN, max_length=64)]


class TransferBody(BaseModel):
    invoice_ids: list[InvoiceId] = Field(min_length=1, max_length=1000)


def hand_over_for(request: Request) -> HandOver:
    """Invoices to the inbox sweep through this process's Temporal client."""

    async def hand_over(invoices: TransferRequest) -> None:
        client = await request.app.state.temporal.client()
        await inbound.transfer(client, request.app.state.settings, invoices)

    return hand_over


def transfer_for(request: Request) -> Transfer:
    return Transfer(store_sessions(request), maventa_client(request), hand_over_for(request))


@contextmanager
def answering_transfer_errors() -> Iterator[None]:
    """The use cases' refusals in HTTP: unknown company or invoice 404, no account, not receiving or not in
    quarantine 409, a bad period 422, Maventa or Temporal down 503."""
    try:
        yield
    except NotReceiving as refused:
        raise ApiError(
            404 if refused.code == "unknown_company" else 409, refused.code, str(refused)
        ) from None
    except InvalidPeriod as invalid:
        raise ApiError(422, invalid.code, str(invalid)) from None
    except RetryRefused as refused:
        raise ApiError(
            404 if refused.code == "unknown_invoice" else 409, refused.code, str(refused)
        ) from None
    except MaventaUnavailable as error:
        raise ApiError(
            503,
            "maventa_unavailable",
            f"Maventa cannot answer right now; try again shortly ({error.status}).",
        ) from None
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
    with answering_transfer_errors():
        return await transfer.received_invoices(transfer_for(request), company_id, start, end, page)


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
    with answering_transfer_errors():
        return await transfer.queue_for_import(transfer_for(request), company_id, body.invoice_ids)


@support_router.get("/{company_id}/quarantine", response_model=QuarantineList)
async def quarantine(
    company_id: CompanyId,
    request: Request,
    after: Annotated[str | None, Query(max_length=64, description="The last id of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> QuarantineList:
    """Received invoices set aside because they could not be read or Netvisor rejected them, with why."""
    return await quarantined_invoices(store_sessions(request), company_id, after, limit)


@support_router.post(
    "/{company_id}/quarantine/{invoice_id}/retry", status_code=202, response_model=RetryAnswer
)
async def retry_quarantined(
    company_id: CompanyId,
    invoice_id: Annotated[str, Path(pattern=INVOICE_ID_PATTERN, max_length=64)],
    request: Request,
    client: TemporalClient,
    requested_by: SupportUser,
    idempotency_key: IdempotencyKey = None,
) -> RetryAnswer:
    """Import a quarantined invoice again once its cause is fixed; it returns to quarantine if it fails.
    Recorded in the company's recent actions with the agent of `X-Support-User`."""
    return await retry_quarantined_invoice(
        request, client, company_id, invoice_id, requested_by, idempotency_key
    )


async def retry_quarantined_invoice(
    request: Request,
    client: Client,
    company_id: str,
    invoice_id: str,
    requested_by: str,
    request_id: str | None,
) -> RetryAnswer:
    """The retry for the support route and the console, its refusals in HTTP."""
    with answering_transfer_errors(), answering_connection_errors(company_id):
        return await retry_invoice(
            store_sessions(request),
            hand_over_for(request),
            client,
            company_id,
            invoice_id,
            requested_by,
            request_id,
        )


async def close_clients(app: FastAPI) -> None:
    """At shutdown: the Maventa client and the webhook coalescers made on first use."""
    await close_maventa(app)
    waker: InboxWaker | None = getattr(app.state, "inbox_waker", None)
    if waker is not None:
        waker.close()
    notices: DeliveryNotices | None = getattr(app.state, "delivery_notices", None)
    if notices is not None:
        notices.close()
