"""Finvoice and the other received e-invoice formats: parsing what arrives, rendering what is sent."""

from domain.finvoice.errors import UnparsableInvoice
from domain.finvoice.parser import parse_invoice
from domain.finvoice.received_invoice import (
    AllowanceCharge,
    AttachmentKind,
    AttachmentReference,
    DocumentFormat,
    PostalAddress,
    ReceivedBuyer,
    ReceivedInvoice,
    ReceivedInvoiceRow,
    ReceivedSeller,
    Routing,
    VatSubtotal,
)
from domain.finvoice.renderer import InvalidMessage, render_finvoice
from domain.finvoice.sales_invoice import (
    InvoiceKind,
    SalesAddress,
    SalesBuyer,
    SalesInvoice,
    SalesInvoiceRow,
    SalesSeller,
    VatBreakdown,
    VatCategory,
)

__all__ = [
    "AllowanceCharge",
    "AttachmentKind",
    "AttachmentReference",
    "DocumentFormat",
    "InvalidMessage",
    "InvoiceKind",
    "PostalAddress",
    "ReceivedBuyer",
    "ReceivedInvoice",
    "ReceivedInvoiceRow",
    "ReceivedSeller",
    "Routing",
    "SalesAddress",
    "SalesBuyer",
    "SalesInvoice",
    "SalesInvoiceRow",
    "SalesSeller",
    "UnparsableInvoice",
    "VatBreakdown",
    "VatCategory",
    "VatSubtotal",
    "parse_invoice",
    "render_finvoice",
]
