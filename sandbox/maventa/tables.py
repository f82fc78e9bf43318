"""The sandbox's state: Maventa's accounts, networks, invoices and subscriptions as SQLite tables.

Times are aware UTC datetimes. Keys and tokens are stored only as digests.
"""

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


class Company(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True)
    bid: str
    # One company per business id (docs/facts/maventa.md §2.6): the 8 digits are unique.
    bid_digits: str = Field(index=True, unique=True)
    name: str
    email: str = ""
    country: str = "FI"
    address1: str = ""
    post_code: str = ""
    post_office: str = ""
    city: str = ""
    no_vat: bool = False
    company_state: str = "UNVERIFIED"
    auth_state: str = "NONE"
    auth_email: str | None = None
    vendor_key_digest: str | None = Field(default=None, index=True)
    scan_status: str | None = None
    scan_return_address: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    created_at: datetime = Field(default_factory=utcnow)


class VendorKey(SQLModel, table=True):
    digest: str = Field(primary_key=True)
    company_id: str = Field(foreign_key="company.id")


class User(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True)
    email: str = Field(index=True, unique=True)
    first_name: str = ""
    last_name: str = ""
    api_key_digest: str = Field(index=True, unique=True)
    created_at: datetime = Field(default_factory=utcnow)


class Membership(SQLModel, table=True):
    user_id: str = Field(foreign_key="user.id", primary_key=True)
    company_id: str = Field(foreign_key="company.id", primary_key=True)


class Token(SQLModel, table=True):
    digest: str = Field(primary_key=True)
    company_id: str = Field(foreign_key="company.id")
    user_id: str = Field(foreign_key="user.id")
    vendor_key_digest: str | None = None
    scope: str
    expires_at: datetime


class Profile(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True)
    company_id: str = Field(foreign_key="company.id", index=True)
    network: str
    status: str
    endpoint_id: str | None = None
    scheme: str | None = None
    profiles: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    profile_version: str | None = None
    last_event_message: str = ""
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Invoice(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True)
    company_id: str = Field(foreign_key="company.id", index=True)
    direction: str = Field(index=True)
    status: str
    number: str
    reference: str | None = None
    sender: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    recipient: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    received_at: datetime = Field(index=True)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    date: str | None = None
    date_due: str | None = None
    source_format: str
    sum: float = 0.0
    sum_tax: float = 0.0
    currency: str = "EUR"
    origin: str | None = None
    origin_type: str | None = None
    channel: str | None = None
    uuid: str | None = Field(default=None, index=True)
    virtual_barcode: str | None = None
    image_is_original: bool = False


class InvoiceFile(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True)
    invoice_id: str = Field(foreign_key="invoice.id", index=True)
    filename: str
    type: str
    mimetype: str
    content: bytes


class InvoiceAction(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    invoice_id: str = Field(foreign_key="invoice.id", index=True)
    type: str
    channel: str
    message: str
    key: str
    happened_at: datetime = Field(default_factory=utcnow)


class InvoiceEvent(SQLModel, table=True):
    """One row of the partner queue of received invoices (docs/facts/maventa.md §2.3)."""

    id: int | None = Field(default=None, primary_key=True)
    company_id: str = Field(foreign_key="company.id", index=True)
    invoice_id: str = Field(foreign_key="invoice.id", unique=True)
    state: str = Field(default="CREATED", index=True)
    created_at: datetime = Field(default_factory=utcnow)


class Notification(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True)
    company_id: str = Field(foreign_key="company.id", index=True)
    destination_type: str
    destination: str
    events: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    vendor_key_digest: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
