"""Every table of the store, imported together so their metadata is complete for migrations."""

from sqlmodel import SQLModel

from store.billing_runs import BillingRun
from store.companies import Company
from store.ledger import BillableTransaction
from store.maventa_budget import MaventaBudgetLease
from store.outbound_documents import OutboundDocument
from store.received_invoices import ReceivedInvoice
from store.sent_invoices import SentInvoice
from store.vault import StoredSecret

metadata = SQLModel.metadata

__all__ = [
    "BillableTransaction",
    "BillingRun",
    "Company",
    "MaventaBudgetLease",
    "OutboundDocument",
    "ReceivedInvoice",
    "SentInvoice",
    "StoredSecret",
    "metadata",
]
