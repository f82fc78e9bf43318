"""The transaction ledger (R8): one row per billable electronic transaction, counted once whatever retries.

The natural key (kind, source id) is unique, so recording the same transaction again (an activity retry, a
replay, a re-import) inserts nothing. Rows are written in the database transaction that completes the work
(see received_invoices and sent_invoices), so a transaction is counted exactly when its work is done.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Column, Index, UniqueConstraint, func
from sqlmodel import Field, Session, SQLModel, col, select

from store.columns import UtcDateTime
from store.upsert import insert_or_ignore

BILLING_TIMEZONE = ZoneInfo("Europe/Helsinki")

RECEIVED_EINVOICE = "received_einvoice"
RECEIVED_SCANNED_INVOICE = "received_scanned_invoice"
SENT_EINVOICE = "sent_einvoice"
LEDGER_KINDS = (RECEIVED_EINVOICE, RECEIVED_SCANNED_INVOICE, SENT_EINVOICE)
"""Every kind the ledger counts; the price list must price each (§6)."""


class BillableTransaction(SQLModel, table=True):
    __tablename__ = "transactions"
    __table_args__ = (
        UniqueConstraint("kind", "source_id", name="uq_transactions_kind_source_id"),
        Index("ix_transactions_company_id_month", "company_id", "month"),
    )

    id: int | None = Field(default=None, primary_key=True)
    company_id: str = Field(max_length=64)
    kind: str = Field(max_length=64)
    source_id: str = Field(max_length=200)
    occurred_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    month: str = Field(max_length=7)


def billing_month(moment: datetime) -> str:
    """The month (YYYY-MM) a moment is billed in: the calendar month in Finland, where billing runs."""
    return moment.astimezone(BILLING_TIMEZONE).strftime("%Y-%m")


def record_transaction(
    session: Session, company_id: str, kind: str, source_id: str, occurred_at: datetime
) -> bool:
    """Record a billable transaction once; True if it is new, False if (kind, source_id) was already there."""
    row = {
        "company_id": company_id,
        "kind": kind,
        "source_id": source_id,
        "occurred_at": occurred_at,
        "month": billing_month(occurred_at),
    }
    return insert_or_ignore(session, BillableTransaction, row, ["kind", "source_id"])


def count_by_kind(session: Session, company_id: str, month: str) -> dict[str, int]:
    """How many transactions of each kind the company had in the month (YYYY-MM); absent kinds had none."""
    statement = (
        select(BillableTransaction.kind, func.count())
        .where(BillableTransaction.company_id == company_id, BillableTransaction.month == month)
        .group_by(col(BillableTransaction.kind))
    )
    return {kind: count for kind, count in session.exec(statement).all()}


def companies_with_transactions(
    session: Session, month: str, *, after: str | None = None, limit: int = 500
) -> list[str]:
    """A page of the company ids with at least one transaction in the month, in order (for billing)."""
    statement = select(BillableTransaction.company_id).where(BillableTransaction.month == month)
    if after is not None:
        statement = statement.where(col(BillableTransaction.company_id) > after)
    statement = statement.distinct().order_by(col(BillableTransaction.company_id)).limit(limit)
    return list(session.exec(statement).all())
