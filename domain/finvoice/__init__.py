"""Finvoice and the other received e-invoice formats: parsing what arrives, rendering what is sent."""

from domain.finvoice.errors import UnparsableInvoice
from domain.finvoice.parser import parse_invoice
from domain.finvoice.received_invoice import (
    AttachmentKind,
    AttachmentReference,
    DocumentFormat,
    PostalAddress,
    ReceivedBuyer,
    ReceivedInvoice,
    ReceivedInvoiceRow,
    ReceivedSeller,
    Routing,
)

__all__ = [
    "AttachmentKind",
    "AttachmentReference",
    "DocumentFormat",
    "PostalAddress",
    "ReceivedBuyer",
    "ReceivedInvoice",
    "ReceivedInvoiceRow",
    "ReceivedSeller",
    "Routing",
    "UnparsableInvoice",
    "parse_invoice",
]
