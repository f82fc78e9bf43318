"""Manual transfer (R11): the invoices a company received in a period, each with whether it is in Netvisor,
and the chosen ones moved to Netvisor's purchase-invoice queue. The HTTP route and the tests share it.

Listing reads Maventa directly (a page per call) and the ledger: no workflow is involved, so it costs no
Temporal action. Moving invoices hands them to the inbox sweep, which imports them through the same
one-at-a-time path as everything else; invoices already in Netvisor and ids Maventa does not know for the
company are reported, not queued.
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from clients.maventa import (
    MAX_PER_PAGE,
    Invoice,
    MaventaClient,
    MaventaCredentials,
    MaventaRequestError,
    MaventaUnavailable,
)
from starters.receiving import receiving_account
from store.database import Sessions, unit_of_work
from store.received_invoices import get_received_invoice, in_netvisor
from workflows.inbox_models import TransferRequest

HELSINKI = ZoneInfo("Europe/Helsinki")
LONGEST_PERIOD_DAYS = 366
MAVENTA_LOOKUPS_SIDE_BY_SIDE = 8


class InvalidPeriod(ValueError):
    """The period cannot be asked for; `code` says why and the message how to ask."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


HandOver = Callable[[TransferRequest], Awaitable[None]]
"""Hands invoices to the inbox sweep (starters/inbound.py `transfer`)."""


@dataclass(frozen=True)
class Transfer:
    """What the manual transfer needs: the store, Maventa, and the way to hand invoices to the inbox sweep."""

    sessions: Sessions
    maventa: MaventaClient
    hand_over: HandOver


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


class TransferAnswer(BaseModel):
    queued: list[str]
    already_in_netvisor: list[str]
    unknown: list[str]


def _period(start: date, end: date) -> tuple[datetime, datetime]:
    """The period's first and last second in Finnish time, as the user means the dates."""
    if start > end:
        raise InvalidPeriod(
            "invalid_period", f"'from' ({start}) is after 'to' ({end}): send the earlier date as 'from'."
        )
    days = (end - start).days + 1
    if days > LONGEST_PERIOD_DAYS:
        raise InvalidPeriod(
            "period_too_long",
            f"The period is {days} days; ask for at most {LONGEST_PERIOD_DAYS} days at a time.",
        )
    first = datetime.combine(start, time.min, HELSINKI).astimezone(UTC)
    last = datetime.combine(end + timedelta(days=1), time.min, HELSINKI).astimezone(UTC) - timedelta(
        seconds=1
    )
    return first, last


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


async def received_invoices(
    transfer: Transfer, company_id: str, start: date, end: date, page: int
) -> ReceivedInvoicePage:
    """A page of the company's invoices received in the period (one request to Maventa)."""
    first, last = _period(start, end)
    account = await receiving_account(transfer.sessions, company_id)
    invoices, next_page = await transfer.maventa.list_invoices_page(
        account.credentials, direction="RECEIVED", received_at_start=first, received_at_end=last, page=page
    )
    imported = await _imported(transfer.sessions, company_id, [i.id for i in invoices])
    return ReceivedInvoicePage(invoices=_items(invoices, imported), next_page=next_page)


async def queue_for_import(transfer: Transfer, company_id: str, invoice_ids: list[str]) -> TransferAnswer:
    """The chosen invoices to Netvisor's queue, whatever the import mode; those in Netvisor or unknown to
    Maventa for the company are reported instead."""
    account = await receiving_account(transfer.sessions, company_id)
    invoice_ids = list(dict.fromkeys(invoice_ids))
    imported = await _imported(transfer.sessions, company_id, invoice_ids)
    candidates = [i for i in invoice_ids if i not in imported]
    known = await _known_at_maventa(transfer.maventa, account.credentials, candidates)
    queued = [i for i in candidates if i in known]
    if queued:
        await transfer.hand_over(
            TransferRequest(maventa_company_uuid=account.maventa_company_uuid, invoice_ids=queued)
        )
    return TransferAnswer(
        queued=queued,
        already_in_netvisor=[i for i in invoice_ids if i in imported],
        unknown=[i for i in candidates if i not in known],
    )
