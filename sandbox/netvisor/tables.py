"""The sandbox's state: what Netvisor would hold for the companies the service acts for.

Table names carry a `netvisor_` prefix because SQLModel's metadata is shared with the other packages.
"""

from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel


class PurchaseInvoiceRecord(SQLModel, table=True):
    __tablename__ = "netvisor_purchase_invoice"

    netvisor_key: int | None = Field(default=None, primary_key=True)
    organisation_id: str = Field(index=True)
    invoice_number: str = Field(index=True)
    invoice_date: date
    value_date: date
    due_date: date
    delivery_date: date | None = None
    invoice_source: str | None = None
    vendor_name: str | None = None
    vendor_business_id: str | None = None
    vendor_address_line: str | None = None
    vendor_post_number: str | None = None
    vendor_city: str | None = None
    vendor_country: str | None = None
    amount: str
    currency_code: str | None = None
    account_number: str | None = None
    bank_reference_number: str | None = None
    our_reference: str | None = None
    your_reference: str | None = None
    comment: str | None = None
    lines_json: str = "[]"
    imported_at: datetime


class PurchaseInvoiceAttachmentRecord(SQLModel, table=True):
    __tablename__ = "netvisor_purchase_invoice_attachment"

    id: int | None = Field(default=None, primary_key=True)
    netvisor_key: int = Field(foreign_key="netvisor_purchase_invoice.netvisor_key", index=True)
    filename: str
    mime_type: str
    description: str
    document_type: str
    content: bytes


class UsedTransaction(SQLModel, table=True):
    """Every TransactionId ever accepted: the same one twice is refused (docs/facts/netvisor.md §2.2)."""

    __tablename__ = "netvisor_used_transaction"

    transaction_id: str = Field(primary_key=True)
    used_at: datetime


class InvoicingAddressRecord(SQLModel, table=True):
    """ASSUMPTION: the company's Maventa receiving address in Invoicing addresses
    (docs/facts/netvisor.md §6.2)."""

    __tablename__ = "netvisor_invoicing_address"

    organisation_id: str = Field(primary_key=True)
    einvoice_address: str
    operator: str
    updated_at: datetime


class SalesInvoiceStatusRecord(SQLModel, table=True):
    """ASSUMPTION: one reported delivery status of a sales invoice; the latest is the current one."""

    __tablename__ = "netvisor_sales_invoice_status"

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: str = Field(index=True)
    invoice_key: str = Field(index=True)
    status: str
    detail: str | None = None
    reported_at: datetime


class ServiceBillingRecord(SQLModel, table=True):
    """ASSUMPTION: one company's billed Maventa transactions of one month."""

    __tablename__ = "netvisor_service_billing"
    __table_args__ = (UniqueConstraint("organisation_id", "month"),)

    netvisor_key: int | None = Field(default=None, primary_key=True)
    organisation_id: str = Field(index=True)
    month: str = Field(index=True)
    lines_json: str
    posted_at: datetime
