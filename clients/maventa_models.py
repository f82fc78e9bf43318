"""Maventa's JSON shapes as pydantic models, with Maventa's own field names (research/maventa-api.md §1-§2).

Unknown fields are ignored and most fields are optional: the API adds fields over time (S1 vs S3).
"""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class MaventaModel(BaseModel):
    model_config = ConfigDict(extra="ignore")


class MaventaCredentials(MaventaModel):
    """One Maventa account: the company's UUID and a user's API key."""

    company_uuid: str
    user_api_key: SecretStr


class NewCompany(MaventaModel):
    name: str
    business_id: str
    email: str
    street: str
    post_code: str
    city: str
    country: str = "FI"


class CompanyInfo(MaventaModel):
    """The `company` of GET /oauth2/current."""

    id: str
    bid: str | None = None
    name: str | None = None
    country: str | None = None
    vat: str | None = None
    wizard_done: bool | None = None
    disabled: bool | None = None


class AuthorizationStatus(MaventaModel):
    auth_state: str | None = None  # PENDING | SENT | SIGNED | CANCELED | NONE
    auth_email: str | None = None
    company_state: str | None = None  # VERIFIED | UNVERIFIED | UNKNOWN

    @property
    def verified(self) -> bool:
        return self.company_state == "VERIFIED"


class ProfileEvent(MaventaModel):
    message: str | None = None
    created_at: datetime | None = None


class NetworkProfile(MaventaModel):
    id: str
    network: str  # VISMA | BANK | PEPPOL | SCAN | ...
    status: str  # active | pending | error
    endpoint_id: str | None = None
    scheme: str | None = None
    profiles: list[str] = Field(default_factory=list)
    profile_version: int | None = None
    last_event: ProfileEvent | None = None

    @property
    def active(self) -> bool:
        return self.status == "active"

    @property
    def eia(self) -> str | None:
        """The e-invoice address this registration answers to, e.g. `003712345678` or `0216:0037...`."""
        if self.endpoint_id is None:
            return None
        return (
            f"{self.scheme}:{self.endpoint_id}"
            if self.network == "PEPPOL" and self.scheme
            else self.endpoint_id
        )


class PostalAddress(MaventaModel):
    street_name: str | None = None
    extra_lines: list[str] = Field(default_factory=list)
    city: str | None = None
    post_code: str | None = None
    country_code: str | None = None


class ScanAddress(MaventaModel):
    email_address: str | None = None
    postal_address: PostalAddress | None = None


class ScanService(MaventaModel):
    status: str  # active | disabled | pending | error
    error_message: str | None = None
    scan_address: ScanAddress | None = None
    return_address: ScanAddress | None = None
    features: dict[str, Any] = Field(default_factory=dict)


class InvoiceParty(MaventaModel):
    eia: str | None = None
    bid: str | None = None
    name: str | None = None
    country: str | None = None
    operator: str | None = None


class InvoiceFile(MaventaModel):
    id: str
    filename: str | None = None
    type: str | None = None
    mimetype: str | None = None
    href: str | None = None


class InvoiceAction(MaventaModel):
    type: str | None = None  # RECEIVED | CREATED | SENT | DELIVERED | INFO | ERROR
    channel: str | None = None
    message: str | None = None
    key: str | None = None
    happened_at: datetime | None = None


class Invoice(MaventaModel):
    id: str
    status: str | None = None  # PENDING | DELIVERED | FAILED
    reference: str | None = None
    number: str | None = None
    sender: InvoiceParty | None = None
    recipient: InvoiceParty | None = None
    received_at: datetime | None = None
    created_at: datetime | None = None
    date: str | None = None
    date_due: str | None = None
    source_format: str | None = None
    sum: float | None = None  # "Invoice sum" (S1)
    sum_tax: float | None = None  # "Invoice sum with tax" (S1)
    currency: str | None = None
    origin: str | None = None  # INTERNAL | EXTERNAL | SCAN
    origin_type: str | None = None  # SCAN_PDF | SCAN_PAPER | AUTOSCAN | SCAN
    files: list[InvoiceFile] = Field(default_factory=list)
    actions: list[InvoiceAction] = Field(default_factory=list)


class Notification(MaventaModel):
    id: str
    destination_type: str
    destination: str
    events: list[str] = Field(default_factory=list)


class InvoiceEvent(MaventaModel):
    """One entry of the partner queue of received invoices (research §2.3)."""

    company_id: str
    invoice_id: str
    state: str  # CREATED | HANDLED
    created_at: datetime | None = None
