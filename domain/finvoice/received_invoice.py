"""What the service reads out of a received e-invoice, whatever its format, version or encoding."""

from datetime import date
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, Field


class DocumentFormat(StrEnum):
    """The syntax a received document was written in."""

    FINVOICE = "FINVOICE"
    PEPPOL_BIS = "PEPPOL_BIS"
    UBL = "UBL"
    TEAPPS = "TEAPPS"


class AttachmentKind(StrEnum):
    """How a received document refers to material beyond its own XML."""

    ATTACHMENT_MESSAGE = "ATTACHMENT_MESSAGE"
    """A Finvoice attachment message sent separately (`AttachmentMessageIdentifier`, `…::attachments`)."""
    LINK = "LINK"
    """A URL in the invoice (Finvoice `InvoiceUrlText`, UBL `ExternalReference`)."""
    EMBEDDED = "EMBEDDED"
    """A file embedded in the document (UBL `EmbeddedDocumentBinaryObject`); only its name is kept here."""
    IMAGE = "IMAGE"
    """The invoice image the document names (TEAPPS `IMAGE_FILE`)."""


class AttachmentReference(BaseModel):
    """One attachment or link the document mentions; the content itself is fetched separately."""

    kind: AttachmentKind
    name: str
    url: str | None = None


class PostalAddress(BaseModel):
    street: str | None = None
    post_code: str | None = None
    town: str | None = None
    country_code: str | None = None


class ReceivedSeller(BaseModel):
    """The party that sent the invoice and is to be paid. Identifiers are kept as written, even when
    their check digit is wrong: a received invoice is imported as it is, not corrected."""

    name: str | None = None
    business_id: str | None = None
    vat_number: str | None = None
    address: PostalAddress | None = None
    einvoice_address: str | None = Field(
        default=None, description="The seller's e-invoice address (OVT for Finvoice), as written."
    )


class ReceivedBuyer(BaseModel):
    name: str | None = None
    business_id: str | None = None


class Routing(BaseModel):
    """Who sent the message to whom through which operators, from MessageTransmissionDetails or the
    SOAP/ebXML frame."""

    sender_address: str | None = None
    sender_operator: str | None = None
    receiver_address: str | None = None
    receiver_operator: str | None = None
    message_id: str | None = None
    timestamp: str | None = None


class ReceivedInvoiceRow(BaseModel):
    """One invoice row. A text-only row has a description and nothing else."""

    description: str | None = None
    quantity: Decimal | None = None
    unit: str | None = None
    unit_price: Decimal | None = Field(default=None, description="Price per unit excluding VAT.")
    unit_price_including_vat: Decimal | None = None
    vat_percent: Decimal | None = None
    amount: Decimal | None = Field(default=None, description="Row total excluding VAT.")
    vat_amount: Decimal | None = None
    amount_including_vat: Decimal | None = None


class AllowanceCharge(BaseModel):
    """An invoice-level discount or charge (freight, invoicing fee) that no row carries."""

    reason: str | None = None
    amount: Decimal = Field(description="Excluding VAT; negative for a discount, positive for a charge.")
    vat_percent: Decimal | None = None


class VatSubtotal(BaseModel):
    """One line of the document's VAT breakdown."""

    vat_percent: Decimal | None = None
    category: str | None = Field(default=None, description="S, Z, E, AE (reverse charge), K, G, O…")
    taxable_amount: Decimal | None = None
    vat_amount: Decimal


class ReceivedInvoice(BaseModel):
    """A received purchase invoice as the service understands it, ready to map to Netvisor's import.

    Amounts carry the sign of the money's direction, whatever the document's syntax: a credit note's
    totals, rows and quantities are negative (UBL writes a CreditNote's amounts positive; they are turned
    here), unit prices stay as written.
    """

    format: DocumentFormat
    version: str = Field(description="Version as the document states it, e.g. '3.0', '1.3', '2.01'.")
    credit_note: bool = False
    number: str
    invoice_date: date
    due_date: date | None = None
    seller: ReceivedSeller
    buyer: ReceivedBuyer
    total_including_vat: Decimal
    vat_amount: Decimal | None = None
    total_excluding_vat: Decimal | None = None
    prepaid_amount: Decimal | None = Field(default=None, description="Already paid (UBL PrepaidAmount).")
    rounding_amount: Decimal | None = None
    amount_to_pay: Decimal | None = Field(
        default=None,
        description="What is due as the document states it (UBL PayableAmount, EpiInstructedAmount).",
    )
    allowances_charges: list[AllowanceCharge] = Field(default_factory=list)
    vat_breakdown: list[VatSubtotal] = Field(default_factory=list)
    currency: str
    payment_reference: str | None = None
    seller_iban: str | None = None
    seller_bic: str | None = None
    rows: list[ReceivedInvoiceRow] = Field(default_factory=list)
    attachments: list[AttachmentReference] = Field(default_factory=list)
    free_text: str | None = None
    routing: Routing | None = None
