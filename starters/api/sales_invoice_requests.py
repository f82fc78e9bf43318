"""What Netvisor sends to have a sales invoice delivered (R5), and what it gets back (§7).

Recipient identifiers are checked here (OVT check digit, IBAN mod 97, operator code or BIC), so a bad address
is a 422 that names the field before anything is stored.
"""

from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from domain.finvoice import SalesInvoice
from domain.identifiers import normalise_einvoice_address, normalise_operator_code

BATCH_LIMIT = 500
ATTACHMENTS_LIMIT = 20
ATTACHMENT_TYPES = frozenset({"pdf", "doc", "xls", "tif", "jpg", "gif", "txt", "xsl", "html", "htm"})
"""The file types Maventa accepts as e-invoice attachments (docs/facts/einvoicing.md §1.5)."""

MAX_FILE_BYTES = 10 * 1024 * 1024
"""Maventa's limit per file in a package (docs/facts/einvoicing.md §1.5)."""
MAX_BASE64_CHARS = (MAX_FILE_BYTES + 2) // 3 * 4
"""A file of MAX_FILE_BYTES in base64."""

INVOICE_KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$"
InvoiceKey = Annotated[
    str,
    Field(
        pattern=INVOICE_KEY_PATTERN,
        max_length=100,
        description="Netvisor's key of the sales invoice; the same key twice is one invoice",
    ),
]


def _attachment_type(filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in ATTACHMENT_TYPES:
        raise ValueError(f"attachment type must be one of {', '.join(sorted(ATTACHMENT_TYPES))}")
    return filename


class Recipient(BaseModel):
    model_config = ConfigDict(extra="forbid")

    einvoice_address: Annotated[
        str,
        Field(max_length=40, description="OVT code (0037 + business id + optional suffix) or an IBAN"),
        AfterValidator(normalise_einvoice_address),
    ]
    operator: Annotated[
        str,
        Field(max_length=40, description="Operator id such as 003721291126, or a bank BIC such as DABAFIHH"),
        AfterValidator(normalise_operator_code),
    ]


class Attachment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filename: Annotated[
        str,
        Field(
            pattern=r"^[A-Za-z0-9_][A-Za-z0-9._]{0,46}$",
            max_length=47,
            description="Letters a-z, digits, '.' and '_', at most 47 characters (Maventa's rule, numbered)",
        ),
        AfterValidator(_attachment_type),
    ]
    content_base64: str = Field(min_length=1, max_length=MAX_BASE64_CHARS, description="The file, base64")


class SalesInvoiceRequest(BaseModel):
    """A sales invoice to send: Netvisor's Finvoice 3.0 document, or the invoice as JSON to be rendered."""

    model_config = ConfigDict(extra="forbid")

    invoice_key: InvoiceKey
    recipient: Recipient
    finvoice_xml: str | None = Field(
        None, max_length=MAX_FILE_BYTES, description="A Finvoice 3.0 document, as Netvisor produced it"
    )
    invoice: SalesInvoice | None = Field(None, description="The invoice, rendered here to Finvoice 3.0")
    pdf_base64: str | None = Field(
        None, max_length=MAX_BASE64_CHARS, description="The invoice image (PDF), base64"
    )
    attachments: list[Attachment] = Field(default_factory=list, max_length=ATTACHMENTS_LIMIT)

    @model_validator(mode="after")
    def _one_document(self) -> Self:
        if (self.finvoice_xml is None) == (self.invoice is None):
            raise ValueError("send exactly one of finvoice_xml (a Finvoice 3.0 document) and invoice (JSON)")
        return self


class SalesInvoiceBatch(BaseModel):
    """A month-end run: each invoice is judged on its own, so one bad invoice does not stop the others."""

    invoices: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=BATCH_LIMIT,
        description="Sales invoices, each shaped as the body of POST .../sales-invoices",
        json_schema_extra={"items": {"$ref": "#/components/schemas/SalesInvoiceRequest"}},
    )


class SalesInvoiceAccepted(BaseModel):
    invoice_key: str
    status: str
    duplicate: bool = Field(description="True when the key was already submitted; status is that invoice's")


class BatchOutcome(BaseModel):
    invoice_key: str | None
    outcome: Literal["accepted", "duplicate", "rejected"]
    status: str | None = None
    code: str | None = None
    reason: str | None = None


class BatchAnswer(BaseModel):
    accepted: int
    duplicate: int
    rejected: int
    outcomes: list[BatchOutcome] = Field(description="One per submitted invoice, in the order sent")


class RouteView(BaseModel):
    einvoice_address: str
    operator: str


class StatusEntry(BaseModel):
    status: str
    at: datetime
    detail: str | None = None


class SalesInvoiceView(BaseModel):
    invoice_key: str
    status: str
    route: RouteView
    maventa_invoice_id: str | None
    submitted_at: datetime
    updated_at: datetime
    history: list[StatusEntry]
