"""Maventa's JSON shapes as pydantic models, with the names and types of Maventa's OpenAPI schemas.

Each answer model reads one schema of contracts/maventa/ (named in its docstring);
tests/clients/test_maventa_models.py fails on a field whose name or type differs from it. Unknown fields are
ignored and most fields are optional: the API adds fields over time, and few are marked required.
"""

from datetime import datetime

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


class TokenAnswer(MaventaModel):
    """API_Entities_OAuthToken: a token, its lifetime and the scopes granted."""

    access_token: SecretStr
    token_type: str | None = None
    expires_in: int | None = None
    scope: str | None = None


class ApiUser(MaventaModel):
    """API_Entities_ApiUser: the new user's API key."""

    user_api_key: SecretStr


class CreatedCompany(MaventaModel):
    """API_Entities_Company."""

    id: str


class CompanyLookup(MaventaModel):
    """Partner_HttpApi_Entities_CompanyLookups: FREE or RESERVED."""

    company_bid: str
    company_status: str


class CompanyInfo(MaventaModel):
    """API_Entities_CompanyParty, the `company` of GET /oauth2/current."""

    id: str
    bid: str | None = None
    name: str | None = None
    country: str | None = None
    vat: str | None = None
    wizard_done: bool | None = None
    disabled: bool | None = None


class CurrentAccount(MaventaModel):
    """API_Entities_OAuthCurrent: who a token belongs to."""

    company: CompanyInfo
    scopes: list[str] = Field(default_factory=list)


class AuthorizationAnswer(MaventaModel):
    """API_Entities_CompanyAuthorization: the answer to an authorization request, not the new state."""

    status: str
    count: int | None = None


class VendorLink(MaventaModel):
    """API_Entities_LinkVendorAPIKey."""

    state: str | None = None


class AuthorizationStatus(MaventaModel):
    """API_Entities_CompanyAuthorizationStatus."""

    auth_state: str | None = None  # PENDING | SENT | SIGNED | CANCELED | NONE
    auth_email: str | None = None
    company_state: str | None = None  # VERIFIED | UNVERIFIED | UNKNOWN

    @property
    def verified(self) -> bool:
        return self.company_state == "VERIFIED"


class ProfileEvent(MaventaModel):
    """API_Entities_CompanyProfileEvent."""

    message: str | None = None
    created_at: datetime | None = None


class NetworkProfile(MaventaModel):
    """API_Entities_CompanyProfile: one network registration."""

    id: str
    network: str  # VISMA | BANK | PEPPOL | SCAN | ...
    status: str  # active | pending | error
    endpoint_id: str | None = None
    scheme: str | None = None
    profiles: list[str] = Field(default_factory=list)
    profile_version: str | None = None  # e.g. PEPPOLBIS30, EHF30
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
    """Scan_HttpApi_Entities_PostalAddress."""

    name: str | None = None
    address1: str | None = None
    address2: str | None = None
    post_code: str | None = None
    city: str | None = None
    country_code: str | None = None


class ScanAddress(MaventaModel):
    """Scan_HttpApi_Entities_ScanAddress: where suppliers send paper and PDF invoices."""

    email_address: str | None = None
    postal_address: PostalAddress | None = None


class ScanService(MaventaModel):
    """Scan_HttpApi_Entities_ScanConfiguration."""

    status: str | None = None  # active | disabled | pending | error
    error_message: str | None = None
    scan_address: ScanAddress | None = None


class InvoiceSender(MaventaModel):
    """Invoices_HttpApi_Entities_InvoiceSenderParty."""

    eia: str | None = None
    bid: str | None = None
    name: str | None = None
    country: str | None = None


class InvoiceRecipient(InvoiceSender):
    """Invoices_HttpApi_Entities_InvoiceRecipientParty: the sender's fields and the recipient's operator."""

    operator: str | None = None


class InvoiceFile(MaventaModel):
    """Invoices_HttpApi_Entities_InvoiceFile."""

    id: str
    filename: str | None = None
    type: str | None = None
    mimetype: str | None = None
    href: str | None = None


class InvoiceAction(MaventaModel):
    """Invoices_HttpApi_Entities_InvoiceAction."""

    type: str | None = None  # RECEIVED | CREATED | SENT | DELIVERED | INFO | ERROR
    channel: str | None = None
    message: str | None = None
    key: str | None = None
    happened_at: datetime | None = None


class Invoice(MaventaModel):
    """Invoices_HttpApi_Entities_Invoice."""

    id: str
    status: str | None = None  # PENDING | DELIVERED | FAILED
    reference: str | None = None
    number: str | None = None
    sender: InvoiceSender | None = None
    recipient: InvoiceRecipient | None = None
    received_at: datetime | None = None
    created_at: datetime | None = None
    date: str | None = None
    date_due: str | None = None
    source_format: str | None = None
    sum: float | None = None  # "Invoice sum" (the OpenAPI)
    sum_tax: float | None = None  # "Invoice sum with tax" (the OpenAPI)
    currency: str | None = None
    origin: str | None = None  # INTERNAL | EXTERNAL | SCAN
    origin_type: str | None = None  # SCAN_PDF | SCAN_PAPER | AUTOSCAN | SCAN
    files: list[InvoiceFile] = Field(default_factory=list)
    actions: list[InvoiceAction] = Field(default_factory=list)

    @property
    def failure_reason(self) -> str | None:
        """The latest ERROR action's message: Maventa's own words on why delivery failed."""
        errors = [action.message for action in self.actions if action.type == "ERROR" and action.message]
        return errors[-1] if errors else None


class Notification(MaventaModel):
    """API_Entities_Notifications_Notification: a webhook subscription."""

    id: str
    destination_type: str
    destination: str
    events: list[str] = Field(default_factory=list)


class InvoiceEvent(MaventaModel):
    """Partner_HttpApi_Entities_InvoiceEventsReceived: one entry of the partner queue of received invoices."""

    company_id: str
    invoice_id: str
    state: str  # CREATED | HANDLED
    created_at: datetime | None = None
