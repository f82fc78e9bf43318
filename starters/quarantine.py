"""Support's quarantine (§4): received invoices set aside because they could not be read or Netvisor rejected
them, with why, and one handed to the inbox sweep again once its cause is fixed. The support route and the
console share it."""

import asyncio
from datetime import datetime

from pydantic import BaseModel, Field

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
    company_id: str,
    invoice_id: str,
) -> RetryAnswer:
    """Hand a quarantined invoice to the inbox sweep again; it returns to quarantine if it fails again."""

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
    await hand_over(TransferRequest(maventa_company_uuid=maventa_company, invoice_ids=[invoice_id]))
    return RetryAnswer(invoice_id=invoice_id, status="queued")
