"""The sales-invoice delivery workflow's vocabulary (R5): its state, the webhook signal, activity payloads.

Everything here crosses Temporal as a payload, so it stays small: the document itself is kept by the service
(store/sales_invoice_documents.py) and only named by company and invoice key.
"""

import uuid
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, Field

from domain.routing import Route

WORKFLOW_ID_PREFIX = "sales-invoice-"
MAVENTA_UUID_NAMESPACE = uuid.UUID("6f1d5c1e-8c1a-4b7e-9a52-3d0f4c8e2b10")
"""Fixed forever: changing it would give every invoice key a new Maventa uuid, i.e. a second invoice."""

DELIVERED_EVENT = "DOCUMENTS.INVOICE.DELIVERED"
FAILED_EVENT = "DOCUMENTS.INVOICE.FAILED"


class DeliveryStatus(StrEnum):
    """Where a sales invoice is; Netvisor is told of every change."""

    SUBMITTED = "SUBMITTED"
    """Accepted by the service, not yet at Maventa."""
    PENDING = "PENDING"
    """At Maventa, on its way to the recipient."""
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"
    """Maventa could not deliver it; the detail says why."""
    REJECTED = "REJECTED"
    """Never left: sending is not allocated, or Maventa refused the upload. The same key may be sent again."""
    UNCONFIRMED = "UNCONFIRMED"
    """Maventa had not confirmed delivery when tracking ended; the invoice may still arrive."""


SETTLED = frozenset(
    {DeliveryStatus.DELIVERED, DeliveryStatus.FAILED, DeliveryStatus.REJECTED, DeliveryStatus.UNCONFIRMED}
)


def workflow_id(company_id: str, invoice_key: str) -> str:
    return f"{WORKFLOW_ID_PREFIX}{company_id}-{invoice_key}"


def maventa_uuid(company_id: str, invoice_key: str) -> str:
    """The upload's idempotency key: the same company and invoice key always make the same Maventa uuid."""
    return str(uuid.uuid5(MAVENTA_UUID_NAMESPACE, f"{company_id}/{invoice_key}"))


class Tracking(BaseModel):
    """How long and how often to ask Maventa when no webhook tells the outcome."""

    first_check_after: timedelta = timedelta(minutes=1)
    longest_check_interval: timedelta = timedelta(hours=6)
    give_up_after: timedelta = timedelta(days=14)


class SalesInvoiceInput(BaseModel):
    company_id: str
    invoice_key: str
    route: Route
    tracking: Tracking = Field(default_factory=Tracking)
    maventa_task_queue: str | None = None
    """Task queue of the activities that call Maventa (rate-limited); None: the workflow's own queue."""


class StatusChange(BaseModel):
    status: DeliveryStatus
    at: datetime
    detail: str | None = None


class DeliveryEvent(BaseModel):
    """A Maventa webhook about this invoice (DOCUMENTS.INVOICE.DELIVERED or .FAILED)."""

    event: str
    maventa_invoice_id: str


class SalesInvoiceState(BaseModel):
    company_id: str
    invoice_key: str
    uuid: str
    route: Route
    status: DeliveryStatus = DeliveryStatus.SUBMITTED
    maventa_invoice_id: str | None = None
    history: list[StatusChange] = Field(default_factory=list)
    delivery_event: DeliveryEvent | None = None


class UploadRequest(BaseModel):
    company_id: str
    invoice_key: str
    uuid: str


class Uploaded(BaseModel):
    maventa_invoice_id: str
    status: DeliveryStatus


class DeliveryCheck(BaseModel):
    company_id: str
    maventa_invoice_id: str


class DeliveryOutcome(BaseModel):
    status: DeliveryStatus
    detail: str | None = None


_MAVENTA_STATUSES = {status.value: status for status in DeliveryStatus}


def maventa_delivery_status(maventa_status: str | None) -> DeliveryStatus:
    """Maventa's PENDING, DELIVERED or FAILED; anything else reads as still on its way."""
    return _MAVENTA_STATUSES.get(maventa_status or "", DeliveryStatus.PENDING)


def delivery_outcome(maventa_status: str | None, failure_reason: str | None) -> DeliveryOutcome:
    """Where Maventa's own view of a sent invoice leaves its delivery (and why, when it failed)."""
    status = maventa_delivery_status(maventa_status)
    return DeliveryOutcome(status=status, detail=failure_reason if status == DeliveryStatus.FAILED else None)


class StatusReport(BaseModel):
    company_id: str
    invoice_key: str
    status: DeliveryStatus
    at: datetime
    detail: str | None = None
