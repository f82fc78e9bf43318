"""Support's quarantine (§4): received invoices set aside because they could not be read or Netvisor rejected
them, with why, and one handed to the inbox sweep again once its cause is fixed, recorded with who asked in
the company's connection workflow like every support action. The support route and the console share it."""

import asyncio
from datetime import datetime

from pydantic import BaseModel, Field
from temporalio.client import Client

from starters import connection
from starters.receiving import maventa_company_of
from starters.transfer import HandOver
from store.database import Sessions, unit_of_work
from store.received_invoices import QUARANTINED, get_received_invoice, list_quarantined
from workflows.inbox_models import TransferRequest


class RetryRefused(Exception):
    """The invoice cannot be retried; `code` says why (unknown_invoice, not_quarantined,
    no_maventa_account)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


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
    requested_by: str = Field(description="Who asked, as the company's recent actions record it")


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


async def retry_quarantined_invoice(
    sessions: Sessions,
    hand_over: HandOver,
    client: Client,
    company_id: str,
    invoice_id: str,
    requested_by: str,
    request_id: str | None = None,
) -> RetryAnswer:
    """Hand a quarantined invoice to the inbox sweep again; it returns to quarantine if it fails again.

    The company's workflow records the retry with who asked before the hand-over; a repeat with the same
    request id is recorded once, and the hand-over (exactly once in the ledger) is safe to repeat."""

    def read() -> tuple[str, str] | None:
        with unit_of_work(sessions) as session:
            row = get_received_invoice(session, invoice_id)
            return None if row is None else (row.company_id, row.status)

    found = await asyncio.to_thread(read)
    if found is None or found[0] != company_id:
        raise RetryRefused("unknown_invoice", f"Company {company_id} has no received invoice {invoice_id}.")
    if found[1] != QUARANTINED:
        raise RetryRefused(
            "not_quarantined", f"Invoice {invoice_id} is {found[1]}, not in quarantine: nothing to retry."
        )
    if (maventa_company := await maventa_company_of(sessions, company_id)) is None:
        raise RetryRefused("no_maventa_account", f"Company {company_id} has no Maventa account any more.")
    await connection.record_quarantine_retry(client, company_id, requested_by, invoice_id, request_id)
    await hand_over(TransferRequest(maventa_company_uuid=maventa_company, invoice_ids=[invoice_id]))
    return RetryAnswer(invoice_id=invoice_id, status="queued", requested_by=requested_by)
