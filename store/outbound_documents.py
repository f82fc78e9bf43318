"""Sales invoices waiting to leave (R5): what the API accepted under an invoice key, until a worker sends it.

A Finvoice with its PDF image and attachments can be megabytes, over what a workflow payload may carry, so the
API keeps the upload here and the workflow names it by company and invoice key. The store is the one thing
the API and the workers share, so they may run in separate containers. The first document kept under a key
holds; only a resubmission of an invoice that never left replaces it.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, LargeBinary, PrimaryKeyConstraint
from sqlmodel import Field, Session, SQLModel, select

from store.columns import UtcDateTime, utc_now
from store.upsert import insert_or_ignore, insert_or_update


class OutboundDocument(SQLModel, table=True):
    __tablename__ = "outbound_documents"
    __table_args__ = (PrimaryKeyConstraint("company_id", "invoice_key", name="pk_outbound_documents"),)

    company_id: str = Field(max_length=64)
    invoice_key: str = Field(max_length=100)
    submission: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    stored_at: datetime = Field(default_factory=utc_now, sa_column=Column(UtcDateTime, nullable=False))


def _row(company_id: str, invoice_key: str, submission: Mapping[str, Any], content: bytes) -> dict[str, Any]:
    return {
        "company_id": company_id,
        "invoice_key": invoice_key,
        "submission": dict(submission),
        "content": content,
        "stored_at": utc_now(),
    }


def keep_document(
    session: Session, company_id: str, invoice_key: str, submission: Mapping[str, Any], content: bytes
) -> bool:
    """Keep the upload unless one is kept under the key (concurrency-safe); True if this call kept it."""
    row = _row(company_id, invoice_key, submission, content)
    return insert_or_ignore(session, OutboundDocument, row, ["company_id", "invoice_key"])


def replace_document(
    session: Session, company_id: str, invoice_key: str, submission: Mapping[str, Any], content: bytes
) -> None:
    """Put a new upload in place of the one kept under the key (or keep it, if there is none)."""
    row = _row(company_id, invoice_key, submission, content)
    columns = ["submission", "content", "stored_at"]
    insert_or_update(session, OutboundDocument, row, ["company_id", "invoice_key"], columns)


def get_submission(session: Session, company_id: str, invoice_key: str) -> dict[str, Any] | None:
    """The submission record kept under the key, without reading the document itself."""
    statement = select(OutboundDocument.submission).where(
        OutboundDocument.company_id == company_id, OutboundDocument.invoice_key == invoice_key
    )
    found = session.exec(statement).first()
    return None if found is None else dict(found)


def get_document(session: Session, company_id: str, invoice_key: str) -> tuple[dict[str, Any], bytes] | None:
    """The submission record and the bytes to upload kept under the key."""
    statement = select(OutboundDocument.submission, OutboundDocument.content).where(
        OutboundDocument.company_id == company_id, OutboundDocument.invoice_key == invoice_key
    )
    found = session.exec(statement).first()
    return None if found is None else (dict(found[0]), found[1])
