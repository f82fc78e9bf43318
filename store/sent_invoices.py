"""Sent sales e-invoices (R5): one row per (company, Netvisor invoice key) with its delivery history.

Upload uses a deterministic uuid, so a retried upload finds the same Maventa invoice; `mark_uploaded` writes
the billable 'sent_einvoice' transaction in the same database transaction, keyed by that uuid.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, Session, SQLModel, col, select

from store.columns import UtcDateTime, utc_now
from store.ledger import SENT_EINVOICE, record_transaction
from store.upsert import insert_or_ignore

SUBMITTED = "SUBMITTED"
PENDING = "PENDING"


class SentInvoice(SQLModel, table=True):
    __tablename__ = "sent_invoices"
    __table_args__ = (
        UniqueConstraint("company_id", "invoice_key", name="uq_sent_invoices_company_id_invoice_key"),
        UniqueConstraint("uuid", name="uq_sent_invoices_uuid"),
    )

    id: int | None = Field(default=None, primary_key=True)
    company_id: str = Field(max_length=64)
    invoice_key: str = Field(max_length=100)
    uuid: str = Field(max_length=64)
    maventa_invoice_id: str | None = Field(default=None, max_length=64, index=True)
    status: str = Field(default=SUBMITTED, max_length=32)
    history: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utc_now, sa_column=Column(UtcDateTime, nullable=False))
    updated_at: datetime = Field(default_factory=utc_now, sa_column=Column(UtcDateTime, nullable=False))


class UnknownSentInvoiceError(LookupError):
    """A transition named a sales invoice that was never registered."""


def _entry(status: str, at: datetime, detail: str | None) -> dict[str, Any]:
    return {"status": status, "at": at.isoformat(), "detail": detail}


def _locked(session: Session, company_id: str, invoice_key: str) -> SentInvoice:
    statement = (
        select(SentInvoice)
        .where(SentInvoice.company_id == company_id, SentInvoice.invoice_key == invoice_key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    invoice = session.exec(statement).first()
    if invoice is None:
        raise UnknownSentInvoiceError(
            f"sales invoice {invoice_key} of company {company_id} was never submitted"
        )
    return invoice


def get_sent_invoice(session: Session, company_id: str, invoice_key: str) -> SentInvoice | None:
    statement = select(SentInvoice).where(
        SentInvoice.company_id == company_id, SentInvoice.invoice_key == invoice_key
    )
    return session.exec(statement).first()


def find_by_maventa_invoice_id(session: Session, maventa_invoice_id: str) -> SentInvoice | None:
    """The sales invoice a Maventa delivery event is about."""
    return session.exec(
        select(SentInvoice).where(SentInvoice.maventa_invoice_id == maventa_invoice_id)
    ).first()


def register_sent_invoice(session: Session, company_id: str, invoice_key: str, uuid: str) -> SentInvoice:
    """Record a submitted sales invoice (status SUBMITTED); the same key again returns the first row."""
    now = utc_now()
    row = {
        "company_id": company_id,
        "invoice_key": invoice_key,
        "uuid": uuid,
        "status": SUBMITTED,
        "history": [_entry(SUBMITTED, now, None)],
        "created_at": now,
        "updated_at": now,
    }
    insert_or_ignore(session, SentInvoice, row, ["company_id", "invoice_key"])
    return _locked(session, company_id, invoice_key)


def mark_uploaded(
    session: Session,
    company_id: str,
    invoice_key: str,
    maventa_invoice_id: str,
    *,
    at: datetime | None = None,
) -> bool:
    """Maventa accepted the upload: status PENDING and the billable transaction, once; True if this did."""
    invoice = _locked(session, company_id, invoice_key)
    if invoice.maventa_invoice_id is not None:
        return False
    moment = at or utc_now()
    invoice.maventa_invoice_id = maventa_invoice_id
    invoice.status = PENDING
    invoice.history = [*invoice.history, _entry(PENDING, moment, None)]
    invoice.updated_at = moment
    record_transaction(session, company_id, SENT_EINVOICE, invoice.uuid, moment)
    session.flush()
    return True


def record_status(
    session: Session,
    company_id: str,
    invoice_key: str,
    status: str,
    *,
    at: datetime | None = None,
    detail: str | None = None,
) -> bool:
    """Record a delivery status change (DELIVERED, FAILED, ...); the same status again changes nothing."""
    invoice = _locked(session, company_id, invoice_key)
    if invoice.status == status:
        return False
    moment = at or utc_now()
    invoice.status = status
    invoice.history = [*invoice.history, _entry(status, moment, detail)]
    invoice.updated_at = moment
    session.flush()
    return True


def recent_sent_invoices(session: Session, company_id: str, limit: int = 20) -> list[SentInvoice]:
    """The company's latest sales invoices, newest first (support's company page)."""
    statement = (
        select(SentInvoice)
        .where(SentInvoice.company_id == company_id)
        .order_by(col(SentInvoice.created_at).desc(), col(SentInvoice.id).desc())
        .limit(limit)
    )
    return list(session.exec(statement).all())
