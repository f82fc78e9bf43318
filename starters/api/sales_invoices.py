"""Netvisor's routes for sending sales e-invoices (R5, §7): one invoice, a month-end batch, status."""

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response
from temporalio.client import Client
from temporalio.service import RPCError

from starters.api.auth import netvisor_caller
from starters.api.companies import CompanyId
from starters.api.errors import ERROR_RESPONSES, ApiError
from starters.api.limits import SALES_INVOICE_BODY_BYTES, body_limit
from starters.api.sales_invoice_requests import (
    INVOICE_KEY_PATTERN,
    BatchAnswer,
    SalesInvoiceAccepted,
    SalesInvoiceBatch,
    SalesInvoiceRequest,
    SalesInvoiceView,
)
from starters.api.store import store_sessions
from starters.api.temporal import temporal_client
from starters.sales_invoices import (
    InvoiceKeyReused,
    InvoiceRejected,
    Outbound,
    SendingNotAllocated,
    sales_invoice_view,
    sending_company,
    submit_batch,
    submit_sales_invoice,
)
from store.database import Sessions
from store.sales_invoice_documents import OutboundDocuments

router = APIRouter(
    prefix="/v1/companies/{company_id}/sales-invoices",
    tags=["sales invoices"],
    dependencies=[Depends(netvisor_caller)],
    responses=ERROR_RESPONSES,
)


def outbound_documents(sessions: Annotated[Sessions, Depends(store_sessions)]) -> OutboundDocuments:
    return OutboundDocuments(sessions)


def outbound(
    request: Request,
    client: Annotated[Client, Depends(temporal_client)],
    sessions: Annotated[Sessions, Depends(store_sessions)],
) -> Outbound:
    return Outbound.from_settings(client, sessions, request.app.state.settings)


OutboundDep = Annotated[Outbound, Depends(outbound)]

NOT_STARTED = ApiError(
    503,
    "temporal_unavailable",
    "The invoice is stored but its delivery could not be started; send it again (the same key is safe).",
)


@router.post(
    "",
    status_code=202,
    response_model=SalesInvoiceAccepted,
    openapi_extra=body_limit(SALES_INVOICE_BODY_BYTES),
)
async def send_sales_invoice(
    company_id: CompanyId, body: SalesInvoiceRequest, sending: OutboundDep, response: Response
) -> SalesInvoiceAccepted:
    """Send one sales invoice: 202 when accepted, 200 with the existing status for a key sent before."""
    try:
        company = await sending_company(sending, company_id)
        submitted = await submit_sales_invoice(sending, company, body)
    except SendingNotAllocated as refused:
        raise ApiError(409, "sending_not_allocated", str(refused)) from None
    except InvoiceRejected as rejected:
        raise ApiError(422, "invalid_invoice", f"Cannot send the invoice: {rejected}.") from None
    except InvoiceKeyReused as reused:
        raise ApiError(409, "invoice_key_reused", str(reused)) from None
    except RPCError:
        raise NOT_STARTED from None
    if submitted.duplicate:
        response.status_code = 200
    return SalesInvoiceAccepted(
        invoice_key=submitted.invoice_key, status=submitted.status, duplicate=submitted.duplicate
    )


@router.post("/batch", response_model=BatchAnswer, openapi_extra=body_limit(SALES_INVOICE_BODY_BYTES))
async def send_sales_invoice_batch(
    company_id: CompanyId, body: SalesInvoiceBatch, sending: OutboundDep
) -> BatchAnswer:
    """Up to 500 invoices; each gets its own outcome: accepted, duplicate, or rejected with the reason."""
    try:
        company = await sending_company(sending, company_id)
    except SendingNotAllocated as refused:
        raise ApiError(409, "sending_not_allocated", str(refused)) from None
    outcomes = await submit_batch(sending, company, body.invoices)
    return BatchAnswer(
        accepted=sum(o.outcome == "accepted" for o in outcomes),
        duplicate=sum(o.outcome == "duplicate" for o in outcomes),
        rejected=sum(o.outcome == "rejected" for o in outcomes),
        outcomes=outcomes,
    )


@router.get("/{invoice_key}", response_model=SalesInvoiceView)
async def get_sales_invoice(
    company_id: CompanyId,
    invoice_key: Annotated[str, Path(pattern=INVOICE_KEY_PATTERN, max_length=100)],
    sessions: Annotated[Sessions, Depends(store_sessions)],
    documents: Annotated[OutboundDocuments, Depends(outbound_documents)],
) -> SalesInvoiceView:
    """Delivery status, route (recipient address and operator) and the history of status changes."""
    view = await asyncio.to_thread(sales_invoice_view, sessions, documents, company_id, invoice_key)
    if view is None:
        raise ApiError(
            404,
            "unknown_sales_invoice",
            f"No sales invoice {invoice_key} was submitted for company {company_id}; check the key.",
        )
    return view
