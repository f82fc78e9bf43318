"""What crosses the boundary to Netvisor: a purchase invoice to import, what the list answers, billing lines.

Bytes are base64 in JSON so these models travel intact through Temporal's pydantic data converter.
"""

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

_BYTES_AS_BASE64 = ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")


class PurchaseInvoiceVendor(BaseModel):
    """The seller as printed on the invoice; Netvisor matches or creates the vendor card from it."""

    name: str
    business_id: str | None = None
    address_line: str | None = None
    post_number: str | None = None
    city: str | None = None
    country: str | None = Field(None, description="ISO 3166 alpha-2")


class PurchaseInvoiceLine(BaseModel):
    product_name: str
    quantity: Decimal = Decimal(1)
    unit_price: Decimal
    vat_percent: Decimal
    line_sum: Decimal = Field(
        description="Gross sum of the line, VAT included (Netvisor's linesum type=brutto)"
    )
    product_code: str | None = None
    unit_name: str | None = None
    description: str | None = None


class PurchaseInvoiceAttachmentFile(BaseModel):
    model_config = _BYTES_AS_BASE64

    filename: str
    content: bytes
    mime_type: str = "application/pdf"
    description: str | None = None


class PurchaseInvoiceImport(BaseModel):
    """One received invoice as purchaseinvoice.nv takes it (docs/facts/netvisor.md §4.1).

    `maventa_invoice_id` travels in the `comment` element: free text that Netvisor shows to the user and
    never uses for matching or payment, unlike `ourreference`, `agreementidentifier` (real invoice data)
    or `checksum` (semantics unknown). purchaseinvoicelist.nv returns no free-text field, so finding an
    invoice again uses its natural key (number, vendor business id, sum, date): see
    `PurchaseInvoiceSummary.matches`.
    """

    model_config = _BYTES_AS_BASE64

    maventa_invoice_id: str
    invoice_number: str
    invoice_date: date
    due_date: date
    value_date: date | None = Field(
        None, description="Netvisor needs one in practice; defaults to the invoice date"
    )
    delivery_date: date | None = None
    vendor: PurchaseInvoiceVendor
    amount: Decimal = Field(description="Invoice total, VAT included")
    currency: str = "EUR"
    reference: str | None = Field(None, description="Payment reference (bankreferencenumber)")
    bank_account: str | None = Field(None, description="The seller's IBAN (accountnumber)")
    our_reference: str | None = None
    your_reference: str | None = None
    comment: str | None = None
    lines: list[PurchaseInvoiceLine] = Field(default_factory=list)
    image_pdf: bytes | None = Field(None, description="The invoice image (PDF)")
    image_filename: str = "invoice.pdf"
    attachments: list[PurchaseInvoiceAttachmentFile] = Field(default_factory=list)


class PurchaseInvoiceSummary(BaseModel):
    """One row of purchaseinvoicelist.nv (docs/facts/netvisor.md §4.3)."""

    netvisor_key: int
    invoice_number: str
    invoice_date: date
    vendor_name: str
    vendor_business_id: str | None
    sum: Decimal
    payments: Decimal = Decimal(0)
    open_sum: Decimal = Decimal(0)

    def matches(self, invoice: PurchaseInvoiceImport) -> bool:
        """Whether this row is the given invoice, by the natural key the list answers with."""
        same_vendor = (
            self.vendor_business_id == invoice.vendor.business_id
            if self.vendor_business_id and invoice.vendor.business_id
            else self.vendor_name == invoice.vendor.name
        )
        return (
            same_vendor
            and self.invoice_number == invoice.invoice_number
            and self.invoice_date == invoice.invoice_date
            and self.sum == invoice.amount
        )


class ServiceBillingLine(BaseModel):
    """One priced line of a company's monthly Maventa transactions (ASSUMPTION about Netvisor's billing)."""

    product_code: str
    description: str
    quantity: int
    unit_price: Decimal = Field(description="EUR, VAT excluded")
