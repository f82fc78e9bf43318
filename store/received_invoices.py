"""The received-invoice ledger: the truth about which received invoices are in Netvisor (exactly once, §4).

Netvisor's import has no idempotency key, so an invoice moves importing -> imported only here, and an
invoice left `importing` after an attempt means the outcome is uncertain: send the same request again (its
TransactionId, which Netvisor takes only once) while that id is fresh, else check Netvisor before sending
anew.
Every transition is idempotent, and none moves an imported invoice anywhere else.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import Column, Index
from sqlmodel import Field, Session, SQLModel, col, select

from store.columns import UtcDateTime, utc_now
from store.ledger import RECEIVED_EINVOICE, RECEIVED_SCANNED_INVOICE, record_transaction
from store.upsert import insert_or_ignore

ReceivedStatus = Literal["importing", "imported", "quarantined"]
IMPORTING: ReceivedStatus = "importing"
IMPORTED: ReceivedStatus = "imported"
QUARANTINED: ReceivedStatus = "quarantined"

SCAN_CHANNEL = "SCAN"
_IN_CHUNK = 500


class ReceivedInvoice(SQLModel, table=True):
    __tablename__ = "received_invoices"
    __table_args__ = (Index("ix_received_invoices_company_id_status", "company_id", "status"),)

    maventa_invoice_id: str = Field(primary_key=True, max_length=64)
    company_id: str = Field(max_length=64)
    status: str = Field(default=IMPORTING, max_length=16)
    channel: str = Field(max_length=16)
    origin: str | None = Field(default=None, max_length=32)
    number: str | None = Field(default=None, max_length=100)
    received_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    netvisor_key: str | None = Field(default=None, max_length=100)
    quarantine_reason: str | None = Field(default=None, max_length=4000)
    attempts: int = 0
    updated_at: datetime = Field(default_factory=utc_now, sa_column=Column(UtcDateTime, nullable=False))
    transaction_id: str | None = Field(default=None, max_length=64)
    """Netvisor's TransactionId of the last counted attempt, while a later one may send that request again."""
    transaction_since: datetime | None = Field(default=None, sa_column=Column(UtcDateTime, nullable=True))
    """When that TransactionId was first sent: it is sent again only within `resend_for` of this."""


class UnknownReceivedInvoiceError(LookupError):
    """A transition named an invoice the ledger has never seen (begin_import records it first)."""


def _locked(session: Session, maventa_invoice_id: str) -> ReceivedInvoice:
    statement = (
        select(ReceivedInvoice)
        .where(ReceivedInvoice.maventa_invoice_id == maventa_invoice_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    invoice = session.exec(statement).first()
    if invoice is None:
        raise UnknownReceivedInvoiceError(f"received invoice {maventa_invoice_id} is not in the ledger")
    return invoice


def get_received_invoice(session: Session, maventa_invoice_id: str) -> ReceivedInvoice | None:
    return session.get(ReceivedInvoice, maventa_invoice_id)


def begin_import(
    session: Session,
    company_id: str,
    maventa_invoice_id: str,
    *,
    channel: str,
    received_at: datetime,
    number: str | None = None,
    origin: str | None = None,
) -> ReceivedInvoice:
    """Record the invoice as `importing` (the first call) and return its ledger row, locked; an imported or
    quarantined invoice is returned unchanged and the caller skips it. `count_attempt` counts attempts."""
    row = {
        "maventa_invoice_id": maventa_invoice_id,
        "company_id": company_id,
        "status": IMPORTING,
        "channel": channel,
        "origin": origin,
        "number": number,
        "received_at": received_at,
        "attempts": 0,
        "updated_at": utc_now(),
    }
    insert_or_ignore(session, ReceivedInvoice, row, ["maventa_invoice_id"])
    return _locked(session, maventa_invoice_id)


@dataclass(frozen=True)
class Attempt:
    """A counted attempt: the TransactionId to send its request with, the count it set, and the ledger's
    fields as they were just before it, which `take_back_attempt` restores."""

    transaction_id: str
    counted: int
    previous: tuple[int, datetime, str | None, datetime | None]


def count_attempt(
    session: Session,
    maventa_invoice_id: str,
    *,
    seen: int | None,
    resend_for: timedelta,
    transaction_id: str | None = None,
) -> Attempt | None:
    """Count an attempt whose request is about to go to Netvisor: `attempts > 0` means a request may have
    reached Netvisor, `updated_at` is when the last one went.

    The attempt sends the last attempt's request again (its TransactionId) while that id was first sent less
    than `resend_for` ago: Netvisor takes a TransactionId once, so attempts sending the same id import at most
    once however many of them run. Otherwise it gets a new id (`transaction_id`, default a random one), but
    only if the count is still `seen`, the count its caller decided on (none, or one Netvisor's list was
    looked up for). `seen` None: the caller looked nothing up and only sends the earlier request again, so
    if that id went stale while it got ready (an earlier request may have reached Netvisor, and only the list
    can tell), nothing is sent. None when nothing is to be sent: another attempt counted since, the earlier
    id is stale for a caller that only resends, or the invoice is no longer importing.
    """
    invoice = _locked(session, maventa_invoice_id)
    if invoice.status != IMPORTING:
        return None
    now = utc_now()
    previous = (invoice.attempts, invoice.updated_at, invoice.transaction_id, invoice.transaction_since)
    if not resendable(invoice, resend_for, now):
        if seen is None or invoice.attempts != seen:
            return None
        invoice.transaction_id = transaction_id or uuid.uuid4().hex
        invoice.transaction_since = now
    invoice.attempts += 1
    invoice.updated_at = now
    session.flush()
    assert invoice.transaction_id is not None
    return Attempt(invoice.transaction_id, invoice.attempts, previous)


def resendable(invoice: ReceivedInvoice, resend_for: timedelta, now: datetime) -> bool:
    """Whether the invoice's last request may be sent again with its TransactionId now."""
    since = invoice.transaction_since
    return invoice.transaction_id is not None and since is not None and now < since + resend_for


def note_uncertain_answer(session: Session, maventa_invoice_id: str, *, counted: int) -> bool:
    """The attempt's request ended without a clear answer (a timeout, a dropped connection, a 5xx): Netvisor
    may have taken it as late as now, so its list is read no sooner than the recheck delay from now, not from
    when the request went (`updated_at`). `counted` is the count that attempt set; a later attempt's is left
    alone."""
    invoice = _locked(session, maventa_invoice_id)
    if invoice.status != IMPORTING or invoice.attempts != counted:
        return False
    invoice.updated_at = utc_now()
    session.flush()
    return True


def forget_transaction(session: Session, maventa_invoice_id: str, *, counted: int) -> bool:
    """Netvisor refused the TransactionId as used: the request reached it before, and whether it was imported
    only Netvisor's list can tell, so no attempt sends that id again. `counted` is the count the refused
    attempt set; a later attempt's id is left alone."""
    invoice = _locked(session, maventa_invoice_id)
    if invoice.status != IMPORTING or invoice.attempts != counted:
        return False
    invoice.transaction_id = None
    invoice.transaction_since = None
    session.flush()
    return True


def mark_imported(
    session: Session, maventa_invoice_id: str, netvisor_key: str, *, at: datetime | None = None
) -> bool:
    """Record that the invoice is in Netvisor, and its billable transaction with it; True if this call did.

    The transaction is billed in the month of the import (`at`, default now): the billing run for a month
    happens after it, so an invoice imported late is billed next month rather than never.
    """
    invoice = _locked(session, maventa_invoice_id)
    if invoice.status == IMPORTED:
        return False
    moment = at or utc_now()
    invoice.status = IMPORTED
    invoice.netvisor_key = netvisor_key
    invoice.quarantine_reason = None
    invoice.updated_at = moment
    kind = RECEIVED_SCANNED_INVOICE if invoice.channel == SCAN_CHANNEL else RECEIVED_EINVOICE
    record_transaction(session, invoice.company_id, kind, maventa_invoice_id, moment)
    session.flush()
    return True


def quarantine(session: Session, maventa_invoice_id: str, reason: str) -> bool:
    """Set the invoice aside for support with its reason; True if this call did; imported stays imported."""
    invoice = _locked(session, maventa_invoice_id)
    if invoice.status != IMPORTING:
        return False
    invoice.status = QUARANTINED
    invoice.quarantine_reason = reason
    invoice.updated_at = utc_now()
    session.flush()
    return True


def release_from_quarantine(session: Session, maventa_invoice_id: str) -> bool:
    """Support's retry: the quarantined invoice is importable again with a fresh attempt count."""
    invoice = _locked(session, maventa_invoice_id)
    if invoice.status != QUARANTINED:
        return False
    invoice.status = IMPORTING
    invoice.attempts = 0
    invoice.transaction_id = None
    invoice.transaction_since = None
    invoice.updated_at = utc_now()
    session.flush()
    return True


def take_back_attempt(session: Session, maventa_invoice_id: str, attempt: Attempt) -> bool:
    """Undo `count_attempt` for an attempt that certainly sent nothing (Netvisor unreachable, or refusing
    before any work): the invoice is as it was just before, so the next attempt neither waits for Netvisor's
    list nor looks it up in vain. A later attempt's count is left alone."""
    invoice = _locked(session, maventa_invoice_id)
    if invoice.status != IMPORTING or invoice.attempts != attempt.counted:
        return False
    invoice.attempts, invoice.updated_at, invoice.transaction_id, invoice.transaction_since = attempt.previous
    session.flush()
    return True


def in_netvisor(session: Session, maventa_invoice_ids: Iterable[str]) -> set[str]:
    """Which of these invoices are already imported into Netvisor."""
    ids = list(dict.fromkeys(maventa_invoice_ids))
    found: set[str] = set()
    for start in range(0, len(ids), _IN_CHUNK):
        statement = select(ReceivedInvoice.maventa_invoice_id).where(
            col(ReceivedInvoice.maventa_invoice_id).in_(ids[start : start + _IN_CHUNK]),
            ReceivedInvoice.status == IMPORTED,
        )
        found.update(session.exec(statement).all())
    return found


def list_quarantined(
    session: Session, *, company_id: str | None = None, after: str | None = None, limit: int = 100
) -> list[ReceivedInvoice]:
    """A page of quarantined invoices (optionally one company's) in id order, for support."""
    statement = select(ReceivedInvoice).where(ReceivedInvoice.status == QUARANTINED)
    if company_id is not None:
        statement = statement.where(ReceivedInvoice.company_id == company_id)
    if after is not None:
        statement = statement.where(col(ReceivedInvoice.maventa_invoice_id) > after)
    return list(session.exec(statement.order_by(col(ReceivedInvoice.maventa_invoice_id)).limit(limit)).all())
